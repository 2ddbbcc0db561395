package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// FileMode is the mode of the database file and of the -wal, -shm and
// -journal files SQLite keeps beside it. They hold password hashes, the
// hashes of API keys and sessions, and sealed provider secrets, so only
// the server's own user may read them, whatever the umask and whatever
// the mode of the folder they are in.
const FileMode fs.FileMode = 0o600

// companionSuffixes name the files SQLite keeps beside a database. SQLite
// creates each with the database file's own mode (its unix VFS copies
// the mode when it opens them), which is why a database file made private
// before SQLite first opens it is enough to keep them private too.
var companionSuffixes = []string{"-wal", "-shm", "-journal"}

// Loosened is a file SecureFiles narrowed to FileMode, with the mode it
// had: its contents may have been read by others meanwhile.
type Loosened struct {
	Path string
	Mode fs.FileMode
}

// SecureFiles makes the database at path and its companion files private
// before SQLite opens them: it creates a missing database file with
// FileMode, and narrows any of them that other users may read or write.
// It answers the files it narrowed, so that the server can warn.
func SecureFiles(path string) ([]Loosened, error) {
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	var loosened []Loosened
	for _, name := range append([]string{path}, companions(path)...) {
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return loosened, fmt.Errorf("store: sqlite file %s: %w", name, err)
		}
		if fi.Mode().Perm()&^FileMode == 0 {
			continue
		}
		if err := os.Chmod(name, FileMode); err != nil {
			return loosened, fmt.Errorf("store: sqlite file %s has mode %v and cannot be made %v (run chmod 600 on it as its owner): %w",
				name, fi.Mode().Perm(), FileMode, err)
		}
		loosened = append(loosened, Loosened{Path: name, Mode: fi.Mode().Perm()})
	}
	return loosened, nil
}

// createPrivate creates an empty database file with FileMode when there
// is none; SQLite takes an empty file for a new database.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: create sqlite database %s: %w", path, err)
	}
	// The umask may have taken bits away, never added any; set the mode
	// exactly so the owner can always write their own database.
	err = f.Chmod(FileMode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: create sqlite database %s: %w", path, err)
	}
	return nil
}

func companions(path string) []string {
	out := make([]string, len(companionSuffixes))
	for i, s := range companionSuffixes {
		out[i] = path + s
	}
	return out
}
