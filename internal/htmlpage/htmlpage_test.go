package htmlpage

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestRenderIsWholeOrNothing(t *testing.T) {
	set, err := Parse(os.DirFS("testdata"), nil, slog.New(slog.NewTextHandler(io.Discard, nil)), "hello")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	set.Render(rec, http.StatusTeapot, "hello", map[string]any{"Name": "<b>", "Fail": nil})
	if rec.Code != http.StatusTeapot || rec.Body.String() != "<main>Hello &lt;b&gt;</main>" || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	// A template that fails half-way sends none of what it drew.
	rec = httptest.NewRecorder()
	set.Render(rec, http.StatusOK, "hello", map[string]any{"Name": "x", "Fail": func() (string, error) { return "", errors.New("boom") }})
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "Hello") {
		t.Fatalf("a failing template: %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	set.Render(rec, http.StatusOK, "missing", nil)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("a missing page: %d", rec.Code)
	}
	if _, err := Parse(os.DirFS("testdata"), nil, nil, "absent"); err == nil {
		t.Fatal("a page without a template parsed")
	}
}

func TestAssetIsServedCached(t *testing.T) {
	h := Asset(os.DirFS("testdata"), "x.css", "text/css; charset=utf-8")
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("GET", "/x.css", nil))
	if rec.Body.String() != "body{}\n" || rec.Header().Get("Cache-Control") != "public, max-age=3600" || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("%q %v", rec.Body.String(), rec.Header())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a missing asset did not stop the start")
		}
	}()
	Asset(os.DirFS("testdata"), "nope.js", "text/javascript")
}
