package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/session"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// presignedGET fetches a presigned URI with no credential.
func (h *harness) presigned(method, uri string, body io.Reader) apiResponse {
	h.t.Helper()
	req, err := http.NewRequest(method, uri, body)
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResponse{status: res.StatusCode, header: res.Header, body: b}
}

// beginPartURI begins an upload of name as key's user and returns the
// ref and part 1's URI.
func (h *harness) beginPartURI(name, key, params string) (string, string) {
	h.t.Helper()
	r := h.callJSON("POST", apiPrefix+"/file_actions/begin_upload/"+name, key, params)
	var parts []fileUploadPartJSON
	if r.status != http.StatusOK {
		h.t.Fatalf("begin_upload %s: %d %s", name, r.status, r.body)
	}
	r.decode(h.t, &parts)
	return parts[0].Ref, parts[0].UploadURI
}

// TestPresignedURIsExpire: a download URI works for 5 minutes and an
// upload part URI for 15, then each answers Files.com's expired type
// (which its SDKs answer with a fresh URI), logged without the signature.
func TestPresignedURIsExpire(t *testing.T) {
	h := newHarness(t)
	alice := h.createUser("alice", false)
	_, key := h.apiKeyFor(alice, time.Time{})
	if r := h.call("POST", apiPrefix+"/files/a.txt", key, strings.NewReader("hello"), "Content-Type", "text/plain"); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var f fileJSON
	h.callJSON("GET", apiPrefix+"/files/a.txt", key, "").decode(t, &f)
	if r := h.presigned("GET", f.DownloadURI, nil); r.status != http.StatusOK || string(r.body) != "hello" {
		t.Fatalf("download: %d %s", r.status, r.body)
	}
	_, uri := h.beginPartURI("b.bin", key, "")
	h.clock.Advance(downloadURILifetime)
	expectError(t, h.presigned("GET", f.DownloadURI, nil), http.StatusForbidden, "download_request_expired")
	if r := h.presigned("PUT", uri, strings.NewReader("x")); r.status != http.StatusOK {
		t.Fatalf("a part URI within its life: %d %s", r.status, r.body)
	}
	h.clock.Advance(uploadURILifetime)
	expectError(t, h.presigned("PUT", uri, strings.NewReader("x")), http.StatusForbidden, "upload_request_expired")
	logs := h.logs.String()
	if !strings.Contains(logs, "presigned URIs refused") || strings.Contains(logs, "signature=") || strings.Contains(logs, "expires=") {
		t.Fatalf("refusals are not logged, or the query reached the log:\n%s", logs)
	}
}

// TestPresignedURIsFollowTheCredential: a URI granted to an API key
// stops with the key, and one granted to a session stops when the
// session ends; a URI for a group file stops when its user leaves the
// group.
func TestPresignedURIsFollowTheCredential(t *testing.T) {
	h := newHarness(t)
	alice := h.createUser("alice", false)
	k, key := h.apiKeyFor(alice, time.Time{})
	_, uri := h.beginPartURI("k.bin", key, "")
	if err := h.svc.DeleteAPIKey(h.ctx, identity.SystemActor, h.site.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	expectError(t, h.presigned("PUT", uri, strings.NewReader("x")), http.StatusUnauthorized, "not-authenticated/invalid-api-key")

	sess, err := (&session.Client{Config: sdkConfig(h, "")}).Create(files_sdk.SessionCreateParams{Username: "alice", Password: strongPassword})
	if err != nil {
		t.Fatal(err)
	}
	r := h.callJSON("POST", apiPrefix+"/file_actions/begin_upload/s.bin", "", "", sessionHeader, sess.Id)
	var parts []fileUploadPartJSON
	r.decode(t, &parts)
	if r := h.presigned("PUT", parts[0].UploadURI, strings.NewReader("x")); r.status != http.StatusOK {
		t.Fatalf("a session's part URI: %d %s", r.status, r.body)
	}
	if r := h.callJSON("DELETE", apiPrefix+"/sessions", "", "", sessionHeader, sess.Id); r.status >= 300 {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	expectError(t, h.presigned("PUT", parts[0].UploadURI, strings.NewReader("x")), http.StatusUnauthorized, "not-authenticated/invalid-session")

	// A group file, through membership.
	bob := h.createUser("bob", false)
	_, bobKey := h.apiKeyFor(bob, time.Time{})
	admin := h.createUser("root", true)
	_, adminKey := h.apiKeyFor(admin, time.Time{})
	g, err := h.svc.CreateGroup(h.ctx, identity.SystemActor, h.site.ID, identity.GroupChange{Name: ptrString("eng")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.AddGroupUser(h.ctx, identity.SystemActor, h.site.ID, g.ID, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := h.call("POST", apiPrefix+"/files/groups/eng/plan.txt", adminKey, strings.NewReader("plan"), "Content-Type", "text/plain"); r.status != http.StatusCreated {
		t.Fatalf("admin upload to the group: %d %s", r.status, r.body)
	}
	var f fileJSON
	h.callJSON("GET", apiPrefix+"/files/groups/eng/plan.txt", bobKey, "").decode(t, &f)
	if r := h.presigned("GET", f.DownloadURI, nil); r.status != http.StatusOK || string(r.body) != "plan" {
		t.Fatalf("bob's group download: %d %s", r.status, r.body)
	}
	if err := h.svc.RemoveGroupUser(h.ctx, identity.SystemActor, h.site.ID, g.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if r := h.presigned("GET", f.DownloadURI, nil); r.status != http.StatusNotFound || string(r.body) == "plan" {
		t.Fatalf("a URI of a group bob left: %d %s", r.status, r.body)
	}
}

func ptrString(s string) *string { return &s }
