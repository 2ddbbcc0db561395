package store

import (
	"errors"
	"fmt"
	"maps"
	"time"
)

// ErrInvalidFilter is returned for a Filter that names a field that cannot
// be filtered on, or compares it with a value of the wrong kind.
var ErrInvalidFilter = errors.New("store: invalid filter")

// Filter is a condition on users or groups that a driver answers in the
// database, on indexed columns, so that a SCIM query such as
// userName eq "x" never loads every record. A leaf compares one field
// with a value; And, Or and Not combine filters.
type Filter struct {
	Op    FilterOp
	Field string // a UserFields or GroupFields name; leaves only
	// Value is a string (text fields, id as decimal), a bool (active) or a
	// time.Time (created_at, updated_at); nil for OpPresent.
	Value any
	Args  []Filter // OpAnd and OpOr: two or more; OpNot: one
}

// FilterOp is a comparison or a logical combination.
type FilterOp string

// Filter operators; the comparisons are SCIM's (RFC 7644 §3.4.2.2).
const (
	OpEq      FilterOp = "eq"
	OpNe      FilterOp = "ne"
	OpContain FilterOp = "co"
	OpStarts  FilterOp = "sw"
	OpEnds    FilterOp = "ew"
	OpPresent FilterOp = "pr"
	OpGt      FilterOp = "gt"
	OpGe      FilterOp = "ge"
	OpLt      FilterOp = "lt"
	OpLe      FilterOp = "le"
	OpAnd     FilterOp = "and"
	OpOr      FilterOp = "or"
	OpNot     FilterOp = "not"
)

// FieldKind says what values a filterable field holds.
type FieldKind int

// Kinds of filterable fields.
const (
	KindText  FieldKind = iota // compared without regard to case
	KindExact                  // text compared exactly (co/sw/ew ignore ASCII case)
	KindID                     // a record id, given as a decimal string
	KindBool                   // true or false
	KindTime                   // an instant
)

// UserFields returns the user fields a Filter may name, with their kinds.
// active is the opposite of Disabled; external_id is the SCIM client's
// externalId (User.SCIM.ExternalID), not the provisioning key. It returns
// a copy: the fields are what every driver lets a filter reach, and a
// shared map any importer could add to would open columns to filtering.
func UserFields() map[string]FieldKind { return maps.Clone(userFields) }

// GroupFields returns the group fields a Filter may name (a copy, as
// UserFields).
func GroupFields() map[string]FieldKind { return maps.Clone(groupFields) }

var userFields = map[string]FieldKind{
	"id":            KindID,
	"username":      KindText,
	"email":         KindText,
	"name":          KindText,
	"company":       KindExact,
	"external_id":   KindExact,
	"display_name":  KindText,
	"manager":       KindExact,
	"immutable_id":  KindExact, // User.ExternalID, the provisioning key
	"active":        KindBool,
	"site_admin":    KindBool,
	"disabled":      KindBool,
	"last_login_at": KindTime,
	"created_at":    KindTime,
	"updated_at":    KindTime,
	// authentication_method (password, sso, none, email_signup) and
	// lockout_expires (a user is locked while it is in the future) let
	// the admin console list the users who sign in one way, or are locked
	// out, without reading every user.
	"authentication_method": KindExact,
	"lockout_expires":       KindTime,
}

var groupFields = map[string]FieldKind{
	"id":          KindID,
	"name":        KindText,
	"external_id": KindExact,
	"created_at":  KindTime,
	"updated_at":  KindTime,
}

// APIKeyFields returns the API key fields a Filter may name; a copy, as
// UserFields is.
func APIKeyFields() map[string]FieldKind { return maps.Clone(apiKeyFields) }

var apiKeyFields = map[string]FieldKind{
	"id":         KindID,
	"expires_at": KindTime,
	"created_at": KindTime,
}

// PublicKeyFields returns the SSH key fields a Filter may name; a copy.
func PublicKeyFields() map[string]FieldKind { return maps.Clone(publicKeyFields) }

var publicKeyFields = map[string]FieldKind{
	"id":         KindID,
	"created_at": KindTime,
}

// The fields each list sorts by (Sort.Field), with their kinds. Text
// fields sort without regard to case, as they filter. Each is handed out
// as a copy, as UserFields is, so that no importer can change what every
// driver sorts by.

// UserSortFields returns the fields users sort by.
func UserSortFields() map[string]FieldKind { return maps.Clone(userSortFields) }

