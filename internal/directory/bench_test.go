package directory_test

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/identity"
)

const benchUsers = 1000

// BenchmarkLoginWithPassword16 is a directory user's whole password
// sign-in as the REST API makes it — the login policy, the directory
// search and bind, the groups, the account's refresh through the
// provisioning engine, the ldap_login event and the sign-in record, on
// SQLite — with 16 sign-ins at once. The goal: p50 under 10 ms,
// p99 under 50 ms.
func BenchmarkLoginWithPassword16(b *testing.B) {
	e := newEnv(b, ldaptest.Options{NoSeed: true, BulkUsers: benchUsers, BulkGroups: 50}, nil)
	e.sync(b)
	yes := true
	for i := range benchUsers {
		u := e.user(b, ldaptest.BulkUID(i))
		if _, err := e.id.UpdateUser(e.ctx, identity.SystemActor, e.site.ID, u.ID, identity.UserChange{RestAPIPermission: &yes}, true); err != nil {
			b.Fatal(err)
		}
	}
	runConcurrent(b, func(uid string) error {
		_, err := e.id.LoginWithPassword(e.ctx, identity.PasswordLogin{SiteID: e.site.ID, Username: uid,
			Password: ldaptest.Password(uid), Channel: identity.ChannelAPI})
		return err
	})
}

// BenchmarkCheckPassword16 is the directory part alone: search, bind,
// groups, refresh and event, 16 at once.
func BenchmarkCheckPassword16(b *testing.B) {
	e := newEnv(b, ldaptest.Options{NoSeed: true, BulkUsers: benchUsers, BulkGroups: 50}, nil)
	e.sync(b)
	runConcurrent(b, func(uid string) error {
		return e.dirs.CheckPassword(e.ctx, e.provider, uid, ldaptest.Password(uid))
	})
}

// runConcurrent signs every bulk user in once (the steady state between
// two syncs: each person's account was refreshed at their first sign-in),
// then runs signIn with 16 goroutines over them and reports the latency
// percentiles.
func runConcurrent(b *testing.B, signIn func(uid string) error) {
	for i := range benchUsers {
		if err := signIn(ldaptest.BulkUID(i)); err != nil {
			b.Fatal(err)
		}
	}
	var mu sync.Mutex
	var latencies []time.Duration
	var next atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			uid := ldaptest.BulkUID(int(next.Add(1)) % benchUsers)
			start := time.Now()
			if err := signIn(uid); err != nil {
				b.Error(uid, err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	at := func(q float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(q*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
