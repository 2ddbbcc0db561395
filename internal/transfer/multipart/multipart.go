// Package multipart keeps the REST API's multi-part uploads: an upload is
// begun for one user and path (within the limits on unfinished uploads),
// its parts arrive in any order, and its end checks that the parts are
// whole and puts the file in place, so the file appears complete or not
// at all. A part whose place in the file is known when it begins is
// written straight into the upload's assembly file in the storage
// backend's staging area, and the checksums advance over the in-order
// prefix as parts complete, so the end normally only renames the file
// into place; a part that arrives ahead of the parts before it is staged
// on its own and copied in at the end. The bookkeeping (the upload, its
// parts, their lengths, offsets, versions and hash states, the expiry)
// is in the store, so any node can take a part or the end, and a restart
// loses nothing; abandoned uploads are swept with their parts.
//
// Who may do what is the caller's to decide: this package is handed an
// upload the front end has tied to its caller, and a file view to write
// the result through.
package multipart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// MaxParts is the most parts one upload may have, and MaxPartSize the
// largest part: S3's own limits, so that an object-store backend can map
// parts one to one.
const (
	MaxParts    = 10000
	MaxPartSize = int64(5) << 30
)

// Store is the part of the store this package uses; store.Store
// satisfies it.
type Store interface {
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	LockSite(ctx context.Context, siteID int64) error
	CreateFileUpload(ctx context.Context, u *store.FileUpload) error
	GetFileUpload(ctx context.Context, siteID int64, ref string) (store.FileUpload, error)
	CountFileUploads(ctx context.Context, siteID, userID int64, now time.Time) (store.FileUploadCounts, error)
	SetFileUploadExpiry(ctx context.Context, siteID int64, ref string, expiresAt time.Time) error
	SetFileUploadEnding(ctx context.Context, siteID int64, ref string, ending bool, expiresAt time.Time) (bool, error)
	PutFileUploadPart(ctx context.Context, siteID int64, p *store.FileUploadPart) error
	LockFileUpload(ctx context.Context, siteID int64, ref string) (store.FileUpload, error)
	StartFileUploadPart(ctx context.Context, siteID int64, p *store.FileUploadPart) error
	SetFileUploadPartHash(ctx context.Context, siteID int64, ref string, part int, etag string, base, state []byte) (bool, error)
	ListFileUploadParts(ctx context.Context, siteID int64, ref string) ([]store.FileUploadPart, error)
	DeleteFileUpload(ctx context.Context, siteID int64, ref string) error
	ListExpiredFileUploads(ctx context.Context, now time.Time, limit int) ([]store.FileUpload, error)
}

// Options configure a Service.
type Options struct {
	Store   Store
	Staging vfs.Staging
	Limits  Limits           // zero: DefaultLimits()
	Clock   func() time.Time // default time.Now
	Logger  *slog.Logger
	// PlaceWait is how long a part waits for the parts before it to
	// begin (zero: DefaultPlaceWait, which is not at all; negative: not
	// at all).
	PlaceWait time.Duration
}

// Service keeps multi-part uploads.
type Service struct {
	st      Store
	staging vfs.Staging
	limits  Limits
	now     func() time.Time
	log     *slog.Logger
	// placeWait is real time, not the clock's: it paces a request.
	placeWait time.Duration
	hashRuns  sync.Map // upload ref -> *hashRun
}

