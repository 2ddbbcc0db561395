package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSignInsAndPasswordChangesAreEvents: every password sign-in on the
// web page and the API, accepted or refused, and every change of one's own
// password is an entry of the external log, naming who, where from and
// the outcome, and never the password.
func TestSignInsAndPasswordChangesAreEvents(t *testing.T) {
	h := newHarness(t)
	_, initial, err := h.svc.CreateFirstAdmin(h.ctx, h.site.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(h)
	if p := b.login("admin", "not the password"); p.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", p.status)
	}
	expectRedirect(t, b.login("admin", initial), "/password")
	token := b.csrf("/password")
	const next = "a brand new passphrase"
	expectRedirect(t, b.do("POST", "/password", url.Values{"csrf_token": {token}, "current_password": {initial},
		"new_password": {next}, "confirm_password": {next}}), "/?done=password")
	if r := h.callJSON("POST", apiPrefix+"/sessions", "", `{"username":"admin","password":"`+next+`"}`); r.status != http.StatusCreated {
		t.Fatalf("API sign-in: %d %s", r.status, r.body)
	}
	if r := h.callJSON("POST", apiPrefix+"/sessions", "", `{"username":"nobody","password":"whatever it is"}`); r.status != http.StatusUnauthorized {
		t.Fatalf("API sign-in of nobody: %d %s", r.status, r.body)
	}

	evs, err := h.st.ListExternalEvents(h.ctx, h.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		for _, secret := range []string{initial, next, "not the password", "whatever it is"} {
			if strings.Contains(e.Body, secret) {
				t.Fatalf("event %q shows a password", e.Body)
			}
		}
		switch e.EventType {
		case identity.EventTypeLogin, identity.EventTypePasswordChange:
			got = append(got, e.EventType+" "+e.Status+": "+e.Body)
		}
	}
	want := []string{
		`login failure: web sign-in of "admin" with password from 127.0.0.1: refused`,
		`login success: web sign-in of "admin" with password from 127.0.0.1: signed in`,
		`password_change success: "admin" (user id 1) changed their own password`,
		`login success: api sign-in of "admin" with password from 127.0.0.1: signed in`,
		`login failure: api sign-in of "nobody" with password from 127.0.0.1: refused`,
	}
	if len(got) != len(want) {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("event %d: %q, want it to begin %q\nall:\n%s", i, got[i], want[i], strings.Join(got, "\n"))
		}
	}
}
