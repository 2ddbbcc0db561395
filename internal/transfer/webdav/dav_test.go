package webdav

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

const pw = transfertest.Password

// TestCurlRoundTrip: MKCOL, PUT, PROPFIND, GET, MOVE, COPY, DELETE with curl.
func TestCurlRoundTrip(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	local := t.TempDir()
	payload := randomBytes(500 << 10)
	src := filepath.Join(local, "report.bin")
	if err := os.WriteFile(src, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	auth := "alice:" + pw
	if code, body := curl(t, "-u", auth, "-X", "MKCOL", base+"/dav/docs/"); code != http.StatusCreated {
		t.Fatalf("MKCOL: %d %s", code, body)
	}
	if code, body := curl(t, "-u", auth, "-T", src, base+"/dav/docs/report.bin"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, body := curl(t, "-u", auth, "-X", "PROPFIND", "-H", "Depth: 1", base+"/dav/docs/")
	if code != http.StatusMultiStatus || !strings.Contains(body, "report.bin") {
		t.Fatalf("PROPFIND: %d %s", code, body)
	}
	back := filepath.Join(local, "back.bin")
	if code, body := curl(t, "-u", auth, "-o", back, base+"/dav/docs/report.bin"); code != http.StatusOK {
		t.Fatalf("GET: %d %s", code, body)
	}
	if got, _ := os.ReadFile(back); !bytes.Equal(got, payload) {
		t.Fatal("GET returned other bytes than were PUT")
	}
	if code, body := curl(t, "-u", auth, "-X", "MOVE", "-H", "Destination: "+base+"/dav/docs/renamed.bin", base+"/dav/docs/report.bin"); code != http.StatusCreated {
		t.Fatalf("MOVE: %d %s", code, body)
	}
	if code, body := curl(t, "-u", auth, "-X", "COPY", "-H", "Destination: "+base+"/dav/copy.bin", base+"/dav/docs/renamed.bin"); code != http.StatusCreated {
		t.Fatalf("COPY: %d %s", code, body)
	}
	fsys := userFS(t, h, alice)
	if !bytes.Equal(readAll(t, h, fsys, "/docs/renamed.bin"), payload) || !bytes.Equal(readAll(t, h, fsys, "/copy.bin"), payload) {
		t.Fatal("moved or copied file differs")
	}
	if code, body := curl(t, "-u", auth, "-X", "DELETE", base+"/dav/docs/"); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if _, err := fsys.Stat(h.Ctx, "/docs"); err == nil {
		t.Fatal("docs still exists after DELETE")
	}
	if h.User(alice).LastDAVLoginAt.IsZero() {
		t.Error("last_dav_login_at was not recorded")
	}
}

// TestRcloneRoundTrip: upload, list, rename, download and delete with rclone.
func TestRcloneRoundTrip(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	local := t.TempDir()
	payload := randomBytes(2 << 20)
	if err := os.WriteFile(filepath.Join(local, "big.bin"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "small.txt"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := [][]string{
		{"copy", local, "dav:up"},
		{"lsf", "dav:up"},
		{"moveto", "dav:up/small.txt", "dav:up/renamed.txt"},
		{"copyto", "dav:up/big.bin", filepath.Join(local, "down", "big.bin")},
		{"deletefile", "dav:up/renamed.txt"},
		{"lsf", "dav:up"},
	}
	var outs []string
	for _, s := range steps {
		out, err := rclone(t, base, "alice", pw, s...)
		if err != nil {
			t.Fatalf("rclone %v: %v\n%s", s, err, out)
		}
		outs = append(outs, out)
	}
	if !strings.Contains(outs[1], "big.bin") || !strings.Contains(outs[1], "small.txt") {
		t.Errorf("listing after upload: %q", outs[1])
	}
	if strings.Contains(outs[5], "renamed.txt") || !strings.Contains(outs[5], "big.bin") {
		t.Errorf("listing after delete: %q", outs[5])
	}
	if got, _ := os.ReadFile(filepath.Join(local, "down", "big.bin")); !bytes.Equal(got, payload) {
		t.Error("rclone download differs from the upload")
	}
	if !bytes.Equal(readAll(t, h, userFS(t, h, alice), "/up/big.bin"), payload) {
		t.Error("stored file differs from the rclone upload")
	}
}

// TestSSOUserCredentials: an SSO user's password is refused with the
// policy's advice; their API key works, with rclone too.
func TestSSOUserCredentials(t *testing.T) {
	h := transfertest.New(t)
	bob := h.SSOUser("bob")
	key := h.APIKey(bob)
	base, _ := startDAV(t, h, nil)
	code, body := curl(t, "-u", "bob:"+pw, "-T", "-", base+"/dav/a.txt")
	if code != http.StatusUnauthorized || !strings.Contains(body, "API key") {
		t.Fatalf("SSO user's password: want 401 advising an API key, got %d %s", code, body)
	}
	if code, body := curl(t, "-u", "bob:"+key, "-X", "MKCOL", base+"/dav/viakey/"); code != http.StatusCreated {
		t.Fatalf("SSO user's API key: %d %s", code, body)
	}
	if out, err := rclone(t, base, "bob", key, "lsf", "dav:"); err != nil || !strings.Contains(out, "viakey/") {
		t.Fatalf("rclone with the API key: %v\n%s", err, out)
	}
	if h.User(bob).LastDAVLoginAt.IsZero() {
		t.Error("last_dav_login_at was not recorded for the API key sign-in")
	}
	carol := h.PasswordUser("carol")
	if code, _ := curl(t, "-u", "bob:"+h.APIKey(carol), base+"/dav/"); code != http.StatusUnauthorized {
		t.Fatalf("bob with carol's key: want 401, got %d", code)
	}
	if refused := strings.Join(h.SignInEvents(store.EventFailure), "\n"); !strings.Contains(refused, `webdav sign-in of "bob" with password`) || !strings.Contains(refused, "api-key") {
		t.Errorf("the refusal's event is missing or has no reason:\n%s", refused)
	}
	if ok := strings.Join(h.SignInEvents(store.EventSuccess), "\n"); !strings.Contains(ok, `webdav sign-in of "bob" with api_key`) {
		t.Errorf("the API-key sign-in's event is missing:\n%s", ok)
	}
	if logs := h.Logs.String(); strings.Contains(logs, key) || strings.Contains(logs, pw) {
		t.Error("a secret reached the log")
	}
}

// TestPathTraversal: "..", encoded dots and absolute URLs stay inside the
// user's root.
func TestPathTraversal(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	h.PasswordUser("mallory")
	up, err := userFS(t, h, alice).Create(h.Ctx, "/secret.txt", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = up.Write([]byte("alice's"))
	_ = up.Commit()
	outside := filepath.Join(h.Storage.Root(), "..", "outside.txt")
	if err := os.WriteFile(outside, []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := startDAV(t, h, nil)
	auth := "mallory:" + pw
	for _, p := range []string{"/dav/../outside.txt", "/dav/../../outside.txt", "/dav/%2e%2e/outside.txt", "/dav/%2e%2e/%2e%2e/outside.txt",
		"/dav/..%2f..%2foutside.txt", "/dav//etc/passwd", "/dav/users/alice/secret.txt", "/dav/../../1/secret.txt"} {
		code, body := curl(t, "--path-as-is", "-u", auth, base+p)
		if code == http.StatusOK && (strings.Contains(body, "outside") || strings.Contains(body, "alice's") || strings.Contains(body, "root:")) {
			t.Errorf("GET %s reached a file outside mallory's root: %q", p, body)
		}
	}
	for _, p := range []string{"/dav/%2e%2e/escape.txt", "/dav/../escape.txt"} {
		curl(t, "--path-as-is", "-u", auth, "-T", "-", base+p)
	}
	curl(t, "-u", auth, "-T", "-", base+"/dav/mine.txt")
	for _, dst := range []string{base + "/dav/../escape2.txt", base + "/dav/%2e%2e/escape2.txt", "http://elsewhere.example/escape2.txt", base + "/escape2.txt"} {
		curl(t, "-u", auth, "-X", "MOVE", "-H", "Destination: "+dst, base+"/dav/mine.txt")
	}
	var escaped []string
	for _, pattern := range []string{"escape*.txt", "*/escape*.txt", "*/*/escape*.txt"} {
		m, _ := filepath.Glob(filepath.Join(h.Storage.Root(), "..", pattern))
		escaped = append(escaped, m...)
	}
	if len(escaped) > 0 {
		t.Fatalf("uploads escaped the storage root: %v", escaped)
	}
}

// TestStalledUploadLeavesNoFile: a PUT whose client stops sending is
// discarded after the idle timeout; a PUT cut short is discarded at once.
func TestStalledUploadLeavesNoFile(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	base, _ := startDAV(t, h, func(c *Options) { c.IdleTimeout = 500 * time.Millisecond })
	addr := strings.TrimPrefix(base, "http://")
	for _, hangUp := range []bool{false, true} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("PUT", base+"/dav/half.bin", nil)
		req.SetBasicAuth("alice", pw)
		req.ContentLength = 1 << 20
		req.Header.Set("Content-Length", fmt.Sprint(1<<20))
		var hdr bytes.Buffer
		fmt.Fprintf(&hdr, "PUT /dav/half.bin HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n", addr, req.Header.Get("Authorization"), 1<<20)
		_, _ = c.Write(hdr.Bytes())
		_, _ = c.Write(randomBytes(64 << 10))
		if hangUp {
			// The server logs the PUT it gave up on once it has noticed the
			// hang-up and cleaned up: wait for that, not a fixed time.
			failed := strings.Count(h.Logs.String(), "webdav request failed")
			_ = c.Close()
			for deadline := time.Now().Add(10 * time.Second); strings.Count(h.Logs.String(), "webdav request failed") == failed; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the server did not notice the hang-up within 10s")
				}
			}
		} else {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _ = bufio.NewReader(c).ReadString('\n') // the server gives up and answers or closes
			_ = c.Close()
		}
		fsys := userFS(t, h, alice)
		if _, err := fsys.Stat(h.Ctx, "/half.bin"); err == nil {
			t.Fatalf("hang up %v: a half file was stored", hangUp)
		}
		leftovers, _ := filepath.Glob(filepath.Join(h.Storage.Root(), "*", "*", "*", ".gatehouse-upload-*"))
		if len(leftovers) > 0 {
			t.Fatalf("hang up %v: temporary upload files were left behind: %v", hangUp, leftovers)
		}
	}
}

// TestWrongPasswordsThrottleTheAddress: a locked account is answered
// exactly as an unknown username, and wrong WebDAV passwords from one
// address are throttled (429) before they could lock an account.
func TestWrongPasswordsThrottleTheAddress(t *testing.T) {
	h := transfertest.New(t)
	h.SetLockout(3)
	alice := h.PasswordUser("alice")
	h.PasswordUser("bob")
	base, _ := startDAV(t, h, nil)
	h.LockOut(alice)
	locked, lockedBody := do(t, "PROPFIND", base+"/dav/", "alice", pw, nil)
	unknown, unknownBody := do(t, "PROPFIND", base+"/dav/", "nobody", pw, nil)
	if locked.StatusCode != http.StatusUnauthorized || unknown.StatusCode != locked.StatusCode || lockedBody != unknownBody {
		t.Fatalf("locked user answered %d %q, unknown user %d %q: want the same 401", locked.StatusCode, lockedBody, unknown.StatusCode, unknownBody)
	}
	resp, body := do(t, "PROPFIND", base+"/dav/", "bob", pw, nil)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "try again in") {
		t.Fatalf("throttled address: want 429 saying when to try again, got %d %s", resp.StatusCode, body)
	}
	if got := h.User(alice); got.FailedLogins != 0 {
		t.Fatalf("throttled attempts counted against alice: %d", got.FailedLogins)
	}
}

// TestDisabledUserRefusedAtNextRequest: remembered credentials do not
// outlive a disabled account.
func TestDisabledUserRefusedAtNextRequest(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	key := h.APIKey(alice)
	base, _ := startDAV(t, h, nil)
	for _, secret := range []string{pw, key} {
		if resp, _ := do(t, "PROPFIND", base+"/dav/", "alice", secret, nil, "Depth", "0"); resp.StatusCode != http.StatusMultiStatus {
			t.Fatalf("before: %d", resp.StatusCode)
		}
	}
	h.Disable(alice)
	for _, secret := range []string{pw, key} {
		resp, body := do(t, "PROPFIND", base+"/dav/", "alice", secret, nil, "Depth", "0")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(strings.ToLower(body), "disabled") {
			t.Fatalf("after disabling: want 401 naming it, got %d %s", resp.StatusCode, body)
		}
	}
}

// TestLocks: a locked file refuses writes without the lock token.
func TestLocks(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	if resp, _ := do(t, "PUT", base+"/dav/doc.txt", "alice", pw, strings.NewReader("v1")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	lockBody := `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>alice</D:owner></D:lockinfo>`
	resp, body := do(t, "LOCK", base+"/dav/doc.txt", "alice", pw, strings.NewReader(lockBody), "Timeout", "Second-600")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("LOCK: %d %s", resp.StatusCode, body)
	}
	token := resp.Header.Get("Lock-Token")
	if resp, _ := do(t, "PUT", base+"/dav/doc.txt", "alice", pw, strings.NewReader("v2")); resp.StatusCode != http.StatusLocked {
		t.Fatalf("PUT without the token: want 423, got %d", resp.StatusCode)
	}
	if resp, _ := do(t, "PUT", base+"/dav/doc.txt", "alice", pw, strings.NewReader("v3"), "If", "("+token+")"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT with the token: want 201, got %d", resp.StatusCode)
	}
	if resp, _ := do(t, "UNLOCK", base+"/dav/doc.txt", "alice", pw, nil, "Lock-Token", token); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("UNLOCK: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "PUT", base+"/dav/doc.txt", "alice", pw, strings.NewReader("v4")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT after UNLOCK: %d", resp.StatusCode)
	}
}

// TestLocksAcrossUsersAndNodes: a lock taken through one node holds on
// another node sharing the store, and on a group file for every member.
func TestLocksAcrossUsersAndNodes(t *testing.T) {
	h := transfertest.New(t)
	alice, bob := h.PasswordUser("alice"), h.PasswordUser("bob")
	h.Group("Eng", alice, bob)
	node1, _ := startDAV(t, h, nil)
	node2, _ := startDAV(t, h, nil)
	if resp, body := do(t, "PUT", node1+"/dav/groups/Eng/plan.txt", "alice", pw, strings.NewReader("v1")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT to the group folder: %d %s", resp.StatusCode, body)
	}
	lockBody := `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`
	resp, body := do(t, "LOCK", node1+"/dav/groups/Eng/plan.txt", "alice", pw, strings.NewReader(lockBody), "Timeout", "Infinite")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("LOCK: %d %s", resp.StatusCode, body)
	}
	token := resp.Header.Get("Lock-Token")
	live, err := h.Store.ListDAVLocks(h.Ctx, h.Site.ID, time.Now())
	if err != nil || len(live) != 1 || live[0].ExpiresAt.IsZero() || live[0].ExpiresAt.After(time.Now().Add(maxLockDuration)) {
		t.Errorf("an Infinite lock is not stored capped at a day: %+v (err %v)", live, err)
	} else if live[0].Root != "/groups/eng/plan.txt" {
		t.Errorf("the lock's shared root is %q, want /groups/eng/plan.txt", live[0].Root)
	}
	for _, tc := range []struct{ base, user, path string }{
		{node2, "alice", "/dav/groups/Eng/plan.txt"},
		{node2, "bob", "/dav/groups/eng/plan.txt"},
		{node1, "bob", "/dav/groups/Eng/plan.txt"},
	} {
		if resp, _ := do(t, "PUT", tc.base+tc.path, tc.user, pw, strings.NewReader("x")); resp.StatusCode != http.StatusLocked {
			t.Errorf("%s's PUT on another node/path: want 423, got %d", tc.user, resp.StatusCode)
		}
		if resp, _ := do(t, "DELETE", tc.base+tc.path, tc.user, pw, nil); resp.StatusCode != http.StatusLocked {
			t.Errorf("%s's DELETE: want 423, got %d", tc.user, resp.StatusCode)
		}
	}
	// Locking the folder above, with depth infinity, clashes with the lock.
	if resp, _ := do(t, "LOCK", node2+"/dav/groups/Eng", "bob", pw, strings.NewReader(lockBody), "Depth", "infinity"); resp.StatusCode != http.StatusLocked {
		t.Errorf("a conflicting folder lock: want 423, got %d", resp.StatusCode)
	}
	// Bob's own home is not Alice's: the same name there is not locked.
	if resp, _ := do(t, "PUT", node2+"/dav/plan.txt", "bob", pw, strings.NewReader("mine")); resp.StatusCode != http.StatusCreated {
		t.Errorf("PUT in bob's own home: %d", resp.StatusCode)
	}
	// Refresh on the other node, then unlock there.
	if resp, body := do(t, "LOCK", node2+"/dav/groups/Eng/plan.txt", "alice", pw, nil, "If", "("+token+")", "Timeout", "Second-60"); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "UNLOCK", node2+"/dav/groups/Eng/plan.txt", "alice", pw, nil, "Lock-Token", token); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("UNLOCK on the other node: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "PUT", node1+"/dav/groups/Eng/plan.txt", "bob", pw, strings.NewReader("v2")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT after UNLOCK: %d", resp.StatusCode)
	}
	// A forged or unknown token confirms nothing.
	if resp, _ := do(t, "PUT", node1+"/dav/groups/Eng/plan.txt", "bob", pw, strings.NewReader("v3"), "If", "(<urn:uuid:forged>)"); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PUT with a forged token: want 412, got %d", resp.StatusCode)
	}
}

