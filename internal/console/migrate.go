package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The migration wizard: move the accounts of one provider to another
// (LDAP to Entra ID, say). 1. pick the two providers, and optionally a
// group or a search; 2. move one person first and let them try the new
// sign-in; 3. a dry run lists everyone and warns who would lose password
// sign-in on a channel without a key; 4. moving goes a batch per request,
// with a progress bar, each batch continuing by itself (console.js
// submits the next; without script the admin clicks), so a migration cut
// off is resumed by starting it again; 5. when nobody is left, the old
// provider can be turned off.

// migrateBatch is how many accounts one request of the wizard moves.
const migrateBatch = 100

// migratePage is what the wizard shows.
type migratePage struct {
	Providers []store.SSOStrategy
	From, To  int64
	Group     string
	Search    string
	One       string // the one person to move first
	Report    *identity.MigrationReport
	// Done counts the accounts moved so far in this run, Total those the
	// run started with, for the progress bar.
	Done, Total int
	// SignOn is the new provider's sign-in link, for the one person to try.
	SignOn string
	// FromEmpty says nobody is left on the old provider: offer to turn it
	// off.
	FromEmpty    bool
	FromEnabled  bool
	FromLabel    string
	ContinueNext bool
}

func (c *Console) migrate(w http.ResponseWriter, r *http.Request, call *Call) {
	pg, ok := c.migrateForm(w, r, call)
	if !ok {
		return
	}
	c.render(w, r, call, http.StatusOK, "migrate", view{Title: "Move users to another provider", Section: "providers", Data: pg})
}

// migrateForm reads the wizard's choices from the form or the query.
func (c *Console) migrateForm(w http.ResponseWriter, r *http.Request, call *Call) (migratePage, bool) {
	var pg migratePage
	var err error
	if pg.Providers, err = c.svc.ListSSOStrategies(r.Context(), call.Site.ID, store.ListOptions{Limit: maxProviders}); err != nil {
		c.fail(w, r, call, err)
		return pg, false
	}
	pg.From, _ = strconv.ParseInt(r.FormValue("from"), 10, 64)
	pg.To, _ = strconv.ParseInt(r.FormValue("to"), 10, 64)
	pg.Group, pg.Search, pg.One = strings.TrimSpace(r.FormValue("group")), strings.TrimSpace(r.FormValue("search")), strings.TrimSpace(r.FormValue("one"))
	pg.Done, _ = strconv.Atoi(r.FormValue("done"))
	pg.Total, _ = strconv.Atoi(r.FormValue("total"))
	return pg, true
}

// migrateRun is the wizard's POST: a dry run, one person, or the next
// batch.
func (c *Console) migrateRun(w http.ResponseWriter, r *http.Request, call *Call) {
	pg, ok := c.migrateForm(w, r, call)
	if !ok {
		return
	}
	v := view{Title: "Move users to another provider", Section: "providers"}
	req := identity.MigrationRequest{From: pg.From, To: pg.To, Search: pg.Search, Limit: migrateBatch}
	action := r.PostForm.Get("action")
	switch action {
	case "dry-run":
		req.DryRun, req.Limit = true, 500
	case "one":
		if pg.One == "" {
			v.Fields = map[string]string{"one": "give the username of the person to move first"}
			c.renderMigrate(w, r, call, http.StatusBadRequest, v, pg)
			return
		}
		req.Search, req.Limit = pg.One, 1
	case "move":
	default:
		v.Error = "choose Dry run, Move one person, or Move"
		c.renderMigrate(w, r, call, http.StatusBadRequest, v, pg)
		return
	}
	if pg.Group != "" {
		g, err := c.svc.FindGroup(r.Context(), call.Site.ID, pg.Group)
		if err != nil {
			v.Fields = map[string]string{"group": identity.AsError(err).Message}
			c.renderMigrate(w, r, call, http.StatusBadRequest, v, pg)
			return
		}
		req.GroupID = g.ID
	}
	rep, err := c.svc.MigrateUsers(r.Context(), call.Actor, call.Site.ID, req)
	if err != nil {
		refusalInto(&v, err)
		c.renderMigrate(w, r, call, identity.AsError(err).Status, v, pg)
		return
	}
	if action == "one" && (len(rep.Users) != 1 || !strings.EqualFold(rep.Users[0].Username, pg.One)) {
		v.Fields = map[string]string{"one": fmt.Sprintf("no account named %s is on the provider the users move from (and matches the group and search)", pg.One)}
		c.renderMigrate(w, r, call, http.StatusNotFound, v, pg)
		return
	}
	pg.Report = &rep
	switch action {
	case "dry-run":
		v.Notice = fmt.Sprintf("Dry run: %d users would move from %s to %s; nothing was changed.", len(rep.Users)+rep.Remaining, rep.From, rep.To)
	case "one":
		v.Notice = fmt.Sprintf("%s now signs in with %s. Ask them to try the link below before moving everyone.", rep.Users[0].Username, rep.To)
		pg.SignOn = c.signOnLink(r, call, pg.To)
	case "move":
		if pg.Total == 0 {
			pg.Total = rep.Moved + rep.Remaining
		}
		pg.Done += rep.Moved
		pg.ContinueNext = rep.Remaining > 0 && rep.Moved > 0
		v.Notice = fmt.Sprintf("Moved %d of %d users.", pg.Done, pg.Total)
		if rep.Remaining > 0 && rep.Moved == 0 {
			v.Error = "No user could be moved in this batch (they changed provider meanwhile); start again to retry."
		}
	}
	if rep.Remaining == 0 && !req.DryRun {
		if n, err := c.svc.CountProviderUsers(r.Context(), call.Site.ID, pg.From); err == nil && n == 0 {
			pg.FromEmpty = true
			if p, err := c.svc.GetSSOStrategy(r.Context(), call.Site.ID, pg.From); err == nil {
				pg.FromEnabled, pg.FromLabel = p.Enabled, p.Label
			}
		}
	}
	c.renderMigrate(w, r, call, http.StatusOK, v, pg)
}

func (c *Console) renderMigrate(w http.ResponseWriter, r *http.Request, call *Call, status int, v view, pg migratePage) {
	v.Data = pg
	c.render(w, r, call, status, "migrate", v)
}

// signOnLink is where a person starts a sign-in with provider id.
func (c *Console) signOnLink(r *http.Request, call *Call, id int64) string {
	p, err := c.svc.GetSSOStrategy(r.Context(), call.Site.ID, id)
	if err != nil {
		return ""
	}
	switch {
	case p.Protocol == identity.ProtocolSAML && c.saml != nil:
		return c.saml.SPValuesFor(call.Site, p).SignOnURL
	case p.Protocol == identity.ProtocolOAuth2 && c.oidc != nil:
		return c.oidc.RPValuesFor(call.Site, p).SignOnURL
	}
	return c.baseURL + "/login"
}

// migrateDisableSource turns off the provider a finished migration left
// empty.
func (c *Console) migrateDisableSource(w http.ResponseWriter, r *http.Request, call *Call) {
	id, err := strconv.ParseInt(r.PostForm.Get("from"), 10, 64)
	if err != nil {
		c.fail(w, r, call, identity.ErrSSOStrategyNotFound)
		return
	}
	off := false
	if _, err := c.svc.UpdateSSOStrategy(r.Context(), call.Actor, call.Site.ID, id, identity.SSOStrategyChange{Enabled: &off}); err != nil {
		c.fail(w, r, call, err)
		return
	}
	seeOther(w, r, fmt.Sprintf("%s/providers/%d?saved=updated", Prefix, id))
}
