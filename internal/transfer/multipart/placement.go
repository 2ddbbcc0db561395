package multipart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Errors of a part's placement.
var (
	ErrPartLengthChanged = &identity.Error{Status: http.StatusConflict, Type: "processing-failure/upload-part-length-changed",
		Title: "Upload Part Length Changed", Message: "a part sent again must have the length it had when it was first sent"}
	ErrPartBeyondSize = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/upload-part-beyond-size",
		Title: "Upload Part Beyond Size", Message: "the part does not fit in the size the upload was begun for"}
)

// startPart records that part begins to arrive with length bytes (-1:
// not announced) and decides where it goes, in one transaction under the
// upload's lock, so parts beginning at once on any node are placed in
// turn. A part's place in the file is known when every part before it
// has begun with a known length: then it is written straight into the
// upload's assembly file at that offset. Otherwise (it began before a
// part before it, or its own length is not announced, so the parts after
// it could not be placed) it is staged on its own and copied into place
// at the end.
//
// A part sent again may change its length (a client that sent a short
// part sends it whole) while no part after it has been written in place,
// since those parts' offsets were computed from its first length: then
// it is refused with ErrPartLengthChanged, and the upload must begin
// again. The answer is the part as recorded,
// with the parts before it (for their hash states); refusals record
// nothing.
func (s *Service) startPart(ctx context.Context, u store.FileUpload, part int, length, hint int64, mayWait bool) (store.FileUploadPart, []store.FileUploadPart, error) {
	_, inPlace := s.staging.(vfs.Assembler)
	var rec store.FileUploadPart
	var before []store.FileUploadPart
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		locked, err := s.st.LockFileUpload(ctx, u.SiteID, u.Ref)
		if errors.Is(err, store.ErrNotFound) {
			return ErrUploadNotFound
		}
		if err != nil {
			return err
		}
		if locked.Ending {
			return ErrUploadBusy.With("the upload is being finished; its parts can no longer change")
		}
		parts, err := s.st.ListFileUploadParts(ctx, u.SiteID, u.Ref)
		if err != nil {
			return err
		}
		var prev *store.FileUploadPart
		offset, known := int64(0), true
		before = before[:0]
		for i := range parts {
			p := parts[i]
			switch {
			case p.Part == part:
				prev = &parts[i]
			case p.Part < part:
				before = append(before, p)
			}
		}
		for i, p := range before {
			l := knownLength(p)
			if p.Part != i+1 || l < 0 {
				known = false
				break
			}
			offset += l
		}
		if len(before) != part-1 {
			known = false
		}
		rec = store.FileUploadPart{Ref: u.Ref, Part: part, ReceivedAt: s.now()}
		if prev != nil {
			if l := knownLength(*prev); l >= 0 && length != l {
				if after := placedAfter(parts, part); after > 0 {
					return ErrPartLengthChanged.With("part %d was first sent with %d bytes and is now sent with %s: part %d after it was placed by its first length; begin the upload again",
						part, l, lengthWords(length), after)
				}
				if length < 0 && prev.Placement != nil && prev.Placement.Offset >= 0 {
					// Its new length is not announced: staged on its own.
					prev.Placement.Offset = -1
				}
			}
			if prev.Placement == nil || prev.Placement.Offset < 0 {
				// Staged on its own: as before, the earlier version stays
				// until the new one is complete.
				rec.Placement = &store.PartPlacement{Length: length, Offset: -1}
				if prev.Size >= 0 {
					rec = *prev
					rec.Placement = &store.PartPlacement{Length: length, Offset: -1}
					return nil
				}
				return s.st.StartFileUploadPart(ctx, u.SiteID, &rec)
			}
			offset, known = prev.Placement.Offset, true
		}
		if length > MaxPartSize {
			return ErrPartBeyondSize.With("part %d has %d bytes, more than the %d a part may have", part, length, MaxPartSize)
		}
		if u.DeclaredSize >= 0 && length >= 0 && known && offset+length > u.DeclaredSize {
			return ErrPartBeyondSize.With("part %d would end at byte %d, past the %d bytes the upload was begun for", part, offset+length, u.DeclaredSize)
		}
		if inPlace && length >= 0 && !known && hintFits(parts, part, hint, length, u.DeclaredSize) {
			offset, known = hint, true
		}
		if inPlace && length >= 0 && !known && mayWait {
			return errPlaceNotYet
		}
		if !inPlace || length < 0 || !known {
			offset = -1
		}
		rec.Placement = &store.PartPlacement{Length: length, Offset: offset}
		return s.st.StartFileUploadPart(ctx, u.SiteID, &rec)
	})
	if err != nil {
		return store.FileUploadPart{}, nil, err
	}
	return rec, before, nil
}

// errPlaceNotYet: a part's place is not known yet only because a part
// before it has not begun; it may be soon.
var errPlaceNotYet = errors.New("a part before this one has not begun yet")

// PlaceWait, when set, is how long a part that begins before a part
// before it waits for that part to begin, so that it can be written in
// place rather than staged and copied at the end. It is off by default:
// Files.com's Go SDK sends some forty parts of a 1 GiB file at once, and
// on a busy server the waits held its connections longer than the copies
// they saved (measured: the upload was slower, with most parts staged
// anyway).
const DefaultPlaceWait = -1

// placePart is startPart, waiting up to the service's place wait for the
// parts before this one to begin.
func (s *Service) placePart(ctx context.Context, u store.FileUpload, part int, length, hint int64) (store.FileUploadPart, []store.FileUploadPart, error) {
	deadline := time.Now().Add(s.placeWait)
	pause := 5 * time.Millisecond
	for {
		wait := s.placeWait > 0 && time.Now().Before(deadline)
		rec, before, err := s.startPart(ctx, u, part, length, hint, wait)
		if !errors.Is(err, errPlaceNotYet) {
			return rec, before, err
		}
		select {
		case <-ctx.Done():
			return store.FileUploadPart{}, nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// hintFits says whether a part of length bytes may be placed at the
// offset its sender said, hint: the upload was begun with a size the
// part fits in with the known lengths of the parts around it, and it
// overlaps no part placed so far, each part before it ending before it
// and each part after it beginning after it.
func hintFits(parts []store.FileUploadPart, part int, hint, length, declared int64) bool {
	if hint < 0 || declared < 0 || hint+length > declared {
		return false
	}
	var before, after int64
	for _, p := range parts {
		l := knownLength(p)
		if p.Part == part || l < 0 {
			continue
		}
		placed := p.Placement != nil && p.Placement.Offset >= 0
		if p.Part < part {
			before += l
			if placed && p.Placement.Offset+l > hint {
				return false
			}
		} else {
			after += l
			if placed && hint+length > p.Placement.Offset {
				return false
			}
		}
	}
	return hint >= before && hint+length+after <= declared
}

// placedAfter is the first part after part that was written in place
// (0: none).
func placedAfter(parts []store.FileUploadPart, part int) int {
	for _, p := range parts {
		if p.Part > part && p.Placement != nil && p.Placement.Offset >= 0 {
			return p.Part
		}
	}
	return 0
}

// lengthWords says a length a part is sent with.
func lengthWords(length int64) string {
	if length < 0 {
		return "a length not announced"
	}
	return fmt.Sprintf("%d", length)
}

// knownLength is a part's length as far as it is known: announced when it
// began, or received whole; -1 when neither.
func knownLength(p store.FileUploadPart) int64 {
	if p.Placement != nil && p.Placement.Length >= 0 {
		return p.Placement.Length
	}
	if p.Size >= 0 {
		return p.Size
	}
	return -1
}
