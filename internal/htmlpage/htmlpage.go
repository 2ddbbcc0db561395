// Package htmlpage is what the server-rendered front ends (the admin
// console, the web app) share to draw their pages: each page parsed once
// with the front end's layout, written whole or not at all, and the
// embedded stylesheets and scripts served with a cache lifetime.
package htmlpage

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
)

// Set is a front end's pages, each parsed with the shared layout.
type Set struct {
	byName map[string]*template.Template
	log    *slog.Logger
}

// Parse parses templates/layout.html with templates/NAME.html for each
// name, from fsys, with funcs.
func Parse(fsys fs.FS, funcs template.FuncMap, log *slog.Logger, names ...string) (*Set, error) {
	s := &Set{byName: map[string]*template.Template{}, log: log}
	for _, name := range names {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		s.byName[name] = t
	}
	return s, nil
}

// Render writes page name with data. The page is drawn into memory
// first: a template failure is logged and answered as a plain 500, since
// a half-written page is worse than none.
func (s *Set) Render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	t, ok := s.byName[name]
	if !ok {
		s.log.Error("rendering a page failed", "page", name, "err", "no such page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("rendering a page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Asset serves the embedded file assets/NAME of fsys, public and cached
// for an hour. It panics at start-up when the file is missing, which is
// a build mistake.
func Asset(fsys fs.FS, name, contentType string) http.HandlerFunc {
	body, err := fs.ReadFile(fsys, "assets/"+name)
	if err != nil {
		panic("htmlpage: missing asset " + name)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(body)
	}
}

// RedirectTo answers with a pointer to path.
func RedirectTo(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, path, http.StatusSeeOther)
	}
}
