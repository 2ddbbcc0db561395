package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Multi-part uploads, in Files.com's shapes. An upload begins with POST
// /file_actions/begin_upload/{path} (the Go SDK, rclone) or POST
// /files/{path} with action=put (the JavaScript SDK); either answers
// file_upload_part objects, each with a presigned upload_uri for one
// part. Asking again with the ref and a part number (part, and parts for
// several) hands out the URI of that part. The parts are PUT to their
// URIs in any order, in parallel if the client likes, and POST
// /files/{path} with action=end and the ref puts the file in place once
// every part has arrived (internal/transfer/multipart).

// fileUploadPartJSON is Files.com's file_upload_part: where and how to send
// the bytes of one part.
type fileUploadPartJSON struct {
	Action             string            `json:"action"`
	AskAboutOverwrites bool              `json:"ask_about_overwrites"`
	AvailableParts     int               `json:"available_parts"`
	Expires            string            `json:"expires"`
	Headers            map[string]string `json:"headers"`
	HTTPMethod         string            `json:"http_method"`
	NextPartsize       int64             `json:"next_partsize"`
	ParallelParts      bool              `json:"parallel_parts"`
	RetryParts         bool              `json:"retry_parts"`
	Parameters         map[string]string `json:"parameters"`
	PartNumber         int               `json:"part_number"`
	Partsize           int64             `json:"partsize"`
	Path               string            `json:"path"`
	Ref                string            `json:"ref"`
	UploadURI          string            `json:"upload_uri"`
}

// partSize is the part size Gatehouse suggests (partsize): Files.com's
// own 5 MiB, which the JavaScript SDK cuts every part to. The Go SDK
// chooses its own sizes, growing with the file; any part up to
// multipart.MaxPartSize is taken.
const partSize = 5 << 20

// maxPartsPerRequest bounds the parts one request asks URIs for.
const maxPartsPerRequest = 100

// flexInt is a number a client may send as a JSON number or a string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(data []byte) error {
	var v int64
	if err := json.Unmarshal(data, &v); err == nil {
		*n = flexInt(v)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return identity.ErrInvalidParams.With("expected a number")
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return identity.ErrInvalidParams.With("expected a number, not %q", truncate(s, 20))
	}
	*n = flexInt(v)
	return nil
}

// uploadParams are the parameters of begin_upload, action=put and
// action=end, from the JSON body or the query string.
type uploadParams struct {
	Action       string   `json:"action"`
	Ref          string   `json:"ref"`
	Part         flexInt  `json:"part"`
	Parts        flexInt  `json:"parts"`
	Size         *flexInt `json:"size"`
	MkdirParents flexBool `json:"mkdir_parents"`
	// ProvidedMtime is the file's modification time, sent with the end.
	ProvidedMtime providedMtime `json:"provided_mtime"`
	ETags         []struct {
		ETag string  `json:"etag"`
		Part flexInt `json:"part"`
	} `json:"etags"`
}

// readUploadParams reads the parameters, the body's first and the query's
// where the body has none.
func readUploadParams(r *http.Request) (uploadParams, error) {
	var p uploadParams
	if err := readLenientJSON(r, &p); err != nil {
		return p, err
	}
	q := r.URL.Query()
	num := func(name string) (flexInt, error) {
		v := q.Get(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, identity.ErrInvalidParams.With("%s must be a number, not %q", name, truncate(v, 20))
		}
		return flexInt(n), nil
	}
	var err error
	if p.Action == "" {
		p.Action = q.Get("action")
	}
	if p.Ref == "" {
		p.Ref = q.Get("ref")
	}
	if p.Part == 0 {
		if p.Part, err = num("part"); err != nil {
			return p, err
		}
	}
	if p.Parts == 0 {
		if p.Parts, err = num("parts"); err != nil {
			return p, err
		}
	}
	if p.Size == nil && q.Get("size") != "" {
		n, err := num("size")
		if err != nil {
			return p, err
		}
		p.Size = &n
	}
	if p.ProvidedMtime.t.IsZero() {
		if p.ProvidedMtime.t, err = parseProvidedMtime(q.Get("provided_mtime")); err != nil {
			return p, err
		}
	}
	if !bool(p.MkdirParents) && q.Get("mkdir_parents") != "" {
		v, _ := parseBool(q.Get("mkdir_parents"))
		p.MkdirParents = flexBool(v)
	}
	return p, nil
}

