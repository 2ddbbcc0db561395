package web

import (
	"net/http"
	"path"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/usercontent"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Downloads. GET /files/{path} answers the file's metadata with a
// presigned download_uri (/file_downloads/{path}?…&signature=…) that
// needs no other credential, as Files.com's SDKs expect; GET
// /file_contents/{path} serves the same bytes to a caller with their
// credentials, for curl users. Both serve through usercontent (a passive
// download, never a page of the app), honour valid Range requests and
// ignore invalid ones.

// downloadFile answers GET /file_contents/{path} with the bytes.
func (s *server) downloadFile(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	return serveFile(w, r, fsys, filePath(r))
}

// presignedDownload answers GET /file_downloads/{path}?…&signature=…:
// the file's bytes to whoever holds the URI, while it has not expired
// and its user may still read the file.
func (s *server) presignedDownload(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	q := r.URL.Query()
	userID, okUser := positive(q, "user_id")
	exp, okExp := positive(q, "expires")
	apiKeyID, sessionID, okCred := parseCredential(q.Get("credential"))
	sig := q.Get("signature")
	if !okUser || !okExp || !okCred || sig == "" || len(q["signature"]) != 1 || len(q["credential"]) != 1 {
		return s.refusePresigned(r, c, "download", errSignatureMissing)
	}
	p := filePath(r)
	g := grant{siteID: c.site.ID, userID: userID, apiKeyID: apiKeyID, sessionID: sessionID}
	if !s.uriSigner.Verify(sig, downloadFields(g, p, exp)...) {
		return s.refusePresigned(r, c, "download", errSignatureInvalid)
	}
	if s.expired(exp) {
		return s.refusePresigned(r, c, "download", errDownloadURIExpired)
	}
	_, fsys, err := s.readmitGrant(r.Context(), c.site, g)
	if err != nil {
		return s.refusePresigned(r, c, "download of "+strconv.Quote(p), err)
	}
	return serveFile(w, r, fsys, p)
}

// serveFile serves the file at p of fsys as a passive download.
func serveFile(w http.ResponseWriter, r *http.Request, fsys vfs.FS, p string) error {
	f, err := fsys.Open(r.Context(), p)
	if err != nil {
		return fileerr.Typed(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileerr.Typed(err)
	}
	usercontent.Serve(w, r, path.Base(p), fi.ModTime(), f)
	return nil
}
