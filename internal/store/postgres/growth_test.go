package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// The lookups provisioning makes for every new user, as the store writes
// them (the selected columns aside): by external id, by username, by
// look-alike key. Each must read its own index, whatever the parameters.
var userLookups = []struct {
	name, sql, args, index string
}{
	{"by_ext", "SELECT u.id FROM users u WHERE u.site_id = $1 AND u.sso_strategy_id = $2 AND u.external_id = $3 ORDER BY u.id ASC LIMIT $4",
		"(%d, %d, 'ext-none', 1)", "users_site_external"},
	{"by_name", "SELECT u.id FROM users u WHERE u.site_id = $1 AND u.username_key = $2",
		"(%d, 'none@example.com')", "users_site_username"},
	{"by_skel", "SELECT u.id FROM users u WHERE u.site_id = $1 AND u.username_skeleton = $2 AND u.username_skeleton <> '' ORDER BY u.id ASC LIMIT $3",
		"(%d, 'none@example.com', 2)", "users_site_skeleton"},
}

// A generic plan made while the users table was empty is made again on
// statistics once the table has grown, without waiting for autovacuum:
// the store analyses the table itself as it doubles. Before, such a plan
// read the site's users through an index on site_id alone, every row per
// lookup, until autovacuum's first analysis a minute or more later.
func TestGenericPlansFollowTableGrowth(t *testing.T) {
	ctx := context.Background()
	url := pgDatabase(t)
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	site := store.DefaultSiteSettings()
	site.Name, site.IsDefault = "Growth", true
	if err := s.CreateSite(ctx, &site); err != nil {
		t.Fatal(err)
	}
	p := store.SSOStrategy{SiteID: site.ID, Protocol: "saml", Label: "Entra"}
	if err := s.CreateSSOStrategy(ctx, &p); err != nil {
		t.Fatal(err)
	}

	// A session of its own, as one of the store's pooled connections:
	// its statements are prepared and planned while the table is empty.
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Autovacuum stays out of it: the analyses must be the store's.
	exec("ALTER TABLE users SET (autovacuum_enabled = false)")
	exec("SET plan_cache_mode = force_generic_plan")
	explain := func(l int) string {
		t.Helper()
		args := userLookups[l].args
		if strings.Count(args, "%d") == 2 {
			args = fmt.Sprintf(args, site.ID, p.ID)
		} else {
			args = fmt.Sprintf(args, site.ID)
		}
		rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE "+userLookups[l].name+args)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return plan.String()
	}
	for l, q := range userLookups {
		exec("PREPARE " + q.name + " AS " + q.sql)
		explain(l) // planned now, on an empty table, and kept
	}

	const users = 3000
	for i := range users {
		u := store.User{SiteID: site.ID, Username: fmt.Sprintf("user%05d@example.com", i), Email: fmt.Sprintf("user%05d@example.com", i),
			Name: "User", AuthenticationMethod: store.AuthSSO, SSOStrategyID: p.ID, ExternalID: fmt.Sprintf("ext-%05d", i),
			ExternallyManaged: true}
		if err := s.Tx(ctx, func(ctx context.Context) error { return s.CreateUser(ctx, &u) }); err != nil {
			t.Fatal(err)
		}
	}
	// The store analyses in the background, each time the table has
	// doubled: wait until its statistics hold at least a quarter of the
	// users.
	var tuples float64
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := conn.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE relname = 'users'").Scan(&tuples); err != nil {
			t.Fatal(err)
		}
		if tuples >= users/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("users has %.0f rows by its statistics after %d inserts: the store did not analyse it", tuples, users)
		}
	}
	for l, q := range userLookups {
		plan := explain(l)
		if !strings.Contains(plan, "Index Scan using "+q.index+" ") || !strings.Contains(plan, "Index Cond") ||
			strings.Contains(plan, "Filter") {
			t.Errorf("%s: generic plan at %d users does not look the user up by %s:\n%s", q.name, users, q.index, plan)
		}
	}
}
