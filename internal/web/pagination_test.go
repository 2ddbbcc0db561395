package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestFullPagesHaveANextCursor lists more users than one page of the
// default size holds: a full page of 1,000 must carry a cursor, and
// following it must reach every user exactly once. (The page is read with
// one extra record to learn that another page follows, which the store
// must allow past its default page size.)
func TestFullPagesHaveANextCursor(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("pager-admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	none := store.AuthNone
	for i := 0; i < 1001; i++ {
		name := fmt.Sprintf("paged-%04d", i)
		if _, err := h.svc.CreateUser(h.ctx, identity.SystemActor, h.site.ID, identity.UserChange{Username: &name, AuthenticationMethod: &none}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	cursor, pages := "", 0
	for {
		path := apiPrefix + "/users?per_page=1000"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := h.callJSON("GET", path, key, "")
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		var page []userJSON
		r.decode(t, &page)
		for _, u := range page {
			if seen[u.ID] {
				t.Fatalf("user %d listed twice", u.ID)
			}
			seen[u.ID] = true
		}
		pages++
		if cursor = r.header.Get(cursorHeader); cursor == "" {
			break
		}
	}
	if want := 1001 + 1; len(seen) != want || pages != 2 {
		t.Fatalf("listed %d users in %d pages, want %d in 2", len(seen), pages, want)
	}
}