// UserSortValue is u's value of the sort field (one of UserSortFields),
// which a sorted list's cursor carries to continue after u; any other
// field is the id.
func UserSortValue(u User, field string) any {
	switch field {
	case "site_id":
		return u.SiteID
	case "username":
		return u.Username
	case "email":
		return u.Email
	case "name":
		return u.Name
	case "company":
		return u.Company
	case "site_admin":
		return u.SiteAdmin
	case "disabled":
		return u.Disabled
	case "last_login_at":
		return u.LastLoginAt
	case "last_desktop_login_at":
		return u.LastDesktopLoginAt
	case "created_at":
		return u.CreatedAt
	}
	return u.ID
}

// GroupSortFields returns the fields groups sort by.
func GroupSortFields() map[string]FieldKind { return maps.Clone(groupSortFields) }

// KeySortFields returns the fields API keys sort by.
func KeySortFields() map[string]FieldKind { return maps.Clone(keySortFields) }

// PublicKeySortFields returns the fields SSH keys sort by.
func PublicKeySortFields() map[string]FieldKind { return maps.Clone(publicKeySortFields) }

// EventSortFields returns the fields the SSO and external event logs sort
// by; the SCIM log sorts by id and created_at only.
func EventSortFields() map[string]FieldKind { return maps.Clone(eventSortFields) }

var (
	userSortFields = map[string]FieldKind{
		"id": KindID, "site_id": KindID, "username": KindText, "email": KindText, "name": KindText,
		"company": KindExact, "site_admin": KindBool, "disabled": KindBool,
		"last_login_at": KindTime, "last_desktop_login_at": KindTime, "created_at": KindTime,
	}
	groupSortFields     = map[string]FieldKind{"id": KindID, "site_id": KindID, "name": KindText, "created_at": KindTime}
	keySortFields       = map[string]FieldKind{"id": KindID, "expires_at": KindTime, "created_at": KindTime}
	publicKeySortFields = map[string]FieldKind{"id": KindID, "created_at": KindTime}
	// eventSortFields are the fields of the SSO and external event logs;
	// the SCIM log, which has no type or status, sorts by id and
	// created_at only.
	eventSortFields = map[string]FieldKind{"id": KindID, "created_at": KindTime, "event_type": KindExact, "status": KindExact}
)

// maxFilterNodes bounds how large a filter a driver turns into SQL.
const maxFilterNodes = 200

// Check reports the first thing wrong with f against the fields allowed:
// an unknown field or operator, a value of the wrong kind, or a filter too
// large to run.
func (f *Filter) Check(fields map[string]FieldKind) error {
	n := 0
	return f.check(fields, &n)
}

func (f *Filter) check(fields map[string]FieldKind, n *int) error {
	*n++
	if *n > maxFilterNodes {
		return fmt.Errorf("store: filter has more than %d terms", maxFilterNodes)
	}
	switch f.Op {
	case OpAnd, OpOr:
		if len(f.Args) < 2 {
			return fmt.Errorf("store: %s needs two or more terms", f.Op)
		}
	case OpNot:
		if len(f.Args) != 1 {
			return fmt.Errorf("store: not needs one term")
		}
	default:
		return f.checkLeaf(fields)
	}
	for i := range f.Args {
		if err := f.Args[i].check(fields, n); err != nil {
			return err
		}
	}
	return nil
}

func (f *Filter) checkLeaf(fields map[string]FieldKind) error {
	kind, ok := fields[f.Field]
	if !ok {
		return fmt.Errorf("store: field %q cannot be filtered on", f.Field)
	}
	if f.Op == OpPresent {
		return nil
	}
	ordered := f.Op == OpGt || f.Op == OpGe || f.Op == OpLt || f.Op == OpLe
	pattern := f.Op == OpContain || f.Op == OpStarts || f.Op == OpEnds
	if !ordered && !pattern && f.Op != OpEq && f.Op != OpNe {
		return fmt.Errorf("store: unknown filter operator %q", f.Op)
	}
	switch kind {
	case KindBool:
		if _, ok := f.Value.(bool); !ok || ordered || pattern {
			return fmt.Errorf("store: %s takes only eq or ne with true or false", f.Field)
		}
	case KindTime:
		if _, ok := f.Value.(time.Time); !ok || pattern {
			return fmt.Errorf("store: %s takes a date and time", f.Field)
		}
	default:
		if _, ok := f.Value.(string); !ok {
			return fmt.Errorf("store: %s takes a string", f.Field)
		}
	}
	return nil
}
