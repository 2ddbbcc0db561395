// Package vfs is the one file-system view every transfer front end (SFTP,
// FTP, WebDAV, the REST files API) works on. A signed-in user sees their home
// folder at "/", group shared folders under "/groups/<name>" and, when they
// are a site admin, every user's home under "/users/<name>".
//
// Front ends never touch the operating system's file system: every path they
// pass is a slash path relative to the user's root, and confinement (no "..",
// no absolute paths out of the root, no symlink escapes, valid names) is
// enforced here, once, so a bug in one protocol's path handling cannot reach
// outside the data directory.
//
// Uploads are written to a hidden temporary file next to their target and
// renamed into place on Commit, so a broken transfer never leaves a half file
// under the final name. Every upload, whatever the channel, is checksummed
// (MD5, CRC-32) as it is written, and the checksums are kept with the file
// (see Checksums).
//
// Group folder permission: a group member may read the group's folder; a
// group admin (group_users.admin) and a site admin may also write to it. This
// reuses the membership's existing admin flag instead of adding a per-folder
// permission table.
package vfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// FS is one signed-in user's view of the storage. Every name is a slash path
// relative to the user's root ("/" and "" are the root itself).
type FS interface {
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	// ReadDir lists a folder, sorted by name.
	ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error)
	// Open opens a regular file for download; Seek and ReadAt allow resume
	// and parallel reads.
	Open(ctx context.Context, name string) (File, error)
	// Create starts an upload into a temporary file that replaces name on
	// Commit. keep says how much of the existing file the upload continues
	// from (resume): 0 starts empty, n>0 keeps the first n bytes (the
	// existing file must be at least that long), KeepExisting keeps all of
	// it (or starts empty when there is no file yet). Sequential writes
	// continue after the kept bytes.
	Create(ctx context.Context, name string, keep int64) (Upload, error)
	// Mkdir creates one folder; its parent must exist.
	Mkdir(ctx context.Context, name string) error
	// Remove removes a file or an empty folder.
	Remove(ctx context.Context, name string) error
	// RemoveAll removes a file or a folder with everything in it.
	RemoveAll(ctx context.Context, name string) error
	// Rename moves a file or folder within one area (home, one user's or one
	// group's folder), replacing an existing file at to.
	Rename(ctx context.Context, from, to string) error
	// Copy copies a file, or a folder with everything in it, to to, in the
	// same area or another one. The copy is whole or nothing: it is built
	// under a hidden temporary name beside to and put in place by one
	// rename, so a copy that fails leaves nothing under to's name. The
	// source must be readable and to writable; see CopyOptions for what
	// happens when to exists.
	Copy(ctx context.Context, from, to string, o CopyOptions) error
	// Move moves a file or a folder to to: within one area by one rename,
	// between areas by a Copy that completes before from is removed. from
	// and to must both be writable. An existing file at to is replaced only
	// with replace; an existing folder never is.
	Move(ctx context.Context, from, to string, replace bool) error
	// Writable answers nil when the user may write at name, whether or not
	// it exists: in their home ("/" included), in a group folder they
	// administer, and for a site admin in every user's and group's
	// folder, the tops of those folders included. It answers
	// ErrPermission, saying why, for the layout's own folders (/users,
	// /groups) and read-only group folders, and ErrNotExist for a path
	// into a folder the user cannot see. It is for decisions that change
	// nothing yet but must not be taken by someone who could not write
	// there, such as a WebDAV lock.
	Writable(ctx context.Context, name string) error
	// SetModTime sets the modification time of a file or folder the user
	// may write: the time every channel shows as the file's (clients
	// preserve their own with it), while ChangedAt keeps when the storage
	// last changed the file. A file's checksums stay known.
	SetModTime(ctx context.Context, name string, t time.Time) error
}

// KeepExisting as Create's keep continues from the whole existing file.
const KeepExisting int64 = -1

// CopyOptions says how Copy treats what is already there and what it
// copies.
type CopyOptions struct {
	// Replace lets a copied file replace an existing file at the
	// destination. Nothing ever replaces or merges into an existing
	// folder, and a folder never replaces a file: either would silently
	// mix or destroy more than the caller named.
	Replace bool
	// StructureOnly copies a folder's subfolders and none of its files.
	StructureOnly bool
}

// File is an open download. *os.File satisfies it.
type File interface {
	io.ReadSeekCloser
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

// Upload is a file being written. Exactly one of Commit and Abort must be
// called; after either, the upload is closed.
type Upload interface {
	io.Writer
	io.WriterAt
	// SetModTime makes t the file's modification time when it is
	// committed, in place of the time of its last write.
	SetModTime(t time.Time)
	// Commit puts the written file in place under its final name, with
	// its checksums (see Checksums) when the storage keeps them.
	Commit() error
	// Abort discards everything written; the previous file, if any, stays.
	Abort() error
}

// Errors returned by FS methods, wrapped with the operation and the user's
// path. ErrNotExist, ErrExist and ErrPermission are io/fs's own errors, so
// errors.Is(err, fs.ErrNotExist) works as well.
var (
	ErrNotExist   = fs.ErrNotExist
	ErrExist      = fs.ErrExist
	ErrPermission = fs.ErrPermission
	// ErrInvalidName: an empty, "..", over-long, reserved or otherwise
	// unusable path element.
	ErrInvalidName = fmt.Errorf("invalid file name: %w", fs.ErrInvalid)
	// ErrIsDir: a file operation was asked of a folder.
	ErrIsDir = errors.New("is a folder")
	// ErrNotDir: a folder operation was asked of a file.
	ErrNotDir = errors.New("not a folder")
	// ErrNotEmpty: Remove of a folder that still has entries.
	ErrNotEmpty = errors.New("folder is not empty")
	// ErrCrossFolder: Rename between two areas (a home, a group's folder);
	// copy and delete instead.
	ErrCrossFolder = errors.New("a move cannot leave its folder (a home or a group's folder); copy, then delete")
	// ErrIntoItself: a move or copy of a folder into itself or below itself.
	ErrIntoItself = fmt.Errorf("a folder cannot be moved or copied into itself: %w", fs.ErrInvalid)
	// ErrSamePath: a move or copy whose source and destination are the
	// same file or folder.
	ErrSamePath = fmt.Errorf("the source and the destination are the same: %w", fs.ErrInvalid)
	// ErrNoParent: the folder a destination would go in does not exist.
	// It is an ErrNotExist, told apart so a front end can say that the
	// destination's folder is missing rather than the source.
	ErrNoParent error = &kindOf{ErrNotExist}
	// ErrParentNotDir: a folder on a destination's path is a file. It is
	// an ErrNotDir.
	ErrParentNotDir error = &kindOf{ErrNotDir}
	// ErrInvalidOffset: a resume offset beyond the existing file's end.
	ErrInvalidOffset = fmt.Errorf("resume offset is past the end of the existing file: %w", fs.ErrInvalid)
)

// kindOf is a sentinel that narrows another: errors.Is matches both, and
// its text is the wider one's, so messages read the same as before.
type kindOf struct{ base error }

func (k *kindOf) Error() string { return k.base.Error() }
func (k *kindOf) Unwrap() error { return k.base }