// beginUpload answers POST /file_actions/begin_upload/{path}: the parts
// asked for (the first, by default) of a new upload, or of the upload
// under ref.
func (s *server) beginUpload(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, err := readUploadParams(r)
	if err != nil {
		return err
	}
	parts, err := s.uploadParts(w, r, c, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, parts)
	return nil
}

// startUpload answers POST /files/{path} with action=put, the JavaScript
// SDK's begin: the same as begin_upload, one part, as one object.
func (s *server) startUpload(w http.ResponseWriter, r *http.Request, c *apiCall, p uploadParams) error {
	p.Parts = 1
	parts, err := s.uploadParts(w, r, c, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, parts[0])
	return nil
}

// uploadParts begins an upload (or continues the one under p.Ref) and
// answers the file_upload_part of each part asked for.
func (s *server) uploadParts(w http.ResponseWriter, r *http.Request, c *apiCall, p uploadParams) ([]fileUploadPartJSON, error) {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return nil, err
	}
	name := filePath(r)
	first, count := int(p.Part), int(p.Parts)
	if first == 0 {
		first = 1
	}
	if count == 0 {
		count = 1
	}
	if count < 1 || count > maxPartsPerRequest {
		return nil, identity.ErrInvalidParams.With("parts must be from 1 to %d", maxPartsPerRequest)
	}
	if err := multipart.CheckPart(first); err != nil {
		return nil, err
	}
	if err := multipart.CheckPart(first + count - 1); err != nil {
		return nil, err
	}
	var u store.FileUpload
	if p.Ref != "" {
		if u, err = s.multiUploads.Get(r.Context(), c.site.ID, c.who.user.ID, p.Ref); err != nil {
			return nil, err
		}
		if u.Path != name {
			return nil, multipart.ErrUploadNotFound.With("no upload of %s is waiting under that ref; begin the upload of this path", name)
		}
		if err := s.multiUploads.Keep(r.Context(), u); err != nil {
			return nil, err
		}
	} else {
		if u, err = s.beginNew(w, r, c, fsys, name, p); err != nil {
			return nil, err
		}
	}
	out := make([]fileUploadPartJSON, 0, count)
	for n := first; n < first+count; n++ {
		out = append(out, s.partJSON(u, n))
	}
	return out, nil
}

// beginNew checks that the caller may write the file, makes its folders
// when asked, and records a new upload within the limits.
func (s *server) beginNew(w http.ResponseWriter, r *http.Request, c *apiCall, fsys vfs.FS, name string, p uploadParams) (store.FileUpload, error) {
	if fi, err := fsys.Stat(r.Context(), name); err == nil && fi.IsDir() {
		return store.FileUpload{}, fileerr.Typed(fmt.Errorf("upload %s: %w", name, vfs.ErrIsDir))
	}
	if err := fsys.Writable(r.Context(), name); err != nil {
		return store.FileUpload{}, fileerr.Typed(err)
	}
	if bool(p.MkdirParents) {
		if err := mkdirAll(r, fsys, path.Dir(name)); err != nil {
			return store.FileUpload{}, err
		}
	} else if dir := path.Dir(name); dir != "/" {
		// Refused now, not after every part has been sent.
		if fi, err := fsys.Stat(r.Context(), dir); err != nil || !fi.IsDir() {
			return store.FileUpload{}, (&identity.Error{Status: http.StatusNotFound, Type: "not-found/folder-not-found", Title: "Folder Not Found"}).With(
				"the folder %s does not exist; create it, or begin the upload with mkdir_parents=true", dir)
		}
	}
	size := int64(-1)
	if p.Size != nil {
		if *p.Size < 0 {
			return store.FileUpload{}, identity.ErrInvalidParams.With("size must not be negative")
		}
		size = int64(*p.Size)
	}
	g := grantOf(c)
	u, err := s.multiUploads.Begin(r.Context(), multipart.BeginParams{SiteID: c.site.ID, UserID: c.who.user.ID, APIKeyID: g.apiKeyID,
		SessionID: g.sessionID, Path: name, Size: size})
	var tm *multipart.TooMany
	if errors.As(err, &tm) {
		w.Header().Set("Retry-After", retryAfter(tm.Wait))
		s.log.Warn("REST upload refused: too many pending uploads", "site_id", c.site.ID, "user_id", c.who.user.ID,
			"request_id", infoFrom(r.Context()).id)
	}
	return u, err
}

