package web

import (
	"context"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// fileJSON is Files.com's file object (the fields Gatehouse fills).
//
// Times: provided_mtime is the modification time clients set and read
// (Files.com's SDKs and rclone prefer it to mtime); Gatehouse keeps it as
// the file's own modification time, so every channel shows the same one.
// mtime is when the storage last changed the file (vfs.ChangedAt), as
// Files.com's server-side mtime is.
//
// Checksums: md5 and crc32 (CRC-32/IEEE, 8 hex digits) as computed while
// the file was uploaded; absent when unknown (see vfs.Checksums). rclone
// waits for md5 after each upload and compares both in `rclone check`.
type fileJSON struct {
	Path          string  `json:"path"`
	DisplayName   string  `json:"display_name"`
	Type          string  `json:"type"` // "file" or "directory"
	Size          int64   `json:"size"`
	Mtime         apiTime `json:"mtime"`
	ProvidedMtime apiTime `json:"provided_mtime"`
	MD5           string  `json:"md5,omitempty"`
	CRC32         string  `json:"crc32,omitempty"`
	MimeType      string  `json:"mime_type,omitempty"`
	Permissions   string  `json:"permissions"`
	DownloadURI   string  `json:"download_uri,omitempty"`
}

func (s *server) renderFile(ctx context.Context, p string, fi fs.FileInfo) fileJSON {
	return renderFileWith(p, fi, vfs.ChecksumsOf(ctx, fi))
}

// renderFileWith renders a file whose checksums were read already (a
// listing reads them in one pass, vfs.ChecksumsOfEach).
func renderFileWith(p string, fi fs.FileInfo, sums vfs.Checksums) fileJSON {
	f := fileJSON{Path: strings.TrimPrefix(p, "/"), DisplayName: path.Base(p), Size: fi.Size(),
		Mtime: apiTime(vfs.ChangedAt(fi)), ProvidedMtime: apiTime(fi.ModTime()), Permissions: "rwd"}
	if fi.IsDir() {
		f.Type, f.Size = "directory", 0
		return f
	}
	f.Type = "file"
	f.MimeType = mime.TypeByExtension(path.Ext(p))
	f.MD5, f.CRC32 = sums.MD5, sums.CRC32
	return f
}

// showFileMetadata answers GET /file_actions/metadata/{path}: the file or
// folder object without a download_uri, as Files.com's Go SDK (file.Find)
// and rclone read it after every upload. Its preview and priority-color
// options are accepted and have nothing to add.
func (s *server) showFileMetadata(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	return s.writeFileInfo(w, r, fsys, filePath(r), http.StatusOK)
}

// fileUpdate is the body of PATCH /files/{path}.
type fileUpdate struct {
	ProvidedMtime providedMtime `json:"provided_mtime"`
	// Files.com keeps these; Gatehouse does not, and says so rather than
	// answer success for a change it did not make.
	PriorityColor  json.RawMessage `json:"priority_color"`
	CustomMetadata json.RawMessage `json:"custom_metadata"`
}

// updateFile answers PATCH /files/{path}: provided_mtime sets the
// modification time of a file or folder (rclone's SetModTime and
// DirSetModTime, and its `touch`). The file's checksums stay.
func (s *server) updateFile(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var body fileUpdate
	if err := readJSONBody(r, &body); err != nil {
		return err
	}
	for name, v := range map[string]json.RawMessage{"priority_color": body.PriorityColor, "custom_metadata": body.CustomMetadata} {
		if len(v) > 0 && string(v) != "null" && string(v) != `""` {
			return identity.ErrInvalidParams.With("Gatehouse does not keep %s on files; send provided_mtime only", name)
		}
	}
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	p := filePath(r)
	if t := body.ProvidedMtime.t; !t.IsZero() {
		if err := fsys.SetModTime(r.Context(), p, t); err != nil {
			return fileerr.Typed(err)
		}
	}
	return s.writeFileInfo(w, r, fsys, p, http.StatusOK)
}

// providedMtime is a client's modification time for a file: an RFC 3339
// time (Files.com's SDKs send RFC 3339 with fractions), or null for none.
// A time the storage would not keep is refused here, before anything
// changes.
type providedMtime struct{ t time.Time }

func (m *providedMtime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return identity.ErrInvalidParams.With("provided_mtime must be an RFC 3339 time")
	}
	t, err := parseProvidedMtime(s)
	if err != nil {
		return err
	}
	m.t = t
	return nil
}

func parseProvidedMtime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, identity.ErrInvalidParams.With("provided_mtime must be an RFC 3339 time, such as 2024-05-06T07:08:09Z")
	}
	if err := vfs.CheckModTime(t); err != nil {
		return time.Time{}, identity.ErrInvalidParams.With("provided_mtime: %s", err.Error())
	}
	return t, nil
}
