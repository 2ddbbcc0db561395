package vfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Copies and moves between areas. Every file a copy makes is written
// through an upload (area.create), so a copied file gets whatever an
// uploaded one gets and appears only when complete. A folder is copied
// into a hidden temporary folder beside its destination (tempPrefix:
// listings skip it, no user can name it, the stale-upload sweep removes it
// after a crash) and renamed into place when everything is in it, so a
// copy that fails or is cancelled leaves nothing under the destination's
// name. A copied file's modification time is the time of the copy: the
// clients that care (rclone) set the time they want afterwards.

// copyBufferSize is the size of the buffer a file is copied through.
const copyBufferSize = 1 << 20

// transfer is a checked copy or move: where from and to are, what the
// source is, and whether an existing destination is replaced.
type transfer struct {
	verb       string // "copy" or "move"
	op         string // "copy /a to /b", for messages
	src, dst   place
	srcInfo    fs.FileInfo
	dstExists  bool
	sameArea   bool
	sourceRoot *os.Root
}

func (t *transfer) close() { t.sourceRoot.Close() }

// prepare resolves and checks a copy (move false) or move: the source is
// readable (writable for a move) and a file or folder, the destination is
// writable, not the source nor inside it, its folder exists, and what is
// already there may be replaced.
func (v *view) prepare(ctx context.Context, verb, from, to string, replace, move bool) (*transfer, error) {
	var src place
	var err error
	if move {
		src, err = v.writablePlace(ctx, verb, from)
	} else if src, err = v.resolve(ctx, from); err != nil {
		err = fmt.Errorf("%s: %w", verb, err)
	} else if src.area == nil {
		err = fmt.Errorf("%s %s: this folder is part of the layout; %s the folders in it instead: %w", verb, src.display, verb, ErrPermission)
	}
	if err != nil {
		return nil, err
	}
	dst, err := v.writablePlace(ctx, verb, to)
	if err != nil {
		return nil, err
	}
	t := &transfer{verb: verb, op: verb + " " + src.display + " to " + dst.display, src: src, dst: dst, sameArea: src.area.dir == dst.area.dir}
	if t.sourceRoot, err = src.area.openRoot(); err != nil {
		return nil, translate(verb, src.display, err)
	}
	if err := t.check(replace); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func (t *transfer) check(replace bool) error {
	var err error
	t.srcInfo, err = t.sourceRoot.Lstat(t.src.relPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %s does not exist: %w", t.op, t.src.display, ErrNotExist)
	case err != nil:
		return translate(t.op, "", err)
	case !t.srcInfo.IsDir() && !t.srcInfo.Mode().IsRegular():
		return fmt.Errorf("%s: %s is neither a file nor a folder: %w", t.op, t.src.display, ErrInvalidName)
	}
	if t.sameArea && isWithin(t.dst.rel, t.src.rel) {
		if len(t.dst.rel) == len(t.src.rel) {
			return fmt.Errorf("%s: %w", t.op, ErrSamePath)
		}
		if t.srcInfo.IsDir() {
			return fmt.Errorf("%s: %w", t.op, ErrIntoItself)
		}
	}
	r, err := t.dst.area.openRoot()
	if err != nil {
		return translate(t.op, "", err)
	}
	defer r.Close()
	if p := checkFolders(r, t.dst.rel); p != nil {
		return p.describe(t.op, t.src, t.dst)
	}
	dstInfo, err := r.Lstat(t.dst.relPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return translate(t.op, "", err)
	case dstInfo.IsDir():
		return fmt.Errorf("%s: %s already exists and is a folder, which is never replaced or merged into; delete it first or choose another name: %w",
			t.op, t.dst.display, ErrExist)
	case t.srcInfo.IsDir():
		return fmt.Errorf("%s: %s already exists and is a file, which a folder never replaces; delete it first or choose another name: %w",
			t.op, t.dst.display, ErrExist)
	case !replace:
		return fmt.Errorf("%s: %s already exists; ask to replace it, or choose another name: %w", t.op, t.dst.display, ErrExist)
	}
	t.dstExists = true
	return nil
}

// isWithin reports whether path is dir or inside it (both inside one area).
func isWithin(path, dir []string) bool {
	if len(path) < len(dir) {
		return false
	}
	for i := range dir {
		if path[i] != dir[i] {
			return false
		}
	}
	return true
}

func (v *view) Copy(ctx context.Context, from, to string, o CopyOptions) error {
	t, err := v.prepare(ctx, "copy", from, to, o.Replace, false)
	if err != nil {
		return err
	}
	defer t.close()
	if o.StructureOnly && !t.srcInfo.IsDir() {
		return fmt.Errorf("%s: a copy of the structure only takes a folder, and %s is a file: %w", t.op, t.src.display, ErrNotDir)
	}
	return t.copy(ctx, o.StructureOnly)
}

func (v *view) Move(ctx context.Context, from, to string, replace bool) error {
	t, err := v.prepare(ctx, "move", from, to, replace, true)
	if err != nil {
		return err
	}
	defer t.close()
	if t.sameArea {
		if err := t.src.area.rename(t.src.relPath(), t.dst.relPath()); err != nil {
			return translate("move", t.src.display+" to "+t.dst.display, err)
		}
		return nil
	}
	if err := t.copy(ctx, false); err != nil {
		return err
	}
	if err := t.src.area.removeAll(t.src.relPath()); err != nil {
		return fmt.Errorf("%s: the copy at %s is complete, but %s could not be removed: %w", t.op, t.dst.display, t.src.display,
			translate("delete", t.src.display, err))
	}
	return nil
}

// copy makes the copy: a file through one upload, a folder into a hidden
// temporary folder renamed into place at the end.
func (t *transfer) copy(ctx context.Context, structureOnly bool) error {
	c := &copier{ctx: ctx, src: t.sourceRoot, dst: t.dst.area, structureOnly: structureOnly, buf: make([]byte, copyBufferSize)}
	if !t.srcInfo.IsDir() {
		if err := c.file(t.src.relPath(), t.dst.rel); err != nil {
			return t.failed(err)
		}
		return nil
	}
	r, err := t.dst.area.openRoot()
	if err != nil {
		return t.failed(err)
	}
	defer r.Close()
	tmpName, err := tempName()
	if err != nil {
		return t.failed(err)
	}
	tmp := append(append([]string{}, t.dst.rel[:len(t.dst.rel)-1]...), tmpName)
	if err := r.Mkdir(strings.Join(tmp, "/"), 0o750); err != nil {
		return t.failed(err)
	}
	err = c.tree(t.src.relPath(), tmp)
	if err == nil {
		err = r.Rename(strings.Join(tmp, "/"), t.dst.relPath())
	}
	if err != nil {
		_ = r.RemoveAll(strings.Join(tmp, "/"))
		return t.failed(err)
	}
	return nil
}

// failed names a copy's failure in the user's paths: what the storage
// said went wrong, or that the request ended.
func (t *transfer) failed(err error) error {
	var s *stopped
	if errors.As(err, &s) {
		return fmt.Errorf("%s: stopped before it was complete; nothing was %s: %w", t.op, t.done(), err)
	}
	return translate(t.verb, t.src.display+" to "+t.dst.display+" (nothing was "+t.done()+")", err)
}

func (t *transfer) done() string {
	if t.verb == "move" {
		return "moved"
	}
	return "copied"
}

// copier copies files and folders from one area's root into another area.
type copier struct {
	ctx           context.Context
	src           *os.Root
	dst           *area
	structureOnly bool
	buf           []byte
}

// tree copies the entries of the folder srcRel into the existing folder
// dir of the destination area; uploads in progress in the source are not
// copied.
func (c *copier) tree(srcRel string, dir []string) error {
	d, err := c.src.Open(srcRel)
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if c.ctx.Err() != nil {
				return &stopped{c.ctx}
			}
			name := e.Name()
			if strings.HasPrefix(name, tempPrefix) {
				continue
			}
			from, to := srcRel+"/"+name, append(append([]string{}, dir...), name)
			switch {
			case e.IsDir():
				if err := c.mkdir(to); err != nil {
					return err
				}
				if err := c.tree(from, to); err != nil {
					return err
				}
			case !e.Type().IsRegular():
				return fmt.Errorf("%s is neither a file nor a folder: %w", name, ErrInvalidName)
			case !c.structureOnly:
				if err := c.file(from, to); err != nil {
					return err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (c *copier) mkdir(rel []string) error {
	r, err := c.dst.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Mkdir(strings.Join(rel, "/"), 0o750)
}

// file copies the regular file srcRel to rel through an upload.
func (c *copier) file(srcRel string, rel []string) error {
	in, err := c.src.Open(srcRel)
	if err != nil {
		return err
	}
	defer in.Close()
	up, err := c.dst.create(rel, 0)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(writerOnly{up}, &ctxReader{ctx: c.ctx, r: in}, c.buf); err != nil {
		_ = up.Abort()
		return err
	}
	return up.Commit()
}

// tempName is a fresh hidden temporary name.
func tempName() (string, error) {
	var random [12]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", err
	}
	return tempPrefix + hex.EncodeToString(random[:]), nil
}

// ctxReader stops a copy when its request ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, &stopped{c.ctx}
	}
	return c.r.Read(p)
}

// writerOnly hides everything but Write, so io.CopyBuffer uses the buffer
// and the upload sees every byte through Write.
type writerOnly struct{ io.Writer }

// stopped is the error of a copy whose request ended.
type stopped struct{ ctx context.Context }

func (s *stopped) Error() string { return "the request ended: " + context.Cause(s.ctx).Error() }
func (s *stopped) Unwrap() error { return context.Cause(s.ctx) }
