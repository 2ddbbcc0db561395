package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestUsernameKeysOfExistingUsers: users that existed before the
// look-alike key get it when the store opens; of two that already looked
// alike the older gets it and the younger keeps working without one, and
// no third look-alike can be added.
func TestUsernameKeysOfExistingUsers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	site := store.Site{Name: "Legacy", IsDefault: true}
	if err := st.CreateSite(ctx, &site); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Rows as an older Gatehouse wrote them: no key.
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"admin", "ａdmin", "carol"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO users (site_id, username, username_key, created_at, updated_at)
			VALUES (?, ?, lower(?), '2026-01-01 00:00:00', '2026-01-01 00:00:00')`, site.ID, name, name); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s, err := OpenStore(ctx, path)
	if err != nil {
		t.Fatalf("open with users to key: %v", err)
	}
	defer s.Close()
	if twins, err := s.FillUsernameSkeletons(ctx); err != nil || twins != 1 {
		t.Fatalf("a second fill: %d twins, %v; want the one younger look-alike left without a key", twins, err)
	}
	found, err := s.ListUsers(ctx, site.ID, store.UserQuery{LooksLike: "admin"})
	if err != nil || len(found) != 1 || found[0].Username != "admin" {
		t.Fatalf("LooksLike admin: %+v %v; want the older admin only", found, err)
	}
	twin, err := s.GetUserByUsername(ctx, site.ID, "ａdmin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUser(ctx, site.ID, twin.ID, func(u *store.User) error { u.Email = "twin@example.com"; return nil }); err != nil {
		t.Fatalf("the younger look-alike can no longer be updated: %v", err)
	}
	third := store.User{SiteID: site.ID, Username: "аdmin"}
	if err := s.CreateUser(ctx, &third); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a third look-alike: %v, want a conflict", err)
	}
	// Renamed, the younger gets a key of its own like everyone.
	if _, err := s.UpdateUser(ctx, site.ID, twin.ID, func(u *store.User) error { u.Username = "dana"; return nil }); err != nil {
		t.Fatal(err)
	}
	if found, _ := s.ListUsers(ctx, site.ID, store.UserQuery{LooksLike: "dаna"}); len(found) != 1 || found[0].ID != twin.ID {
		t.Fatalf("the renamed user has no key: %+v", found)
	}
}
