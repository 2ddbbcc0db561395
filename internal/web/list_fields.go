package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// What each list takes: Files.com's documented filter and sort fields for
// the list, less those Gatehouse does not keep (a user's
// authenticate_until, password_validity_days and ssl_required, an
// external event's remote server and SIEM fields), plus the few
// Gatehouse has always taken (id order, a provider's users and events).
// Text fields compare without regard to case, except company, event_type
// and status, which compare exactly.

var userList = listSpec{
	"id":                    {kind: store.KindID, sort: true},
	"site_id":               {kind: store.KindID, sort: true},
	"username":              {kind: store.KindText, ops: opEqual | opPrefix, sort: true},
	"email":                 {kind: store.KindText, ops: opEqual | opPrefix, sort: true},
	"name":                  {kind: store.KindText, ops: opEqual | opPrefix, sort: true},
	"company":               {kind: store.KindExact, ops: opEqual | opPrefix, sort: true},
	"site_admin":            {kind: store.KindBool, ops: opEqual, sort: true},
	"not_site_admin":        {kind: store.KindBool, ops: opEqual, as: "site_admin", negate: true},
	"disabled":              {kind: store.KindBool, ops: opEqual, sort: true},
	"last_login_at":         {kind: store.KindTime, ops: opEqual | opRange, sort: true},
	"last_desktop_login_at": {kind: store.KindTime, sort: true},
	"sso_strategy_id":       {kind: store.KindID, ops: opEqual},
}

var groupList = listSpec{
	"id":      {kind: store.KindID, sort: true},
	"site_id": {kind: store.KindID, sort: true},
	"name":    {kind: store.KindText, ops: opEqual | opPrefix, sort: true},
}

func groupSortValue(g store.Group, field string) any {
	switch field {
	case "site_id":
		return g.SiteID
	case "name":
		return g.Name
	}
	return g.ID
}

// Files.com's group_users list takes no filters and no order.
var groupUserList = listSpec{}

var apiKeyList = listSpec{
	"id":         {kind: store.KindID, sort: true},
	"expires_at": {kind: store.KindTime, ops: opEqual | opRange, sort: true},
}

func apiKeySortValue(k store.APIKey, field string) any {
	if field == "expires_at" {
		return k.ExpiresAt
	}
	return k.ID
}

var publicKeyList = listSpec{
	"id":         {kind: store.KindID, sort: true},
	"created_at": {kind: store.KindTime, ops: opEqual | opRange, sort: true},
}

func publicKeySortValue(k store.PublicKey, field string) any {
	if field == "created_at" {
		return k.CreatedAt
	}
	return k.ID
}

// Files.com's sso_strategies list sorts by no field; Gatehouse's by id.
var ssoStrategyList = listSpec{"id": {kind: store.KindID, sort: true}}

var (
	ssoEventList = listSpec{
		"id":              {kind: store.KindID, sort: true},
		"created_at":      {kind: store.KindTime, ops: opEqual | opRange, sort: true},
		"event_type":      {kind: store.KindExact, ops: opEqual, sort: true},
		"status":          {kind: store.KindExact, ops: opEqual, sort: true},
		"username":        {kind: store.KindExact, ops: opEqual},
		"user_id":         {kind: store.KindID, ops: opEqual},
		"sso_strategy_id": {kind: store.KindID, ops: opEqual},
	}
	externalEventList = listSpec{
		"id":              {kind: store.KindID, sort: true},
		"created_at":      {kind: store.KindTime, ops: opEqual | opRange, sort: true},
		"event_type":      {kind: store.KindExact, ops: opEqual, sort: true},
		"status":          {kind: store.KindExact, ops: opEqual, sort: true},
		"sso_strategy_id": {kind: store.KindID, ops: opEqual},
	}
	scimLogList = listSpec{
		"id":              {kind: store.KindID, sort: true},
		"created_at":      {kind: store.KindTime, ops: opEqual | opRange, sort: true},
		"sso_strategy_id": {kind: store.KindID, ops: opEqual},
	}
)

func ssoEventSortValue(e store.SSOEvent, field string) any {
	return eventSortValue(e.ID, e.CreatedAt, e.EventType, e.Status, field)
}

func externalEventSortValue(e store.ExternalEvent, field string) any {
	return eventSortValue(e.ID, e.CreatedAt, e.EventType, e.Status, field)
}

func scimLogSortValue(l store.ScimLog, field string) any {
	return eventSortValue(l.ID, l.CreatedAt, "", "", field)
}

func eventSortValue(id int64, created any, eventType, status, field string) any {
	switch field {
	case "created_at":
		return created
	case "event_type":
		return eventType
	case "status":
		return status
	}
	return id
}

// maxIDs bounds the ids parameter of a list.
const maxIDs = 100

// idsFilter reads Files.com's ids parameter (a comma-separated list of
// record ids) as a store filter; nil when there is none.
func idsFilter(r *http.Request) (*store.Filter, error) {
	raw := r.URL.Query().Get("ids")
	if raw == "" {
		return nil, nil
	}
	parts := strings.Split(raw, ",")
	if len(parts) > maxIDs {
		return nil, errInvalidQuery.With("ids names at most %d records", maxIDs)
	}
	or := &store.Filter{Op: store.OpOr}
	for _, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n <= 0 {
			return nil, errInvalidQuery.With("ids must be record ids separated by commas")
		}
		or.Args = append(or.Args, store.Filter{Op: store.OpEq, Field: "id", Value: strconv.FormatInt(n, 10)})
	}
	if len(or.Args) == 1 {
		return &or.Args[0], nil
	}
	return or, nil
}

// both is the conjunction of two filters, either of which may be nil.
func both(a, b *store.Filter) *store.Filter {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &store.Filter{Op: store.OpAnd, Args: []store.Filter{*a, *b}}
}
