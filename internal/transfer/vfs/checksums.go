package vfs

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
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

// summer computes the checksums of an upload as its bytes are written, so
// no channel reads a file a second time to checksum it. Bytes written in
// order are hashed from the writer's buffer. SFTP servers write a file's
// chunks concurrently, so a chunk may arrive ahead of the bytes before it:
// such spans are noted, and read back from the file (still in the page
// cache) once the bytes before them are hashed. A write over bytes already
// hashed, or overlapping a span written ahead (whose order against it is
// unknown), spoils the checksums: they are then unknown, never wrong.
type summer struct {
	mu      sync.Mutex
	f       *os.File // the upload's file, to read spans back from
	md5     hash.Hash
	crc     hash.Hash32
	next    int64  // bytes [0, next) are hashed
	ahead   []span // written beyond next and not hashed yet: sorted, disjoint, not adjacent
	spoiled bool
	buf     []byte // for reading back, allocated when first needed
}

type span struct{ start, end int64 }

// readBackSize is the size of one read of bytes written ahead.
const readBackSize = 256 << 10

func newSummer(f *os.File) *summer {
	return &summer{f: f, md5: md5.New(), crc: crc32.NewIEEE()}
}

// wrote tells the summer that p is now in the file at off. Call it after
// the write, never before: a span read back must already hold its bytes.
func (s *summer) wrote(off int64, p []byte) {
	if len(p) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spoiled {
		return
	}
	end := off + int64(len(p))
	switch {
	case off > s.next:
		s.noteAhead(span{off, end})
	case off < s.next:
		s.spoiled = true
	case len(s.ahead) > 0 && s.ahead[0].start < end:
		s.spoiled = true
	default:
		s.md5.Write(p)
		s.crc.Write(p)
		s.next = end
		s.hashAhead()
	}
}

// noteAhead adds sp to the spans written ahead, merging it with those it
// overlaps or touches.
func (s *summer) noteAhead(sp span) {
	out := s.ahead[:0:0]
	placed := false
	for _, a := range s.ahead {
		switch {
		case a.end < sp.start:
			out = append(out, a)
		case sp.end < a.start:
			if !placed {
				out, placed = append(out, sp), true
			}
			out = append(out, a)
		default:
			sp = span{min(a.start, sp.start), max(a.end, sp.end)}
		}
	}
	if !placed {
		out = append(out, sp)
	}
	s.ahead = out
}

// hashAhead hashes the spans that now continue the hashed bytes.
func (s *summer) hashAhead() {
	for len(s.ahead) > 0 && s.ahead[0].start == s.next && !s.spoiled {
		s.readBack(s.ahead[0].end)
		s.ahead = s.ahead[1:]
	}
}

// readBack hashes the file's bytes from next up to end.
func (s *summer) readBack(end int64) {
	if s.buf == nil {
		s.buf = make([]byte, readBackSize)
	}
	for s.next < end {
		n := int(min(int64(len(s.buf)), end-s.next))
		if got, _ := s.f.ReadAt(s.buf[:n], s.next); got != n {
			s.spoiled = true
			return
		}
		s.md5.Write(s.buf[:n])
		s.crc.Write(s.buf[:n])
		s.next += int64(n)
	}
}

// finish answers the checksums of the whole file of size bytes, hashing
// what is still unhashed (spans written out of order, holes), or false
// when they are unknown.
func (s *summer) finish(size int64) (Checksums, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next < size && !s.spoiled {
		s.readBack(size)
	}
	if s.spoiled || s.next != size {
		return Checksums{}, false
	}
	return Checksums{MD5: hex.EncodeToString(s.md5.Sum(nil)), CRC32: fmt.Sprintf("%08x", s.crc.Sum32())}, true
}
