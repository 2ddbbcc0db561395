package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLookAlikeUsernamesOverREST: creating "ａdmin" (full-width a) next to
// "admin" is refused with 422 and a message naming admin, as is renaming
// another user to a Cyrillic look-alike; ordinary names are as before; and
// signing in as the look-alike reaches no one.
func TestLookAlikeUsernamesOverREST(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	for _, name := range []string{"ａdmin", "ＡＤＭＩＮ", "аdmin", "admin\ufe0f"} {
		r := h.callJSON("POST", "/api/rest/v1/users", key, fmt.Sprintf(`{"username":%q,"password":%q}`, name, strongPassword))
		expectError(t, r, http.StatusUnprocessableEntity, "processing-failure/duplicate")
		if !strings.Contains(string(r.body), `looks the same as that of the existing user \"admin\"`) {
			t.Fatalf("create %q: message does not say whose name it looks like: %s", name, r.body)
		}
	}
	expectError(t, h.callJSON("POST", "/api/rest/v1/users", key, `{"username":"Admin"}`),
		http.StatusUnprocessableEntity, "processing-failure/duplicate")
	r := h.callJSON("POST", "/api/rest/v1/users", key, `{"username":"bob"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create bob: %d %s", r.status, r.body)
	}
	var bob struct{ ID int64 }
	r.decode(t, &bob)
	expectError(t, h.callJSON("PATCH", fmt.Sprintf("/api/rest/v1/users/%d", bob.ID), key, `{"username":"аdmin"}`),
		http.StatusUnprocessableEntity, "processing-failure/duplicate")
	for _, name := range []string{"Bob", "admin2", "adm1n", "josé"} {
		r := h.callJSON("PATCH", fmt.Sprintf("/api/rest/v1/users/%d", bob.ID), key, fmt.Sprintf(`{"username":%q}`, name))
		if r.status != http.StatusOK {
			t.Fatalf("rename bob to %q: %d %s", name, r.status, r.body)
		}
	}
	r = h.callJSON("POST", "/api/rest/v1/sessions", "", fmt.Sprintf(`{"username":"ａdmin","password":%q}`, strongPassword))
	expectError(t, r, http.StatusUnauthorized, "not-authenticated/invalid-username-or-password")
}
