package web

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/webapp"
)

// appBrowser signs a password user in and returns the browser with the
// CSRF token every web-app form carries (one per browser, whichever page
// shows it).
func appBrowser(t *testing.T, h *harness, name string, admin bool) (*browser, store.User, string) {
	t.Helper()
	u := h.createUser(name, admin)
	b := newBrowser(h)
	if p := b.login(name, strongPassword); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %d %s", name, p.status, p.body)
	}
	return b, u, b.csrf("/files/")
}

// browserUpload sends a file the way the web app's script does: the REST
// API's begin_upload, each part PUT to its presigned URI, then the end,
// all with the browser's session and the CSRF token as X-CSRF-Token.
func browserUpload(t *testing.T, b *browser, token, p string, data []byte, partSize int) {
	t.Helper()
	parts := max(1, (len(data)+partSize-1)/partSize)
	api := func(path string, body any) []byte {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", b.h.srv.URL+"/api/rest/v1"+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", token)
		res, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, out)
		}
		return out
	}
	var begun []struct {
		Ref       string `json:"ref"`
		UploadURI string `json:"upload_uri"`
	}
	esc := strings.TrimPrefix(p, "/")
	if err := json.Unmarshal(api("/file_actions/begin_upload/"+esc, map[string]any{"size": len(data), "parts": parts, "mkdir_parents": true}), &begun); err != nil {
		t.Fatal(err)
	}
	for i, part := range begun {
		chunk := data[i*partSize : min((i+1)*partSize, len(data))]
		req, _ := http.NewRequest("PUT", part.UploadURI, bytes.NewReader(chunk))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode >= 300 {
			t.Fatalf("PUT part %d: %v %v", i+1, err, res)
		}
		res.Body.Close()
	}
	api("/files/"+esc, map[string]any{"action": "end", "ref": begun[0].Ref, "size": len(data)})
}

var rowName = regexp.MustCompile(`name="sel" value="([^"]+)"`)

