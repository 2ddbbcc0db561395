package sqlstore

import (
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The columns each list sorts by (store.Sort), by field. Text fields
// sorted without regard to case use their lower-cased key columns, as the
// filters do, so that a page's last value compares the same way in SQL.
var (
	userSorts = sortColumns(store.UserSortFields(), map[string]string{
		"site_id": "u.site_id", "username": "u.username_key", "email": "u.email_key", "name": "u.name_key",
		"company": "u.company", "site_admin": "u.site_admin", "disabled": "u.disabled",
		"last_login_at": "u.last_login_at", "last_desktop_login_at": "u.last_desktop_login_at", "created_at": "u.created_at",
	})
	groupSorts     = sortColumns(store.GroupSortFields(), map[string]string{"site_id": "g.site_id", "name": "g.name_key", "created_at": "g.created_at"})
	apiKeySorts    = sortColumns(store.KeySortFields(), map[string]string{"expires_at": "k.expires_at", "created_at": "k.created_at"})
	publicKeySorts = sortColumns(store.PublicKeySortFields(), map[string]string{"created_at": "pk.created_at"})
	eventSorts     = sortColumns(store.EventSortFields(), map[string]string{"created_at": "ev.created_at", "event_type": "ev.event_type", "status": "ev.status"})
	scimLogSorts   = sortColumns(map[string]store.FieldKind{"id": store.KindID, "created_at": store.KindTime}, map[string]string{"created_at": "ev.created_at"})
)

// sortColumn is the column of a sortable field and the field's kind.
type sortColumn struct {
	col  string
	kind store.FieldKind
}

// sortColumns pairs each field of a list's sortable fields with its
// column; id needs none. A field without a column is a mistake in this
// file, found when the package loads.
func sortColumns(fields map[string]store.FieldKind, cols map[string]string) map[string]sortColumn {
	out := map[string]sortColumn{}
	for f, kind := range fields {
		if f == "id" {
			continue
		}
		col, ok := cols[f]
		if !ok {
			panic("sqlstore: sortable field " + f + " has no column")
		}
		out[f] = sortColumn{col, kind}
	}
	return out
}

// page is the ORDER BY of a list and the condition that starts it after
// the previous page's last record.
type page struct {
	order string // "u.username_key ASC NULLS FIRST, u.id ASC"
	after string // "" or " AND (…)"
	args  []any
}

// keyset builds the page of o over a table with alias. Ties and the
// order of records without a value (NULL, sorted first ascending) are
// the same on every engine, so the condition and the ORDER BY agree.
func (s *Store) keyset(alias string, sorts map[string]sortColumn, o store.ListOptions) (page, error) {
	id := alias + ".id"
	dir, nulls := "ASC", "NULLS FIRST"
	if o.Sort.Desc {
		dir, nulls = "DESC", "NULLS LAST"
	}
	if o.Sort.Field == "" || o.Sort.Field == "id" {
		p := page{order: id + " " + dir}
		switch {
		case o.AfterID > 0 && o.Sort.Desc:
			p.after, p.args = " AND "+id+" < ?", []any{o.AfterID}
		case o.AfterID > 0:
			p.after, p.args = " AND "+id+" > ?", []any{o.AfterID}
		}
		return p, nil
	}
	sc, ok := sorts[o.Sort.Field]
	if !ok {
		return page{}, fmt.Errorf("%w: this list cannot be sorted by %q", store.ErrInvalidFilter, o.Sort.Field)
	}
	order := sc.col + " " + dir
	if sc.kind == store.KindTime {
		// Only times may be NULL (text, flags and ids are NOT NULL).
		// Naming NULLs' place on a column that has none would keep
		// PostgreSQL from reading its index in order (its indexes put
		// NULL last ascending unless told otherwise), so every page
		// would sort the whole site.
		order += " " + nulls
	}
	p := page{order: order + ", " + id + " " + dir}
	if o.AfterID <= 0 {
		return p, nil
	}
	v, err := s.sortArg(sc.kind, o.Sort.After)
	if err != nil {
		return page{}, err
	}
	c := sc.col
	switch {
	case v == nil && !o.Sort.Desc:
		p.after, p.args = " AND (("+c+" IS NULL AND "+id+" > ?) OR "+c+" IS NOT NULL)", []any{o.AfterID}
	case v == nil:
		p.after, p.args = " AND ("+c+" IS NULL AND "+id+" < ?)", []any{o.AfterID}
	case !o.Sort.Desc:
		p.after, p.args = " AND ("+c+" > ? OR ("+c+" = ? AND "+id+" > ?))", []any{v, v, o.AfterID}
	default:
		p.after, p.args = " AND ("+c+" < ? OR ("+c+" = ? AND "+id+" < ?) OR "+c+" IS NULL)", []any{v, v, o.AfterID}
	}
	return p, nil
}

// sortArg is the driver value of a page's last sort value: what the
// column holds for it (lower-cased text, a stored time), nil for none.
func (s *Store) sortArg(kind store.FieldKind, v any) (any, error) {
	bad := fmt.Errorf("%w: a sort value of %T does not fit the field", store.ErrInvalidFilter, v)
	switch kind {
	case store.KindText, store.KindExact:
		str, ok := v.(string)
		if !ok {
			return nil, bad
		}
		if kind == store.KindText {
			str = Key(str)
		}
		return str, nil
	case store.KindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, bad
		}
		return b, nil
	case store.KindID:
		n, ok := v.(int64)
		if !ok {
			return nil, bad
		}
		return n, nil
	case store.KindTime:
		t, ok := v.(time.Time)
		if !ok {
			return nil, bad
		}
		return s.timeArg(t), nil
	}
	return nil, bad
}

// sortedBy gives a table the fields its lists sort by.
func (t *table[R]) sortedBy(sorts map[string]sortColumn) *table[R] {
	t.sorts = sorts
	return t
}