// New returns the service.
func New(o Options) *Service {
	s := &Service{st: o.Store, staging: o.Staging, limits: o.Limits, now: o.Clock, log: o.Logger, placeWait: o.PlaceWait}
	if s.placeWait == 0 {
		s.placeWait = DefaultPlaceWait
	}
	if s.limits == (Limits{}) {
		s.limits = DefaultLimits()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Limits are the limits the service applies.
func (s *Service) Limits() Limits { return s.limits }

// SetLimits changes the limits (tests use small ones).
func (s *Service) SetLimits(l Limits) { s.limits = l }

// Errors the service answers with, in the API's format. The not-found
// type and title are Files.com's, which its SDKs recognise: an upload
// that is gone is begun again, not retried part by part.
var (
	ErrUploadNotFound = &identity.Error{Status: http.StatusNotFound, Type: "not-found/file-upload-not-found", Title: "File Upload Not Found",
		Message: "no upload is waiting under that ref (it was finished, expired, or never begun); begin the upload again"}
	ErrUploadBusy = &identity.Error{Status: http.StatusConflict, Type: "processing-failure/upload-in-progress", Title: "Upload In Progress",
		Message: "this upload is being finished by another request; wait for its answer"}
	ErrPartsMismatch = &identity.Error{Status: http.StatusUnprocessableEntity, Type: "processing-failure/upload-parts-mismatch",
		Title: "Upload Parts Mismatch", Message: "the parts received do not make up the file announced"}
	ErrBadPart = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-part-number", Title: "Invalid Part Number",
		Message: "a part number is from 1 to 10000"}
)

// BeginParams describe a new upload.
type BeginParams struct {
	SiteID, UserID      int64
	APIKeyID, SessionID int64 // the credential that began it
	Path                string
	Size                int64 // the whole file's size, -1 when not announced
}

// Begin records a new upload within the limits and returns it. Over a
// limit the error is a *TooMany.
func (s *Service) Begin(ctx context.Context, p BeginParams) (store.FileUpload, error) {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return store.FileUpload{}, err
	}
	now := s.now()
	u := store.FileUpload{Ref: "put-" + hex.EncodeToString(random[:]), SiteID: p.SiteID, UserID: p.UserID, APIKeyID: p.APIKeyID,
		SessionID: p.SessionID, Path: p.Path, DeclaredSize: p.Size, ExpiresAt: now.Add(s.limits.TTL), CreatedAt: now}
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		// The site's lock makes the count and the insert one step for
		// every node, so parallel begins cannot slip past the limits.
		if err := s.st.LockSite(ctx, p.SiteID); err != nil {
			return err
		}
		c, err := s.st.CountFileUploads(ctx, p.SiteID, p.UserID, now)
		if err != nil {
			return err
		}
		if tm := s.limits.admit(c, now); tm != nil {
			return tm
		}
		return s.st.CreateFileUpload(ctx, &u)
	})
	if err != nil {
		return store.FileUpload{}, err
	}
	return u, nil
}

// Get returns the user's live upload under ref; another user's, another
// site's, an expired or a missing one is ErrUploadNotFound alike.
func (s *Service) Get(ctx context.Context, siteID, userID int64, ref string) (store.FileUpload, error) {
	u, err := s.st.GetFileUpload(ctx, siteID, ref)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (u.UserID != userID || !s.now().Before(u.ExpiresAt))) {
		return store.FileUpload{}, ErrUploadNotFound
	}
	return u, err
}

// Lookup returns the site's upload under ref, whoever it belongs to and
// whether or not it expired, for checking a presigned URI's signature
// (which names the user); a missing one is ErrUploadNotFound.
func (s *Service) Lookup(ctx context.Context, siteID int64, ref string) (store.FileUpload, error) {
	u, err := s.st.GetFileUpload(ctx, siteID, ref)
	if errors.Is(err, store.ErrNotFound) {
		return store.FileUpload{}, ErrUploadNotFound
	}
	return u, err
}

// Keep extends the upload's life by the TTL from now: a client asking
// for a part's URI is still uploading.
func (s *Service) Keep(ctx context.Context, u store.FileUpload) error {
	err := s.st.SetFileUploadExpiry(ctx, u.SiteID, u.Ref, s.now().Add(s.limits.TTL))
	if errors.Is(err, store.ErrNotFound) {
		return ErrUploadNotFound
	}
	return err
}

// CheckPart refuses a part number out of range.
func CheckPart(part int) error {
	if part < 1 || part > MaxParts {
		return ErrBadPart.With("part number %d: parts are numbered from 1 to %d", part, MaxParts)
	}
	return nil
}

// keepAliveEvery is how often a part still arriving renews its upload's
// expiry, so a long part is never swept under its sender.
const keepAliveEvery = time.Minute

// ReceivePart is ReceivePartOf a part whose length is not announced.
func (s *Service) ReceivePart(ctx context.Context, u store.FileUpload, part int, r io.Reader, limit int64) (store.FileUploadPart, error) {
	return s.ReceivePartOf(ctx, u, part, r, -1, limit)
}

