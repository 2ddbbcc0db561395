package web

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// TestUserCannotPushBackAnAdminSetKeyExpiry is the reported attack over
// REST: a user pushed the expiry a site admin gave their key out to 2099.
// The user may bring the date forward (up to the admin's date again), not
// push it past the admin's date or remove it; an admin may still move it.
func TestUserCannotPushBackAnAdminSetKeyExpiry(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("boss", true)
	bob := h.createUser("bob", false)
	_, adminKey := h.apiKeyFor(admin, time.Time{})
	r := h.callJSON("POST", "/api/rest/v1/sessions", "", `{"username":"bob","password":"`+strongPassword+`"}`)
	var sess struct{ ID string }
	if r.status != http.StatusCreated {
		t.Fatalf("bob signs in: %d %s", r.status, r.body)
	}
	r.decode(t, &sess)
	asBob := func(method, path, body string) apiResponse {
		t.Helper()
		return h.callJSON(method, path, "", body, sessionHeader, sess.ID)
	}
	day := func(d int) string {
		return h.clock.Now().Add(time.Duration(d) * 24 * time.Hour).UTC().Format(time.RFC3339)
	}

	r = h.callJSON("POST", "/api/rest/v1/api_keys", adminKey,
		fmt.Sprintf(`{"user_id":%d,"name":"contractor","expires_at":%q}`, bob.ID, day(30)))
	if r.status != http.StatusCreated {
		t.Fatalf("admin makes bob's key: %d %s", r.status, r.body)
	}
	var k struct{ ID int64 }
	r.decode(t, &k)
	path := fmt.Sprintf("/api/rest/v1/api_keys/%d", k.ID)

	for _, body := range []string{fmt.Sprintf(`{"expires_at":%q}`, "2099-01-01T00:00:00Z"), fmt.Sprintf(`{"expires_at":%q}`, day(31)),
		`{"expires_at":"0001-01-01T00:00:00Z"}`} {
		r := asBob("PATCH", path, body)
		expectError(t, r, http.StatusForbidden, "not-authorized/not-authorized")
		if got, _ := h.svc.GetAPIKey(h.ctx, identity.SystemActor, h.site.ID, k.ID); got.ExpiresAt.Format(time.RFC3339) != day(30) {
			t.Fatalf("after %s the key expires %v", body, got.ExpiresAt)
		}
	}
	for _, d := range []int{10, 30} {
		if r := asBob("PATCH", path, fmt.Sprintf(`{"expires_at":%q}`, day(d))); r.status != http.StatusOK {
			t.Fatalf("bob moves the expiry to day %d (within the admin's): %d %s", d, r.status, r.body)
		}
	}
	// The admin may extend it, and that is the new ceiling.
	if r := h.callJSON("PATCH", path, adminKey, fmt.Sprintf(`{"expires_at":%q}`, day(90))); r.status != http.StatusOK {
		t.Fatalf("admin extends: %d %s", r.status, r.body)
	}
	if r := asBob("PATCH", path, fmt.Sprintf(`{"expires_at":%q}`, day(60))); r.status != http.StatusOK {
		t.Fatalf("bob within the new ceiling: %d %s", r.status, r.body)
	}
	expectError(t, asBob("PATCH", path, fmt.Sprintf(`{"expires_at":%q}`, day(91))), http.StatusForbidden, "not-authorized/not-authorized")

	// A key bob made himself has no ceiling.
	r = asBob("POST", "/api/rest/v1/api_keys", fmt.Sprintf(`{"name":"own","expires_at":%q}`, day(5)))
	if r.status != http.StatusCreated {
		t.Fatalf("bob makes a key: %d %s", r.status, r.body)
	}
	var own struct{ ID int64 }
	r.decode(t, &own)
	if r := asBob("PATCH", fmt.Sprintf("/api/rest/v1/api_keys/%d", own.ID), `{"expires_at":"2099-01-01T00:00:00Z"}`); r.status != http.StatusOK {
		t.Fatalf("bob extends his own key: %d %s", r.status, r.body)
	}
}
