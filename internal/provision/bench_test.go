package provision

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// benchEnv is an SQLite store with a provider, for benchmarks.
func benchEnv(b *testing.B) (*Engine, store.Store, store.SSOStrategy) {
	b.Helper()
	st := openSQLite(b)
	ctx := context.Background()
	site := store.DefaultSiteSettings()
	site.Name, site.IsDefault = "Main", true
	if err := st.CreateSite(ctx, &site); err != nil {
		b.Fatal(err)
	}
	p := store.SSOStrategy{SiteID: site.ID, Protocol: "active_directory", Provider: "ldap", Label: "AD", Enabled: true,
		ProvisionUsers: true, ProvisionGroups: true, DeprovisionUsers: true, DeprovisionGroups: true,
		ProvisionGroupDefault: "Employees", ProvisionSiteAdminGroups: "Admins*", ProvisionGroupAdminGroups: "*-leads"}
	if err := st.CreateSSOStrategy(ctx, &p); err != nil {
		b.Fatal(err)
	}
	return New(st, Options{}), st, p
}

// directory builds users each in perUser of groups groups, spread evenly.
func directory(users, groups, perUser int) Snapshot {
	var snap Snapshot
	for g := range groups {
		snap.Groups = append(snap.Groups, GroupRef{ExternalID: fmt.Sprintf("%08x-0000-4000-8000-%012x", g, g), Name: fmt.Sprintf("group-%04d", g)})
	}
	snap.Users = make([]ExternalIdentity, users)
	for i := range snap.Users {
		x := ExternalIdentity{ExternalID: fmt.Sprintf("u-%08d", i), Username: fmt.Sprintf("user%06d", i),
			Email: fmt.Sprintf("user%06d@example.com", i), GivenName: "Given", FamilyName: strconv.Itoa(i),
			Company: "ACME", Active: true, Groups: make([]GroupRef, 0, perUser)}
		for k := range perUser {
			x.Groups = append(x.Groups, GroupRef{ExternalID: snap.Groups[(i*7+k*31)%groups].ExternalID})
		}
		snap.Users[i] = x
	}
	return snap
}

// peakMemory samples the heap while running fn; it returns the largest
// HeapAlloc seen, in MiB.
func peakMemory(fn func()) float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return float64(peak.Load()) / (1 << 20)
}

// rssPeakMiB is the process's peak resident set (VmHWM), 0 where unknown.
func rssPeakMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkReconcile20k: 20,000 users in 1,000 groups, 30 memberships
// each (600,000), on SQLite: a first run that creates everything and an
// unchanged second run that must write nothing.
func BenchmarkReconcile20k(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		e, st, p := benchEnv(b)
		snap := directory(20000, 1000, 30)
		runtime.GC()
		b.StartTimer()
		var first, second time.Duration
		var rep1, rep2 *Report
		peak := peakMemory(func() {
			t0 := time.Now()
			var err error
			if rep1, err = e.Reconcile(ctx, p.SiteID, p.ID, snap); err != nil {
				b.Fatal(err)
			}
			first = time.Since(t0)
			t0 = time.Now()
			if rep2, err = e.Reconcile(ctx, p.SiteID, p.ID, snap); err != nil {
				b.Fatal(err)
			}
			second = time.Since(t0)
		})
		b.StopTimer()
		c1, c2 := rep1.Plan.Counts, rep2.Plan.Counts
		if rep1.Status != store.EventSuccess || c1.Created != 20000 || c1.MembershipsAdded != 620000 || c1.GroupsCreated != 1001 {
			b.Fatalf("first run %s %+v %v", rep1.Status, c1, rep1.Errors)
		}
		if c2.Unchanged != 20000 || c2.MembershipsAdded+c2.MembershipsRemoved+c2.Created+c2.Updated != 0 {
			b.Fatalf("second run %+v", c2)
		}
		n, err := st.CountUsers(ctx, p.SiteID, store.UserQuery{})
		if err != nil || n != 20000 {
			b.Fatalf("%d users, %v", n, err)
		}
		b.ReportMetric(first.Seconds(), "first-run-s")
		b.ReportMetric(second.Seconds(), "second-run-s")
		b.ReportMetric(peak, "peak-heap-MiB")
		b.ReportMetric(rssPeakMiB(), "peak-rss-MiB")
		b.StartTimer()
	}
}

// BenchmarkUpsert100k: one SCIM-style change (a new company name and a
// group swap) to one of 100,000 existing users, on SQLite; reports the
// 50th and 99th percentile latency.
func BenchmarkUpsert100k(b *testing.B) {
	ctx := context.Background()
	e, st, p := benchEnv(b)
	const users = 100000
	snap := directory(users, 100, 3)
	// Load the existing directory straight into the store: it is the
	// state Upsert starts from, not what is measured.
	groupIDs := map[string]int64{}
	for _, g := range snap.Groups {
		grp := store.Group{SiteID: p.SiteID, Name: g.Name, SSOStrategyID: p.ID, ExternalID: g.ExternalID}
		if err := st.CreateGroup(ctx, &grp); err != nil {
			b.Fatal(err)
		}
		groupIDs[g.ExternalID] = grp.ID
	}
	emp := store.Group{SiteID: p.SiteID, Name: "Employees"}
	if err := st.CreateGroup(ctx, &emp); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < users; start += 5000 {
		err := st.Tx(ctx, func(ctx context.Context) error {
			var ms []store.Membership
			for _, x := range snap.Users[start : start+5000] {
				u := store.User{SiteID: p.SiteID, Username: x.Username, Email: x.Email, Name: x.FullName(), Company: x.Company,
					AuthenticationMethod: store.AuthSSO, SSOStrategyID: p.ID, ExternalID: x.ExternalID, ExternallyManaged: true,
					RestAPIPermission: true, TimeZone: "UTC"}
				if err := st.CreateUser(ctx, &u); err != nil {
					return err
				}
				ms = append(ms, store.Membership{GroupID: emp.ID, UserID: u.ID, SSOStrategyID: p.ID})
				for _, g := range x.Groups {
					ms = append(ms, store.Membership{GroupID: groupIDs[g.ExternalID], UserID: u.ID, SSOStrategyID: p.ID})
				}
			}
			_, err := st.AddMemberships(ctx, p.SiteID, ms, time.Time{})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	runtime.GC()
	b.ResetTimer()
	for i := range b.N {
		x := snap.Users[(i*7919)%users]
		x.Company = fmt.Sprintf("ACME %d", i)
		x.Groups = append(slices.Clone(x.Groups[:2]), GroupRef{ExternalID: snap.Groups[i%len(snap.Groups)].ExternalID})
		t0 := time.Now()
		if _, err := e.Upsert(ctx, p.SiteID, p.ID, x); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.90), "p90-ms")
	b.ReportMetric(pct(0.98), "p98-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