// ReceivePartOf streams part of upload u from r, of length bytes as its
// sender announced (its Content-Length; -1 when not announced), at most
// limit bytes, and records it with a new ETag, which it returns. Where
// the part goes is decided as it begins (see startPart): straight into
// the upload's assembly file at its offset, or staged on its own. A part
// sent again replaces the earlier one; one written in place is pending
// again from its first byte, so an end while it is incomplete is refused.
// Nothing is recorded as received when the bytes do not all arrive.
func (s *Service) ReceivePartOf(ctx context.Context, u store.FileUpload, part int, r io.Reader, length, limit int64) (store.FileUploadPart, error) {
	return s.ReceivePartAt(ctx, u, part, r, length, -1, limit)
}

// ReceivePartAt is ReceivePartOf with the offset the sender says the
// part has in the file (-1: not said). Files.com's Go SDK v3.3.300 adds
// it (part_offset) to the upload URIs of the servers it does not take
// for S3, so that parts sent in parallel, whose senders cannot know which
// arrives first, are placed at once. It is a hint: it is used
// only for a part whose place is not known yet, if it fits the size the
// upload was begun for and the parts placed so far, and the end checks
// every part's offset against the lengths of the parts before it, so a
// wrong one costs its sender the upload, never a wrong file.
func (s *Service) ReceivePartAt(ctx context.Context, u store.FileUpload, part int, r io.Reader, length, offset, limit int64) (store.FileUploadPart, error) {
	if err := CheckPart(part); err != nil {
		return store.FileUploadPart{}, err
	}
	if u.Ending {
		return store.FileUploadPart{}, ErrUploadBusy.With("the upload is being finished; its parts can no longer change")
	}
	if length > limit {
		return store.FileUploadPart{Size: length}, vfs.ErrPartTooLarge
	}
	if err := s.Keep(ctx, u); err != nil {
		return store.FileUploadPart{}, err
	}
	// Mark the part as arriving: an end while it never arrives whole is
	// refused, not taken for an upload without that part.
	rec, before, err := s.placePart(ctx, u, part, length, offset)
	if err != nil {
		return store.FileUploadPart{}, err
	}
	kr := &keepAlive{r: r, next: s.now().Add(keepAliveEvery), renew: func() {
		_ = s.st.SetFileUploadExpiry(context.WithoutCancel(ctx), u.SiteID, u.Ref, s.now().Add(s.limits.TTL))
	}, now: s.now}
	var n int64
	var h *fileHash
	var base []byte
	if rec.Placement.Offset >= 0 {
		h, base = streamHash(rec, before)
		n, err = s.writeInPlace(ctx, u, rec, kr, h)
	} else {
		n, err = s.staging.WritePart(ctx, u.SiteID, u.Ref, part, kr, limit)
		if err == nil && rec.Placement.Length >= 0 && n != rec.Placement.Length {
			err = ErrPartLengthChanged.With("part %d has %d bytes, not the %d it was first sent with; send it again with its first length", part, n, rec.Placement.Length)
		}
	}
	if err != nil {
		return store.FileUploadPart{Size: n}, err
	}
	var tag [8]byte
	if _, err := rand.Read(tag[:]); err != nil {
		return store.FileUploadPart{}, err
	}
	p := store.FileUploadPart{Ref: u.Ref, Part: part, Size: n, ETag: hex.EncodeToString(tag[:]), ReceivedAt: s.now(), Placement: rec.Placement}
	if err := s.st.PutFileUploadPart(ctx, u.SiteID, &p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Swept or ended while the bytes arrived: drop them too.
			_ = s.staging.RemoveUpload(context.WithoutCancel(ctx), u.SiteID, u.Ref)
			return store.FileUploadPart{}, ErrUploadNotFound
		}
		return store.FileUploadPart{}, err
	}
	if h != nil {
		if state, err := h.state(); err == nil {
			_, _ = s.st.SetFileUploadPartHash(ctx, u.SiteID, u.Ref, part, p.ETag, base, state)
		}
	}
	s.advanceHash(ctx, u)
	if err := s.Keep(ctx, u); err != nil {
		return store.FileUploadPart{}, err
	}
	return p, nil
}

