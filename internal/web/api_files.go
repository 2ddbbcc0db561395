package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gatehouse/gatehouse/internal/httpbody"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// The REST files API follows Files.com's shapes: GET /files/{path} answers
// the file's metadata with a download_uri (api_downloads.go); an upload is
// begun, sent in parts to presigned upload_uris and ended
// (api_uploads.go). A plain POST /files/{path} whose body is the file (any
// content type but JSON or a form) uploads in one request, for curl users.

// isFileUpload reports whether a request carries file bytes, which are not
// held to the API's small body limit.
func isFileUpload(r *http.Request) bool {
	p := r.URL.Path
	return (r.Method == http.MethodPut && strings.HasPrefix(p, apiPrefix+"/file_uploads/")) ||
		(r.Method == http.MethodPost && strings.HasPrefix(p, apiPrefix+"/files/") && isRawBody(r))
}

// isPresignedDownload reports whether a request fetches a file by a
// presigned download_uri.
func isPresignedDownload(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, apiPrefix+"/file_downloads/")
}

func isRawBody(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct != "" && ct != "application/json" && ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data"
}

// filesFor is the caller's file view. A site-wide API key belongs to no
// user and so has no files.
func (s *server) filesFor(r *http.Request, c *apiCall) (vfs.FS, error) {
	if s.files == nil {
		return nil, identity.ErrNotFound.With("this server has no file storage configured")
	}
	if c.who.user.ID == 0 {
		return nil, identity.ErrNotAuthorized.With("a site-wide API key has no files; use a user's API key")
	}
	return s.files.For(r.Context(), c.site, c.who.user)
}

func filePath(r *http.Request) string { return "/" + strings.Trim(r.PathValue("path"), "/") }

