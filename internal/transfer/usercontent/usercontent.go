// Package usercontent serves the bytes of users' files over HTTP so that
// they can never run as the app. Files arrive from anyone with an account
// (over WebDAV, SFTP, FTP or the REST API) but are served on the app's own
// origin, where a page that runs script could read the CSRF token and act
// with the session of whoever opens it (a site admin, say). So every
// channel that hands out file bytes over HTTP — WebDAV under /dav/, REST
// file_contents, and any later file browser — answers through this package:
//
//   - Content-Disposition: attachment, so a browser saves the file instead
//     of showing it;
//   - a Content-Type from an allow-list of passive types (text, images
//     other than SVG, PDF, audio, video), and application/octet-stream for
//     everything else, HTML, SVG, XML, JavaScript and CSS included;
//   - X-Content-Type-Options: nosniff, so the browser believes that type;
//   - Content-Security-Policy: sandbox, so even a document a browser were
//     to render anyway gets an opaque origin and no script.
//
// Nothing is served to be shown as a document of the app's origin. The
// web app's previews stay within that: an image of a passive type is
// drawn by an <img> element from its download (an image element runs
// nothing, and SVG is never among those types), and text is read by the
// server and drawn escaped inside the page.
package usercontent

import (
	"io"
	"net/http"
	"path"
	"strings"
	"time"
)

// Policy is the Content-Security-Policy of every response that carries a
// user's file or answers a file channel: a sandboxed document with an
// opaque origin that may load nothing and may not be framed.
const Policy = "sandbox; default-src 'none'; frame-ancestors 'none'"

// octetStream is the type of every file whose extension is not known to be
// passive.
const octetStream = "application/octet-stream"

// passiveTypes maps lower-case extensions to types a browser only ever
// displays, never runs. Anything absent (.html, .svg, .xml, .js, .css,
// .xhtml, .json, …) is served as application/octet-stream. The table is
// fixed rather than the system's mime.types, which differs by machine and
// maps active types too.
var passiveTypes = map[string]string{
	".txt": "text/plain; charset=utf-8", ".text": "text/plain; charset=utf-8", ".log": "text/plain; charset=utf-8",
	".csv": "text/csv; charset=utf-8",

	".png": "image/png", ".apng": "image/apng", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".avif": "image/avif", ".bmp": "image/bmp", ".ico": "image/x-icon",
	".tif": "image/tiff", ".tiff": "image/tiff", ".heic": "image/heic",

	".pdf": "application/pdf",

	".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".wav": "audio/wav", ".flac": "audio/flac",
	".oga": "audio/ogg", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".weba": "audio/webm",

	".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".mov": "video/quicktime",
}

// ContentType is the type a file named name is served as: a passive type
// when its extension has one, application/octet-stream otherwise.
func ContentType(name string) string {
	if t, ok := passiveTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return octetStream
}

// Disposition is the Content-Disposition that makes a browser save the
// file under its own name (RFC 6266): an ASCII fallback in filename for
// old clients, the exact UTF-8 name in filename*.
func Disposition(name string) string {
	name = path.Base("/" + name)
	if name == "/" || name == "." {
		name = "download"
	}
	return `attachment; filename="` + asciiFallback(name) + `"; filename*=UTF-8''` + encodeExtValue(name)
}

// asciiFallback replaces what a quoted-string cannot carry plainly (quotes,
// backslashes, controls, non-ASCII) with "_".
func asciiFallback(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%' {
			b.WriteByte('_')
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// encodeExtValue percent-encodes every byte that is not an RFC 8187
// attr-char.
func encodeExtValue(name string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Serve answers a GET or HEAD with a file's bytes as a passive download,
// honouring valid Range requests (single, multiple, suffix, If-Range) and
// the conditional headers as http.ServeContent does, and ignoring an
// invalid Range header (ranges.go). Its error answers (416, 412) are plain
// text without the download headers.
func Serve(w http.ResponseWriter, r *http.Request, name string, modtime time.Time, content io.ReadSeeker) {
	dropInvalidRange(r)
	gw := newGuardWriter(w, name, true)
	gw.prepare()
	http.ServeContent(gw, r, "", modtime, content)
	gw.finish()
}

// Guard wraps a handler that serves users' files by its own means (the
// WebDAV handler, which picks its own Content-Type): every response gets
// Policy and nosniff; a successful answer to a read (GET, HEAD, and POST,
// which golang.org/x/net/webdav answers like GET) becomes a passive
// download named after the last path segment, whatever type the handler
// chose; and error answers become plain text, so nothing a handler echoes
// can be taken for markup. An invalid Range header of a read is ignored,
// as Serve ignores it.
func Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPost
		if read {
			dropInvalidRange(r)
		}
		gw := newGuardWriter(w, path.Base(r.URL.Path), read)
		gw.prepare()
		next.ServeHTTP(gw, r)
		gw.finish()
	})
}