// writeInPlace writes a part into the upload's assembly file at its
// offset: exactly its length, hashed on the way when h is set.
func (s *Service) writeInPlace(ctx context.Context, u store.FileUpload, p store.FileUploadPart, r io.Reader, h *fileHash) (int64, error) {
	f, err := s.staging.(vfs.Assembler).OpenAssembly(ctx, u.SiteID, u.Ref)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	length := p.Placement.Length
	if h != nil {
		r = io.TeeReader(r, h)
	}
	// Never a byte past its place, which is the next part's.
	n, err := io.Copy(io.NewOffsetWriter(f, p.Placement.Offset), io.LimitReader(r, length))
	var extra [1]byte
	switch {
	case err != nil:
		return n, err
	case n == length && readSome(r, extra[:]):
		return n, ErrPartLengthChanged.With("part %d has more than the %d bytes it was first sent with; send it again with its first length", p.Part, length)
	case n < length:
		return n, fmt.Errorf("part %d broke off after %d of its %d bytes: %w", p.Part, n, length, io.ErrUnexpectedEOF)
	}
	return n, nil
}

// readSome reports whether r has at least one more byte.
func readSome(r io.Reader, b []byte) bool {
	for {
		n, err := r.Read(b)
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// keepAlive renews an upload's expiry while its bytes keep arriving.
type keepAlive struct {
	r     io.Reader
	next  time.Time
	renew func()
	now   func() time.Time
}

func (k *keepAlive) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if now := k.now(); now.After(k.next) {
		k.next = now.Add(keepAliveEvery)
		k.renew()
	}
	return n, err
}

// EndParams is what the client says at the end: the total size it sent
// (-1: not said), each part's ETag (nil: not said) and the file's
// modification time (zero: now).
type EndParams struct {
	Size    int64
	ETags   map[int]string
	ModTime time.Time
}

// Finish ends upload u: it checks that the parts received make up the
// file announced, writes them in order through one upload of fsys to
// u.Path, puts the file in place, and forgets the upload. A refusal
// (ErrPartsMismatch) writes nothing and leaves the upload as it was, so
// the client can send what is missing and end again. Only one end runs
// at a time; a replayed end finds nothing.
func (s *Service) Finish(ctx context.Context, u store.FileUpload, end EndParams, fsys vfs.FS) error {
	claimed, err := s.st.SetFileUploadEnding(ctx, u.SiteID, u.Ref, true, s.now().Add(s.limits.TTL))
	if errors.Is(err, store.ErrNotFound) {
		return ErrUploadNotFound
	}
	if err != nil {
		return err
	}
	if !claimed {
		return ErrUploadBusy
	}
	release := func() {
		_, _ = s.st.SetFileUploadEnding(context.WithoutCancel(ctx), u.SiteID, u.Ref, false, s.now().Add(s.limits.TTL))
	}
	parts, err := s.st.ListFileUploadParts(ctx, u.SiteID, u.Ref)
	if err != nil {
		release()
		return err
	}
	if err := checkParts(parts, u.DeclaredSize, end); err != nil {
		release()
		return err
	}
	if err := s.assembleInPlace(ctx, u, parts, end.ModTime, fsys); err != nil {
		release()
		return err
	}
	if err := s.st.DeleteFileUpload(context.WithoutCancel(ctx), u.SiteID, u.Ref); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("forgetting a finished upload failed; the sweep removes it", "ref", u.Ref, "err", err)
	}
	if err := s.staging.RemoveUpload(context.WithoutCancel(ctx), u.SiteID, u.Ref); err != nil {
		s.log.Warn("removing a finished upload's parts failed; the sweep removes them", "ref", u.Ref, "err", err)
	}
	s.hashRuns.Delete(u.Ref)
	return nil
}

// checkParts says whether the parts received make up the file: numbered
// 1 to n without a gap, adding up to the size announced at the begin and
// at the end, and being the versions the client says it sent.
func checkParts(parts []store.FileUploadPart, declared int64, end EndParams) error {
	var total int64
	for i, p := range parts {
		if p.Size < 0 {
			return ErrPartsMismatch.With("part %d began to arrive but never arrived whole; send it again, then end the upload again", p.Part)
		}
		if p.Part != i+1 {
			return ErrPartsMismatch.With("part %d is missing (received parts %s); send it to its upload_uri, then end the upload again",
				i+1, partList(parts))
		}
		total += p.Size
	}
	if declared >= 0 && total != declared {
		return ErrPartsMismatch.With("the %d parts received add up to %d bytes, but the upload was begun for %d bytes: a part is missing or short; send it again, then end the upload again",
			len(parts), total, declared)
	}
	if end.Size >= 0 && total != end.Size {
		return ErrPartsMismatch.With("the %d parts received add up to %d bytes, but the end says %d bytes were sent: a part is missing or short; send it again, then end the upload again",
			len(parts), total, end.Size)
	}
	if end.ETags != nil {
		for _, p := range parts {
			tag, ok := end.ETags[p.Part]
			if !ok {
				return ErrPartsMismatch.With("part %d was received but the end does not list it in etags", p.Part)
			}
			if tag != p.ETag {
				return ErrPartsMismatch.With("part %d was received in another version than the end lists (etag %q, received %q): it was sent again; end with the etag of its last upload",
					p.Part, tag, p.ETag)
			}
		}
		if len(end.ETags) != len(parts) {
			for n := range end.ETags {
				if n < 1 || n > len(parts) {
					return ErrPartsMismatch.With("the end lists part %d, which was never received (received parts %s)", n, partList(parts))
				}
			}
		}
	}
	return nil
}

