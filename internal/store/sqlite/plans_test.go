package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserLookupPlans: the lookups provisioning makes for every new user,
// as the store writes them (the selected columns aside), each read their
// own index. The look-alike lookup also requires a non-empty key, so that
// the partial index on the key applies whatever the bound value; without
// it SQLite read every user of the site through users_site_created, per
// create.
func TestUserLookupPlans(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, l := range []struct {
		sql   string
		args  []any
		index string
	}{
		{"u.site_id = ? AND u.sso_strategy_id = ? AND u.external_id = ? ORDER BY u.id ASC LIMIT ?", []any{1, 1, "ext", 1},
			"users_site_external (site_id=? AND sso_strategy_id=? AND external_id=?)"},
		{"u.site_id = ? AND u.username_key = ?", []any{1, "alice"}, "users_site_username (site_id=? AND username_key=?)"},
		{"u.site_id = ? AND u.username_skeleton = ? AND u.username_skeleton <> '' ORDER BY u.id ASC LIMIT ?", []any{1, "alice", 2},
			"users_site_skeleton (site_id=? AND username_skeleton=?)"},
	} {
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT u.id FROM users u WHERE "+l.sql, l.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&plan, detail)
		}
		rows.Close()
		if !strings.Contains(plan.String(), "INDEX "+l.index) {
			t.Errorf("WHERE %s:\nplan %s\nwant a search of %s", l.sql, plan.String(), l.index)
		}
	}
}
