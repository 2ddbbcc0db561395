package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// userColumns and groupColumns map the fields a store.Filter may name to
// their columns (indexed, for the fields SCIM filters on). Text fields
// compared without regard to case use the lower-cased key columns. A
// boolean column written "NOT column" holds the field's opposite.
var userColumns = map[string]string{
	"id":            "u.id",
	"username":      "u.username_key",
	"email":         "u.email_key",
	"name":          "u.name_key",
	"company":       "u.company",
	"external_id":   "u.scim_external_id",
	"display_name":  "u.scim_display_name_key",
	"manager":       "u.manager_id",
	"immutable_id":  "u.external_id",
	"active":        "NOT u.disabled",
	"site_admin":    "u.site_admin",
	"disabled":      "u.disabled",
	"last_login_at": "u.last_login_at",
	"created_at":    "u.created_at",
	"updated_at":    "u.updated_at",
	// indexed with the site by migration 00026
	"authentication_method": "u.authentication_method",
	"lockout_expires":       "u.lockout_expires",
}

var apiKeyColumns = map[string]string{"id": "k.id", "expires_at": "k.expires_at", "created_at": "k.created_at"}

var publicKeyColumns = map[string]string{"id": "pk.id", "created_at": "pk.created_at"}

var groupColumns = map[string]string{
	"id":          "g.id",
	"name":        "g.name_key",
	"external_id": "g.external_id",
	"created_at":  "g.created_at",
	"updated_at":  "g.updated_at",
}

// addFilter checks f against the fields allowed and adds it to the WHERE
// conditions as one parenthesised SQL expression.
func (s *Store) addFilter(w *filter, f *store.Filter, fields map[string]store.FieldKind, cols map[string]string) error {
	if err := f.Check(fields); err != nil {
		return fmt.Errorf("%w: %w", store.ErrInvalidFilter, err)
	}
	var b strings.Builder
	var args []any
	s.filterSQL(&b, &args, f, fields, cols)
	w.add(b.String(), args...)
	return nil
}

// filterSQL writes one checked filter node.
func (s *Store) filterSQL(b *strings.Builder, args *[]any, f *store.Filter, fields map[string]store.FieldKind, cols map[string]string) {
	switch f.Op {
	case store.OpAnd, store.OpOr:
		b.WriteString("(")
		for i := range f.Args {
			if i > 0 {
				b.WriteString(" " + strings.ToUpper(string(f.Op)) + " ")
			}
			s.filterSQL(b, args, &f.Args[i], fields, cols)
		}
		b.WriteString(")")
		return
	case store.OpNot:
		b.WriteString("(NOT ")
		s.filterSQL(b, args, &f.Args[0], fields, cols)
		b.WriteString(")")
		return
	}
	col := cols[f.Field]
	kind := fields[f.Field]
	if f.Op == store.OpPresent {
		switch kind {
		case store.KindText, store.KindExact:
			b.WriteString("(" + col + " <> '')")
		case store.KindTime:
			b.WriteString("(" + col + " IS NOT NULL)")
		default:
			b.WriteString("(1 = 1)")
		}
		return
	}
	switch kind {
	case store.KindBool:
		op, v := "=", f.Value.(bool)
		if f.Op == store.OpNe {
			op = "<>"
		}
		if opposite, ok := strings.CutPrefix(col, "NOT "); ok {
			col, v = opposite, !v
		}
		b.WriteString("(" + col + " " + op + " ?)")
		*args = append(*args, v)
	case store.KindTime:
		b.WriteString("(" + col + " " + sqlOperator(f.Op) + " ?)")
		*args = append(*args, s.timeArg(f.Value.(time.Time)))
	case store.KindID:
		s.idSQL(b, args, f, col)
	default:
		v := f.Value.(string)
		if kind == store.KindText {
			v = Key(v)
		}
		if pattern, ok := likePattern(f.Op, Key(v)); ok {
			target := col
			if kind == store.KindExact {
				target = "lower(" + col + ")"
			}
			b.WriteString("(" + target + ` LIKE ? ESCAPE '\')`)
			*args = append(*args, pattern)
			return
		}
		b.WriteString("(" + col + " " + sqlOperator(f.Op) + " ?)")
		*args = append(*args, v)
	}
}

// idSQL compares the id column with a decimal string; a value that is no
// id matches nothing (or everything, for ne).
func (s *Store) idSQL(b *strings.Builder, args *[]any, f *store.Filter, col string) {
	v := f.Value.(string)
	if pattern, ok := likePattern(f.Op, v); ok {
		b.WriteString("(CAST(" + col + ` AS TEXT) LIKE ? ESCAPE '\')`)
		*args = append(*args, pattern)
		return
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if f.Op == store.OpNe {
			b.WriteString("(1 = 1)")
		} else {
			b.WriteString("(1 = 0)")
		}
		return
	}
	b.WriteString("(" + col + " " + sqlOperator(f.Op) + " ?)")
	*args = append(*args, id)
}

// likePattern is the LIKE pattern of co, sw and ew; ok is false for other
// operators.
func likePattern(op store.FilterOp, v string) (string, bool) {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
	switch op {
	case store.OpContain:
		return "%" + esc + "%", true
	case store.OpStarts:
		return esc + "%", true
	case store.OpEnds:
		return "%" + esc, true
	}
	return "", false
}

func sqlOperator(op store.FilterOp) string {
	switch op {
	case store.OpNe:
		return "<>"
	case store.OpGt:
		return ">"
	case store.OpGe:
		return ">="
	case store.OpLt:
		return "<"
	case store.OpLe:
		return "<="
	}
	return "="
}
