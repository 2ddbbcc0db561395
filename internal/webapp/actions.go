package webapp

import (
	"errors"
	"net/http"
	"path"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// maxSelected bounds the entries one action names; the form body is
// bounded by the front end too.
const maxSelected = 1000

// act answers POST /files/{folder...}: the folder page's forms. op names
// the action; sel are the selected entries' names in the folder. Every
// action goes through the user's file view, so it is allowed and refused
// exactly as on the other channels.
func (a *App) act(w http.ResponseWriter, r *http.Request, c *Call) {
	dir := cleanPath(r)
	fsys, err := a.fsFor(r, c)
	if err != nil {
		a.fail(w, r, c, err)
		return
	}
	op := r.PostForm.Get("op")
	sel, err := selected(r)
	if err == nil {
		err = a.do(r, c, fsys, dir, op, sel)
	}
	var confirm *confirmNeeded
	switch {
	case errors.As(err, &confirm):
		a.render(w, c, http.StatusOK, "confirm", view{Title: "Delete?", Section: "files", Data: confirm})
	case err != nil:
		e := identity.AsError(fileerr.Action(err))
		if e == identity.ErrInternal {
			a.fail(w, r, c, err)
			return
		}
		msg := e.Message
		if msg == "" {
			msg = e.Title
		}
		a.showFolder(w, r, c, dir, e.Status, "", msg)
	default:
		http.Redirect(w, r, folderHref(dir)+"?done="+op, http.StatusSeeOther)
	}
}

// selected are the names the form selected, each one element of the
// folder (never a path).
func selected(r *http.Request) ([]string, error) {
	sel := r.PostForm["sel"]
	if len(sel) > maxSelected {
		return nil, identity.ErrInvalidParams.With("select at most %d entries at a time", maxSelected)
	}
	for _, n := range sel {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
			return nil, identity.ErrInvalidParams.With("%q is not a name in this folder", truncate(n, 60))
		}
	}
	return sel, nil
}

// confirmNeeded asks the user to confirm a delete before anything is
// removed; it is the answer to a delete form sent without confirm=yes.
type confirmNeeded struct {
	Dir     string
	Escaped string
	Names   []string
}

func (*confirmNeeded) Error() string { return "confirm the delete" }

// do runs one action in folder dir.
func (a *App) do(r *http.Request, c *Call, fsys vfs.FS, dir, op string, sel []string) error {
	ctx := r.Context()
	need := func(n int, what string) error {
		if len(sel) < n {
			return identity.ErrInvalidParams.With("select %s first", what)
		}
		return nil
	}
	switch op {
	case "mkdir":
		name := strings.TrimSpace(r.PostForm.Get("name"))
		if name == "" || strings.Contains(name, "/") {
			return identity.ErrInvalidParams.With("give the new folder a name (without /)")
		}
		return fsys.Mkdir(ctx, path.Join(dir, name))
	case "rename":
		if len(sel) != 1 {
			return identity.ErrInvalidParams.With("select exactly one entry to rename")
		}
		to := strings.TrimSpace(r.PostForm.Get("to_name"))
		if to == "" || strings.Contains(to, "/") {
			return identity.ErrInvalidParams.With("give the new name (without /)")
		}
		return fsys.Move(ctx, path.Join(dir, sel[0]), path.Join(dir, to), false)
	case "move", "copy":
		if err := need(1, "what to "+op); err != nil {
			return err
		}
		dest := "/" + strings.Trim(strings.TrimSpace(r.PostForm.Get("to")), "/")
		if fi, err := fsys.Stat(ctx, dest); err != nil || !fi.IsDir() {
			return identity.ErrInvalidParams.With("the folder %s does not exist; create it first, or choose another", dest)
		}
		for _, n := range sel {
			var err error
			if op == "move" {
				err = fsys.Move(ctx, path.Join(dir, n), path.Join(dest, n), false)
			} else {
				err = fsys.Copy(ctx, path.Join(dir, n), path.Join(dest, n), vfs.CopyOptions{})
			}
			if err != nil {
				return err
			}
		}
		return nil
	case "delete":
		if err := need(1, "what to delete"); err != nil {
			return err
		}
		if r.PostForm.Get("confirm") != "yes" {
			return &confirmNeeded{Dir: dir, Escaped: escapePath(dir), Names: sel}
		}
		for _, n := range sel {
			if err := fsys.RemoveAll(ctx, path.Join(dir, n)); err != nil && !errors.Is(err, vfs.ErrNotExist) {
				return err
			}
		}
		return nil
	}
	return identity.ErrInvalidParams.With("choose an action")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
