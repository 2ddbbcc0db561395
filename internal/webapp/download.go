package webapp

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/usercontent"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// download answers GET /download/{path...}: the file as a passive
// download (usercontent), with ranges, so a browser can resume it.
func (a *App) download(w http.ResponseWriter, r *http.Request, c *Call) {
	p := cleanPath(r)
	f, ok := a.open(w, r, c, p)
	if !ok {
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		a.fail(w, r, c, err)
		return
	}
	usercontent.Serve(w, r, path.Base(p), fi.ModTime(), f)
}

// open opens file p of the caller's view for reading; when it cannot, it
// answers the refusal and reports false.
func (a *App) open(w http.ResponseWriter, r *http.Request, c *Call, p string) (vfs.File, bool) {
	fsys, err := a.fsFor(r, c)
	if err != nil {
		a.fail(w, r, c, err)
		return nil, false
	}
	f, err := fsys.Open(r.Context(), p)
	if err != nil {
		a.fail(w, r, c, fileerr.Typed(err))
		return nil, false
	}
	return f, true
}

// zipFolder answers GET /zip/{folder...}: the folder and everything in
// it as one zip, streamed as it is read.
func (a *App) zipFolder(w http.ResponseWriter, r *http.Request, c *Call) {
	fsys, err := a.fsFor(r, c)
	if err != nil {
		a.fail(w, r, c, err)
		return
	}
	p := cleanPath(r)
	fi, err := fsys.Stat(r.Context(), p)
	if err == nil && !fi.IsDir() {
		err = vfs.ErrNotDir
	}
	if err != nil {
		a.fail(w, r, c, fileerr.Typed(err))
		return
	}
	name := path.Base(p)
	if p == "/" {
		name = "files"
	}
	a.streamZip(w, r, fsys, name+".zip", path.Dir(p), []string{path.Base(p)}, p == "/")
}

// zipSelection answers POST /zip/{folder...}: the entries selected in
// the folder as one zip.
func (a *App) zipSelection(w http.ResponseWriter, r *http.Request, c *Call) {
	fsys, err := a.fsFor(r, c)
	if err != nil {
		a.fail(w, r, c, err)
		return
	}
	dir := cleanPath(r)
	sel, err := selected(r)
	if err == nil && len(sel) == 0 {
		err = identity.ErrInvalidParams.With("select what to download first")
	}
	if err != nil {
		a.showFolder(w, r, c, dir, http.StatusBadRequest, "", identity.AsError(err).Message)
		return
	}
	for _, n := range sel {
		if _, err := fsys.Stat(r.Context(), path.Join(dir, n)); err != nil {
			a.fail(w, r, c, fileerr.Typed(err))
			return
		}
	}
	name := path.Base(dir)
	if dir == "/" {
		name = "files"
	}
	a.streamZip(w, r, fsys, name+".zip", dir, sel, false)
}

// streamZip writes the entries names of folder dir (with everything in
// the folders among them) as a zip. The files are stored, not
// compressed: the zip streams at the speed of the disk and the network,
// and most large files (media, archives, office documents) are
// compressed already. Once bytes are sent the status cannot change, so a
// failure part-way aborts the connection: the browser reports a failed
// download instead of saving a zip with files missing. root zips the
// top folder's contents without the folder itself.
func (a *App) streamZip(w http.ResponseWriter, r *http.Request, fsys vfs.FS, filename, dir string, names []string, root bool) {
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", usercontent.Disposition(filename))
	h.Set("Content-Security-Policy", usercontent.Policy)
	zw := zip.NewWriter(w)
	var err error
	if root {
		err = addFolderContents(r.Context(), zw, fsys, "/", "")
	} else {
		for _, n := range names {
			if err = addEntry(r.Context(), zw, fsys, path.Join(dir, n), n); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		if r.Context().Err() == nil {
			a.log.Warn("zip download broken off", "path", r.URL.Path, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}

// addEntry adds the file or folder at p to the zip under the name rel.
func addEntry(ctx context.Context, zw *zip.Writer, fsys vfs.FS, p, rel string) error {
	fi, err := fsys.Stat(ctx, p)
	if errors.Is(err, vfs.ErrNotExist) {
		return nil // removed since it was listed
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: rel + "/", Modified: fi.ModTime(), Method: zip.Store}); err != nil {
			return err
		}
		return addFolderContents(ctx, zw, fsys, p, rel+"/")
	}
	f, err := fsys.Open(ctx, p)
	if errors.Is(err, vfs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	out, err := zw.CreateHeader(&zip.FileHeader{Name: rel, Modified: fi.ModTime(), Method: zip.Store})
	if err != nil {
		return err
	}
	_, err = io.Copy(out, f)
	return err
}

func addFolderContents(ctx context.Context, zw *zip.Writer, fsys vfs.FS, p, prefix string) error {
	infos, err := fsys.ReadDir(ctx, p)
	if err != nil {
		return err
	}
	for _, fi := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := addEntry(ctx, zw, fsys, path.Join(p, fi.Name()), prefix+fi.Name()); err != nil {
			return err
		}
	}
	return nil
}

// previewBytes is how much of a text file its preview shows.
const previewBytes = 256 << 10

// previewData is the preview page's data.
type previewData struct {
	Path     string
	Crumbs   []crumb
	Kind     string // "image", "text" or "" (no preview)
	Image    string // the image's download URL
	Download string
	Text     string
	Cut      bool // the text is longer than the preview shows
}

// preview answers GET /preview/{path...}: an image shown by an <img>
// (the passive types only: never SVG, which can carry script), or the
// start of a text file drawn escaped inside the page. Nothing of the
// file is ever interpreted as markup or script of the app.
func (a *App) preview(w http.ResponseWriter, r *http.Request, c *Call) {
	p := cleanPath(r)
	f, ok := a.open(w, r, c, p)
	if !ok {
		return
	}
	defer f.Close()
	d := previewData{Path: p, Crumbs: breadcrumbs(path.Dir(p)), Kind: previewKind(p), Download: "/download/" + escapePath(p)}
	switch d.Kind {
	case "image":
		d.Image = d.Download
	case "text":
		buf := make([]byte, previewBytes+1)
		n, err := io.ReadFull(f, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			a.fail(w, r, c, err)
			return
		}
		d.Cut = n > previewBytes
		text := buf[:min(n, previewBytes)]
		for i := 0; i < utf8.UTFMax-1 && d.Cut && !utf8.Valid(text); i++ {
			text = text[:len(text)-1] // a character cut at the end
		}
		if !utf8.Valid(text) || strings.ContainsRune(string(text), 0) {
			d.Kind = ""
		} else {
			d.Text = string(text)
		}
	}
	a.render(w, c, http.StatusOK, "preview", view{Title: path.Base(p), Section: "files", Data: d})
}
