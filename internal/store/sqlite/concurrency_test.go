package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// hammer runs plain writes, transactions and reads on the stores from many
// goroutines at once; none may fail (SQLite would say SQLITE_BUSY if the
// writes were not serialised or waited for).
func hammer(t *testing.T, stores []store.Store, siteID int64) {
	t.Helper()
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			s := stores[w%len(stores)]
			for i := range rounds {
				u := store.User{SiteID: siteID, Username: fmt.Sprintf("w%02d-%03d", w, i)}
				err := s.CreateUser(ctx, &u)
				if err == nil {
					err = s.Tx(ctx, func(ctx context.Context) error {
						if _, err := s.UpdateUser(ctx, siteID, u.ID, func(u *store.User) error { u.Name = "updated"; return nil }); err != nil {
							return err
						}
						return s.CreateSSOEvent(ctx, &store.SSOEvent{SiteID: siteID, UserID: u.ID, EventType: "login"})
					})
				}
				if err == nil {
					_, err = s.GetUser(ctx, siteID, u.ID)
				}
				if err == nil {
					_, err = s.ListUsers(ctx, siteID, store.UserQuery{Search: "w", ListOptions: store.ListOptions{Limit: 10}})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := stores[0].CountUsers(context.Background(), siteID, store.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if n != workers*rounds {
		t.Fatalf("%d users, want %d", n, workers*rounds)
	}
}

func newSite(t *testing.T, s store.Store) store.Site {
	t.Helper()
	site := store.DefaultSiteSettings()
	site.Name, site.IsDefault = "Busy", true
	if err := s.CreateSite(context.Background(), &site); err != nil {
		t.Fatal(err)
	}
	return site
}

func TestConcurrentWritesNeverBusy(t *testing.T) {
	s := open(t)
	hammer(t, []store.Store{s}, newSite(t, s).ID)
}

// TestTwoStoresOnOneFile is two Gatehouse processes (or a process and an
// admin command) sharing one database file: the busy timeout makes each
// wait for the other's write lock instead of failing.
func TestTwoStoresOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	hammer(t, []store.Store{a, b}, newSite(t, a).ID)
}

func TestOddPaths(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%20chars&_txlock=deferred")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gate house.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	newSite(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not where it was asked to be: %v", err)
	}
	// Reopening finds the data and does not migrate again.
	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DefaultSite(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", ":memory:"} {
		if _, err := sqlite.Open(bad); err == nil {
			t.Fatalf("Open(%q) succeeded", bad)
		}
	}
}

func TestClosedStoreFails(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping on a closed store succeeded")
	}
	_, err = s.GetUser(ctx, 1, 1)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetUser on a closed store gave %v", err)
	}
}