// TestHostileRequests: oversized XML bodies and malformed requests get a
// clear HTTP error and change nothing.
func TestHostileRequests(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	base, _ := startDAV(t, h, nil)
	huge := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat("<D:x/>", 300_000) + `</D:prop></D:propfind>`
	if resp, _ := do(t, "PROPFIND", base+"/dav/", "alice", pw, strings.NewReader(huge)); resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("PROPFIND with a %d-byte body: want a 4xx, got %d", len(huge), resp.StatusCode)
	}
	if resp, _ := do(t, "PROPFIND", base+"/dav/", "alice", pw, strings.NewReader("<not xml")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PROPFIND with malformed XML: want 400, got %d", resp.StatusCode)
	}
	if resp, _ := do(t, "LOCK", base+"/dav/x.txt", "alice", pw, strings.NewReader(huge)); resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("LOCK with a huge body: want a 4xx, got %d", resp.StatusCode)
	}
	if resp, _ := do(t, "PUT", base+"/dav/"+strings.Repeat("n", 300), "alice", pw, strings.NewReader("x")); resp.StatusCode < 400 {
		t.Errorf("PUT of an over-long name: want an error, got %d", resp.StatusCode)
	}
	if resp, _ := do(t, "MKCOL", base+"/dav/a/b/c/", "alice", pw, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("MKCOL without parents: want 409, got %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("PROPFIND", base+"/dav/", nil)
	req.Header.Set("Authorization", "Basic !!!not-base64")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("malformed Basic credentials: want 401, got %v %v", resp, err)
	} else if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("a 401 without WWW-Authenticate")
	}
	if entries, err := userFS(t, h, alice).ReadDir(h.Ctx, "/"); err != nil || len(entries) != 0 {
		t.Errorf("hostile requests left %d entries (err %v)", len(entries), err)
	}
}

