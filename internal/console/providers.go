package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// providerRow is one line of the providers list.
type providerRow struct {
	P         store.SSOStrategy
	Kind      kind
	Users     int
	Provision string // what the provider provisions, in words
	LastSignIn,
	LastSCIM,
	LastSync time.Time
	// Health is the last failure, if it is more recent than the last
	// success of the same kind.
	Health string
}

// maxProviders is the most providers the list shows; a site has a
// handful.
const maxProviders = 500

func (c *Console) providerList(w http.ResponseWriter, r *http.Request, call *Call) {
	ctx := r.Context()
	ps, err := c.svc.ListSSOStrategies(ctx, call.Site.ID, store.ListOptions{Limit: maxProviders})
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	rows := make([]providerRow, 0, len(ps))
	for _, p := range ps {
		row, err := c.providerRow(ctx, call.Site.ID, p)
		if err != nil {
			c.fail(w, r, call, err)
			return
		}
		rows = append(rows, row)
	}
	c.render(w, r, call, http.StatusOK, "providers", view{Title: "SSO providers", Section: "providers", Data: rows})
}

// providerRow gathers what the list shows of provider p: its users and
// its most recent sign-in, SCIM request and sync, each one indexed read.
func (c *Console) providerRow(ctx context.Context, siteID int64, p store.SSOStrategy) (providerRow, error) {
	row := providerRow{P: p, Kind: kindOf(p.Protocol, p.Provider), Provision: provisionWords(p)}
	var err error
	if row.Users, err = c.svc.CountProviderUsers(ctx, siteID, p.ID); err != nil {
		return row, err
	}
	latest := store.EventQuery{ListOptions: store.ListOptions{Limit: 1, Sort: store.Sort{Desc: true}}, SSOStrategyID: p.ID}
	sso, err := c.svc.ListSSOEvents(ctx, siteID, latest)
	if err != nil {
		return row, err
	}
	if len(sso) > 0 {
		row.LastSignIn = sso[0].CreatedAt
		if sso[0].Status == store.EventFailure {
			row.Health = "last sign-in failed: " + firstOr(sso[0].EventErrors, sso[0].EventType)
		}
	}
	scim, err := c.svc.ListScimLogs(ctx, siteID, latest)
	if err != nil {
		return row, err
	}
	if len(scim) > 0 {
		row.LastSCIM = scim[0].CreatedAt
		if scim[0].HTTPResponseCode >= 500 {
			row.Health = fmt.Sprintf("last SCIM request answered %d", scim[0].HTTPResponseCode)
		}
	}
	ext, err := c.svc.ListExternalEvents(ctx, siteID, latest)
	if err != nil {
		return row, err
	}
	if len(ext) > 0 {
		row.LastSync = ext[0].CreatedAt
		if ext[0].Status == store.EventFailure || ext[0].Status == store.EventPartialFailure {
			row.Health = "last " + strings.ReplaceAll(ext[0].EventType, "_", " ") + ": " + ext[0].Status
		}
	}
	return row, nil
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// provisionWords says what a provider provisions.
func provisionWords(p store.SSOStrategy) string {
	var parts []string
	if p.ProvisionUsers {
		parts = append(parts, "users")
	}
	if p.ProvisionGroups {
		parts = append(parts, "groups")
	}
	if p.SCIMAuthenticationMethod == "token" || p.SCIMAuthenticationMethod == "basic" {
		parts = append(parts, "SCIM")
	}
	if p.LDAPProvisioningEnabled || p.Protocol == identity.ProtocolActiveDirectory || p.Protocol == identity.ProtocolOpenLDAP {
		parts = append(parts, "LDAP sync")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (c *Console) providerKinds(w http.ResponseWriter, r *http.Request, call *Call) {
	c.render(w, r, call, http.StatusOK, "provider_kinds", view{Title: "Add an SSO provider", Section: "providers", Data: kinds})
}

// providerForm is what the add and edit forms show.
type providerForm struct {
	Kind   kind
	P      store.SSOStrategy // the provider as saved (edit), or the defaults
	Values formValues        // what the admin entered, shown again after a refusal
	Action string
	Edit   bool
	// Trust is the SAML trust method the form shows selected.
	Trust string
	// SecretSet says whether a client secret or bind password is stored.
	SecretSet bool
	// CanPreview offers "Preview changes" (an edit, with the provisioning
	// engine at hand); Preview is what it showed.
	CanPreview bool
	Preview    *provision.Plan
}

func (c *Console) providerNew(w http.ResponseWriter, r *http.Request, call *Call) {
	k, ok := kindByKey(r.PathValue("kind"))
	if !ok {
		c.fail(w, r, call, identity.ErrNotFound.With("there is no provider kind %q; pick one at %s/new-provider", r.PathValue("kind"), Prefix))
		return
	}
	f := providerForm{Kind: k, Action: Prefix + "/new-provider/" + k.Key, Trust: "metadata_url",
		P: store.SSOStrategy{Enabled: true, DisplayOnLoginPage: true, Label: k.Name, DeprovisionBehavior: "disable"}}
	if k.LDAP() {
		f.P.LDAPSecure, f.P.LDAPPort = true, 636
	}
	f.Values = valuesOf(f.P, k)
	c.render(w, r, call, http.StatusOK, "provider_form", view{Title: "Add " + k.Name, Section: "providers", Data: f})
}

func (c *Console) providerCreate(w http.ResponseWriter, r *http.Request, call *Call) {
	k, ok := kindByKey(r.PathValue("kind"))
	if !ok {
		c.fail(w, r, call, identity.ErrNotFound.With("there is no provider kind %q", r.PathValue("kind")))
		return
	}
	vals := readForm(r)
	ch, fields := changeFromForm(k, vals, "")
	f := providerForm{Kind: k, Action: Prefix + "/new-provider/" + k.Key, Values: vals, Trust: vals.get("trust")}
	if len(fields) > 0 {
		c.render(w, r, call, http.StatusBadRequest, "provider_form", view{Title: "Add " + k.Name, Section: "providers", Data: f, Fields: fields,
			Error: "Some fields need attention; nothing was saved."})
		return
	}
	ch.Protocol, ch.Provider = &k.Protocol, &k.Provider
	p, err := c.svc.CreateSSOStrategy(r.Context(), call.Actor, call.Site.ID, ch)
	if err != nil {
		v := view{Title: "Add " + k.Name, Section: "providers", Data: f}
		refusalInto(&v, err)
		c.render(w, r, call, identity.AsError(err).Status, "provider_form", v)
		return
	}
	seeOther(w, r, fmt.Sprintf("%s/providers/%d?saved=created", Prefix, p.ID))
}

func (c *Console) provider(w http.ResponseWriter, r *http.Request, call *Call) (store.SSOStrategy, bool) {
	id, err := pathID(r, "id", identity.ErrSSOStrategyNotFound)
	if err == nil {
		var p store.SSOStrategy
		if p, err = c.svc.GetSSOStrategy(r.Context(), call.Site.ID, id); err == nil {
			return p, true
		}
	}
	c.fail(w, r, call, err)
	return store.SSOStrategy{}, false
}

func (c *Console) providerEdit(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.provider(w, r, call)
	if !ok {
		return
	}
	k := kindOf(p.Protocol, p.Provider)
	f := providerForm{Kind: k, P: p, Values: valuesOf(p, k), Edit: true, Action: fmt.Sprintf("%s/providers/%d/edit", Prefix, p.ID),
		Trust: trustOf(p), SecretSet: len(p.ClientSecretEnc) > 0 || len(p.LDAPPasswordEnc) > 0, CanPreview: c.provision != nil}
	c.render(w, r, call, http.StatusOK, "provider_form", view{Title: "Edit " + p.Label, Section: "providers", Data: f})
}

func (c *Console) providerUpdate(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.provider(w, r, call)
	if !ok {
		return
	}
	k := kindOf(p.Protocol, p.Provider)
	vals := readForm(r)
	f := providerForm{Kind: k, P: p, Values: vals, Edit: true, Action: fmt.Sprintf("%s/providers/%d/edit", Prefix, p.ID),
		Trust: vals.get("trust"), SecretSet: len(p.ClientSecretEnc) > 0 || len(p.LDAPPasswordEnc) > 0, CanPreview: c.provision != nil}
	ch, fields := changeFromForm(k, vals, p.Options)
	if len(fields) > 0 {
		c.render(w, r, call, http.StatusBadRequest, "provider_form", view{Title: "Edit " + p.Label, Section: "providers", Data: f, Fields: fields,
			Error: "Some fields need attention; nothing was saved."})
		return
	}
	if r.PostForm.Get("preview") == "1" && c.provision != nil {
		c.previewChange(w, r, call, f, ch)
		return
	}
	if _, err := c.svc.UpdateSSOStrategy(r.Context(), call.Actor, call.Site.ID, p.ID, ch); err != nil {
		v := view{Title: "Edit " + p.Label, Section: "providers", Data: f}
		refusalInto(&v, err)
		c.render(w, r, call, identity.AsError(err).Status, "provider_form", v)
		return
	}
	seeOther(w, r, fmt.Sprintf("%s/providers/%d?saved=updated", Prefix, p.ID))
}

// previewChange shows, above the form as the admin filled it in, what the
// provider's rules as changed would do to its accounts now; nothing is
// saved.
func (c *Console) previewChange(w http.ResponseWriter, r *http.Request, call *Call, f providerForm, ch identity.SSOStrategyChange) {
	v := view{Title: "Edit " + f.P.Label, Section: "providers"}
	candidate, err := c.svc.SSOStrategyAsChanged(r.Context(), call.Actor, call.Site.ID, f.P.ID, ch)
	if err == nil {
		f.Preview, err = c.provision.PreviewSettings(r.Context(), candidate)
	}
	if err != nil {
		v.Data = f
		refusalInto(&v, err)
		c.render(w, r, call, identity.AsError(err).Status, "provider_form", v)
		return
	}
	v.Data, v.Notice = f, "Preview: nothing was saved. Save to apply these settings; the changes below happen at the next sync, SCIM request or sign-in."
	c.render(w, r, call, http.StatusOK, "provider_form", v)
}

func (c *Console) providerDelete(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.provider(w, r, call)
	if !ok {
		return
	}
	if r.PostForm.Get("confirm") != p.Label {
		c.showProvider(w, r, call, p, http.StatusBadRequest, view{Fields: map[string]string{"confirm": "type the provider's label exactly to delete it"}})
		return
	}
	if err := c.svc.DeleteSSOStrategy(r.Context(), call.Actor, call.Site.ID, p.ID); err != nil {
		v := view{}
		refusalInto(&v, err)
		c.showProvider(w, r, call, p, identity.AsError(err).Status, v)
		return
	}
	seeOther(w, r, Prefix+"/providers?saved=deleted")
}

// refusalInto puts a refusal next to the fields it names (the service
// names them one by one for settings; otherwise the first field of the
// form its message mentions), and its message at the top of the form.
func refusalInto(v *view, err error) {
	e := identity.AsError(err)
	msg := e.Message
	if msg == "" {
		msg = e.Title
	}
	v.Error = msg
	if e.Fields != nil && len(*e.Fields) > 0 {
		v.Fields = map[string]string{}
		for _, f := range *e.Fields {
			v.Fields[strings.TrimPrefix(f.Field, "options.")] = f.Message
		}
		v.Error = "Nothing was saved: " + msg
		return
	}
	var onForm formValues
	if f, ok := v.Data.(providerForm); ok {
		onForm = f.Values
	}
	if field := fieldOf(msg, onForm); field != "" {
		v.Fields = map[string]string{field: msg}
		v.Error = "Nothing was saved: " + msg
	}
}

// trustOf is the SAML trust method a provider uses now.
func trustOf(p store.SSOStrategy) string {
	switch {
	case p.SAMLProviderMetadataURL != "":
		return "metadata_url"
	case p.SAMLProviderMetadataContent != "":
		return "metadata_xml"
	case p.SAMLProviderCertFingerprint != "":
		return "fingerprint"
	}
	return "metadata_url"
}
