package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// renameProblem is why a rename within an area cannot happen, found
// before the file system is asked: the operating system's one error code
// for a failed rename does not say whether the source, the target or the
// target's folder is at fault.
type renameProblem struct {
	what   error    // ErrNotExist, ErrNotDir, ErrExist, ErrIntoItself, or a storage error
	about  string   // "source", "target" or "folder": the path the problem is with
	folder []string // the target's folder at fault, inside the area
	kind   string   // "file" or "folder": what the target in the way is
}

// describe turns the problem into the error a front end reports, naming
// the path at fault in the user's view; op is "move SRC to DST".
func (p *renameProblem) describe(op string, src, dst place) error {
	folderName := displayPath(append(areaPrefix(dst), p.folder...))
	switch {
	case errors.Is(p.what, ErrIntoItself):
		return fmt.Errorf("%s: %w", op, ErrIntoItself)
	case p.about == "source":
		return fmt.Errorf("%s: %s does not exist: %w", op, src.display, ErrNotExist)
	case p.about == "folder" && errors.Is(p.what, ErrNotDir):
		return fmt.Errorf("%s: %s is a file, not a folder: %w", op, folderName, ErrParentNotDir)
	case p.about == "folder":
		return fmt.Errorf("%s: the folder %s does not exist; create it first: %w", op, folderName, ErrNoParent)
	case errors.Is(p.what, ErrExist):
		return fmt.Errorf("%s: %s already exists and is a %s; choose another name: %w", op, dst.display, p.kind, ErrExist)
	}
	return translate("move", src.display+" to "+dst.display, p.what)
}

// areaPrefix is the path of an area's top in the user's view, as elements.
func areaPrefix(p place) []string {
	if p.area == nil || p.area.name == "/" {
		return nil
	}
	return strings.Split(strings.TrimPrefix(p.area.name, "/"), "/")
}

// checkRename finds what would make renaming from to to (both inside the
// area, neither its top) fail: a missing source, a missing or non-folder
// target folder, a folder moved into itself, or a target in the way that a
// rename does not replace (an existing folder, or a file where a folder
// goes). A file over a file is replaced, as every channel expects.
func (a *area) checkRename(from, to []string) *renameProblem {
	r, err := a.openRoot()
	if err != nil {
		return &renameProblem{what: err}
	}
	defer r.Close()
	srcInfo, err := r.Lstat(strings.Join(from, "/"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &renameProblem{what: ErrNotExist, about: "source"}
		}
		return &renameProblem{what: err}
	}
	if srcInfo.IsDir() && len(to) > len(from) && strings.Join(to[:len(from)], "/") == strings.Join(from, "/") {
		return &renameProblem{what: ErrIntoItself}
	}
	if p := checkFolders(r, to); p != nil {
		return p
	}
	dstInfo, err := r.Lstat(strings.Join(to, "/"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &renameProblem{what: err}
	case strings.Join(to, "/") == strings.Join(from, "/"):
		return nil // a rename onto itself changes nothing
	case dstInfo.IsDir():
		// The file system would replace an empty folder, but Go's rename
		// refuses any existing folder; either way the person meant
		// another name.
		return &renameProblem{what: ErrExist, about: "target", kind: "folder"}
	case srcInfo.IsDir():
		return &renameProblem{what: ErrExist, about: "target", kind: "file"}
	}
	return nil
}

// checkFolders finds the first folder on the way to to (inside the area)
// that is missing or is a file.
func checkFolders(r *os.Root, to []string) *renameProblem {
	for i := 1; i < len(to); i++ {
		fi, err := r.Lstat(strings.Join(to[:i], "/"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &renameProblem{what: ErrNotExist, about: "folder", folder: to[:i]}
		case err != nil:
			return &renameProblem{what: err}
		case !fi.IsDir():
			return &renameProblem{what: ErrNotDir, about: "folder", folder: to[:i]}
		}
	}
	return nil
}
