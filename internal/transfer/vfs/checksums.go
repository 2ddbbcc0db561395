package vfs

import (
	"context"
	"crypto/md5"
	"hash/crc32"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Checksums are digests of a file's content, computed while its upload was
// written, so that clients can skip transfers and verify copies without
// reading the file back (rclone waits for them after every upload and
// compares them in `check`; Files.com's file object names them md5 and
// crc32). A zero Checksums means unknown: the storage never answers
// checksums it cannot vouch for.
type Checksums struct {
	// MD5 is the MD5 digest in 32 lowercase hex digits.
	MD5 string
	// CRC32 is the CRC-32 with the IEEE 802.3 polynomial (Go's
	// crc32.IEEE, rclone's "crc32" hash), as 8 lowercase hex digits of
	// its big-endian value, zero-padded.
	CRC32 string
}

// Known reports whether the checksums are there.
func (c Checksums) Known() bool { return c.MD5 != "" && c.CRC32 != "" }

// Checksummer is implemented by the fs.FileInfo values of a storage that
// keeps checksums: local disk keeps them in an extended attribute of the
// file, an object store would keep them in the object's metadata. Reading
// them may cost a request, so a listing answers them only when asked.
type Checksummer interface {
	Checksums(ctx context.Context) (Checksums, error)
}

// ChecksumsOf answers the checksums of the file fi describes (as Stat or
// ReadDir gave it), or zero Checksums when they are unknown: a folder, a
// file uploaded before checksums were kept, written while the storage
// could not keep them, or changed since by something other than
// Gatehouse.
func ChecksumsOf(ctx context.Context, fi fs.FileInfo) Checksums {
	c, ok := fi.(Checksummer)
	if !ok || !fi.Mode().IsRegular() {
		return Checksums{}
	}
	sums, err := c.Checksums(ctx)
	if err != nil || !sums.Known() {
		return Checksums{}
	}
	return sums
}

// ChangedAt is when the storage last changed the file or folder fi
// describes (its content, its times or its name): Files.com's server-side
// mtime, while fi.ModTime() is the modification time a client may set.
// A storage says so with a ChangedAt method on its fs.FileInfo; local disk
// answers the inode's change time.
func ChangedAt(fi fs.FileInfo) time.Time {
	if c, ok := fi.(interface{ ChangedAt() time.Time }); ok {
		return c.ChangedAt()
	}
	if t, ok := changeTime(fi); ok {
		return t
	}
	return fi.ModTime()
}

// checksumRecord is what local disk keeps with a file: its checksums and
// the size and modification time they were computed for. A file whose size
// or modification time no longer match was changed behind Gatehouse's
// back, and its checksums are unknown.
type checksumRecord struct {
	size  int64
	mtime time.Time
	sums  Checksums
}

// recordVersion starts every record, so a later format can be told apart.
const recordVersion = "v1"

func (r checksumRecord) encode() []byte {
	return []byte(strings.Join([]string{recordVersion, strconv.FormatInt(r.size, 10),
		strconv.FormatInt(r.mtime.UnixNano(), 10), r.sums.MD5, r.sums.CRC32}, " "))
}

// parseRecord reads an encoded record; anything else is no record.
func parseRecord(b []byte) (checksumRecord, bool) {
	f := strings.Split(string(b), " ")
	if len(f) != 5 || f[0] != recordVersion || !isHex(f[3], md5.Size*2) || !isHex(f[4], crc32.Size*2) {
		return checksumRecord{}, false
	}
	size, err1 := strconv.ParseInt(f[1], 10, 64)
	ns, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || size < 0 {
		return checksumRecord{}, false
	}
	return checksumRecord{size: size, mtime: time.Unix(0, ns), sums: Checksums{MD5: f[3], CRC32: f[4]}}, true
}

// describes reports whether the record was made for the file as fi
// describes it.
func (r checksumRecord) describes(fi fs.FileInfo) bool {
	return fi.Mode().IsRegular() && r.size == fi.Size() && r.mtime.Equal(fi.ModTime())
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