// TestDeletedAPIKeyRefused: a remembered API key stops working as soon as
// it is deleted.
func TestDeletedAPIKeyRefused(t *testing.T) {
	h := transfertest.New(t)
	bob := h.SSOUser("bob")
	key := h.APIKey(bob)
	base, _ := startDAV(t, h, nil)
	if resp, _ := do(t, "PROPFIND", base+"/dav/", "bob", key, nil, "Depth", "0"); resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("with the key: %d", resp.StatusCode)
	}
	keys, err := h.Store.ListAPIKeys(h.Ctx, h.Site.ID, store.KeyQuery{UserID: bob.ID, ListOptions: store.ListOptions{Limit: 10}})
	if err != nil || len(keys) != 1 {
		t.Fatalf("list keys: %v %v", keys, err)
	}
	if err := h.Store.DeleteAPIKey(h.Ctx, h.Site.ID, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := do(t, "PROPFIND", base+"/dav/", "bob", key, nil, "Depth", "0"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after deleting the key: want 401, got %d", resp.StatusCode)
	}
}

// TestLDAPUserDirectoryPassword: an LDAP user's directory password works
// over WebDAV (with rclone); a wrong one is refused.
func TestLDAPUserDirectoryPassword(t *testing.T) {
	h := transfertest.NewLDAP(t)
	base, _ := startDAV(t, h, nil)
	if code, body := curl(t, "-u", transfertest.LDAPUser+":"+transfertest.LDAPPassword, "-X", "MKCOL", base+"/dav/from-ldap/"); code != http.StatusCreated {
		t.Fatalf("LDAP user's MKCOL: %d %s", code, body)
	}
	if out, err := rclone(t, base, transfertest.LDAPUser, transfertest.LDAPPassword, "lsf", "dav:"); err != nil || !strings.Contains(out, "from-ldap/") {
		t.Fatalf("rclone as the LDAP user: %v\n%s", err, out)
	}
	if code, _ := curl(t, "-u", transfertest.LDAPUser+":wrong", base+"/dav/"); code != http.StatusUnauthorized {
		t.Fatalf("wrong directory password: want 401, got %d", code)
	}
}

// TestChannelPermission: a user without dav_permission is refused, and
// told which permission is missing.
func TestChannelPermission(t *testing.T) {
	h := transfertest.New(t)
	dave := h.PasswordUser("dave")
	no := false
	if _, err := h.Svc.UpdateUser(h.Ctx, identity.SystemActor, h.Site.ID, dave.ID, identity.UserChange{DAVPermission: &no}, true); err != nil {
		t.Fatal(err)
	}
	base, _ := startDAV(t, h, nil)
	if resp, body := do(t, "PROPFIND", base+"/dav/", "dave", pw, nil); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "dav_permission") {
		t.Fatalf("user without dav_permission: want 401 naming it, got %d %s", resp.StatusCode, body)
	}
}
