package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/namekey"
)

// field ties one column to one record field. ptr is a pointer into the
// record (*int64, *int, *string, *bool, *[]byte, *time.Time, *[]string)
// or one of the wrappers below, which change how the value is stored.
type field struct {
	col string
	ptr any
}

// optionalID stores an id of 0 as NULL, for references that may be absent
// (an API key of the whole site has no user).
type optionalID struct{ p *int64 }

// lowerKey is a write-only column holding the lower-cased copy of another
// field, so that lookups and uniqueness ignore case the same way on every
// engine (SQL lower() only folds ASCII on some of them).
type lowerKey struct{ p *string }

// skeletonKey is a write-only column holding the look-alike key of a
// username (namekey.Skeleton), kept unique per site by an index. An update
// leaves ” in place while the name stays the same: ” marks a user whose
// key an older user already held when the column was filled, who keeps
// working as before; renaming them gives them the key like everyone else.
// keyCol is the column of the name's lowerKey, which the update compares.
type skeletonKey struct {
	p      *string
	keyCol string
}

// joined is a read-only column computed by a join (a membership's group
// name, for example); col is the full expression, p where it is scanned.
type joined struct{ p any }

// microsecond is the precision times are kept at: PostgreSQL's
// TIMESTAMPTZ has no more, so both engines round-trip the same value.
const microsecond = time.Microsecond

// normalTime is t as the store keeps it: UTC, truncated to microseconds.
func normalTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(microsecond)
}

// Key is how a case-insensitive name is stored and looked up.
func Key(s string) string { return strings.ToLower(s) }

// timeArg is the driver value for t: NULL for the zero time.
func (s *Store) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.TimeValue(normalTime(t))
}

// arg returns the driver value of f.
func (s *Store) arg(f field) any {
	switch p := f.ptr.(type) {
	case *int64:
		return *p
	case *int:
		return int64(*p)
	case *string:
		return *p
	case *bool:
		return *p
	case *[]byte:
		if len(*p) == 0 {
			return nil
		}
		return *p
	case *time.Time:
		return s.timeArg(*p)
	case *[]string:
		if len(*p) == 0 {
			return "[]"
		}
		b, err := json.Marshal(*p)
		if err != nil { // a []string always marshals
			panic(err)
		}
		return string(b)
	case optionalID:
		if *p.p == 0 {
			return nil
		}
		return *p.p
	case lowerKey:
		return Key(*p.p)
	case skeletonKey:
		return namekey.Skeleton(*p.p)
	default:
		panic(fmt.Sprintf("sqlstore: column %s has unsupported field type %T", f.col, f.ptr))
	}
}

// dest returns the scan destination of f.
func dest(f field) any {
	switch p := f.ptr.(type) {
	case *time.Time:
		return timeDest{p}
	case *[]string:
		return stringsDest{p}
	case optionalID:
		return idDest(p)
	case joined:
		return p.p
	default:
		return f.ptr
	}
}

// timeDest scans a nullable time stored natively or as text.
type timeDest struct{ p *time.Time }

func (d timeDest) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d.p = time.Time{}
	case time.Time:
		*d.p = normalTime(v)
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", v)
	}
	return nil
}

func (d timeDest) parse(s string) error {
	for _, layout := range []string{SQLiteTimeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			*d.p = normalTime(t)
			return nil
		}
	}
	return fmt.Errorf("sqlstore: cannot parse time %q", s)
}

// stringsDest scans a JSON array of strings; empty reads back as nil.
type stringsDest struct{ p *[]string }

func (d stringsDest) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case nil:
		*d.p = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a string list", v)
	}
	var out []string
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("sqlstore: string list: %w", err)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	*d.p = out
	return nil
}

// idDest scans a nullable id; NULL reads back as 0.
type idDest optionalID

func (d idDest) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d.p = 0
	case int64:
		*d.p = v
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into an id", v)
	}
	return nil
}
