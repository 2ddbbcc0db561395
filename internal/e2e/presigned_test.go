package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// curlDo runs curl with args and returns the status and the body.
func curlDo(t *testing.T, args ...string) (int, string) {
	t.Helper()
	full := append([]string{"-sS", "--noproxy", "*", "-w", "\n%{http_code}"}, args...)
	out, err := exec.Command("curl", full...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	s := string(out)
	i := strings.LastIndexByte(s, '\n')
	code, err := strconv.Atoi(strings.TrimSpace(s[i+1:]))
	if err != nil {
		t.Fatalf("curl %s: no status in %q", strings.Join(args, " "), s)
	}
	return code, s[:i]
}

// restUser is a user of a test server with their API key.
type restUser struct {
	s   *server
	key string
}

// call sends a JSON request with the user's key with curl.
func (u restUser) call(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	args := []string{"-X", method, "-H", "X-FilesAPI-Key: " + u.key, u.s.Base + "/api/rest/v1" + path}
	if body != "" {
		args = append(args, "-H", "Content-Type: application/json", "--data-binary", body)
	}
	return curlDo(t, args...)
}

// begin begins an upload and returns its parts.
func (u restUser) begin(t *testing.T, path, params string) []struct {
	Ref       string `json:"ref"`
	UploadURI string `json:"upload_uri"`
	Part      int    `json:"part_number"`
} {
	t.Helper()
	code, out := u.call(t, "POST", "/file_actions/begin_upload/"+path, params)
	var parts []struct {
		Ref       string `json:"ref"`
		UploadURI string `json:"upload_uri"`
		Part      int    `json:"part_number"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(out), &parts) != nil || len(parts) == 0 {
		t.Fatalf("begin_upload %s: %d %s", path, code, out)
	}
	return parts
}

// put sends body to a presigned URI with no credential, as the SDKs do.
func put(t *testing.T, uri, body string) (int, string) {
	t.Helper()
	return curlDo(t, "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", body, uri)
}

// withQuery returns uri with one query parameter set to value.
func withQuery(t *testing.T, uri, name, value string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// withRef returns an upload URI with its ref replaced.
func withRef(uri, from, to string) string {
	return strings.Replace(uri, "/file_uploads/"+from, "/file_uploads/"+to, 1)
}

func wantRefusal(t *testing.T, what string, code int, body string, status int, typ string) {
	t.Helper()
	if code != status || !strings.Contains(body, `"type":"`+typ+`"`) {
		t.Errorf("%s: %d %s, want %d %s", what, code, body, status, typ)
	}
}

// TestPresignedURIsRefused attacks the presigned upload and download URIs
// of a real server with curl: forged and altered signatures, a URI used
// for another path, part or user, a part over its limit, ends with a
// missing or short part, a replayed end, the upload limits through
// parts, and a URI whose user was disabled. Each refusal is a clear
// error in the API's format and changes nothing.
func TestPresignedURIsRefused(t *testing.T) {
	requireTools(t, "curl")
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	adminName, adminPassword := s.firstAdminSignedIn(t)
	admin := restUser{s, s.userAPIKey(t, adminName, adminPassword)}
	for _, name := range []string{"alice", "bob"} {
		if code, out := admin.call(t, "POST", "/users", `{"username":"`+name+`","password":"`+name+`'s long password","restapi_permission":true}`); code != http.StatusCreated {
			t.Fatalf("create %s: %d %s", name, code, out)
		}
	}
	alice := restUser{s, s.userAPIKey(t, "alice", "alice's long password")}
	bob := restUser{s, s.userAPIKey(t, "bob", "bob's long password")}

	parts := alice.begin(t, "a.bin", `{"size":10,"parts":2}`)
	u1, u2 := parts[0].UploadURI, parts[1].UploadURI
	ref := parts[0].Ref
	other := alice.begin(t, "other.bin", `{"size":10}`)[0]
	bobs := bob.begin(t, "b.bin", `{"size":10}`)[0]

	// Forged, altered, or moved to another part, path or user: 401.
	for what, uri := range map[string]string{
		"forged signature":         withQuery(t, u1, "signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
		"part 1's URI for part 2":  withQuery(t, u1, "part", "2"),
		"a larger limit":           withQuery(t, u1, "limit", "1000000"),
		"a later expiry":           withQuery(t, u1, "expires", "99999999999"),
		"another upload (path)":    withRef(u1, ref, other.Ref),
		"another user's upload":    withRef(u1, ref, bobs.Ref),
		"bob's URI for alice's":    withRef(bobs.UploadURI, bobs.Ref, ref),
		"part 2's URI for part 1 ": withQuery(t, u2, "part", "1"),
	} {
		code, body := put(t, uri, "01234")
		wantRefusal(t, what, code, body, http.StatusUnauthorized, "not-authenticated/invalid-signature")
	}
	code, body := put(t, withQuery(t, u1, "signature", ""), "01234")
	wantRefusal(t, "no signature", code, body, http.StatusUnauthorized, "not-authenticated/authentication-required")

	// A part over its limit (the size begun) keeps nothing.
	code, body = put(t, u1, "0123456789X")
	wantRefusal(t, "a part larger than its limit", code, body, http.StatusRequestEntityTooLarge, "bad-request/upload-part-too-large")

	// An end with a missing part, then with a short one, writes nothing.
	if code, body := put(t, u2, "56789"); code != http.StatusOK {
		t.Fatalf("part 2: %d %s", code, body)
	}
	end := `{"action":"end","ref":"` + ref + `"}`
	code, body = alice.call(t, "POST", "/files/a.bin", end)
	wantRefusal(t, "end with part 1 missing", code, body, http.StatusUnprocessableEntity, "processing-failure/upload-parts-mismatch")
	if code, body := put(t, u1, "0123"); code != http.StatusOK {
		t.Fatalf("part 1: %d %s", code, body)
	}
	code, body = alice.call(t, "POST", "/files/a.bin", end)
	wantRefusal(t, "end with a short part", code, body, http.StatusUnprocessableEntity, "processing-failure/upload-parts-mismatch")
	if code, body := alice.call(t, "GET", "/files/a.bin", ""); code != http.StatusNotFound {
		t.Fatalf("a refused end left a file: %d %s", code, body)
	}
	code, body = bob.call(t, "POST", "/files/a.bin", end)
	wantRefusal(t, "bob ending alice's upload", code, body, http.StatusNotFound, "not-found/file-upload-not-found")
	// The part sent again completes it; the end puts it in place once.
	if code, body := put(t, u1, "01234"); code != http.StatusOK {
		t.Fatalf("part 1 again: %d %s", code, body)
	}
	if code, body := alice.call(t, "POST", "/files/a.bin", end); code != http.StatusCreated || !strings.Contains(body, `"size":10`) {
		t.Fatalf("end: %d %s", code, body)
	}
	code, body = alice.call(t, "POST", "/files/a.bin", end)
	wantRefusal(t, "a replayed end", code, body, http.StatusNotFound, "not-found/file-upload-not-found")
	code, body = put(t, u1, "xxxxx")
	wantRefusal(t, "a part after the end", code, body, http.StatusNotFound, "not-found/file-upload-not-found")

	// The download URI is alice's, for this file: not another path, not
	// another user; and the file is served whole, also for rclone's
	// invalid whole-file Range.
	var meta struct {
		DownloadURI string `json:"download_uri"`
	}
	if code, body := alice.call(t, "GET", "/files/a.bin", ""); code != http.StatusOK || json.Unmarshal([]byte(body), &meta) != nil {
		t.Fatalf("show: %d %s", code, body)
	}
	if code, body := curlDo(t, "-H", "Range: bytes=0--1", meta.DownloadURI); code != http.StatusOK || body != "0123456789" {
		t.Fatalf("download with an invalid Range: %d %q", code, body)
	}
	if code, body := curlDo(t, "-H", "Range: bytes=3-5", meta.DownloadURI); code != http.StatusPartialContent || body != "345" {
		t.Fatalf("download of a range: %d %q", code, body)
	}
	for what, uri := range map[string]string{
		"another path":   strings.Replace(meta.DownloadURI, "/file_downloads/a.bin", "/file_downloads/other.bin", 1),
		"another user":   withQuery(t, meta.DownloadURI, "user_id", "1"),
		"a later expiry": withQuery(t, meta.DownloadURI, "expires", "99999999999"),
	} {
		code, body := curlDo(t, uri)
		wantRefusal(t, what, code, body, http.StatusUnauthorized, "not-authenticated/invalid-signature")
	}

	// Asking for more parts of one upload takes no more of the limit of
	// 50 unfinished uploads per user.
	for range 3 {
		alice.begin(t, "other.bin", `{"ref":"`+other.Ref+`","part":1,"parts":100}`)
	}
	for i := 0; i < 49; i++ { // other.bin is the 1st
		alice.begin(t, "more"+strconv.Itoa(i)+".bin", "")
	}
	code, body = alice.call(t, "POST", "/file_actions/begin_upload/one-too-many.bin", "")
	wantRefusal(t, "the 51st unfinished upload", code, body, http.StatusTooManyRequests, "rate-limited/too-many-pending-uploads")

	// A URI stops working when its user may no longer sign in.
	if code, body := admin.call(t, "PATCH", "/users/"+userID(t, admin, "alice"), `{"disabled":true}`); code != http.StatusOK {
		t.Fatalf("disable alice: %d %s", code, body)
	}
	code, body = curlDo(t, meta.DownloadURI)
	if code < 400 || strings.Contains(body, "0123456789") {
		t.Fatalf("a disabled user's download URI: %d %s", code, body)
	}
	code, body = put(t, other.UploadURI, "x")
	if code < 400 {
		t.Fatalf("a disabled user's upload URI: %d %s", code, body)
	}
}

// userID finds a user's id by name.
func userID(t *testing.T, admin restUser, name string) string {
	t.Helper()
	code, body := admin.call(t, "GET", "/users", "")
	var users []struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &users) != nil {
		t.Fatalf("list users: %d %s", code, body)
	}
	for _, u := range users {
		if u.Username == name {
			return strconv.FormatInt(u.ID, 10)
		}
	}
	t.Fatalf("no user %s in %s", name, body)
	return ""
}
