package webdav

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// lockWith sends a LOCK with curl and returns the status and the answer,
// headers included.
func lockWith(t *testing.T, url, auth string, headers ...string) (int, string) {
	t.Helper()
	args := []string{"-i", "-u", auth, "-X", "LOCK", "-H", "Content-Type: application/xml", "--data-binary", lockBodyOf("curl")}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	return curl(t, append(args, url)...)
}

func lockBodyOf(owner string) string {
	return `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
		`<D:locktype><D:write/></D:locktype><D:owner>` + owner + `</D:owner></D:lockinfo>`
}

// TestLockAnswerDescribesTheLock: the answer to a LOCK names the locked
// resource by its URL under /dav/, for a new lock, a new file and a
// refresh, even when the owner a client sent holds the same markup.
func TestLockAnswerDescribesTheLock(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	auth := "alice:" + pw
	if code, body := curl(t, "-u", auth, "-T", "-", base+"/dav/doc.txt"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, answer := lockWith(t, base+"/dav/doc.txt", auth, "Timeout: Second-600")
	if code != http.StatusOK || !strings.Contains(answer, "<D:lockroot><D:href>/dav/doc.txt</D:href></D:lockroot>") {
		t.Fatalf("LOCK of a file: %d\n%s", code, answer)
	}
	token := headerOf(answer, "Lock-Token")
	code, answer = curl(t, "-i", "-u", auth, "-X", "LOCK", "-H", "If: ("+token+")", "-H", "Timeout: Second-60", base+"/dav/doc.txt")
	if code != http.StatusOK || !strings.Contains(answer, "<D:lockroot><D:href>/dav/doc.txt</D:href></D:lockroot>") {
		t.Fatalf("refresh: %d\n%s", code, answer)
	}
	args := []string{"-i", "-u", auth, "-X", "LOCK", "-H", "Timeout: Second-60", "--data-binary",
		lockBodyOf("<D:lockroot><D:href>/elsewhere</D:href></D:lockroot>"), base + "/dav/new.txt"}
	code, answer = curl(t, args...)
	if code != http.StatusCreated || !strings.Contains(answer, "<D:lockroot><D:href>/dav/new.txt</D:href></D:lockroot>") ||
		!strings.Contains(answer, "<D:owner><D:lockroot><D:href>/elsewhere</D:href></D:lockroot></D:owner>") {
		t.Fatalf("LOCK of a new file, with an owner that looks like a lock root: %d\n%s", code, answer)
	}
}

// headerOf reads a header from curl -i output.
func headerOf(answer, name string) string {
	for _, line := range strings.Split(answer, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestLockTimeoutIsTheOneGranted: a LOCK is answered with the timeout the
// stored lock has: the client's first choice, at most a day, which is also
// what "Infinite" and no Timeout header get.
func TestLockTimeoutIsTheOneGranted(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	auth := "alice:" + pw
	for i, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"Timeout: Second-600", 10 * time.Minute},
		{"Timeout: Second-600, Infinite", 10 * time.Minute},
		{"Timeout: Infinite, Second-4100000000", maxLockDuration},
		{"Timeout: Second-4100000000", maxLockDuration},
		{"", maxLockDuration},
	} {
		name := fmt.Sprintf("/dav/doc%d.txt", i)
		code, answer := lockWith(t, base+name, auth, tc.header)
		if code != http.StatusCreated {
			t.Fatalf("%s: %d\n%s", tc.header, code, answer)
		}
		if want := fmt.Sprintf("<D:timeout>Second-%d</D:timeout>", int64(tc.want/time.Second)); !strings.Contains(answer, want) {
			t.Errorf("%q: the answer does not say %s:\n%s", tc.header, want, answer)
		}
		token := strings.Trim(headerOf(answer, "Lock-Token"), "<>")
		k, err := h.Store.GetDAVLock(h.Ctx, h.Site.ID, token)
		if err != nil {
			t.Fatal(err)
		}
		if left := time.Until(k.ExpiresAt); (left - tc.want).Abs() > time.Minute {
			t.Errorf("%q: the lock is stored to expire in %v, want %v", tc.header, left.Round(time.Second), tc.want)
		}
	}
	if code, answer := lockWith(t, base+"/dav/bad.txt", auth, "Timeout: Second-x"); code != http.StatusBadRequest {
		t.Errorf("a malformed Timeout: %d\n%s", code, answer)
	}
}

// TestLockOfAnUnmappedURLThatCannotBeCreated: a LOCK makes an empty file
// at a URL with nothing there; where no file can be made, the answer is
// the client's error (409 for a missing folder, 404 for a folder the user
// cannot see, 403 where the user may not write, 400 for a name no file may
// have), not a server fault, and no lock or file is left behind.
func TestLockOfAnUnmappedURLThatCannotBeCreated(t *testing.T) {
	h := transfertest.New(t)
	alice, bob := h.PasswordUser("alice"), h.PasswordUser("bob")
	h.Group("Eng", alice, bob)
	base, _ := startDAV(t, h, nil)
	if code, body := curl(t, "-u", "bob:"+pw, "-T", "-", base+"/dav/mine.txt"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/dav/missing/new.txt", http.StatusConflict},
		{"/dav/doc.txt/new.txt", http.StatusConflict},
		{"/dav/users/bob/new.txt", http.StatusForbidden},
		{"/dav/groups/new.txt", http.StatusNotFound}, // a group folder the user does not have
		{"/dav/" + strings.Repeat("n", 300), http.StatusBadRequest},
	} {
		if code, answer := lockWith(t, base+tc.path, "alice:"+pw, "Timeout: Second-60"); code != tc.want {
			t.Errorf("LOCK %s: %d, want %d\n%s", tc.path, code, tc.want, answer)
		}
	}
	if locks, err := h.Store.ListDAVLocks(h.Ctx, h.Site.ID, time.Now()); err != nil || len(locks) != 0 {
		t.Fatalf("refused LOCKs left locks: %v %v", locks, err)
	}
	if entries, err := userFS(t, h, alice).ReadDir(h.Ctx, "/"); err != nil || len(entries) != 1 { // groups/
		t.Fatalf("refused LOCKs left files: %v %v", entries, err)
	}
}
