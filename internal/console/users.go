package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/pagecursor"
	"github.com/gatehouse/gatehouse/internal/store"
)

// usersPerPage is one page of the users list. The list never counts the
// site's users: a page is one indexed range read after the previous
// page's last user (pagecursor), however many users the site has.
const usersPerPage = 50

// maxSearch bounds the search box; a username, name or e-mail prefix
// longer than this finds nobody anyway.
const maxSearch = 200

// userSorts are the orders the list offers, by the store's sort field.
var userSorts = []choice{
	{"username", "Username"}, {"name", "Name"}, {"email", "Email"},
	{"last_login_at", "Last sign-in"}, {"created_at", "Created"},
}

// authMethods are the authentication methods the filter offers.
var authMethods = []choice{
	{store.AuthPassword, "Password"}, {store.AuthSSO, "SSO or LDAP provider"},
	{store.AuthNone, "None (keys only)"}, {store.AuthEmailSignup, "E-mail sign-up"},
}

// choice is one option of a select.
type choice struct{ Value, Label string }

// userFilters are the list's search, filters and order as the query
// string gives them, checked: a value the list does not offer is
// dropped, never passed on.
type userFilters struct {
	Search   string
	Method   string
	Provider int64
	Admin    string // "", "yes" or "no"
	Disabled string // "", "yes" or "no"
	Locked   bool
	Sort     string
	Desc     bool
}

func readUserFilters(q url.Values) userFilters {
	f := userFilters{Search: strings.TrimSpace(q.Get("q")), Sort: "username"}
	if len(f.Search) > maxSearch {
		f.Search = f.Search[:maxSearch]
	}
	for _, m := range authMethods {
		if q.Get("method") == m.Value {
			f.Method = m.Value
		}
	}
	if id, err := strconv.ParseInt(q.Get("provider"), 10, 64); err == nil && id > 0 {
		f.Provider = id
	}
	f.Admin, f.Disabled = yesNo(q.Get("admin")), yesNo(q.Get("disabled"))
	f.Locked = q.Get("locked") == "yes"
	for _, s := range userSorts {
		if q.Get("sort") == s.Value {
			f.Sort = s.Value
		}
	}
	f.Desc = q.Get("dir") == "desc"
	return f
}

func yesNo(v string) string {
	if v == "yes" || v == "no" {
		return v
	}
	return ""
}

// Filtered reports whether a filter or an order other than the default
// is in use, which opens the filters on the page.
func (f userFilters) Filtered() bool {
	return f.Method != "" || f.Provider != 0 || f.Admin != "" || f.Disabled != "" || f.Locked || f.Sort != "username" || f.Desc
}

// query is the filters as a query string, without a cursor: the list's
// address, which its cursors are bound to.
func (f userFilters) query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", f.Search)
	set("method", f.Method)
	if f.Provider != 0 {
		q.Set("provider", strconv.FormatInt(f.Provider, 10))
	}
	set("admin", f.Admin)
	set("disabled", f.Disabled)
	if f.Locked {
		q.Set("locked", "yes")
	}
	if f.Sort != "username" {
		q.Set("sort", f.Sort)
	}
	if f.Desc {
		q.Set("dir", "desc")
	}
	return q
}

// list names the list a cursor belongs to: the same search and filters
// in the same order. A cursor of another list is refused.
func (f userFilters) list() string { return Prefix + "/users?" + f.query().Encode() }

// storeQuery is the store's query for the filters at now (locked means
// locked now).
func (f userFilters) storeQuery(now time.Time) store.UserQuery {
	q := store.UserQuery{Search: f.Search, SSOStrategyID: f.Provider,
		ListOptions: store.ListOptions{Limit: usersPerPage + 1, Sort: store.Sort{Field: f.Sort, Desc: f.Desc}}}
	var and []store.Filter
	if f.Method != "" {
		and = append(and, store.Filter{Op: store.OpEq, Field: "authentication_method", Value: f.Method})
	}
	if f.Admin != "" {
		and = append(and, store.Filter{Op: store.OpEq, Field: "site_admin", Value: f.Admin == "yes"})
	}
	if f.Disabled != "" {
		and = append(and, store.Filter{Op: store.OpEq, Field: "disabled", Value: f.Disabled == "yes"})
	}
	if f.Locked {
		and = append(and, store.Filter{Op: store.OpGt, Field: "lockout_expires", Value: now})
	}
	switch len(and) {
	case 0:
	case 1:
		q.Filter = &and[0]
	default:
		q.Filter = &store.Filter{Op: store.OpAnd, Args: and}
	}
	return q
}

// userRow is one line of the users list.
type userRow struct {
	U        store.User
	Provider string // the provider's label, for SSO and LDAP users
	Locked   bool
}

// usersPage is what the users list shows.
type usersPage struct {
	F         userFilters
	Rows      []userRow
	Providers []store.SSOStrategy
	Methods   []choice
	Sorts     []choice
	// Next is the address of the next page, "" on the last; First, of the
	// first page when this is a later one.
	Next, First string
}

func (c *Console) userList(w http.ResponseWriter, r *http.Request, call *Call) {
	ctx := r.Context()
	f := readUserFilters(r.URL.Query())
	q := f.storeQuery(c.now())
	list := f.list()
	afterID, after, err := pagecursor.Read(r.URL.Query().Get("cursor"), list, q.Sort)
	if err == nil && afterID > 0 && !pagecursor.Fits(store.UserSortFields(), store.Sort{Field: q.Sort.Field, After: after}) {
		err = identity.ErrInvalidCursor
	}
	if err != nil {
		c.fail(w, r, call, identity.ErrInvalidCursor.With("this page's link is out of date; start again from the first page"))
		return
	}
	q.AfterID, q.Sort.After = afterID, after
	users, err := c.svc.ListUsers(ctx, call.Site.ID, q)
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	providers, err := c.svc.ListSSOStrategies(ctx, call.Site.ID, store.ListOptions{Limit: maxProviders})
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	labels := map[int64]string{}
	for _, p := range providers {
		labels[p.ID] = p.Label
	}
	pg := usersPage{F: f, Providers: providers, Methods: authMethods, Sorts: userSorts}
	if len(users) > usersPerPage {
		users = users[:usersPerPage]
		last := users[len(users)-1]
		next := f.query()
		next.Set("cursor", pagecursor.Next(list, q.Sort, last.ID, store.UserSortValue(last, f.Sort)))
		pg.Next = Prefix + "/users?" + next.Encode()
	}
	if afterID > 0 {
		pg.First = list
	}
	now := c.now()
	for _, u := range users {
		pg.Rows = append(pg.Rows, userRow{U: u, Provider: labels[u.SSOStrategyID], Locked: u.LockoutExpires.After(now)})
	}
	v := view{Title: "Users", Section: "users", Data: pg}
	if r.URL.Query().Get("deleted") != "" {
		v.Notice = "User deleted."
	}
	c.render(w, r, call, http.StatusOK, "users", v)
}