func rowNames(body string) []string {
	var out []string
	for _, m := range rowName.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestFilePagesBrowseAndAct: a user uploads as the page's script does,
// sees the files, pages through a large folder in the order asked, and
// makes a folder, renames, copies, moves and deletes (after a
// confirmation) through the forms.
func TestFilePagesBrowseAndAct(t *testing.T) {
	h := newHarness(t)
	expectRedirect(t, newBrowser(h).do("GET", "/files/", nil), "/login")
	b, _, token := appBrowser(t, h, "alice", false)

	big := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640,000 bytes in 3 parts
	browserUpload(t, b, token, "/docs/report.txt", big, 256<<10)
	browserUpload(t, b, token, "/empty.txt", nil, 256<<10)
	if d := b.do("GET", "/download/docs/report.txt", nil); d.status != 200 || d.body != string(big) {
		t.Fatalf("download: %d, %d bytes", d.status, len(d.body))
	}
	root := b.do("GET", "/files/", nil)
	mustContain(t, root, 200, `href="/files/docs/"`, `value="empty.txt"`, `name="csrf-token"`)

	for i := range 250 {
		browserUpload(t, b, token, fmt.Sprintf("/many/f%03d.txt", i), bytes.Repeat([]byte("x"), i), 1<<20)
	}
	p1 := b.do("GET", "/files/many/", nil)
	if names := rowNames(p1.body); len(names) != webapp.PageSize || names[0] != "f000.txt" {
		t.Fatalf("page 1: %d names, first %v", len(names), names[:1])
	}
	p3 := b.do("GET", "/files/many/?page=3", nil)
	if names := rowNames(p3.body); len(names) != 50 || names[49] != "f249.txt" {
		t.Fatalf("page 3: %d names", len(names))
	}
	bySize := b.do("GET", "/files/many/?sort=size&order=desc", nil)
	if names := rowNames(bySize.body); names[0] != "f249.txt" {
		t.Fatalf("largest first: %v", names[:3])
	}
	if names := rowNames(b.do("GET", "/files/many/?q=F12", nil).body); len(names) != 10 {
		t.Fatalf("filter f12: %v", names)
	}

	post := func(dir string, form url.Values) page {
		form.Set("csrf_token", token)
		return b.do("POST", "/files/"+dir, form)
	}
	expectRedirect(t, post("", url.Values{"op": {"mkdir"}, "name": {"archive"}}), "/files/?done=mkdir")
	expectRedirect(t, post("docs", url.Values{"op": {"rename"}, "sel": {"report.txt"}, "to_name": {"q3 report.txt"}}), "/files/docs/?done=rename")
	expectRedirect(t, post("docs", url.Values{"op": {"copy"}, "sel": {"q3 report.txt"}, "to": {"/archive"}}), "/files/docs/?done=copy")
	expectRedirect(t, post("", url.Values{"op": {"move"}, "sel": {"empty.txt"}, "to": {"/archive"}}), "/files/?done=move")
	arch := b.do("GET", "/files/archive/", nil)
	if names := rowNames(arch.body); strings.Join(names, ",") != "empty.txt,q3 report.txt" {
		t.Fatalf("archive holds %v", names)
	}
	if d := b.do("GET", "/download/archive/q3%20report.txt", nil); d.body != string(big) {
		t.Fatal("the copy differs")
	}

	// Delete asks first and removes nothing until confirmed.
	ask := post("", url.Values{"op": {"delete"}, "sel": {"archive", "docs"}})
	mustContain(t, ask, 200, `name="confirm" value="yes"`, "<code>archive</code>")
	if names := rowNames(b.do("GET", "/files/", nil).body); !strings.Contains(strings.Join(names, ","), "archive") {
		t.Fatal("the delete ran before it was confirmed")
	}
	expectRedirect(t, post("", url.Values{"op": {"delete"}, "sel": {"archive", "docs"}, "confirm": {"yes"}}), "/files/?done=delete")
	if names := rowNames(b.do("GET", "/files/", nil).body); strings.Join(names, ",") != "many" {
		t.Fatalf("after delete: %v", names)
	}
}

// TestFilePagesZipAndDownloadArePassive: a folder and a selection come as
// zips holding every file; a user's HTML file downloads as an attachment
// in a sandbox and its preview draws the markup as text.
func TestFilePagesZipAndDownloadArePassive(t *testing.T) {
	h := newHarness(t)
	b, _, token := appBrowser(t, h, "bob", false)
	evil := []byte(`<script>fetch("/api/rest/v1/api_keys")</script>`)
	browserUpload(t, b, token, "/site/index.html", evil, 1<<20)
	browserUpload(t, b, token, "/site/a/b/notes.txt", []byte("deep"), 1<<20)

	d := b.do("GET", "/download/site/index.html", nil)
	if d.status != 200 || !strings.HasPrefix(d.header.Get("Content-Disposition"), "attachment") ||
		d.header.Get("Content-Type") != "application/octet-stream" || !strings.Contains(d.header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("download headers: %d %v", d.status, d.header)
	}
	pv := b.do("GET", "/preview/site/index.html", nil)
	mustContain(t, pv, 200, "&lt;script&gt;fetch(")
	if strings.Contains(pv.body, string(evil)) {
		t.Fatal("the preview carries the file's markup as markup")
	}

	read := func(p page) map[string]string {
		t.Helper()
		if p.status != 200 || p.header.Get("Content-Type") != "application/zip" {
			t.Fatalf("zip: %d %v %s", p.status, p.header, p.body)
		}
		zr, err := zip.NewReader(strings.NewReader(p.body), int64(len(p.body)))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, f := range zr.File {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			out[f.Name] = string(data)
		}
		return out
	}
	got := read(b.do("GET", "/zip/site", nil))
	if got["site/index.html"] != string(evil) || got["site/a/b/notes.txt"] != "deep" || len(got) != 5 {
		t.Fatalf("folder zip: %v", got)
	}
	sel := read(b.do("POST", "/zip/site", url.Values{"csrf_token": {token}, "sel": {"a"}}))
	if sel["a/b/notes.txt"] != "deep" || len(sel) != 3 {
		t.Fatalf("selection zip: %v", sel)
	}
}

// TestFilePagesRefuseHostileInput: names that are paths, a forged form, a
// path out of the user's view and another user's folder are refused with
// a clear answer, and nothing changes.
func TestFilePagesRefuseHostileInput(t *testing.T) {
	h := newHarness(t)
	b, _, token := appBrowser(t, h, "carol", false)
	other, _, otherToken := appBrowser(t, h, "dave", false)
	browserUpload(t, other, otherToken, "/secret.txt", []byte("dave's"), 1<<20)
	browserUpload(t, b, token, "/keep.txt", []byte("keep"), 1<<20)

	for _, sel := range []string{"../dave", "a/../../keep.txt", "..", "", "x\x00y"} {
		p := b.do("POST", "/files/", url.Values{"csrf_token": {token}, "op": {"delete"}, "sel": {sel}, "confirm": {"yes"}})
		if p.status != http.StatusBadRequest && p.status != http.StatusUnprocessableEntity {
			t.Fatalf("delete %q: %d %s", sel, p.status, p.body)
		}
	}
	if p := b.do("POST", "/files/", url.Values{"csrf_token": {"forged"}, "op": {"delete"}, "sel": {"keep.txt"}, "confirm": {"yes"}}); p.status != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", p.status)
	}
	for _, path := range []string{"/files/users/", "/download/users/dave/secret.txt", "/download/..%2f..%2fetc/passwd", "/zip/users"} {
		if p := b.do("GET", path, nil); p.status < 400 || strings.Contains(p.body, "dave's") {
			t.Fatalf("GET %s: %d %s", path, p.status, p.body)
		}
	}
	if p := b.do("POST", "/files/", url.Values{"csrf_token": {token}, "op": {"move"}, "sel": {"keep.txt"}, "to": {"/users/dave"}}); p.status < 400 {
		t.Fatalf("move into another user's folder: %d", p.status)
	}
	if d := b.do("GET", "/download/keep.txt", nil); d.body != "keep" {
		t.Fatalf("keep.txt changed: %d %q", d.status, d.body)
	}
	if d := other.do("GET", "/download/secret.txt", nil); d.body != "dave's" {
		t.Fatalf("dave's file changed: %d %q", d.status, d.body)
	}
}
