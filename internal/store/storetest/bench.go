package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The benchmarks every driver runs; open returns a new, empty store.

// benchSite creates the site the benchmarks work in.
func benchSite(b *testing.B, s store.Store) store.Site {
	b.Helper()
	site := store.DefaultSiteSettings()
	site.Name, site.IsDefault = "Bench", true
	if err := s.CreateSite(context.Background(), &site); err != nil {
		b.Fatal(err)
	}
	return site
}

// benchUser is a realistic user: a name, an email, a password hash.
func benchUser(siteID int64, i int) store.User {
	return store.User{SiteID: siteID, Username: fmt.Sprintf("user%07d", i), Email: fmt.Sprintf("user%07d@example.com", i),
		Name: fmt.Sprintf("User %d", i), AuthenticationMethod: store.AuthPassword, RestAPIPermission: true,
		TimeZone:     "Eastern Time (US & Canada)",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"}
}

// createUsers creates n users in one transaction.
func createUsers(b *testing.B, s store.Store, siteID int64, from, n int) []int64 {
	b.Helper()
	out := make([]int64, 0, n)
	err := s.Tx(context.Background(), func(ctx context.Context) error {
		for i := from; i < from+n; i++ {
			u := benchUser(siteID, i)
			if err := s.CreateUser(ctx, &u); err != nil {
				return err
			}
			out = append(out, u.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchCreateUsers creates b.N users in one transaction and reports
// users per second.
func BenchCreateUsers(b *testing.B, open func(testing.TB) store.Store) {
	s := open(b)
	site := benchSite(b, s)
	b.ResetTimer()
	start := time.Now()
	createUsers(b, s, site.ID, 0, b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "users/s")
}

// BenchCreate100kUsers creates 100,000 users in one transaction on a new
// store per iteration, the bulk import an installation starts with, and
// reports the seconds it took.
func BenchCreate100kUsers(b *testing.B, open func(testing.TB) store.Store) {
	const n = 100_000
	var total time.Duration
	for range b.N {
		b.StopTimer()
		s := open(b)
		site := benchSite(b, s)
		b.StartTimer()
		start := time.Now()
		createUsers(b, s, site.ID, 0, n)
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/100k-users")
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "users/s")
}

// BenchGetUser reads users by id from parallel goroutines.
func BenchGetUser(b *testing.B, open func(testing.TB) store.Store) {
	s := open(b)
	site := benchSite(b, s)
	ids := createUsers(b, s, site.ID, 0, 1000)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx, i := context.Background(), 0
		for pb.Next() {
			if _, err := s.GetUser(ctx, site.ID, ids[i%len(ids)]); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// BenchGetAPIKeyByHash looks keys up by hash from parallel goroutines.
func BenchGetAPIKeyByHash(b *testing.B, open func(testing.TB) store.Store) {
	s := open(b)
	hashes := benchKeys(b, s)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx, i := context.Background(), 0
		for pb.Next() {
			if _, err := s.GetAPIKeyByHash(ctx, hashes[i%len(hashes)]); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchAPIKeyRequest is the store's share of one API request signed with
// a key: find the key by hash, then read its user.
func BenchAPIKeyRequest(b *testing.B, open func(testing.TB) store.Store) {
	s := open(b)
	hashes := benchKeys(b, s)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx, i := context.Background(), 0
		for pb.Next() {
			k, err := s.GetAPIKeyByHash(ctx, hashes[i%len(hashes)])
			if err == nil {
				_, err = s.GetUser(ctx, k.SiteID, k.UserID)
			}
			if err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// benchKeys creates 1000 users with one API key each and returns the
// key hashes.
func benchKeys(b *testing.B, s store.Store) [][]byte {
	b.Helper()
	site := benchSite(b, s)
	ids := createUsers(b, s, site.ID, 0, 1000)
	hashes := make([][]byte, len(ids))
	err := s.Tx(context.Background(), func(ctx context.Context) error {
		for i, id := range ids {
			h := sha256.Sum256([]byte(fmt.Sprintf("ghk_key%d", i)))
			hashes[i] = h[:]
			if err := s.CreateAPIKey(ctx, &store.APIKey{SiteID: site.ID, UserID: id, KeyHash: h[:], PermissionSet: "full"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return hashes
}

// BenchListUsers100k pages through 100,000 users, 1,000 a page, in
// different orders: by id (the primary key), by username (an index) and
// by last sign-in, newest first (no index; half the users never signed
// in), and reports the seconds one whole listing takes.
func BenchListUsers100k(b *testing.B, open func(testing.TB) store.Store) {
	const n = 100_000
	s := open(b)
	site := benchSite(b, s)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	err := s.Tx(context.Background(), func(ctx context.Context) error {
		for i := range n {
			u := benchUser(site.ID, i)
			if i%2 == 0 {
				u.LastLoginAt = base.Add(time.Duration((i*7919)%n) * time.Minute)
			}
			if err := s.CreateUser(ctx, &u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	value := func(u store.User, field string) any {
		switch field {
		case "username":
			return u.Username
		case "last_login_at":
			return u.LastLoginAt
		}
		return u.ID
	}
	for _, order := range []store.Sort{{}, {Field: "username"}, {Field: "last_login_at", Desc: true}} {
		name := order.Field
		if name == "" {
			name = "id"
		}
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				start := time.Now()
				o := store.ListOptions{Limit: 1000, Sort: order}
				seen := 0
				for {
					page, err := s.ListUsers(context.Background(), site.ID, store.UserQuery{ListOptions: o})
					if err != nil {
						b.Fatal(err)
					}
					seen += len(page)
					if len(page) < o.Limit {
						break
					}
					last := page[len(page)-1]
					o.AfterID, o.Sort.After = last.ID, value(last, order.Field)
				}
				if seen != n {
					b.Fatalf("listed %d users, want %d", seen, n)
				}
				total += time.Since(start)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/100k-users")
		})
	}
}
