package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestLDAPRefusalFloodIsBounded: while a directory cannot be reached, a
// password sign-in of one of its users is no guess — it counts towards
// neither the lockout nor the address's throttle — so anyone who knows a
// username can send them without end, and each wrote an ldap_login
// event. 300 through POST /sessions leave a few events and one summary
// whose count makes up the rest and names the username.
func TestLDAPRefusalFloodIsBounded(t *testing.T) {
	h := newLDAPHarness(t)
	before := h.ldapEvents()
	h.srv.Stop()
	const flood = 300
	for i := range flood {
		r := h.apiSignIn(ldaptest.UserAlice, "any password "+strconv.Itoa(i))
		if r.status != http.StatusUnauthorized || r.errType() != identity.ErrInvalidUsernameOrPassword.Type {
			t.Fatalf("sign-in %d with the directory down: %d %s", i, r.status, r.body)
		}
	}
	h.clock.Advance(time.Minute)
	h.dirRefusals.Flush(h.ctx)

	countRe := regexp.MustCompile(`^(\d+) more refusals like this \(`)
	rows, total := 0, 0
	for _, ev := range h.ldapEvents()[len(before):] {
		if ev.Status != store.EventFailure {
			t.Fatalf("event %+v", ev)
		}
		rows++
		if m := countRe.FindStringSubmatch(ev.Body); m != nil {
			n, _ := strconv.Atoi(m[1])
			total += n
			if !strings.Contains(ev.Body, `"`+ldaptest.UserAlice+`" `) || ev.SSOStrategyID != h.provider.ID {
				t.Errorf("summary %+v: want the provider and the username", ev)
			}
		} else {
			total++
		}
	}
	t.Logf("%d ldap_login events for %d refused sign-ins", rows, flood)
	if rows > 6 || total != flood {
		t.Fatalf("%d ldap_login events accounting for %d refusals; want the first 5 and a summary of the rest, %d in all", rows, total, flood)
	}
}

// ldapEvents are the site's ldap_login events, oldest first.
func (h *ldapHarness) ldapEvents() []store.SSOEvent {
	h.t.Helper()
	evs, err := h.svc.ListSSOEvents(h.ctx, h.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 10000}, EventType: directory.EventLDAPLogin})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}
