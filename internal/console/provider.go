package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// pasteValue is one value to paste into the identity provider, under the
// name that provider's admin center gives its field.
type pasteValue struct {
	Name  string
	Value string
	Note  string
}

// providerPage is what a provider's page shows.
type providerPage struct {
	Row    providerRow
	Kind   kind
	Values []pasteValue
	// SCIM: the tenant URL, the method, when the token expires and in how
	// many days, the last request and its answer.
	SCIMTenantURL string
	SCIMDaysLeft  int
	LastSCIM      *store.ScimLog
	// CanSync says whether the provider reads a directory (Test
	// connection, Sync now).
	CanSync bool
	LDAP    bool
	// SyncEvery is the schedule (0: off), and NextSync when the schedule
	// runs it next (now, when it never ran).
	SyncEvery time.Duration
	NextSync  time.Time
	// Trust is what a SAML provider trusts now.
	Trust *samllogin.TrustSummary
}

func (c *Console) providerShow(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.provider(w, r, call)
	if !ok {
		return
	}
	v := view{}
	switch r.URL.Query().Get("saved") {
	case "created":
		v.Notice = "Provider added. Paste the values below into the identity provider."
	case "updated":
		v.Notice = "Saved."
	}
	c.showProvider(w, r, call, p, http.StatusOK, v)
}

// showProvider renders provider p's page with v's notices and refusals.
func (c *Console) showProvider(w http.ResponseWriter, r *http.Request, call *Call, p store.SSOStrategy, status int, v view) {
	row, err := c.providerRow(r.Context(), call.Site.ID, p)
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	k := row.Kind
	pg := providerPage{Row: row, Kind: k, Values: c.pasteValues(call.Site, p, k), SCIMTenantURL: c.scimURL,
		CanSync: c.ldapSync != nil && (k.LDAP() || p.LDAPProvisioningEnabled), LDAP: k.LDAP()}
	if pg.CanSync && c.syncEvery > 0 && p.Enabled {
		pg.SyncEvery, pg.NextSync = c.syncEvery, c.now()
		if !row.LastSync.IsZero() && row.LastSync.Add(c.syncEvery).After(pg.NextSync) {
			pg.NextSync = row.LastSync.Add(c.syncEvery)
		}
	}
	if k.SAML() && c.saml != nil {
		t := c.saml.Trust(r.Context(), p)
		pg.Trust = &t
	}
	if !p.SCIMTokenExpiresAt.IsZero() {
		pg.SCIMDaysLeft = int(time.Until(p.SCIMTokenExpiresAt).Hours() / 24)
	}
	logs, err := c.svc.ListScimLogs(r.Context(), call.Site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 1, Sort: store.Sort{Desc: true}}, SSOStrategyID: p.ID})
	if err == nil && len(logs) > 0 {
		pg.LastSCIM = &logs[0]
	}
	v.Title, v.Section, v.Data = p.Label, "providers", pg
	c.render(w, r, call, status, "provider", v)
}

// pasteValues are the values the running server really uses for
// provider p, named as the identity provider's admin center names them.
func (c *Console) pasteValues(site store.Site, p store.SSOStrategy, k kind) []pasteValue {
	var out []pasteValue
	switch {
	case k.SAML() && c.saml != nil:
		sp := c.saml.SPValuesFor(site, p)
		relay := sp.RelayState
		note := ""
		if relay == "" {
			note = "leave empty: this is the default site"
		}
		out = append(out,
			pasteValue{Name: "Identifier (Entity ID)", Value: sp.EntityID},
			pasteValue{Name: "Reply URL (Assertion Consumer Service URL)", Value: sp.ACSURL},
			pasteValue{Name: "Sign on URL", Value: sp.SignOnURL},
			pasteValue{Name: "Relay State", Value: relay, Note: note},
			pasteValue{Name: "Logout Url", Value: sp.SLOURL},
			pasteValue{Name: "SP metadata", Value: sp.MetadataURL})
	case k.OIDC() && c.oidc != nil:
		rp := c.oidc.RPValuesFor(site, p)
		out = append(out,
			pasteValue{Name: "Redirect URI", Value: rp.RedirectURI, Note: "platform Web"},
			pasteValue{Name: "Sign-in start (Home page URL)", Value: rp.SignOnURL})
	}
	if k.SAML() {
		out = append(out, pasteValue{Name: "SCIM Tenant URL", Value: c.scimURL, Note: "with a Secret Token made below"})
	}
	return out
}

// secretPage shows a credential once, with what to paste it beside.
type secretPage struct {
	ProviderID int64
	Label      string
	What       string
	Values     []pasteValue
}

// scimCredentials makes a SCIM token (also resetting one: the old token
// stops at once) or a Basic username and password, and shows it once.
func (c *Console) scimCredentials(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.provider(w, r, call)
	if !ok {
		return
	}
	ctx := r.Context()
	switch r.PostForm.Get("make") {
	case "token":
		// Only the Reset button (shown while a token exists) revokes one: a
		// Generate form from before someone else made a token is refused.
		token, saved, err := c.svc.GenerateSCIMToken(ctx, call.Actor, call.Site.ID, p.ID, r.PostForm.Get("reset") == "1")
		if err != nil {
			c.showProviderRefusal(w, r, call, p, err)
			return
		}
		c.render(w, r, call, http.StatusOK, "secret", view{Title: "SCIM token", Section: "providers", Data: secretPage{
			ProviderID: p.ID, Label: p.Label, What: "SCIM token",
			Values: []pasteValue{{Name: "Tenant URL", Value: c.scimURL}, {Name: "Secret Token", Value: token,
				Note: "valid until " + saved.SCIMTokenExpiresAt.UTC().Format("2006-01-02")}}}})
	case "basic":
		user, password, _, err := c.svc.GenerateSCIMBasic(ctx, call.Actor, call.Site.ID, p.ID)
		if err != nil {
			c.showProviderRefusal(w, r, call, p, err)
			return
		}
		c.render(w, r, call, http.StatusOK, "secret", view{Title: "SCIM username and password", Section: "providers", Data: secretPage{
			ProviderID: p.ID, Label: p.Label, What: "SCIM username and password",
			Values: []pasteValue{{Name: "Tenant URL", Value: c.scimURL}, {Name: "Username", Value: user}, {Name: "Password", Value: password}}}})
	case "expiry":
		day, err := time.Parse("2006-01-02", strings.TrimSpace(r.PostForm.Get("expires")))
		if err != nil {
			c.showProvider(w, r, call, p, http.StatusBadRequest, view{Fields: map[string]string{"expires": "pick a date (YYYY-MM-DD)"}})
			return
		}
		at := day.Add(24*time.Hour - time.Second)
		if _, err := c.svc.UpdateSSOStrategy(ctx, call.Actor, call.Site.ID, p.ID, identity.SSOStrategyChange{SCIMOAuthAccessTokenExpiresAt: &at}); err != nil {
			c.showProviderRefusal(w, r, call, p, err)
			return
		}
		seeOther(w, r, fmt.Sprintf("%s/providers/%d?saved=updated", Prefix, p.ID))
	default:
		c.showProvider(w, r, call, p, http.StatusBadRequest, view{Error: "choose what to make: a token, or a username and password"})
	}
}

func (c *Console) showProviderRefusal(w http.ResponseWriter, r *http.Request, call *Call, p store.SSOStrategy, err error) {
	v := view{}
	refusalInto(&v, err)
	c.showProvider(w, r, call, p, identity.AsError(err).Status, v)
}
