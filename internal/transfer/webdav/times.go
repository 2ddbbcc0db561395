package webdav

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// WebDAV has no standard way to set a file's modification time, so
// clients use their servers' own. Gatehouse keeps the ones real clients
// send:
//
//   - X-OC-Mtime on PUT (Unix seconds; ownCloud's, which rclone's webdav
//     backend sends for its rclone, owncloud, nextcloud and fastmail
//     vendors): the upload is committed with that time, and the answer
//     says X-OC-Mtime: accepted.
//   - PROPPATCH of DAV:lastmodified (Unix seconds; ownCloud's, rclone's
//     SetModTime for owncloud and nextcloud) and of Windows'
//     Win32LastModifiedTime (an HTTP date). Windows sends its other
//     Win32 times and attributes with it; they are accepted and not kept,
//     as SFTP's permissions are. Any other property is refused: Gatehouse
//     keeps no dead properties.

// ocMtimeHeader is ownCloud's modification-time header.
const ocMtimeHeader = "X-OC-Mtime"

var (
	ocLastModified     = xml.Name{Space: "DAV:", Local: "lastmodified"}
	microsoftNamespace = "urn:schemas-microsoft-com:"
	// win32Ignored are the Win32 properties accepted and not kept.
	win32Ignored = map[string]bool{"Win32CreationTime": true, "Win32LastAccessTime": true, "Win32FileAttributes": true}
)

// parseUnixTime reads Unix seconds, with an optional fraction, as
// X-OC-Mtime and DAV:lastmodified carry them.
func parseUnixTime(v string) (time.Time, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(v), ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || len(frac) > 9 || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, errors.New("a modification time must be Unix seconds, such as 1714978089")
	}
	var ns int64
	if frac != "" {
		ns, _ = strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	}
	if sec < -1<<40 || sec > 1<<40 {
		return time.Time{}, vfs.ErrInvalidTime
	}
	t := time.Unix(sec, ns)
	return t, vfs.CheckModTime(t)
}

// putModTime reads the X-OC-Mtime of a PUT (zero when there is none).
func putModTime(r *http.Request) (time.Time, error) {
	v := r.Header.Get(ocMtimeHeader)
	if r.Method != http.MethodPut || v == "" {
		return time.Time{}, nil
	}
	t, err := parseUnixTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", ocMtimeHeader, err)
	}
	return t, nil
}

// mtimeAccepted tells a client whose PUT carried X-OC-Mtime that its
// time was kept, on a successful answer only.
type mtimeAccepted struct {
	http.ResponseWriter
	wrote bool
}

func (w *mtimeAccepted) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if code >= 200 && code < 300 {
		w.Header().Set(ocMtimeHeader, "accepted")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *mtimeAccepted) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK) // as net/http does for a first Write
	}
	return w.ResponseWriter.Write(b)
}

// propFile is a file or folder opened for PROPPATCH: it keeps the
// modification times above and holds no dead properties.
type propFile struct {
	webdav.File
	ctx  context.Context
	fs   vfs.FS
	name string
	seen *refusals
}

func (propFile) DeadProps() (map[xml.Name]webdav.Property, error) { return nil, nil }

// Patch applies every patch or none (RFC 4918 §9.2): with one refused
// property, the others are answered 424 Failed Dependency.
func (f propFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	var when time.Time
	kept := webdav.Propstat{Status: http.StatusOK}
	refused := webdav.Propstat{Status: http.StatusForbidden}
	invalid := webdav.Propstat{Status: http.StatusConflict}
	for _, p := range patches {
		for _, prop := range p.Props {
			name := webdav.Property{XMLName: prop.XMLName}
			value := strings.TrimSpace(string(prop.InnerXML))
			switch {
			case p.Remove:
				refused.Props = append(refused.Props, name)
			case prop.XMLName == ocLastModified:
				t, err := parseUnixTime(value)
				if err != nil {
					invalid.Props = append(invalid.Props, name)
					continue
				}
				when = t
				kept.Props = append(kept.Props, name)
			case prop.XMLName.Space == microsoftNamespace && prop.XMLName.Local == "Win32LastModifiedTime":
				t, err := http.ParseTime(value)
				if err != nil || vfs.CheckModTime(t) != nil {
					invalid.Props = append(invalid.Props, name)
					continue
				}
				when = t
				kept.Props = append(kept.Props, name)
			case prop.XMLName.Space == microsoftNamespace && win32Ignored[prop.XMLName.Local]:
				kept.Props = append(kept.Props, name)
			case prop.XMLName == ocChecksums:
				// rclone (vendor owncloud) sends the checksum it knows with
				// the time. The storage's own is kept: one that agrees is
				// taken, one that does not is a conflict.
				if !f.checksumAgrees(value) {
					invalid.Props = append(invalid.Props, name)
					continue
				}
				kept.Props = append(kept.Props, name)
			default:
				refused.Props = append(refused.Props, name)
			}
		}
	}
	if len(refused.Props)+len(invalid.Props) > 0 {
		return failedPatch(kept, refused, invalid), nil
	}
	if !when.IsZero() {
		if err := f.fs.SetModTime(f.ctx, f.name, when); err != nil {
			if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
				f.seen.note(err)
				kept.Status = http.StatusForbidden
				return []webdav.Propstat{kept}, nil
			}
			return nil, err
		}
	}
	return []webdav.Propstat{kept}, nil
}

// failedPatch answers a PROPPATCH that changes nothing: the properties at
// fault with their status, the others 424.
func failedPatch(kept webdav.Propstat, bad ...webdav.Propstat) []webdav.Propstat {
	var out []webdav.Propstat
	for _, b := range bad {
		if len(b.Props) > 0 {
			out = append(out, b)
		}
	}
	if len(kept.Props) > 0 {
		out = append(out, webdav.Propstat{Status: webdav.StatusFailedDependency, Props: kept.Props})
	}
	return out
}
