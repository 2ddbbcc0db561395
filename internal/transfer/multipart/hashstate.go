package multipart

import (
	"context"
	"crypto/md5"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sync"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// MD5 cannot be combined from the digests of parts, so the checksums of
// an upload written in parts are computed over its in-order prefix: when
// a part completes and every part before it is hashed, it is hashed too
// (while it is written, when it streams in order, else read back from the
// assembly file or its staged file, still in the page cache), and the state of both hashes
// through it is kept in the store with the part, so that any node can
// continue and the end hashes only what is left, normally nothing.

// fileHash is the MD5 and CRC-32 of the file's bytes so far.
type fileHash struct {
	md5 hash.Hash
	crc hash.Hash32
}

func (h *fileHash) Write(p []byte) (int, error) {
	h.md5.Write(p)
	h.crc.Write(p)
	return len(p), nil
}

// stateVersion starts every encoded state, so a later format can be told
// apart (and an unknown one is simply not used).
const stateVersion = 1

// hashFrom restores the hashes from an encoded state; nil starts them at
// the first byte.
func hashFrom(state []byte) (*fileHash, error) {
	h := &fileHash{md5: md5.New(), crc: crc32.NewIEEE()}
	if state == nil {
		return h, nil
	}
	if len(state) < 2 || state[0] != stateVersion || len(state) < 2+int(state[1]) {
		return nil, errors.New("unknown hash state")
	}
	n := 2 + int(state[1])
	if err := h.md5.(encoding.BinaryUnmarshaler).UnmarshalBinary(state[2:n]); err != nil {
		return nil, err
	}
	if err := h.crc.(encoding.BinaryUnmarshaler).UnmarshalBinary(state[n:]); err != nil {
		return nil, err
	}
	return h, nil
}

// state encodes the hashes' state.
func (h *fileHash) state() ([]byte, error) {
	m, err := h.md5.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	c, err := h.crc.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	if len(m) > 255 {
		return nil, errors.New("hash state too long")
	}
	return append(append([]byte{stateVersion, byte(len(m))}, m...), c...), nil
}

func (h *fileHash) sums() vfs.Checksums {
	return vfs.Checksums{MD5: hex.EncodeToString(h.md5.Sum(nil)), CRC32: fmt.Sprintf("%08x", h.crc.Sum32())}
}

// streamHash is set up for a part written in place when the part before
// it is hashed: the part is hashed as it streams in, and its state is
// recorded from that base if it is still current when the part completes.
func streamHash(p store.FileUploadPart, before []store.FileUploadPart) (h *fileHash, base []byte) {
	if p.Placement == nil || p.Placement.Offset < 0 {
		return nil, nil
	}
	if p.Part > 1 {
		if len(before) != p.Part-1 || before[p.Part-2].HashState == nil {
			return nil, nil
		}
		base = before[p.Part-2].HashState
	}
	h, err := hashFrom(base)
	if err != nil {
		return nil, nil
	}
	return h, base
}

// hashRun makes one request of this process at a time advance an
// upload's hash: parts completing at once would otherwise each hash the
// same parts from the head of the chain. The others ask it to look again.
type hashRun struct {
	mu    sync.Mutex
	again atomic.Bool
}

// advanceHash hashes every complete part that follows the hashed prefix
// without a gap, and records the state through each: a part written in
// place read back from the assembly file, a part staged on its own from
// its staged file (it is copied into place at the end, unhashed then).
// So a part staged because it began early stops the hashing only until
// it arrives, and the end is left little or nothing to hash. Within this
// process, once at a time per upload. Racing with another node doing the
// same is harmless: a state is recorded only from a base still current,
// for the version of the part it was computed from.
func (s *Service) advanceHash(ctx context.Context, u store.FileUpload) {
	v, _ := s.hashRuns.LoadOrStore(u.Ref, &hashRun{})
	run := v.(*hashRun)
	run.again.Store(true)
	for run.again.Load() {
		if !run.mu.TryLock() {
			return // the request holding it looks again
		}
		for run.again.Swap(false) {
			s.advanceHashOnce(context.WithoutCancel(ctx), u)
		}
		run.mu.Unlock()
	}
}

func (s *Service) advanceHashOnce(ctx context.Context, u store.FileUpload) {
	asm, ok := s.staging.(vfs.Assembler)
	if !ok {
		return
	}
	parts, err := s.st.ListFileUploadParts(ctx, u.SiteID, u.Ref)
	if err != nil {
		return
	}
	var base []byte
	var f vfs.AssemblyFile
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	offset := int64(0)
	for i, p := range parts {
		inPlace := p.Placement != nil && p.Placement.Offset >= 0
		if p.Part != i+1 || p.Size < 0 || (inPlace && p.Placement.Offset != offset) {
			return
		}
		offset += p.Size
		if p.HashState != nil {
			base = p.HashState
			continue
		}
		h, err := hashFrom(base)
		if err != nil {
			return
		}
		if !inPlace {
			// The staged file, checked to be the part recorded (copyPart):
			// a part being sent again has no state recorded from it.
			if s.copyPart(ctx, u, p, h) != nil {
				return
			}
		} else {
			if f == nil {
				if f, err = asm.OpenAssembly(ctx, u.SiteID, u.Ref); err != nil {
					return
				}
			}
			if _, err := io.Copy(h, io.NewSectionReader(f, p.Placement.Offset, p.Size)); err != nil {
				return
			}
		}
		state, err := h.state()
		if err != nil {
			return
		}
		if ok, err := s.st.SetFileUploadPartHash(ctx, u.SiteID, u.Ref, p.Part, p.ETag, base, state); err != nil || !ok {
			return
		}
		base = state
	}
}
