package scim_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver, for ANALYZE

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// benchClient is an HTTP client that keeps a connection per worker.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// send makes one request and drains the answer; it reports the status.
func (e *env) send(method, path, body string) int {
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := benchClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// benchCreateUsers posts users from 8 concurrent clients per iteration
// and reports requests per second: over the whole run, and over its first
// and last tenth, whose ratio says whether creating stays as fast as the
// table grows (a store whose lookups degrade with size would fall).
func benchCreateUsers(b *testing.B, open func(testing.TB) store.Store, users int) {
	const clients, windows = 8, 10
	window := users / windows
	var total time.Duration
	var first, last []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, open)
		var next, done, failed atomic.Int64
		// marks[k] is when the (k*window)th create was answered.
		marks := make([]time.Time, windows+1)
		var wg sync.WaitGroup
		b.StartTimer()
		start := time.Now()
		marks[0] = start
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n := next.Add(1)
					if n > int64(users) {
						return
					}
					body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"ext-%d",`+
						`"userName":"user%d@contoso.com","active":true,"name":{"givenName":"Given","familyName":"Family%d"},`+
						`"emails":[{"primary":true,"type":"work","value":"user%d@contoso.com"}]}`, n, n, n, n)
					if e.send("POST", "/api/scim/Users", body) != http.StatusCreated {
						failed.Add(1)
					}
					if d := done.Add(1); d%int64(window) == 0 {
						marks[d/int64(window)] = time.Now()
					}
				}
			}()
		}
		wg.Wait()
		total += time.Since(start)
		b.StopTimer()
		if failed.Load() > 0 {
			b.Fatalf("%d creates failed", failed.Load())
		}
		rates := make([]string, windows)
		for k := range windows {
			r := float64(window) / marks[k+1].Sub(marks[k]).Seconds()
			rates[k] = fmt.Sprintf("%.0f", r)
			switch k {
			case 0:
				first = append(first, r)
			case windows - 1:
				last = append(last, r)
			}
		}
		b.Logf("creates/s per %d users: %s", window, strings.Join(rates, " "))
	}
	b.ReportMetric(float64(users*b.N)/total.Seconds(), "req/s")
	b.ReportMetric(mean(first), "first10%-req/s")
	b.ReportMetric(mean(last), "last10%-req/s")
	b.ReportMetric(100*mean(last)/mean(first), "last/first-%")
}

func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func BenchmarkCreateUsersSQLite(b *testing.B)   { benchCreateUsers(b, openSQLite, 10000) }
func BenchmarkCreateUsersPostgres(b *testing.B) { benchCreateUsers(b, openPostgres, 10000) }

// The Entra-scale run: creates/s at 90–100k users should be at least 80 %
// of creates/s at 0–10k.
func BenchmarkCreateUsers100kSQLite(b *testing.B)   { benchCreateUsers(b, openSQLite, 100000) }
func BenchmarkCreateUsers100kPostgres(b *testing.B) { benchCreateUsers(b, openPostgres, 100000) }

// seedUsers creates n users of the provider straight through the store,
// in batches, as fast setup for the read benchmarks.
func (e *env) seedUsers(n int) []int64 {
	ids := make([]int64, 0, n)
	for start := 0; start < n; start += 5000 {
		err := e.st.Tx(e.ctx, func(ctx context.Context) error {
			for i := start; i < min(start+5000, n); i++ {
				u := store.User{SiteID: e.site.ID, Username: fmt.Sprintf("seed%06d@contoso.com", i),
					Email: fmt.Sprintf("seed%06d@contoso.com", i), Name: "Seed User", AuthenticationMethod: store.AuthSSO,
					SSOStrategyID: e.p.ID, ExternalID: fmt.Sprintf("seed-%06d", i), ExternallyManaged: true,
					SCIM: store.SCIMProfile{ExternalID: fmt.Sprintf("seed-%06d", i)}}
				if err := e.st.CreateUser(ctx, &u); err != nil {
					return err
				}
				ids = append(ids, u.ID)
			}
			return nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return ids
}

// benchFilter looks users up by userName among 100,000 and reports the
// median and 99th percentile latency.
func benchFilter(b *testing.B, open func(testing.TB) store.Store, afterSeed func()) {
	e := newEnv(b, open)
	e.seedUsers(100000)
	if afterSeed != nil {
		afterSeed()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("seed%06d@contoso.com", rand.IntN(100000))
		start := time.Now()
		if s := e.send("GET", "/api/scim/Users?filter=userName+eq+%22"+name+"%22", ""); s != http.StatusOK {
			b.Fatalf("status %d", s)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func BenchmarkFilterUserName100kSQLite(b *testing.B) { benchFilter(b, openSQLite, nil) }

// On PostgreSQL the table's statistics are refreshed after the bulk
// setup, as autovacuum does within a minute of such a change: without
// them the planner guesses and may walk the provider index.
func BenchmarkFilterUserName100kPostgres(b *testing.B) {
	url := pgtest.Database(b)
	open := func(tb testing.TB) store.Store {
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = s.Close() })
		return s
	}
	benchFilter(b, open, func() {
		db, err := sql.Open("pgx", url)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("ANALYZE users"); err != nil {
			b.Fatal(err)
		}
	})
}

// benchPatchMembers adds 1,000 members to a group in one PATCH.
func benchPatchMembers(b *testing.B, open func(testing.TB) store.Store) {
	e := newEnv(b, open)
	ids := e.seedUsers(1000)
	gid := e.createGroup("Big", "grp-big")
	values := make([]string, len(ids))
	for i, id := range ids {
		values[i] = fmt.Sprintf(`{"value":"%d"}`, id)
	}
	add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[` +
		strings.Join(values, ",") + `]}]}`
	clear := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}`
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if s := e.send("PATCH", "/api/scim/Groups/"+gid, clear); s != http.StatusNoContent {
			b.Fatalf("clear: status %d", s)
		}
		b.StartTimer()
		if s := e.send("PATCH", "/api/scim/Groups/"+gid, add); s != http.StatusNoContent {
			b.Fatalf("add: status %d", s)
		}
	}
	b.StopTimer()
	if n := len(e.members(gid)); n != 1000 {
		b.Fatalf("%d members, want 1000", n)
	}
}

func BenchmarkPatch1000MembersSQLite(b *testing.B)   { benchPatchMembers(b, openSQLite) }
func BenchmarkPatch1000MembersPostgres(b *testing.B) { benchPatchMembers(b, openPostgres) }
