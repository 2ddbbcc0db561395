package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
)

// TestTwoServersOnePostgres runs two Gatehouse processes on one PostgreSQL
// database, as two nodes behind a load balancer, and sends them
// conflicting requests at the same moment:
//   - each node is asked to remove the admin flag of a different one of
//     the site's two password admins: exactly one may succeed, the other
//     must get the lock-out guard's 409, never both;
//   - both nodes create the same usernames: each name gets one account.
func TestTwoServersOnePostgres(t *testing.T) {
	db := pgtest.Database(t)
	dir := t.TempDir()
	// Both nodes share the database and the master key, as a cluster must.
	common := []string{"--database-url", db, "--data-dir", filepath.Join(dir, "node"), "--master-key-file", filepath.Join(dir, "master.key")}
	a := startServer(t, common...)
	b := startServer(t, common...)
	key := createAPIKey(t, common...)

	const rounds = 8
	for round := 0; round < rounds; round++ {
		var ids [2]int64
		for i := range ids {
			var u struct{ ID int64 }
			body := map[string]any{"username": fmt.Sprintf("admin-%d-%d", round, i), "password": "a long enough password",
				"site_admin": true, "authentication_method": "password"}
			if code := a.api(t, http.MethodPost, "/users", key, body, &u); code != http.StatusCreated {
				t.Fatalf("create admin: %d", code)
			}
			ids[i] = u.ID
		}
		// Leave exactly these two as the site's password admins.
		var admins []struct {
			ID        int64
			SiteAdmin bool   `json:"site_admin"`
			Method    string `json:"authentication_method"`
			Disabled  bool
		}
		a.api(t, http.MethodGet, "/users?per_page=10000", key, nil, &admins)
		for _, u := range admins {
			if u.SiteAdmin && u.ID != ids[0] && u.ID != ids[1] {
				if code := a.api(t, http.MethodPatch, fmt.Sprintf("/users/%d", u.ID), key, map[string]any{"site_admin": false}, nil); code != http.StatusOK {
					t.Fatalf("demote %d: %d", u.ID, code)
				}
			}
		}

		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, node := range []*server{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = node.api(t, http.MethodPatch, fmt.Sprintf("/users/%d", ids[i]), key, map[string]any{"site_admin": false}, nil)
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				refused++
			}
		}
		if ok != 1 || refused != 1 {
			t.Fatalf("round %d: the two nodes answered %v; want one 200 and one 409", round, codes)
		}
	}

	// Both nodes create the same 20 usernames at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := map[string]int{}
	for _, node := range []*server{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				name := fmt.Sprintf("twin-%02d", i)
				code := node.api(t, http.MethodPost, "/users", key, map[string]any{"username": name, "authentication_method": "none"}, nil)
				mu.Lock()
				if code == http.StatusCreated {
					created[name]++
				} else if code != http.StatusUnprocessableEntity && code != http.StatusConflict {
					t.Errorf("create %s: %d", name, code)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 20; i++ {
		if n := created[fmt.Sprintf("twin-%02d", i)]; n != 1 {
			t.Errorf("twin-%02d created %d times", i, n)
		}
	}
}
