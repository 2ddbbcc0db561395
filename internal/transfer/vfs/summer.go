package vfs

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"sync"
	"sync/atomic"
)

// summer computes the checksums of an upload as its bytes are written, so
// no channel reads a file a second time to checksum it.
//
// Order: bytes written in order are hashed from the writer's buffer. SFTP
// servers write a file's chunks concurrently, so a chunk may arrive ahead
// of the bytes before it: such spans are noted, and read back from the
// file (still in the page cache) once the bytes before them are in. A
// write over bytes already hashed, or overlapping a span written ahead
// (whose order against it is unknown), spoils the checksums: they are
// then unknown, never wrong.
//
// Speed: MD5 runs at about 650 MB/s on one core, slower than a local disk
// takes the bytes, so beyond the first syncLimit bytes of an upload the
// hashing moves to a goroutine of its own, fed copies of the bytes in
// order, and overlaps the next read from the network instead of adding
// to it. At most hashQueue chunks wait, which bounds the memory an
// upload holds and makes a writer wait for a hasher that fell behind.
type summer struct {
	mu      sync.Mutex
	f       *os.File // the upload's file, to read spans back from
	next    int64    // bytes [0, next) are hashed or queued for hashing
	ahead   []span   // written beyond next and not hashed yet: sorted, disjoint, not adjacent
	spoiled bool

	md5 hash.Hash
	crc hash.Hash32

	jobs    chan hashJob  // to the hashing goroutine; nil until it starts
	done    chan struct{} // closed when the hashing goroutine ends
	closed  bool          // jobs is closed
	failed  atomic.Bool   // the hashing goroutine could not read a span back
	discard atomic.Bool   // the upload was abandoned: stop hashing
}

type span struct{ start, end int64 }

// hashJob is the next piece to hash: a copy of bytes written in order,
// or a span to read back from the file.
type hashJob struct {
	buf      *[]byte
	n        int
	from, to int64 // when buf is nil
}

// syncLimit is how much of an upload is hashed by the writer itself:
// small files cost no goroutine. (A variable so that a benchmark can
// compare hashing everything inline.)
var syncLimit int64 = 1 << 20

const (
	// chunkSize is the size of one copy handed to the hashing goroutine,
	// and of one read back.
	chunkSize = 256 << 10
	// hashQueue is how many chunks may wait for the hashing goroutine.
	hashQueue = 8
)

var chunks = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

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
	if s.spoiled || s.closed {
		s.spoiled = true
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
		s.hash(p)
		s.next = end
		for len(s.ahead) > 0 && s.ahead[0].start == s.next {
			s.hashSpan(s.ahead[0].end)
			s.ahead = s.ahead[1:]
		}
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

// hash hashes p, the bytes at next: here while the upload is small, on the
// hashing goroutine after.
func (s *summer) hash(p []byte) {
	if s.jobs == nil && s.next+int64(len(p)) <= syncLimit {
		s.md5.Write(p)
		s.crc.Write(p)
		return
	}
	s.start()
	for len(p) > 0 {
		b := chunks.Get().(*[]byte)
		n := copy(*b, p)
		p = p[n:]
		s.jobs <- hashJob{buf: b, n: n}
	}
}

// hashSpan hashes the file's bytes from next up to end, reading them back.
func (s *summer) hashSpan(end int64) {
	if s.jobs == nil && end <= syncLimit {
		if !readInto(s.f, s.next, end, func(b []byte) { s.md5.Write(b); s.crc.Write(b) }) {
			s.spoiled = true
		}
	} else {
		s.start()
		s.jobs <- hashJob{from: s.next, to: end}
	}
	s.next = end
}

func (s *summer) start() {
	if s.jobs != nil {
		return
	}
	s.jobs, s.done = make(chan hashJob, hashQueue), make(chan struct{})
	go s.run()
}

// run is the hashing goroutine.
func (s *summer) run() {
	defer close(s.done)
	for j := range s.jobs {
		switch {
		case s.discard.Load():
		case j.buf != nil:
			s.md5.Write((*j.buf)[:j.n])
			s.crc.Write((*j.buf)[:j.n])
		default:
			if !readInto(s.f, j.from, j.to, func(b []byte) { s.md5.Write(b); s.crc.Write(b) }) {
				s.failed.Store(true)
			}
		}
		if j.buf != nil {
			chunks.Put(j.buf)
		}
	}
}

// readInto reads the file's bytes [from, to) and hands them to use, a
// chunk at a time; false when they cannot all be read.
func readInto(f *os.File, from, to int64, use func([]byte)) bool {
	b := chunks.Get().(*[]byte)
	defer chunks.Put(b)
	for from < to {
		n := int(min(int64(len(*b)), to-from))
		if got, _ := f.ReadAt((*b)[:n], from); got != n {
			return false
		}
		use((*b)[:n])
		from += int64(n)
	}
	return true
}

// finish answers the checksums of the whole file of size bytes, hashing
// what is still unhashed (spans written out of order, holes), or false
// when they are unknown. No write may follow.
func (s *summer) finish(size int64) (Checksums, bool) {
	s.mu.Lock()
	if !s.spoiled && !s.closed && s.next < size {
		s.hashSpan(size)
	}
	ok := !s.spoiled && s.next == size
	s.close()
	s.mu.Unlock()
	if s.done != nil {
		<-s.done
	}
	if !ok || s.failed.Load() {
		return Checksums{}, false
	}
	return Checksums{MD5: hex.EncodeToString(s.md5.Sum(nil)), CRC32: fmt.Sprintf("%08x", s.crc.Sum32())}, true
}

// stop abandons the checksums of an upload that is discarded, and ends
// the hashing goroutine.
func (s *summer) stop() {
	s.discard.Store(true)
	s.mu.Lock()
	s.close()
	s.mu.Unlock()
	if s.done != nil {
		<-s.done
	}
}

// close closes jobs once; the caller holds mu.
func (s *summer) close() {
	if !s.closed {
		s.closed = true
		if s.jobs != nil {
			close(s.jobs)
		}
	}
}
