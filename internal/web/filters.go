package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Files.com's lists take filters as filter[field]=value (equal to),
// filter_prefix[field]=value (starts with), filter_gt, filter_gteq,
// filter_lt and filter_lteq[field]=value (ranges), and their order as
// sort_by[field]=asc|desc: the form both of Files.com's SDKs send (each
// writes a nested object as key[field]=value in the query string). Each
// list names the fields it takes for each kind of filter and for sorting;
// anything else is refused with Files.com's error type rather than
// ignored, since an ignored filter returns records the caller meant to
// exclude. Filters combine with AND, in any combination (Files.com allows
// only some; Gatehouse has no reason to refuse the others).

// filterOps says which kinds of filter a field takes.
type filterOps uint8

const (
	opEqual  filterOps = 1 << iota // filter[field]
	opPrefix                       // filter_prefix[field]
	opRange                        // filter_gt/_gteq/_lt/_lteq[field]
)

// fieldSpec is one field of a list: its kind of value, the filters it
// takes and whether the list sorts by it.
type fieldSpec struct {
	kind store.FieldKind
	ops  filterOps
	sort bool
	// as is the store's name for the field, when it differs; negate
	// compares the store's field with the opposite value (not_site_admin).
	as     string
	negate bool
}

// listSpec is what a list accepts, by field name.
type listSpec map[string]fieldSpec

// condition is one parsed filter.
type condition struct {
	field string // the store's field name
	op    store.FilterOp
	value any // string, bool, int64 or time.Time, by the field's kind
}

// listQuery is a list request's filters and order.
type listQuery struct {
	conds []condition
	sort  store.Sort // Field and Desc; After comes from the cursor
}

// filterErrors are Files.com's error types for a list's parameters.
var (
	errInvalidFilterParam = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-filter-param",
		Title: "Invalid Filter Param", Message: "that is not a filter this API has"}
	errInvalidFilterFormat = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-filter-param-format",
		Title: "Invalid Filter Param Format", Message: "write filters as filter[field]=value"}
	errInvalidFilterValue = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-filter-param-value",
		Title: "Invalid Filter Param Value", Message: "a filter's value does not fit its field"}
	errMultipleSorts = &identity.Error{Status: http.StatusBadRequest, Type: "bad-request/multiple-sort-params-not-allowed",
		Title: "Multiple Sort Params Not Allowed", Message: "a list sorts by one field; send one sort_by"}
)

// maxFilterValue bounds a filter value's length.
const maxFilterValue = 1024

// parseListQuery reads the filters and the sort of a list request.
func parseListQuery(q url.Values, spec listSpec) (listQuery, error) {
	var lq listQuery
	sorted := false
	for key, vals := range q {
		op, field, ok := bracketed(key)
		if !ok {
			if strings.HasPrefix(key, "filter") || strings.HasPrefix(key, "sort_by") {
				return lq, errInvalidFilterFormat.With("%q is not a list parameter; write filter[field]=value, filter_prefix[field]=value, filter_gt[field]=value or sort_by[field]=asc", truncate(key, 40))
			}
			continue // another parameter, such as the npm SDK's page
		}
		if op != "sort_by" && !strings.HasPrefix(op, "filter") {
			continue
		}
		if len(vals) != 1 {
			return lq, errInvalidFilterFormat.With("give %s once", truncate(key, 60))
		}
		val := vals[0]
		if len(val) > maxFilterValue {
			return lq, errInvalidFilterValue.With("%s is longer than %d bytes", truncate(key, 60), maxFilterValue)
		}
		fs, known := spec[field]
		if op == "sort_by" {
			if sorted {
				return lq, errMultipleSorts
			}
			sorted = true
			if !known || !fs.sort {
				return lq, errInvalidSortField.With("this list cannot be sorted by %q; sort_by takes %s", truncate(field, 40), spec.names(func(f fieldSpec) bool { return f.sort }))
			}
			switch strings.ToLower(val) {
			case "asc":
			case "desc":
				lq.sort.Desc = true
			default:
				return lq, errInvalidSortField.With("sort_by[%s] must be asc or desc", field)
			}
			lq.sort.Field = fs.storeName(field)
			continue
		}
		c, err := parseCondition(op, field, val, fs, known, spec)
		if err != nil {
			return lq, err
		}
		lq.conds = append(lq.conds, c)
	}
	// The query string's order is the map's: sort, so that the same
	// request always makes the same SQL.
	slices.SortFunc(lq.conds, func(a, b condition) int {
		return strings.Compare(a.field+" "+string(a.op), b.field+" "+string(b.op))
	})
	return lq, nil
}

// filterKinds are the filter parameters, with the operation each compares
// with and the kind of filter it is.
var filterKinds = map[string]struct {
	op   store.FilterOp
	ops  filterOps
	what string
}{
	"filter":        {store.OpEq, opEqual, "filter"},
	"filter_prefix": {store.OpStarts, opPrefix, "filter_prefix"},
	"filter_gt":     {store.OpGt, opRange, "filter_gt, filter_gteq, filter_lt and filter_lteq"},
	"filter_gteq":   {store.OpGe, opRange, "filter_gt, filter_gteq, filter_lt and filter_lteq"},
	"filter_lt":     {store.OpLt, opRange, "filter_gt, filter_gteq, filter_lt and filter_lteq"},
	"filter_lteq":   {store.OpLe, opRange, "filter_gt, filter_gteq, filter_lt and filter_lteq"},
}

