package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/store"
)

// defaultLimit is the page size when ListOptions.Limit is 0; maxLimit is
// the largest page a caller may ask for (the REST API's largest per_page,
// 10,000, plus the one record it reads to learn whether a next page exists).
const (
	defaultLimit = 1000
	maxLimit     = 10001
)

// table describes how one record kind maps to one table, and holds the SQL
// generated from that description once.
type table[R any] struct {
	name   string // table name
	alias  string // alias in FROM, used to qualify columns
	from   string // FROM clause: the table, or a join
	what   string // the record's name in errors
	fields func(*R) []field
	sorts  map[string]sortColumn // the fields its lists sort by, besides id

	selectCols string // qualified, for SELECT
	returnCols string // unqualified, for RETURNING; tables without joined fields only
	insertSQL  string // INSERT … RETURNING id
	updateSQL  string // UPDATE … WHERE id = ?
}

// newTable builds the SQL for a record kind. The first field must be id.
func newTable[R any](name, alias, from, what string, fields func(*R) []field) *table[R] {
	t := &table[R]{name: name, alias: alias, from: from, what: what, fields: fields}
	if t.from == "" {
		t.from = name + " " + alias
	}
	var zero R
	var sel, ret, ins, marks, set []string
	for _, f := range fields(&zero) {
		switch f.ptr.(type) {
		case joined:
			sel = append(sel, f.col)
			continue
		case lowerKey, skeletonKey:
		default:
			sel = append(sel, alias+"."+f.col)
			ret = append(ret, f.col)
		}
		if f.col == "id" {
			continue
		}
		ins = append(ins, f.col)
		marks = append(marks, "?")
		switch k := f.ptr.(type) {
		case skeletonKey:
			// SET expressions read the row as it was before the update.
			set = append(set, fmt.Sprintf("%s = CASE WHEN %s = '' AND %s = ? THEN '' ELSE ? END", f.col, f.col, k.keyCol))
		default:
			if f.col != "site_id" && f.col != "created_at" {
				set = append(set, f.col+" = ?")
			}
		}
	}
	t.selectCols = strings.Join(sel, ", ")
	if len(ret) == len(sel) {
		t.returnCols = strings.Join(ret, ", ")
	}
	t.insertSQL = "INSERT INTO " + name + " (" + strings.Join(ins, ", ") + ") VALUES (" +
		strings.Join(marks, ", ") + ") RETURNING id"
	t.updateSQL = "UPDATE " + name + " SET " + strings.Join(set, ", ") + " WHERE id = ?"
	return t
}

// selectSQL is a SELECT of the record's columns with a WHERE clause.
func (t *table[R]) selectSQL(where string) string {
	return "SELECT " + t.selectCols + " FROM " + t.from + " WHERE " + where
}

// stamp fills created_at and updated_at when the caller left them zero,
// and brings every time field to the stored precision, so the record the
// caller holds equals what a later read returns.
func stamp(fs []field, now time.Time) {
	var created *time.Time
	for _, f := range fs {
		p, ok := f.ptr.(*time.Time)
		if !ok {
			continue
		}
		switch f.col {
		case "created_at":
			created = p
			if p.IsZero() {
				*p = now
			}
		case "updated_at":
			if p.IsZero() {
				if created != nil {
					*p = *created
				} else {
					*p = now
				}
			}
		}
		*p = normalTime(*p)
	}
}

// insert writes r and sets its id. conflict describes the uniqueness rule
// a duplicate would break.
func insert[R any](ctx context.Context, s *Store, t *table[R], r *R, conflict string) error {
	fs := t.fields(r)
	stamp(fs, time.Now())
	args := make([]any, 0, len(fs))
	var id *int64
	for _, f := range fs {
		switch f.ptr.(type) {
		case joined:
			continue
		}
		if f.col == "id" {
			id = f.ptr.(*int64)
			continue
		}
		args = append(args, s.arg(f))
	}
	if err := s.queryRow(ctx, true, t.insertSQL, args...).Scan(id); err != nil {
		return s.mapErr(err, t.what, conflict)
	}
	s.grew(ctx, t.name, 1)
	return nil
}

// scanRow reads one row of t's columns.
func scanRow[R any](t *table[R], row rowScanner) (R, error) {
	var r R
	fs := t.fields(&r)
	dests := make([]any, 0, len(fs))
	for _, f := range fs {
		switch f.ptr.(type) {
		case lowerKey, skeletonKey:
			continue
		}
		dests = append(dests, dest(f))
	}
	err := row.Scan(dests...)
	return r, err
}

// get reads the one record matching where.
func get[R any](ctx context.Context, s *Store, t *table[R], where string, args ...any) (R, error) {
	r, err := scanRow(t, s.queryRow(ctx, false, t.selectSQL(where), args...))
	if err != nil {
		var zero R
		return zero, s.mapErr(err, t.what, "")
	}
	return r, nil
}