// partLimit is the most bytes one part of u may carry.
func partLimit(u store.FileUpload) int64 {
	if u.DeclaredSize >= 0 && u.DeclaredSize < multipart.MaxPartSize {
		return u.DeclaredSize
	}
	return multipart.MaxPartSize
}

// partJSON is the file_upload_part of part n of u, with its presigned URI.
func (s *server) partJSON(u store.FileUpload, n int) fileUploadPartJSON {
	expires := s.now().Add(uploadURILifetime)
	return fileUploadPartJSON{
		Action: "put/write", AvailableParts: multipart.MaxParts, Expires: expires.UTC().Format(time.RFC3339),
		Headers: map[string]string{}, HTTPMethod: "PUT", NextPartsize: partSize, ParallelParts: true, RetryParts: true,
		Parameters: map[string]string{}, PartNumber: n, Partsize: partSize, Path: strings.TrimPrefix(u.Path, "/"), Ref: u.Ref,
		UploadURI: s.uploadPartURI(u, n, partLimit(u), expires),
	}
}

// receivePart answers PUT /file_uploads/{ref}?part=…&signature=…: the
// bytes of one part, to a presigned URI, with no other credential.
func (s *server) receivePart(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	ref := r.PathValue("ref")
	q := r.URL.Query()
	part, okPart := positive(q, "part")
	limit, okLimit := positive(q, "limit")
	exp, okExp := positive(q, "expires")
	sig := q.Get("signature")
	if !okPart || !okLimit || !okExp || sig == "" || len(q["signature"]) != 1 {
		return s.refusePresigned(r, c, "upload part", errSignatureMissing)
	}
	u, err := s.multiUploads.Lookup(r.Context(), c.site.ID, ref)
	if err != nil {
		if errors.Is(err, multipart.ErrUploadNotFound) {
			return s.refusePresigned(r, c, "upload part", err)
		}
		return err
	}
	if part > multipart.MaxParts || !s.uriSigner.Verify(sig, uploadPartFields(grantOfUpload(u), u.Path, u.Ref, int(part), limit, exp)...) {
		return s.refusePresigned(r, c, "upload part", errSignatureInvalid)
	}
	if s.expired(exp) {
		return s.refusePresigned(r, c, "upload part", errUploadURIExpired)
	}
	if u, err = s.multiUploads.Get(r.Context(), c.site.ID, u.UserID, ref); err != nil {
		return err
	}
	_, fsys, err := s.readmitGrant(r.Context(), c.site, grantOfUpload(u))
	if err != nil {
		return s.refusePresigned(r, c, "upload part", err)
	}
	if err := fsys.Writable(r.Context(), u.Path); err != nil {
		return s.refusePresigned(r, c, "upload part", fileerr.Typed(err))
	}
	if r.ContentLength > limit {
		return errPartTooLarge.With("part %d has %d bytes, more than the %d its upload_uri allows", part, r.ContentLength, limit)
	}
	// part_offset (Files.com's Go SDK may send it) is outside the signature:
	// a hint where the part goes in this upload's own file, which the end
	// checks.
	offset := int64(-1)
	if v, ok := positive(q, "part_offset"); ok {
		offset = v
	}
	p, err := s.multiUploads.ReceivePartAt(r.Context(), u, int(part), r.Body, r.ContentLength, offset, limit)
	switch {
	case errors.Is(err, vfs.ErrPartTooLarge):
		return errPartTooLarge.With("part %d is larger than the %d bytes its upload_uri allows; nothing of it was kept", part, limit)
	case err != nil && errors.Is(err, multipart.ErrUploadNotFound), err != nil && errors.Is(err, multipart.ErrUploadBusy):
		return err
	case err != nil:
		var known *identity.Error
		if errors.As(err, &known) {
			return err
		}
		return uploadBrokeOff(err, p.Size, "PUT the part to its upload_uri again")
	}
	w.Header().Set("ETag", `"`+p.ETag+`"`)
	w.WriteHeader(http.StatusOK)
	return nil
}

