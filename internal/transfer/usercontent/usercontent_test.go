package usercontent

import (
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestContentTypeAllowsOnlyPassiveTypes(t *testing.T) {
	for name, want := range map[string]string{
		"notes.txt": "text/plain; charset=utf-8", "photo.JPG": "image/jpeg", "scan.pdf": "application/pdf",
		"song.mp3": "audio/mpeg", "clip.webm": "video/webm", "data.csv": "text/csv; charset=utf-8",
		"page.html": octetStream, "page.HTM": octetStream, "logo.svg": octetStream, "feed.xml": octetStream,
		"app.js": octetStream, "app.mjs": octetStream, "site.css": octetStream, "doc.xhtml": octetStream,
		"data.json": octetStream, "movie.swf": octetStream, "noext": octetStream, ".htaccess": octetStream,
		"evil.html.txt": "text/plain; charset=utf-8", "evil.txt.html": octetStream, "x.shtml": octetStream,
	} {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestDispositionNamesTheFileSafely(t *testing.T) {
	for name, want := range map[string]string{
		"report.pdf":         `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
		"a b\"c\\d.txt":      `attachment; filename="a b_c_d.txt"; filename*=UTF-8''a%20b%22c%5Cd.txt`,
		"Übersicht €.xlsx":   `attachment; filename="__bersicht ___.xlsx"; filename*=UTF-8''%C3%9Cbersicht%20%E2%82%AC.xlsx`,
		"x\r\nSet-Cookie: a": `attachment; filename="x__Set-Cookie: a"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a`,
		"dir/inner.txt":      `attachment; filename="inner.txt"; filename*=UTF-8''inner.txt`,
		"":                   `attachment; filename="download"; filename*=UTF-8''download`,
	} {
		got := Disposition(name)
		if got != want {
			t.Errorf("Disposition(%q) = %s, want %s", name, got, want)
		}
		if _, params, err := mime.ParseMediaType(got); err != nil || params["filename"] == "" {
			t.Errorf("Disposition(%q) does not parse: %v %v", name, params, err)
		}
	}
}

// TestGuardOverridesTheHandler: whatever type a handler picks for a file,
// the answer is a sandboxed download; its errors are plain text; answers
// that are not file reads keep their type and get the policy.
func TestGuardOverridesTheHandler(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/files/evil.html":
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Security-Policy", "default-src 'self'")
			io.WriteString(w, "<script>alert(1)</script>")
		case "/files/multi.txt":
			http.ServeContent(w, r, "multi.txt", time.Time{}, strings.NewReader("0123456789"))
		case "/files/folder":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusMethodNotAllowed)
			io.WriteString(w, "<b>folder</b>")
		default:
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusMultiStatus)
			io.WriteString(w, "<multistatus/>")
		}
	})
	srv := httptest.NewServer(Guard(inner))
	defer srv.Close()
	send := func(method, path string, headers ...string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.Header.Get("Content-Security-Policy") != Policy || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: policy headers %v", method, path, res.Header)
		}
		return res
	}
	for _, m := range []string{"GET", "HEAD", "POST"} {
		res := send(m, "/files/evil.html")
		if res.Header.Get("Content-Type") != octetStream || !strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="evil.html"`) {
			t.Errorf("%s evil.html: %v", m, res.Header)
		}
	}
	res := send("GET", "/files/multi.txt", "Range", "bytes=0-1,4-5")
	if res.StatusCode != http.StatusPartialContent || !strings.HasPrefix(res.Header.Get("Content-Type"), "multipart/byteranges") ||
		res.Header.Get("Content-Disposition") == "" {
		t.Errorf("multi-range: %d %v", res.StatusCode, res.Header)
	}
	res = send("GET", "/files/folder")
	if res.Header.Get("Content-Type") != "text/plain; charset=utf-8" || res.Header.Get("Content-Disposition") != "" {
		t.Errorf("error answer: %v", res.Header)
	}
	res = send("PROPFIND", "/files/")
	if res.Header.Get("Content-Type") != "text/xml; charset=utf-8" || res.Header.Get("Content-Disposition") != "" {
		t.Errorf("PROPFIND answer: %v", res.Header)
	}
}

// TestServeRangesAndErrors: Serve keeps http.ServeContent's ranges and
// conditionals, and its error answers carry no download headers.
func TestServeRangesAndErrors(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Serve(w, r, "photo.png", mod, strings.NewReader("0123456789"))
	}))
	defer srv.Close()
	get := func(headers ...string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get("Range", "bytes=2-4")
	if res.StatusCode != http.StatusPartialContent || body != "234" || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("Content-Security-Policy") != Policy {
		t.Errorf("range: %d %q %v", res.StatusCode, body, res.Header)
	}
	res, _ = get("Range", "bytes=50-60")
	if res.StatusCode != http.StatusRequestedRangeNotSatisfiable || res.Header.Get("Content-Disposition") != "" ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("unsatisfiable range: %d %v", res.StatusCode, res.Header)
	}
	res, _ = get("If-Modified-Since", mod.Format(http.TimeFormat))
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional: %d", res.StatusCode)
	}
}
