package sqlstore

import "time"

// Dialect is what differs between the SQL engines behind the one shared
// implementation. Queries are written once, with ? placeholders, standard
// SQL, RETURNING and ON CONFLICT; the dialect supplies the rest.
type Dialect struct {
	// Name names the engine in error messages.
	Name string
	// NumberedPlaceholders rewrites ? into $1, $2 … (PostgreSQL).
	NumberedPlaceholders bool
	// RowLock is appended to a SELECT inside a transaction to lock the rows
	// it reads until commit; empty where the engine serialises writers
	// already (SQLite). A table alias, when the query has one, is appended
	// as "OF alias".
	RowLock string
	// CacheStatements prepares each query text once per connection and
	// reuses it. Drivers that already cache statements (pgx) leave it off.
	CacheStatements bool
	// AnalyzeGrowing has the store analyse the tables provisioning fills
	// each time one has doubled since its last analysis (growth.go): for
	// engines that keep a generic plan per prepared statement until the
	// statistics change (PostgreSQL).
	AnalyzeGrowing bool
	// IsUniqueViolation reports whether err is a unique-constraint failure.
	IsUniqueViolation func(error) bool
	// IsForeignKeyViolation reports whether err is a foreign-key failure.
	IsForeignKeyViolation func(error) bool
	// TimeValue turns a non-zero UTC time, already truncated to
	// microseconds, into the value the driver stores. It must preserve
	// order under the engine's comparison operators.
	TimeValue func(time.Time) any
	// Notify, when set, is the statement that tells the other processes
	// on the database of an account change, with the channel and the
	// payload as its two arguments (PostgreSQL's pg_notify, delivered at
	// commit); see feed.go.
	Notify string
}

// SQLiteTimeLayout is the fixed-width text form SQLite stores times in:
// UTC, microseconds, so that text comparison orders times correctly.
const SQLiteTimeLayout = "2006-01-02 15:04:05.000000"