// showFile answers GET /files/{path}: the file's metadata and where to
// download it (download_uri, presigned: see api_downloads.go).
func (s *server) showFile(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	p := filePath(r)
	fi, err := fsys.Stat(r.Context(), p)
	if err != nil {
		return fileerr.Typed(err)
	}
	f := s.renderFile(r.Context(), p, fi)
	if !fi.IsDir() {
		f.DownloadURI = s.downloadURI(c, p)
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// createFile answers POST /files/{path}: action=put begins an upload
// (api_uploads.go), action=end finishes one; a raw body uploads in one
// request.
func (s *server) createFile(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	p := filePath(r)
	if isRawBody(r) {
		up, err := fsys.Create(r.Context(), p, 0)
		if err != nil {
			return fileerr.Typed(err)
		}
		if n, err := io.Copy(up, r.Body); err != nil {
			_ = up.Abort()
			return uploadBrokeOff(err, n, "send it again")
		}
		if err := up.Commit(); err != nil {
			return fileerr.Typed(err)
		}
		return s.writeFileInfo(w, r, fsys, p, http.StatusCreated)
	}
	params, err := readUploadParams(r)
	if err != nil {
		return err
	}
	switch {
	case params.Action == "put":
		return s.startUpload(w, r, c, params)
	case params.Action == "end" && params.Ref != "":
		return s.endUpload(w, r, c, params)
	}
	return identity.ErrParamsRequired.With("send action=put to begin an upload, action=end with the ref to finish one, or the file itself as the body (Content-Type application/octet-stream)")
}

func (s *server) writeFileInfo(w http.ResponseWriter, r *http.Request, fsys vfs.FS, p string, status int) error {
	fi, err := fsys.Stat(r.Context(), p)
	if err != nil {
		return fileerr.Typed(err)
	}
	writeJSON(w, status, s.renderFile(r.Context(), p, fi))
	return nil
}

// deleteFile answers DELETE /files/{path}; recursive=true removes a folder
// with its contents.
func (s *server) deleteFile(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	p := filePath(r)
	var params struct {
		Recursive flexBool `json:"recursive"`
	}
	if err := readLenientJSON(r, &params); err != nil {
		return err
	}
	if params.Recursive || r.URL.Query().Get("recursive") == "true" {
		err = fsys.RemoveAll(r.Context(), p)
	} else {
		err = fsys.Remove(r.Context(), p)
	}
	if err != nil {
		return fileerr.Typed(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listFolder answers GET /folders/{path} (and /folders for the root) with
// the folder's entries in Files.com's order (orderFolder), paginated like
// every list.
func (s *server) listFolder(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	pg, err := folderPage(r)
	if err != nil {
		return err
	}
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	p := filePath(r)
	infos, err := fsys.ReadDir(r.Context(), p)
	if err != nil {
		return fileerr.Typed(err)
	}
	if infos, err = orderFolder(r, infos); err != nil {
		return err
	}
	type entry struct {
		pos  int64
		fi   fs.FileInfo
		sums vfs.Checksums
	}
	start := min(int(pg.afterID), len(infos))
	end := min(start+pg.perPage+1, len(infos))
	sums := vfs.ChecksumsOfEach(r.Context(), infos[start:end])
	items := make([]entry, 0, end-start)
	for i := start; i < end; i++ {
		items = append(items, entry{int64(i + 1), infos[i], sums[i-start]})
	}
	return writePage(w, pg, items, func(e entry) int64 { return e.pos },
		func(e entry) (any, error) { return renderFileWith(path.Join(p, e.fi.Name()), e.fi, e.sums), nil })
}

// createFolder answers POST /folders/{path}; mkdir_parents=true creates
// the folders above it first, as begin_upload does.
func (s *server) createFolder(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	var params struct {
		MkdirParents flexBool `json:"mkdir_parents"`
	}
	if err := readLenientJSON(r, &params); err != nil {
		return err
	}
	p := filePath(r)
	if wantsParents(r, params.MkdirParents) {
		if err := mkdirAll(r, fsys, path.Dir(p)); err != nil {
			return err
		}
	}
	if err := fsys.Mkdir(r.Context(), p); err != nil {
		return fileerr.Typed(err)
	}
	return s.writeFileInfo(w, r, fsys, p, http.StatusCreated)
}

// wantsParents reports whether a request asks for the missing folders
// above its path (mkdir_parents, in the body or the query).
func wantsParents(r *http.Request, inBody flexBool) bool {
	return bool(inBody) || r.URL.Query().Get("mkdir_parents") == "true"
}

// mkdirAll creates dir and the folders above it that are missing: the
// mkdir_parents of folder creation and begin_upload.
func mkdirAll(r *http.Request, fsys vfs.FS, dir string) error {
	if dir == "/" || dir == "." {
		return nil
	}
	if fi, err := fsys.Stat(r.Context(), dir); err == nil {
		if !fi.IsDir() {
			return fileerr.Action(fmt.Errorf("create folder %s: it is a file, not a folder: %w", dir, vfs.ErrParentNotDir))
		}
		return nil
	}
	if err := mkdirAll(r, fsys, path.Dir(dir)); err != nil {
		return err
	}
	if err := fsys.Mkdir(r.Context(), dir); err != nil && !errors.Is(err, vfs.ErrExist) {
		return fileerr.Typed(err)
	}
	return nil
}

// readLenientJSON reads the JSON body, if any, ignoring parameters
// Gatehouse does not use: Files.com's SDK sends many optional upload
// parameters (parts, size, with_rename, …) that a single-part upload to
// local storage has no use for.
func readLenientJSON(r *http.Request, dst any) error {
	if r.ContentLength == 0 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return nil
	}
	if err := json.NewDecoder(r.Body).Decode(dst); err != nil && !errors.Is(err, io.EOF) {
		return jsonError(err)
	}
	return nil
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// uploadBrokeOff is the answer to file bytes that stopped arriving: the
// upload is discarded, and the caller told why and what to do.
func uploadBrokeOff(err error, n int64, retry string) error {
	if httpbody.IsStalled(err) {
		return errBodyStalled.With("%s after %d bytes; nothing was stored, %s", err.Error(), n, retry)
	}
	return badFile("the upload broke off after %d bytes; nothing was stored, %s", n, retry)
}

func badFile(format string, args ...any) error {
	return (&identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-file", Title: "Invalid File"}).With(format, args...)
}
