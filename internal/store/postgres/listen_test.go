package postgres_test

import (
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// feedLog is an AccountWatcher that keeps what it was told, in order.
type feedLog struct {
	mu     sync.Mutex
	events []string // "live", "down" or "change"
	last   store.AccountChange
}

func (l *feedLog) AccountChanged(c store.AccountChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events, l.last = append(l.events, "change"), c
}

func (l *feedLog) AccountFeedLive(live bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if live {
		l.events = append(l.events, "live")
	} else {
		l.events = append(l.events, "down")
	}
}

// waitFor waits until the log's last event is want and answers the events.
func (l *feedLog) waitFor(t *testing.T, want string) []string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l.mu.Lock()
		ev := append([]string(nil), l.events...)
		l.mu.Unlock()
		if len(ev) > 0 && ev[len(ev)-1] == want {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed did not tell %q; it told %v", want, ev)
		}
	}
}

// TestAccountFeedRecoversFromALostConnection: when the listening
// connection is cut, the feed says at once that it is not live (so the
// identity core stops trusting what it remembers), listens again, says it
// is live, and carries the next change another node makes.
func TestAccountFeedRecoversFromALostConnection(t *testing.T) {
	url := pgDatabase(t)
	node, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	other, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	site := store.DefaultSiteSettings()
	site.Name, site.IsDefault = "Main", true
	if err := other.CreateSite(t.Context(), &site); err != nil {
		t.Fatal(err)
	}
	u := store.User{SiteID: site.ID, Username: "alice", AuthenticationMethod: store.AuthPassword}
	if err := other.CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}

	log := &feedLog{}
	stop := node.WatchAccounts(log)
	defer stop()
	log.waitFor(t, "live")

	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var cut int
	if err := admin.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(&cut); err != nil {
		t.Fatal(err)
	}
	if cut != 1 {
		t.Fatalf("cut %d listening connections, want 1", cut)
	}
	log.waitFor(t, "down")
	log.waitFor(t, "live")

	if _, err := other.UpdateUser(t.Context(), site.ID, u.ID, func(u *store.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "change")
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.last != (store.AccountChange{SiteID: site.ID, UserID: u.ID}) {
		t.Errorf("the change told was %+v, want site %d user %d", log.last, site.ID, u.ID)
	}
}
