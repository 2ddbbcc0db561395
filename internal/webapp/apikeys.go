package webapp

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// permissionChoice is a permission set a user may give their own key.
type permissionChoice struct {
	Value, Label, Hint string
}

// permissionChoices are the permission sets offered on the form: the
// values the identity service accepts, less "none", which makes a key
// that works nowhere. The service checks the value again.
var permissionChoices = []permissionChoice{
	{identity.PermissionSetFull, "Full", "Everything you may do, on the REST API, FTP, WebDAV and the desktop app, managing your keys included."},
	{identity.PermissionSetFilesOnly, "Files only", "Your files and your own profile, on the REST API, FTP and WebDAV; no managing of keys."},
	{identity.PermissionSetDesktopApp, "Desktop app", "As files only, and it also signs in the desktop app."},
	{identity.PermissionSetSyncApp, "Sync app", "As files only, for a sync program."},
	{identity.PermissionSetMobileApp, "Mobile app", "As files only, for a phone or tablet."},
	{identity.PermissionSetOfficeIntegration, "Office integration", "As files only, for an office suite."},
}

// permissionLabel names a stored permission set as the form does.
func permissionLabel(set string) string {
	for _, c := range permissionChoices {
		if c.Value == set {
			return c.Label
		}
	}
	return set
}

// apiKeysPage is what the My API keys page shows.
type apiKeysPage struct {
	Keys    []store.APIKey
	Choices []permissionChoice
	// The form as sent, when the service refused it.
	Name, Expires, PermissionSet string
	// Today is the earliest expiry date the form offers.
	Today string
}

// apiKeyCreated is the answer to a creation: the key, shown this once.
type apiKeyCreated struct {
	Key    store.APIKey
	Secret string
}

func (a *App) apiKeys(w http.ResponseWriter, r *http.Request, c *Call) {
	a.showAPIKeys(w, r, c, http.StatusOK, apiKeysPage{PermissionSet: identity.PermissionSetFull}, r.URL.Query().Get("done"), "")
}

// showAPIKeys lists the user's own keys with the form; a site admin sees
// their own here too (everyone's are in the console).
func (a *App) showAPIKeys(w http.ResponseWriter, r *http.Request, c *Call, status int, pg apiKeysPage, done, problem string) {
	keys, err := a.svc.ListAPIKeys(r.Context(), c.Actor, c.Site.ID, store.KeyQuery{UserID: c.User.ID})
	if err != nil {
		a.refuse(w, r, c, err, "api-keys")
		return
	}
	pg.Keys = keys[:0:0]
	for _, k := range keys {
		if k.UserID == c.User.ID {
			pg.Keys = append(pg.Keys, k)
		}
	}
	pg.Choices, pg.Today = permissionChoices, a.now().UTC().Format("2006-01-02")
	note := ""
	if done == "revoked" {
		note = "API key revoked. Programs that used it can no longer sign in."
	}
	a.render(w, c, status, "apikeys", view{Title: "My API keys", Section: "api-keys", Notice: note, Error: problem, Data: pg})
}

// createAPIKey makes a key for the signed-in user and shows it once. The
// answer is a page, not a redirect: the key is never in a URL, and is not
// kept anywhere it could be shown again.
func (a *App) createAPIKey(w http.ResponseWriter, r *http.Request, c *Call) {
	pg := apiKeysPage{
		Name:          strings.TrimSpace(r.PostForm.Get("name")),
		Expires:       strings.TrimSpace(r.PostForm.Get("expires")),
		PermissionSet: r.PostForm.Get("permission_set"),
	}
	change := identity.APIKeyChange{Name: &pg.Name, PermissionSet: &pg.PermissionSet}
	if pg.Expires != "" {
		day, err := time.Parse("2006-01-02", pg.Expires)
		if err != nil {
			a.showAPIKeys(w, r, c, http.StatusUnprocessableEntity, pg, "", "The expiry date must be a date such as 2030-12-31.")
			return
		}
		// A key set to expire on a day works until that day ends (UTC).
		end := day.Add(24*time.Hour - time.Second)
		change.ExpiresAt = &end
	}
	if pg.Name == "" {
		a.showAPIKeys(w, r, c, http.StatusUnprocessableEntity, pg, "", "Give the key a name, so you can tell it from your other keys.")
		return
	}
	k, secret, err := a.svc.CreateAPIKey(r.Context(), c.Actor, c.Site.ID, change)
	if err != nil {
		e := identity.AsError(err)
		if e == identity.ErrInternal {
			a.refuse(w, r, c, err, "api-keys")
			return
		}
		a.showAPIKeys(w, r, c, e.Status, pg, "", message(e))
		return
	}
	a.render(w, c, http.StatusOK, "apikey_created", view{Title: "Your new API key", Section: "api-keys", Data: apiKeyCreated{Key: k, Secret: secret}})
}

// revokeAPIKey deletes one of the user's own keys. Another user's key is,
// here, a key that does not exist, for a site admin too: theirs are
// revoked in the console.
func (a *App) revokeAPIKey(w http.ResponseWriter, r *http.Request, c *Call) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		a.refuse(w, r, c, identity.ErrAPIKeyNotFound, "api-keys")
		return
	}
	k, err := a.svc.GetAPIKey(r.Context(), c.Actor, c.Site.ID, id)
	if err == nil && k.UserID != c.User.ID {
		err = identity.ErrAPIKeyNotFound
	}
	if err == nil {
		err = a.svc.DeleteAPIKey(r.Context(), c.Actor, c.Site.ID, id)
	}
	if err != nil {
		a.refuse(w, r, c, err, "api-keys")
		return
	}
	a.log.Info("API key revoked in the web app", "site_id", c.Site.ID, "api_key_id", id, "user_id", c.User.ID)
	http.Redirect(w, r, "/api-keys?done=revoked", http.StatusSeeOther)
}

// message is what a page shows of a refusal.
func message(e *identity.Error) string {
	if e.Message != "" {
		return e.Message
	}
	return e.Title
}

// refuse shows a refusal as a page of the app's layout under section; an
// error that is not a typed refusal is logged and shown as the internal
// error, never with its text.
func (a *App) refuse(w http.ResponseWriter, r *http.Request, c *Call, err error, section string) {
	e := identity.AsError(err)
	if e == identity.ErrInternal && r.Context().Err() == nil {
		a.log.Error("web app page failed", "path", r.URL.Path, "err", err)
	}
	a.render(w, c, e.Status, "error", view{Title: e.Title, Error: message(e), Section: section})
}