func parseCondition(op, field, val string, fs fieldSpec, known bool, spec listSpec) (condition, error) {
	kind, ok := filterKinds[op]
	if !ok {
		return condition{}, errInvalidFilterParam.With("%q is not one of Files.com's filters (filter, filter_prefix, filter_gt, filter_gteq, filter_lt, filter_lteq)", truncate(op, 40))
	}
	if !known || fs.ops&kind.ops == 0 {
		takes := spec.names(func(f fieldSpec) bool { return f.ops&kind.ops != 0 })
		if takes == "" {
			return condition{}, errInvalidFilterField.With("this list takes no %s", kind.what)
		}
		return condition{}, errInvalidFilterField.With("this list cannot be filtered by %q with %s; it takes %s", truncate(field, 40), op, takes)
	}
	c := condition{field: fs.storeName(field), op: kind.op}
	switch fs.kind {
	case store.KindBool:
		b, ok := parseBool(val)
		if !ok || strings.TrimSpace(val) == "" {
			return c, errInvalidFilterValue.With("%s[%s] must be true or false", op, field)
		}
		c.value = b != fs.negate
	case store.KindTime:
		t, ok := parseTime(val)
		if !ok {
			return c, errInvalidFilterValue.With("%s[%s] must be a date (2024-01-31) or an RFC 3339 time (2024-01-31T12:00:00Z)", op, field)
		}
		c.value = t
	case store.KindID:
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 {
			return c, errInvalidFilterValue.With("%s[%s] must be a record id", op, field)
		}
		c.value = n
	default:
		c.value = val
	}
	return c, nil
}

func (f fieldSpec) storeName(field string) string {
	if f.as != "" {
		return f.as
	}
	return field
}

// names lists, for messages, the fields for which keep is true.
func (s listSpec) names(keep func(fieldSpec) bool) string {
	var out []string
	for name, f := range s {
		if keep(f) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// storeFilter is the conditions as one store filter (nil for none), for
// the lists whose store query takes a Filter.
func (lq listQuery) storeFilter() *store.Filter {
	var leaves []store.Filter
	for _, c := range lq.conds {
		v := c.value
		if n, ok := v.(int64); ok {
			v = strconv.FormatInt(n, 10) // the store takes ids as decimal strings
		}
		leaves = append(leaves, store.Filter{Op: c.op, Field: c.field, Value: v})
	}
	switch len(leaves) {
	case 0:
		return nil
	case 1:
		return &leaves[0]
	}
	return &store.Filter{Op: store.OpAnd, Args: leaves}
}

// take removes the equality conditions on field and returns the value of
// the last, for a field a store query has its own parameter for.
func (lq *listQuery) take(field string) (any, bool) {
	var v any
	found := false
	kept := lq.conds[:0]
	for _, c := range lq.conds {
		if c.field == field && c.op == store.OpEq {
			v, found = c.value, true
			continue
		}
		kept = append(kept, c)
	}
	lq.conds = kept
	return v, found
}

// bracketed splits "filter[username]" into "filter" and "username".
func bracketed(key string) (op, field string, ok bool) {
	i := strings.IndexByte(key, '[')
	if i <= 0 || !strings.HasSuffix(key, "]") || strings.ContainsAny(key[i+1:len(key)-1], "[]") {
		return "", "", false
	}
	return key[:i], key[i+1 : len(key)-1], true
}

// eventQuery builds the store query of an event log: the logs' own
// fields are equalities, created_at a window (equality is the window of
// that one microsecond, the precision times are kept at).
func (lq listQuery) eventQuery(o store.ListOptions) store.EventQuery {
	q := store.EventQuery{ListOptions: o}
	for _, c := range lq.conds {
		switch c.field {
		case "event_type":
			q.EventType = c.value.(string)
		case "status":
			q.Status = c.value.(string)
		case "username":
			q.Username = c.value.(string)
		case "user_id":
			q.UserID = c.value.(int64)
		case "sso_strategy_id":
			q.SSOStrategyID = c.value.(int64)
		case "created_at":
			q.CreatedAfter, q.CreatedBefore = narrow(q.CreatedAfter, q.CreatedBefore, c.op, c.value.(time.Time))
		}
	}
	return q
}

// narrow tightens a window [after, before) by one comparison with t. The
// store keeps times to the microsecond, so the bounds are whole
// microseconds: the first kept time the comparison lets in, and the
// first it keeps out.
func narrow(after, before time.Time, op store.FilterOp, t time.Time) (time.Time, time.Time) {
	floor := t.Truncate(time.Microsecond)
	ceil := floor
	if !floor.Equal(t) {
		ceil = floor.Add(time.Microsecond)
	}
	var lo, hi time.Time
	switch op {
	case store.OpEq:
		lo, hi = ceil, floor.Add(time.Microsecond)
	case store.OpGt:
		lo = floor.Add(time.Microsecond)
	case store.OpGe:
		lo = ceil
	case store.OpLt:
		hi = ceil
	case store.OpLe:
		hi = floor.Add(time.Microsecond)
	}
	if !lo.IsZero() && lo.After(after) {
		after = lo
	}
	if !hi.IsZero() && (before.IsZero() || hi.Before(before)) {
		before = hi
	}
	return after, before
}