var errPartTooLarge = &identity.Error{Status: http.StatusRequestEntityTooLarge, Type: "bad-request/upload-part-too-large",
	Title: "Upload Part Too Large", Message: "the part is larger than its upload_uri allows"}

// refusePresigned notes a refused presigned URI and returns the refusal.
// An admin wants to see forged or stale grants, but anyone can send them,
// so they are logged at most every ten seconds, with how many there were
// and the latest; the log has the request's path, never its query, where
// the signature is.
func (s *server) refusePresigned(r *http.Request, c *apiCall, what string, err error) error {
	p := s.uriSigner
	p.refused.Add(1)
	now := time.Now().UnixNano()
	last := p.lastLog.Load()
	if now-last < int64(10*time.Second) || !p.lastLog.CompareAndSwap(last, now) {
		return err
	}
	e := identity.AsError(err)
	s.log.Warn("presigned URIs refused", "refused", p.refused.Swap(0), "latest", what, "type", e.Type, "site_id", c.site.ID,
		"path", r.URL.Path, "ip", c.ip, "request_id", infoFrom(r.Context()).id)
	return err
}

// endUpload answers POST /files/{path} with action=end: the parts of the
// upload under ref become the file, if they make it up.
func (s *server) endUpload(w http.ResponseWriter, r *http.Request, c *apiCall, p uploadParams) error {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	name := filePath(r)
	u, err := s.multiUploads.Get(r.Context(), c.site.ID, c.who.user.ID, p.Ref)
	if err != nil {
		return err
	}
	if u.Path != name {
		return multipart.ErrUploadNotFound.With("no upload of %s is waiting under that ref (it was begun for another path)", name)
	}
	end := multipart.EndParams{Size: -1, ModTime: p.ProvidedMtime.t}
	if p.Size != nil {
		end.Size = int64(*p.Size)
	}
	if len(p.ETags) > 0 {
		end.ETags = map[int]string{}
		for _, e := range p.ETags {
			if _, dup := end.ETags[int(e.Part)]; dup {
				return identity.ErrInvalidParams.With("etags lists part %d twice", e.Part)
			}
			end.ETags[int(e.Part)] = strings.Trim(e.ETag, `"`)
		}
	}
	if bool(p.MkdirParents) {
		if err := mkdirAll(r, fsys, path.Dir(name)); err != nil {
			return err
		}
	}
	if err := s.multiUploads.Finish(r.Context(), u, end, fsys); err != nil {
		var known *identity.Error
		if !errors.As(err, &known) {
			err = fileerr.Typed(err)
		}
		return err
	}
	return s.writeFileInfo(w, r, fsys, name, http.StatusCreated)
}

// retryAfter is a Retry-After value in whole seconds.
func retryAfter(d time.Duration) string {
	return fmt.Sprint(int64((d + time.Second - 1) / time.Second))
}
