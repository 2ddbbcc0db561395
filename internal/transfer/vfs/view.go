package vfs

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The two top-level names of every view that are not in the home folder.
// They are reserved for everyone, so a membership change never hides a
// user's own folder.
const (
	usersFolder  = "users"
	groupsFolder = "groups"
)

// view is one user's FS.
type view struct {
	s      *Storage
	siteID int64
	user   store.User
	admin  bool
	groups map[string]groupFolder // by lower-cased name; unused for admins
}

// place is where a path lands: a virtual folder (root, /users, /groups) or a
// path inside one area.
type place struct {
	display string   // the user's path, for messages
	virtual string   // "", "/", "/users" or "/groups"
	area    *area    // set when virtual == ""
	rel     []string // path inside the area; empty is the area's top
}

func (p place) relPath() string {
	if len(p.rel) == 0 {
		return "."
	}
	return strings.Join(p.rel, "/")
}

func (v *view) home() *area {
	return &area{dir: v.s.userDir(v.siteID, v.user.ID), writable: true, name: "/", sums: v.s.sums}
}

func (v *view) resolve(ctx context.Context, name string) (place, error) {
	elems, err := splitPath(name)
	if err != nil {
		return place{}, err
	}
	p := place{display: displayPath(elems)}
	switch {
	case len(elems) == 0:
		p.virtual = "/"
		return p, nil
	case elems[0] == usersFolder:
		if !v.admin {
			return p, fmt.Errorf("%s: only site admins can reach other users' folders: %w", p.display, ErrPermission)
		}
		if len(elems) == 1 {
			p.virtual = "/users"
			return p, nil
		}
		a, err := v.userArea(ctx, elems[1])
		if err != nil {
			return p, fmt.Errorf("%s: %w", p.display, err)
		}
		p.area, p.rel = a, elems[2:]
		return p, nil
	case elems[0] == groupsFolder:
		if len(elems) == 1 {
			p.virtual = "/groups"
			return p, nil
		}
		a, err := v.groupArea(ctx, elems[1])
		if err != nil {
			return p, fmt.Errorf("%s: %w", p.display, err)
		}
		p.area, p.rel = a, elems[2:]
		return p, nil
	}
	p.area, p.rel = v.home(), elems
	return p, nil
}