func partList(parts []store.FileUploadPart) string {
	if len(parts) == 0 {
		return "none"
	}
	out, start := "", parts[0].Part
	for i := 1; i <= len(parts); i++ {
		if i < len(parts) && parts[i].Part == parts[i-1].Part+1 {
			continue
		}
		if out != "" {
			out += ", "
		}
		if last := parts[i-1].Part; last == start {
			out += fmt.Sprint(start)
		} else {
			out += fmt.Sprintf("%d-%d", start, last)
		}
		if i < len(parts) {
			start = parts[i].Part
		}
	}
	return out
}

// assemble writes the parts in order through one sequential upload of
// fsys, so the file is put in place whole or not at all, and so that
// whatever the storage computes while bytes are written in order (its
// hashes) comes with it. A faster assembly (a server-side concatenation,
// an object store's own completion) would replace this one function and
// must then supply those itself.
func (s *Service) assemble(ctx context.Context, u store.FileUpload, parts []store.FileUploadPart, modTime time.Time, fsys vfs.FS) error {
	up, err := fsys.Create(ctx, u.Path, 0)
	if err != nil {
		return err
	}
	next := s.now().Add(keepAliveEvery)
	for _, p := range parts {
		if err := s.copyPart(ctx, u, p, up); err != nil {
			_ = up.Abort()
			return err
		}
		if now := s.now(); now.After(next) {
			next = now.Add(keepAliveEvery)
			_ = s.st.SetFileUploadExpiry(ctx, u.SiteID, u.Ref, now.Add(s.limits.TTL))
		}
	}
	if !modTime.IsZero() {
		up.SetModTime(modTime)
	}
	return up.Commit()
}

// copyPart writes part p, staged on its own, to w, checking that what is
// staged is the part recorded (a part being sent again is not).
func (s *Service) copyPart(ctx context.Context, u store.FileUpload, p store.FileUploadPart, w io.Writer) error {
	r, size, err := s.staging.OpenPart(ctx, u.SiteID, u.Ref, p.Part)
	if err != nil {
		return ErrPartsMismatch.With("part %d is no longer staged; send it again, then end the upload again", p.Part)
	}
	defer r.Close()
	if size != p.Size {
		return ErrPartsMismatch.With("part %d is being sent again (%d bytes staged, %d recorded); end the upload once it has arrived", p.Part, size, p.Size)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		return fmt.Errorf("assemble part %d of the upload: %w", p.Part, err)
	}
	if n != p.Size {
		return ErrPartsMismatch.With("part %d changed while the upload was finished; end the upload again", p.Part)
	}
	return nil
}

// Sweep removes uploads that expired at now, with their staged parts, and
// says how many. Every node may sweep: removing what another node already
// removed is harmless.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	removed := 0
	for {
		expired, err := s.st.ListExpiredFileUploads(ctx, s.now(), 500)
		if err != nil {
			return removed, err
		}
		for _, u := range expired {
			if err := s.st.DeleteFileUpload(ctx, u.SiteID, u.Ref); err != nil && !errors.Is(err, store.ErrNotFound) {
				return removed, err
			}
			s.hashRuns.Delete(u.Ref)
			if err := s.staging.RemoveUpload(ctx, u.SiteID, u.Ref); err != nil {
				s.log.Warn("removing an expired upload's parts failed; the hourly sweep of stale parts removes them", "ref", u.Ref, "err", err)
			}
			removed++
		}
		if len(expired) < 500 {
			return removed, nil
		}
	}
}
