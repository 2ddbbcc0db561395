package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/pagecursor"
	"github.com/gatehouse/gatehouse/internal/store"
)

// groupsPerPage is one page of the groups list, paged after the previous
// page's last group by name as the users list is.
const groupsPerPage = 100

// maxMembers is the most members a group's page lists; a larger group is
// listed a page at a time by the REST API.
const maxMembers = 1000

// groupRow is one line of the groups list.
type groupRow struct {
	G        store.Group
	Provider string // the label of the provider that manages it
}

// groupsPage is what the groups list shows.
type groupsPage struct {
	Rows        []groupRow
	Next, First string
}

func (c *Console) groupList(w http.ResponseWriter, r *http.Request, call *Call) {
	ctx := r.Context()
	list := Prefix + "/groups"
	sort := store.Sort{Field: "name"}
	afterID, after, err := pagecursor.Read(r.URL.Query().Get("cursor"), list, sort)
	if err == nil && afterID > 0 && !pagecursor.Fits(store.GroupSortFields(), store.Sort{Field: sort.Field, After: after}) {
		err = identity.ErrInvalidCursor
	}
	if err != nil {
		c.fail(w, r, call, identity.ErrInvalidCursor.With("this page's link is out of date; start again from the first page"))
		return
	}
	sort.After = after
	groups, err := c.svc.ListGroups(ctx, call.Site.ID, store.GroupQuery{ListOptions: store.ListOptions{AfterID: afterID, Limit: groupsPerPage + 1, Sort: sort}})
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	labels, err := c.providerLabels(r, call)
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	pg := groupsPage{}
	if len(groups) > groupsPerPage {
		groups = groups[:groupsPerPage]
		last := groups[len(groups)-1]
		pg.Next = list + "?cursor=" + url.QueryEscape(pagecursor.Next(list, sort, last.ID, last.Name))
	}
	if afterID > 0 {
		pg.First = list
	}
	for _, g := range groups {
		pg.Rows = append(pg.Rows, groupRow{G: g, Provider: labels[g.SSOStrategyID]})
	}
	c.render(w, r, call, http.StatusOK, "groups", view{Title: "Groups", Section: "groups", Data: pg})
}

// providerLabels are the site's providers' labels by id.
func (c *Console) providerLabels(r *http.Request, call *Call) (map[int64]string, error) {
	ps, err := c.svc.ListSSOStrategies(r.Context(), call.Site.ID, store.ListOptions{Limit: maxProviders})
	labels := map[int64]string{}
	for _, p := range ps {
		labels[p.ID] = p.Label
	}
	return labels, err
}

// groupPage is what a group's page shows.
type groupPage struct {
	G        store.Group
	Provider string
	Members  []store.GroupUser
	Admins   []string
	More     bool
}

func (c *Console) groupShow(w http.ResponseWriter, r *http.Request, call *Call) {
	id, err := pathID(r, "id", identity.ErrGroupNotFound)
	var g store.Group
	if err == nil {
		g, err = c.svc.GetGroup(r.Context(), call.Site.ID, id)
	}
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	labels, err := c.providerLabels(r, call)
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	members, err := c.svc.ListGroupUsers(r.Context(), call.Site.ID, store.GroupUserQuery{GroupID: g.ID, ListOptions: store.ListOptions{Limit: maxMembers + 1}})
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	pg := groupPage{G: g, Provider: labels[g.SSOStrategyID]}
	if len(members) > maxMembers {
		members, pg.More = members[:maxMembers], true
	}
	pg.Members = members
	for _, m := range members {
		if m.Admin {
			pg.Admins = append(pg.Admins, m.Username)
		}
	}
	title := g.Name
	if strings.TrimSpace(title) == "" {
		title = "Group"
	}
	c.render(w, r, call, http.StatusOK, "group", view{Title: title, Section: "groups", Data: pg})
}
