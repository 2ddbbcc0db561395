package usercontent

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestServeRanges: valid ranges are answered (single, several, suffix,
// open-ended, If-Range), an invalid Range header is ignored and the whole
// file answered, and a valid range past the end is 416.
func TestServeRanges(t *testing.T) {
	const body = "0123456789"
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	serve := func(headers ...string) (int, http.Header, string) {
		r := httptest.NewRequest("GET", "/f.bin", nil)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Add(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		Serve(w, r, "f.bin", mod, strings.NewReader(body))
		b, _ := io.ReadAll(w.Result().Body)
		return w.Code, w.Result().Header, string(b)
	}
	for _, c := range []struct {
		rng    string
		status int
		body   string
	}{
		{"bytes=0--1", 200, body}, // rclone's whole empty file
		{"bytes=5-3", 200, body},  // last before first
		{"bytes=abc", 200, body},
		{"items=0-1", 200, body},
		{"bytes=-", 200, body},
		{"bytes=1-2-3", 200, body},
		{"bytes= 0-1x", 200, body},
		{"bytes=" + strings.Repeat("0-0,", 101) + "0-0", 200, body},
		{"bytes=2-4", 206, "234"},
		{"bytes=7-", 206, "789"},
		{"bytes=-3", 206, "789"},
		{"bytes=0-99", 206, body},
		{"bytes=10-", 416, ""},
	} {
		code, h, got := serve("Range", c.rng)
		if code != c.status || (c.body != "" && got != c.body) {
			t.Errorf("Range %q: %d %q, want %d %q", c.rng, code, got, c.status, c.body)
		}
		if code == 200 && h.Get("Content-Disposition") == "" {
			t.Errorf("Range %q: a whole-file answer lost its download headers", c.rng)
		}
	}
	// Two Range headers are no valid header: ignored.
	if code, _, got := serve("Range", "bytes=0-1", "Range", "bytes=3-4"); code != 200 || got != body {
		t.Errorf("two Range headers: %d %q", code, got)
	}
	code, h, got := serve("Range", "bytes=0-1, 8-9")
	if code != 206 || !strings.HasPrefix(h.Get("Content-Type"), "multipart/byteranges") || !strings.Contains(got, "01") || !strings.Contains(got, "89") {
		t.Errorf("two ranges: %d %s %q", code, h.Get("Content-Type"), got)
	}
	if code, _, got := serve("Range", "bytes=2-3", "If-Range", mod.Format(http.TimeFormat)); code != 206 || got != "23" {
		t.Errorf("If-Range of the current date: %d %q", code, got)
	}
	if code, _, got := serve("Range", "bytes=2-3", "If-Range", mod.Add(-time.Hour).Format(http.TimeFormat)); code != 200 || got != body {
		t.Errorf("If-Range of an older date: %d %q, want the whole file", code, got)
	}
}
