package webdav

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
	"github.com/gatehouse/gatehouse/internal/transfer/usercontent"
)

// TestAnswersNeverCarryActiveContent: with curl, every kind of WebDAV
// answer about an uploaded page — GET, HEAD, a Range, PROPFIND, a folder
// GET, a missing file, a refused sign-in — carries the sandboxing policy
// and nosniff; the file comes as an attachment of a passive type, and
// PROPFIND reports the type GET serves.
func TestAnswersNeverCarryActiveContent(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	auth := "alice:" + pw
	if code, body := curl(t, "-u", auth, "-T", "-", base+"/dav/page.html"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	headers := func(args ...string) (int, http.Header) {
		t.Helper()
		code, out := curl(t, append([]string{"-D", "-", "-o", "/dev/null"}, args...)...)
		hdr := http.Header{}
		for _, line := range strings.Split(out, "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
				hdr.Add(k, strings.TrimSpace(v))
			}
		}
		return code, hdr
	}
	for _, c := range []struct {
		name     string
		args     []string
		download bool
	}{
		{"GET", []string{"-u", auth, base + "/dav/page.html"}, true},
		{"HEAD", []string{"-u", auth, "-I", base + "/dav/page.html"}, true},
		{"Range", []string{"-u", auth, "-r", "0-3", base + "/dav/page.html"}, true},
		{"POST", []string{"-u", auth, "-X", "POST", base + "/dav/page.html"}, true},
		{"PROPFIND", []string{"-u", auth, "-X", "PROPFIND", "-H", "Depth: 1", base + "/dav/"}, false},
		{"folder GET", []string{"-u", auth, base + "/dav/"}, false},
		{"missing", []string{"-u", auth, base + "/dav/%3Cscript%3Ealert(1)%3C%2Fscript%3E.html"}, false},
		{"refused", []string{"-u", "alice:wrong", base + "/dav/page.html"}, false},
	} {
		code, hdr := headers(c.args...)
		if hdr.Get("Content-Security-Policy") != usercontent.Policy || hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d without the policy: %v", c.name, code, hdr)
		}
		ct, cd := hdr.Get("Content-Type"), hdr.Get("Content-Disposition")
		switch {
		case c.download && (code >= 300 || ct != "application/octet-stream" || !strings.HasPrefix(cd, "attachment;")):
			t.Errorf("%s: %d %s %s, want an octet-stream attachment", c.name, code, ct, cd)
		case !c.download && (cd != "" || strings.Contains(ct, "html")):
			t.Errorf("%s: %d %s %s", c.name, code, ct, cd)
		}
	}
	_, body := curl(t, "-u", auth, "-X", "PROPFIND", "-H", "Depth: 1", base+"/dav/")
	if !strings.Contains(body, "<D:getcontenttype>application/octet-stream</D:getcontenttype>") || strings.Contains(body, "text/html") {
		t.Errorf("PROPFIND reports another type than GET serves:\n%s", body)
	}
}

// TestGetRanges: WebDAV GET answers ranges as the REST downloads do
// (usercontent): a valid range is 206, an invalid Range header (rclone's
// "bytes=0--1", last before first) is ignored and the whole file served,
// and a valid range past the end is 416.
func TestGetRanges(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	auth := "alice:" + pw
	if code, body := curl(t, "-u", auth, "--data-binary", "0123456789", "-X", "PUT", base+"/dav/digits.txt"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	for _, c := range []struct {
		rng    string
		status int
		body   string
	}{
		{"bytes=0--1", http.StatusOK, "0123456789"},
		{"bytes=5-3", http.StatusOK, "0123456789"},
		{"bytes=2-4", http.StatusPartialContent, "234"},
		{"bytes=-2", http.StatusPartialContent, "89"},
		{"bytes=10-", http.StatusRequestedRangeNotSatisfiable, ""},
	} {
		code, body := curl(t, "-u", auth, "-H", "Range: "+c.rng, base+"/dav/digits.txt")
		if code != c.status || (c.body != "" && body != c.body) {
			t.Errorf("Range %q: %d %q, want %d %q", c.rng, code, body, c.status, c.body)
		}
	}
}
