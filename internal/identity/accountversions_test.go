package identity

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestAccountVersions: a change moves the versions of the accounts it
// names and of no other; a feed that is not live makes every version
// untrusted, and coming back moves them all; each change wakes whoever
// waits on AccountChanges.
func TestAccountVersions(t *testing.T) {
	s := newEnv(t).svc
	version := func(site, user int64) AccountVersion {
		t.Helper()
		v, ok := s.AccountVersion(site, user)
		if !ok {
			t.Fatal("the feed of a local store is not live")
		}
		return v
	}
	waitFeedLive(t, s)
	a, b, other := version(1, 1), version(1, 2), version(2, 1)
	woken := s.AccountChanges()

	s.versions.AccountChanged(store.AccountChange{SiteID: 1, UserID: 1})
	select {
	case <-woken:
	default:
		t.Error("a change did not wake the waiter")
	}
	if version(1, 1) == a || version(1, 2) != b || version(2, 1) != other {
		t.Errorf("a change to user 1 of site 1 moved the wrong versions")
	}
	a = version(1, 1)
	s.versions.AccountChanged(store.AccountChange{SiteID: 1})
	if version(1, 1) == a || version(1, 2) == b || version(2, 1) != other {
		t.Errorf("a change to site 1 moved the wrong versions")
	}
	a, b = version(1, 1), version(1, 2)
	s.versions.AccountChanged(store.AccountChange{})
	if version(1, 1) == a || version(1, 2) == b || version(2, 1) == other {
		t.Errorf("a change to every account left a version where it was")
	}

	a = version(1, 1)
	s.versions.AccountFeedLive(false)
	if _, ok := s.AccountVersion(1, 1); ok {
		t.Error("a version was trusted while the feed is not live")
	}
	s.versions.AccountFeedLive(true)
	if version(1, 1) == a {
		t.Error("the feed coming back left a version where it was: changes made meanwhile would be missed")
	}
}

// waitFeedLive waits until the service's store feed is live.
func waitFeedLive(t *testing.T, s *Service) {
	t.Helper()
	for range 1000 {
		if _, ok := s.AccountVersion(1, 1); ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the account feed did not become live")
}
