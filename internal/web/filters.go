package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Files.com lists take filters as filter[field]=value, ranges as
// filter_gt[field], filter_gteq[field], filter_lt[field], filter_lteq[field],
// and order as sort_by[field]=asc|desc. A list here accepts a fixed set of
// fields; anything else is refused rather than silently ignored, since an
// ignored filter returns records the caller meant to exclude.

// filterSpec is what a list accepts.
type filterSpec struct {
	equal     []string // fields for filter[...]
	timeRange bool     // created_at ranges
	sortable  []string // fields for sort_by[...] (ascending only)
}

// listFilters holds the parsed filters.
type listFilters struct {
	equal         map[string]string
	createdAfter  time.Time // inclusive
	createdBefore time.Time // exclusive
}

func parseFilters(q url.Values, spec filterSpec) (listFilters, error) {
	f := listFilters{equal: map[string]string{}}
	for key, vals := range q {
		op, field, ok := bracketed(key)
		if !ok {
			continue
		}
		val := ""
		if len(vals) > 0 {
			val = vals[0]
		}
		switch op {
		case "filter":
			if !slices.Contains(spec.equal, field) {
				return f, errInvalidFilterField.With("this list cannot be filtered by %q", truncate(field, 40))
			}
			f.equal[field] = val
		case "filter_gt", "filter_gteq", "filter_lt", "filter_lteq":
			if !spec.timeRange || field != "created_at" {
				return f, errInvalidFilterField.With("this list has no range filter on %q", truncate(field, 40))
			}
			t, ok := parseTime(val)
			if !ok {
				return f, errInvalidQuery.With("%s[created_at] must be an RFC 3339 time", op)
			}
			f.applyRange(op, t)
		case "sort_by":
			if !slices.Contains(spec.sortable, field) || !strings.EqualFold(val, "asc") {
				return f, errInvalidSortField
			}
		case "filter_prefix":
			return f, errInvalidFilterField.With("this list has no prefix filters")
		}
	}
	return f, nil
}

// applyRange narrows the created_at window; the store's bounds are an
// inclusive lower and an exclusive upper one.
func (f *listFilters) applyRange(op string, t time.Time) {
	var after, before time.Time
	switch op {
	case "filter_gt":
		after = t.Add(time.Nanosecond)
	case "filter_gteq":
		after = t
	case "filter_lt":
		before = t
	case "filter_lteq":
		before = t.Add(time.Nanosecond)
	}
	if !after.IsZero() && after.After(f.createdAfter) {
		f.createdAfter = after
	}
	if !before.IsZero() && (f.createdBefore.IsZero() || before.Before(f.createdBefore)) {
		f.createdBefore = before
	}
}

// bracketed splits "filter[username]" into "filter" and "username".
func bracketed(key string) (op, field string, ok bool) {
	i := strings.IndexByte(key, '[')
	if i <= 0 || !strings.HasSuffix(key, "]") {
		return "", "", false
	}
	return key[:i], key[i+1 : len(key)-1], true
}

// int64Filter parses an id filter value.
func (f listFilters) int64Filter(field string) (int64, error) {
	v, ok := f.equal[field]
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errInvalidQuery.With("filter[%s] must be a record id", field)
	}
	return n, nil
}

// eventQuery builds the store query of an event log from filters.
func (f listFilters) eventQuery(p pageRequest) (store.EventQuery, error) {
	q := store.EventQuery{
		ListOptions:   p.options(),
		EventType:     f.equal["event_type"],
		Status:        f.equal["status"],
		Username:      f.equal["username"],
		CreatedAfter:  f.createdAfter,
		CreatedBefore: f.createdBefore,
	}
	var err error
	if q.UserID, err = f.int64Filter("user_id"); err != nil {
		return q, err
	}
	if q.SSOStrategyID, err = f.int64Filter("sso_strategy_id"); err != nil {
		return q, err
	}
	return q, nil
}