// list reads one page of records matching where, in o's order (by id
// unless o.Sort names a field of the table's sorts).
func list[R any](ctx context.Context, s *Store, t *table[R], where string, args []any, o store.ListOptions) ([]R, error) {
	limit := o.Limit
	switch {
	case limit <= 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	p, err := s.keyset(t.alias, t.sorts, o)
	if err != nil {
		return nil, err
	}
	q := t.selectSQL(where+p.after) + " ORDER BY " + p.order + " LIMIT ?"
	args = append(append(args, p.args...), limit)
	if o.Offset > 0 {
		q += " OFFSET ?"
		args = append(args, o.Offset)
	}
	return queryAll(ctx, s, t, q, args...)
}

// all reads every record matching where, ordered by id: for the short
// lists that are never paged, such as one user's groups.
func all[R any](ctx context.Context, s *Store, t *table[R], where string, args ...any) ([]R, error) {
	return queryAll(ctx, s, t, t.selectSQL(where)+" ORDER BY "+t.alias+".id", args...)
}

// queryAll runs q, a SELECT of t's columns, and scans every row.
func queryAll[R any](ctx context.Context, s *Store, t *table[R], q string, args ...any) ([]R, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, s.mapErr(err, t.what, "")
	}
	defer rows.Close()
	out := []R{}
	for rows.Next() {
		r, err := scanRow(t, rows)
		if err != nil {
			return nil, s.mapErr(err, t.what, "")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.mapErr(err, t.what, "")
	}
	return out, nil
}

// lockClause is the dialect's row lock for a SELECT over t.
func (s *Store) lockClause(alias string) string {
	if s.d.RowLock == "" {
		return ""
	}
	return s.d.RowLock + " OF " + alias
}

// update reads the record matching where under a row lock, lets fn change
// a copy, and writes every column back, all in one transaction. The id,
// site and creation time never change; updated_at is set to now unless fn
// set it. conflict, when not nil, describes the rule a duplicate broke. keep, when not nil, restores further fields fn may not change.
func update[R any](ctx context.Context, s *Store, t *table[R], conflict func(*R) string, fn func(*R) error,
	keep func(old, cur *R), where string, args ...any) (R, error) {
	var out R
	err := s.Tx(ctx, func(ctx context.Context) error {
		old, err := get(ctx, s, t, where+s.lockClause(t.alias), args...)
		if err != nil {
			return err
		}
		cur := old
		if err := fn(&cur); err != nil {
			return err
		}
		if keep != nil {
			keep(&old, &cur)
		}
		oldFs, curFs := t.fields(&old), t.fields(&cur)
		now := time.Now()
		vals := make([]any, 0, len(curFs))
		var id int64
		for i, f := range curFs {
			switch f.col {
			case "id":
				*f.ptr.(*int64) = *oldFs[i].ptr.(*int64)
				id = *oldFs[i].ptr.(*int64)
				continue
			case "site_id":
				*f.ptr.(*int64) = *oldFs[i].ptr.(*int64)
				continue
			case "created_at":
				*f.ptr.(*time.Time) = *oldFs[i].ptr.(*time.Time)
				continue
			case "updated_at":
				p := f.ptr.(*time.Time)
				if p.Equal(*oldFs[i].ptr.(*time.Time)) {
					*p = now
				}
				*p = normalTime(*p)
			}
			switch p := f.ptr.(type) {
			case joined:
				continue
			case *time.Time:
				*p = normalTime(*p)
			case skeletonKey:
				vals = append(vals, Key(*p.p))
			}
			vals = append(vals, s.arg(f))
		}
		vals = append(vals, id)
		if _, err := s.exec(ctx, t.updateSQL, vals...); err != nil {
			rule := ""
			if conflict != nil {
				rule = conflict(&cur)
			}
			return s.mapErr(err, t.what, rule)
		}
		out = cur
		return nil
	})
	if err != nil {
		var zero R
		return zero, err
	}
	return out, nil
}

// deleteWhere removes the rows of t matching where and says how many.
func deleteWhere(ctx context.Context, s *Store, name, what, where string, args ...any) (int, error) {
	res, err := s.exec(ctx, "DELETE FROM "+name+" WHERE "+where, args...)
	if err != nil {
		return 0, s.mapErr(err, what, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete %s: %w", what, err)
	}
	return int(n), nil
}

// deleteOne removes exactly one row; none is ErrNotFound.
func deleteOne(ctx context.Context, s *Store, name, what, where string, args ...any) error {
	n, err := deleteWhere(ctx, s, name, what, where, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	return nil
}

// filter collects the WHERE conditions of a query with their arguments.
type filter struct {
	conds []string
	args  []any
}

func (f *filter) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

func (f *filter) where() string { return strings.Join(f.conds, " AND ") }

// likePrefix is a LIKE pattern matching strings that start with s, with
// LIKE's wildcards in s escaped (use with ESCAPE '\').
// prefixRange is the range [lo, hi) of the strings that start with p,
// in bytewise (code point) order: p itself, and p with its last
// character replaced by the next one. ok is false for a prefix that is
// not valid UTF-8 or whose last character has no next one, which a
// caller matches with LIKE instead.
func prefixRange(p string) (lo, hi string, ok bool) {
	if p == "" || !utf8.ValidString(p) {
		return "", "", false
	}
	last, size := utf8.DecodeLastRuneInString(p)
	next := last + 1
	if next >= 0xD800 && next <= 0xDFFF {
		next = 0xE000 // surrogates are no characters
	}
	if next > utf8.MaxRune {
		return "", "", false
	}
	return p, p[:len(p)-size] + string(next), true
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
