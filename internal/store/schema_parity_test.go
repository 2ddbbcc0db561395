package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestSchemaParity: after every migration, SQLite and PostgreSQL have the
// same tables, the same columns (name, nullability and kind of type) and
// the same indexes (name, uniqueness, partial or not, columns). The two
// migration directories are written by hand side by side; a column added
// to one only, or NOT NULL on one side only, would pass every test run on
// the other database and break in production on this one.
func TestSchemaParity(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	lite, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := lite.Close(); err != nil {
		t.Fatal(err)
	}
	url := pgtest.Database(t)
	pg, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.Close(); err != nil {
		t.Fatal(err)
	}

	liteDB, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer liteDB.Close()
	pgDB, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pgDB.Close()

	want := sqliteSchema(t, liteDB)
	got := postgresSchema(t, pgDB)
	if len(want) < 10 {
		t.Fatalf("SQLite has only %d schema lines: is the query wrong?", len(want))
	}
	var diffs []string
	for _, l := range want {
		if !slices.Contains(got, l) {
			diffs = append(diffs, "SQLite only:     "+l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			diffs = append(diffs, "PostgreSQL only: "+l)
		}
	}
	t.Logf("%d columns and indexes compared", len(want))
	if len(diffs) > 0 {
		t.Fatalf("the schemas differ:\n%s", strings.Join(diffs, "\n"))
	}
}

// A schema is one line per column and per index, sorted:
//
//	column users.email text not null
//	index users users_email unique partial (email_key)

// sqliteTypes and postgresTypes map declared types to a kind both share.
// SQLite has no boolean type: its booleans are INTEGER 0/1, so BOOLEAN is
// an integer here; BIGINT has SQLite's INTEGER affinity.
var (
	sqliteTypes   = map[string]string{"INTEGER": "integer", "BIGINT": "integer", "TEXT": "text", "TIMESTAMP": "time", "BLOB": "bytes"}
	postgresTypes = map[string]string{"bigint": "integer", "integer": "integer", "smallint": "integer", "boolean": "integer",
		"text": "text", "timestamp with time zone": "time", "bytea": "bytes"}
)

func sqliteSchema(t *testing.T, db *sql.DB) []string {
	t.Helper()
	tables := queryStrings(t, db, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`)
	var lines []string
	for _, table := range tables {
		rows, err := db.Query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ string
			var notNull, pk int
			if err := rows.Scan(&name, &typ, &notNull, &pk); err != nil {
				t.Fatal(err)
			}
			kind, ok := sqliteTypes[strings.ToUpper(typ)]
			if !ok {
				kind = "unmapped " + typ
			}
			// An INTEGER PRIMARY KEY is the rowid, never null.
			lines = append(lines, columnLine(table, name, kind, notNull == 1 || pk > 0))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, idx := range queryStrings(t, db, `SELECT name FROM pragma_index_list(?) WHERE origin = 'c'`, table) {
			var unique, partial int
			if err := db.QueryRow(`SELECT "unique", partial FROM pragma_index_list(?) WHERE name = ?`, table, idx).Scan(&unique, &partial); err != nil {
				t.Fatal(err)
			}
			cols := queryStrings(t, db, `SELECT coalesce(name, '<expression>') FROM pragma_index_xinfo(?) WHERE key ORDER BY seqno`, idx)
			lines = append(lines, indexLine(table, idx, unique == 1, partial == 1, cols))
		}
	}
	slices.Sort(lines)
	return lines
}

func postgresSchema(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var lines []string
	rows, err := db.Query(`SELECT table_name, column_name, data_type, is_nullable = 'NO'
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, name, typ string
		var notNull bool
		if err := rows.Scan(&table, &name, &typ, &notNull); err != nil {
			t.Fatal(err)
		}
		kind, ok := postgresTypes[typ]
		if !ok {
			kind = "unmapped " + typ
		}
		lines = append(lines, columnLine(table, name, kind, notNull))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	// Indexes made with CREATE INDEX, not those behind a primary key or a
	// UNIQUE constraint (SQLite's origin 'c').
	rows, err = db.Query(`SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL,
			array_to_string(array(SELECT coalesce(a.attname, '<expression>')
				FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
				LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
				ORDER BY k.n), ',')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace ns ON ns.oid = t.relnamespace
		WHERE ns.nspname = current_schema() AND t.relname <> 'goose_db_version'
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, idx, cols string
		var unique, partial bool
		if err := rows.Scan(&table, &idx, &unique, &partial, &cols); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, indexLine(table, idx, unique, partial, strings.Split(cols, ",")))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return lines
}

func columnLine(table, name, kind string, notNull bool) string {
	null := "null"
	if notNull {
		null = "not null"
	}
	return fmt.Sprintf("column %s.%s %s %s", table, name, kind, null)
}

func indexLine(table, name string, unique, partial bool, cols []string) string {
	l := "index " + table + " " + name
	if unique {
		l += " unique"
	}
	if partial {
		l += " partial"
	}
	return l + " (" + strings.Join(cols, ",") + ")"
}

// queryStrings runs a query of one text column.
func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
