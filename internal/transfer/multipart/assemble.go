package multipart

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// assembleInPlace completes the upload's assembly file and puts it in
// place. Parts written in place are already there, and normally every
// part is already hashed: only parts staged on their own are copied in,
// and only what follows the hashed prefix is hashed (read back, or while
// copied). The file then moves to u.Path through the user's view in one rename, with
// its checksums and modification time, so the end costs (almost) nothing
// and the file appears whole or not at all. A view that cannot place a
// staged file gets the assembly copied through one upload instead; a
// staging area without assembly files, the parts copied as before.
func (s *Service) assembleInPlace(ctx context.Context, u store.FileUpload, parts []store.FileUploadPart, modTime time.Time, fsys vfs.FS) error {
	asm, ok := s.staging.(vfs.Assembler)
	if !ok {
		return s.assemble(ctx, u, parts, modTime, fsys)
	}
	f, err := asm.OpenAssembly(ctx, u.SiteID, u.Ref)
	if err != nil {
		return err
	}
	defer f.Close()
	var h *fileHash
	var base []byte
	hashing := true
	offset := int64(0)
	// What the end had left to do, for the debug log: parts staged on
	// their own and copied in, bytes hashed now.
	var copied int
	var copiedBytes, hashedBytes int64
	start := s.now()
	defer func() {
		s.log.Debug("multi-part upload assembled", "ref", u.Ref, "parts", len(parts), "bytes", offset,
			"parts_copied", copied, "bytes_copied", copiedBytes, "bytes_hashed", hashedBytes, "took", s.now().Sub(start))
	}()
	for _, p := range parts {
		inPlace := p.Placement != nil && p.Placement.Offset >= 0
		if inPlace && p.Placement.Offset != offset {
			return ErrPartsMismatch.With("part %d was written at byte %d, but the parts before it end at byte %d; begin the upload again",
				p.Part, p.Placement.Offset, offset)
		}
		if h == nil && hashing {
			if p.HashState != nil {
				// Hashed already: a part staged on its own is copied in
				// without hashing it again.
				if !inPlace {
					if err := s.copyPartAt(ctx, u, p, f, offset, nil); err != nil {
						return err
					}
					copied, copiedBytes = copied+1, copiedBytes+p.Size
				}
				base = p.HashState
				offset += p.Size
				continue
			}
			if h, err = hashFrom(base); err != nil {
				h, hashing = nil, false
			}
		}
		if !inPlace {
			if err := s.copyPartAt(ctx, u, p, f, offset, h); err != nil {
				return err
			}
			copied, copiedBytes = copied+1, copiedBytes+p.Size
			if h != nil {
				hashedBytes += p.Size
			}
		} else if h != nil {
			hashedBytes += p.Size
			if _, err := io.Copy(h, io.NewSectionReader(f, offset, p.Size)); err != nil {
				return fmt.Errorf("hash part %d of the upload: %w", p.Part, err)
			}
		}
		offset += p.Size
	}
	if err := f.Truncate(offset); err != nil {
		return fmt.Errorf("assemble the upload: %w", err)
	}
	var sums vfs.Checksums
	if hashing && h == nil {
		h, err = hashFrom(base)
		hashing = err == nil
	}
	if hashing {
		sums = h.sums()
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("assemble the upload: %w", err)
	}
	if placer, ok := fsys.(vfs.Placer); ok {
		err := placer.PlaceAssembly(ctx, u.Path, u.Ref, offset, modTime, sums)
		if err == nil || !vfs.IsPlaceUnsupported(err) {
			return err
		}
	}
	return s.copyAssembly(ctx, u, asm, offset, modTime, fsys)
}

// copyPartAt copies a part staged on its own into the assembly file at
// offset, hashing it on the way when h is set.
func (s *Service) copyPartAt(ctx context.Context, u store.FileUpload, p store.FileUploadPart, f vfs.AssemblyFile, offset int64, h *fileHash) error {
	var w io.Writer = io.NewOffsetWriter(f, offset)
	if h != nil {
		w = io.MultiWriter(w, h)
	}
	return s.copyPart(ctx, u, p, w)
}

// copyAssembly writes the assembly file through one upload of fsys, for
// a view that cannot place a staged file.
func (s *Service) copyAssembly(ctx context.Context, u store.FileUpload, asm vfs.Assembler, size int64, modTime time.Time, fsys vfs.FS) error {
	f, err := asm.OpenAssembly(ctx, u.SiteID, u.Ref)
	if err != nil {
		return err
	}
	defer f.Close()
	up, err := fsys.Create(ctx, u.Path, 0)
	if err != nil {
		return err
	}
	if _, err := io.Copy(up, io.NewSectionReader(f, 0, size)); err != nil {
		_ = up.Abort()
		return fmt.Errorf("assemble the upload: %w", err)
	}
	if !modTime.IsZero() {
		up.SetModTime(modTime)
	}
	return up.Commit()
}