func (v *view) userArea(ctx context.Context, username string) (*area, error) {
	users, err := v.s.accounts.ListUsers(ctx, v.siteID, store.UserQuery{Username: username, ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return nil, fmt.Errorf("look up user %q: %w", username, err)
	}
	if len(users) == 0 {
		return nil, ErrNotExist
	}
	return &area{dir: v.s.userDir(v.siteID, users[0].ID), writable: true, name: "/users/" + users[0].Username, sums: v.s.sums}, nil
}

func (v *view) groupArea(ctx context.Context, name string) (*area, error) {
	if !v.admin {
		g, ok := v.groups[strings.ToLower(name)]
		if !ok {
			return nil, ErrNotExist
		}
		return &area{dir: v.s.groupDir(v.siteID, g.id), writable: g.writable, name: "/groups/" + g.name, sums: v.s.sums}, nil
	}
	groups, err := v.s.accounts.ListGroups(ctx, v.siteID, store.GroupQuery{Name: name, ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return nil, fmt.Errorf("look up group %q: %w", name, err)
	}
	if len(groups) == 0 {
		return nil, ErrNotExist
	}
	return &area{dir: v.s.groupDir(v.siteID, groups[0].ID), writable: true, name: "/groups/" + groups[0].Name, sums: v.s.sums}, nil
}

// writablePlace resolves a path that an operation will change: it must be
// inside an area the user may write, and not be the area's top.
func (v *view) writablePlace(ctx context.Context, op, name string) (place, error) {
	p, err := v.resolve(ctx, name)
	if err != nil {
		return p, fmt.Errorf("%s: %w", op, err)
	}
	if p.area == nil || len(p.rel) == 0 {
		return p, fmt.Errorf("%s %s: this folder is part of the layout and cannot be changed: %w", op, p.display, ErrPermission)
	}
	if !p.area.writable {
		return p, fmt.Errorf("%s %s: %s is read-only for you; a group admin can write to it: %w", op, p.display, p.area.name, ErrPermission)
	}
	return p, nil
}

func (v *view) Writable(ctx context.Context, name string) error {
	p, err := v.resolve(ctx, name)
	switch {
	case err != nil:
		return fmt.Errorf("write: %w", err)
	case p.virtual == "/":
		return nil // the home
	case p.area == nil:
		return fmt.Errorf("write %s: this folder is part of the layout and cannot be changed: %w", p.display, ErrPermission)
	case !p.area.writable:
		return fmt.Errorf("write %s: %s is read-only for you; a group admin can write to it: %w", p.display, p.area.name, ErrPermission)
	}
	return nil
}

func (v *view) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	p, err := v.resolve(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	if p.virtual != "" {
		return folderInfo{name: baseName(p.display), mod: time.Time{}}, nil
	}
	fi, err := p.area.stat(p.relPath())
	if err != nil {
		return nil, translate("stat", p.display, err)
	}
	if len(p.rel) == 0 {
		return renamedInfo{FileInfo: fi, name: baseName(p.display)}, nil
	}
	return fi, nil
}

func (v *view) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	p, err := v.resolve(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	var out []fs.FileInfo
	switch p.virtual {
	case "/":
		out, err = v.home().readDir(".")
		if err != nil {
			return nil, translate("list", p.display, err)
		}
		out = withoutReserved(out)
		if v.admin {
			out = append(out, folderInfo{name: usersFolder})
		}
		if v.admin || len(v.groups) > 0 {
			out = append(out, folderInfo{name: groupsFolder})
		}
	case "/users":
		out, err = v.listUsers(ctx)
	case "/groups":
		out, err = v.listGroups(ctx)
	default:
		out, err = p.area.readDir(p.relPath())
		if err != nil {
			err = translate("list", p.display, err)
		}
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (v *view) listUsers(ctx context.Context) ([]fs.FileInfo, error) {
	var out []fs.FileInfo
	q := store.UserQuery{ListOptions: store.ListOptions{Limit: 1000}}
	for {
		users, err := v.s.accounts.ListUsers(ctx, v.siteID, q)
		if err != nil {
			return nil, fmt.Errorf("list users' folders: %w", err)
		}
		for _, u := range users {
			out = append(out, folderInfo{name: u.Username, mod: u.CreatedAt})
		}
		if len(users) < q.Limit {
			return out, nil
		}
		q.AfterID = users[len(users)-1].ID
	}
}

func (v *view) listGroups(ctx context.Context) ([]fs.FileInfo, error) {
	var out []fs.FileInfo
	if !v.admin {
		for _, g := range v.groups {
			out = append(out, folderInfo{name: g.name})
		}
		return out, nil
	}
	q := store.GroupQuery{ListOptions: store.ListOptions{Limit: 1000}}
	for {
		groups, err := v.s.accounts.ListGroups(ctx, v.siteID, q)
		if err != nil {
			return nil, fmt.Errorf("list group folders: %w", err)
		}
		for _, g := range groups {
			out = append(out, folderInfo{name: g.Name, mod: g.CreatedAt})
		}
		if len(groups) < q.Limit {
			return out, nil
		}
		q.AfterID = groups[len(groups)-1].ID
	}
}

// withoutReserved drops home entries shadowed by the layout's own folders.
func withoutReserved(in []fs.FileInfo) []fs.FileInfo {
	out := in[:0]
	for _, fi := range in {
		if fi.Name() != usersFolder && fi.Name() != groupsFolder {
			out = append(out, fi)
		}
	}
	return out
}

func (v *view) Open(ctx context.Context, name string) (File, error) {
	p, err := v.resolve(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if p.area == nil {
		return nil, fmt.Errorf("open %s: %w", p.display, ErrIsDir)
	}
	f, err := p.area.open(p.relPath())
	if err != nil {
		return nil, translate("open", p.display, err)
	}
	return f, nil
}

func (v *view) Create(ctx context.Context, name string, keep int64) (Upload, error) {
	p, err := v.writablePlace(ctx, "upload", name)
	if err != nil {
		return nil, err
	}
	u, err := p.area.create(p.rel, keep)
	if err != nil {
		return nil, translate("upload", p.display, err)
	}
	return u, nil
}

func (v *view) Mkdir(ctx context.Context, name string) error {
	p, err := v.resolve(ctx, name)
	if err == nil && (p.area == nil || len(p.rel) == 0) {
		return fmt.Errorf("create folder %s: %w", p.display, ErrExist)
	}
	if p, err = v.writablePlace(ctx, "create folder", name); err != nil {
		return err
	}
	return translate("create folder", p.display, p.area.mkdir(p.relPath()))
}

func (v *view) Remove(ctx context.Context, name string) error {
	p, err := v.writablePlace(ctx, "delete", name)
	if err != nil {
		return err
	}
	return translate("delete", p.display, p.area.remove(p.relPath()))
}

func (v *view) RemoveAll(ctx context.Context, name string) error {
	p, err := v.writablePlace(ctx, "delete", name)
	if err != nil {
		return err
	}
	return translate("delete", p.display, p.area.removeAll(p.relPath()))
}

// Rename moves from to to within one area. Every refusal names its own
// cause and the path it is about (the source that is missing, the target
// folder that is missing, the target that is in the way, the two folders
// a move cannot cross), so a client reports what the person can fix.
func (v *view) Rename(ctx context.Context, from, to string) error {
	src, err := v.writablePlace(ctx, "move", from)
	if err != nil {
		return err
	}
	dst, err := v.writablePlace(ctx, "move", to)
	if err != nil {
		return err
	}
	op := "move " + src.display + " to " + dst.display
	if src.area.dir != dst.area.dir {
		return fmt.Errorf("%s: %s and %s are different folders: %w", op, src.area.label(), dst.area.label(), ErrCrossFolder)
	}
	if err := src.area.checkRename(src.rel, dst.rel); err != nil {
		return err.describe(op, src, dst)
	}
	if err := src.area.rename(src.relPath(), dst.relPath()); err != nil {
		return translate("move", src.display+" to "+dst.display, err)
	}
	return nil
}

func baseName(display string) string {
	if display == "/" {
		return "/"
	}
	return display[strings.LastIndexByte(display, '/')+1:]
}

// folderInfo describes a folder of the layout that has no directory of its own.
type folderInfo struct {
	name string
	mod  time.Time
}

func (f folderInfo) Name() string       { return f.name }
func (f folderInfo) Size() int64        { return 0 }
func (f folderInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (f folderInfo) ModTime() time.Time { return f.mod }
func (f folderInfo) IsDir() bool        { return true }
func (f folderInfo) Sys() any           { return nil }

// renamedInfo shows an area's top directory under its name in the view.
type renamedInfo struct {
	fs.FileInfo
	name string
}

func (r renamedInfo) Name() string { return r.name }
