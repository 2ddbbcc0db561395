package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The user page's limits: a user has a handful of keys and groups; a
// site with more groups than maxGroups manages membership from the group
// side or by its provider.
const (
	maxKeys   = 200
	maxGroups = 500
	recentN   = 10
)

// signIn is one channel's last sign-in on the user page.
type signIn struct {
	Channel string
	At      time.Time
}

// providerChoice is one provider a user may sign in with.
type providerChoice struct {
	ID    int64
	Label string
	Kind  string
}

// groupChoice is one group on the user page, ticked when the user is a
// member.
type groupChoice struct {
	G              store.Group
	Member, Admin  bool
	ManagedByLabel string
}

// userPage is what a user's page shows.
type userPage struct {
	U        store.User
	Locked   bool
	Provider string // the label of the user's provider
	// Method is the authentication select's current value: a method, or
	// "provider:ID" for SSO and LDAP with that provider.
	Method       string
	SSOProviders []providerChoice
	LDAP         []providerChoice
	Groups       []groupChoice
	MoreGroups   bool
	APIKeys      []store.APIKey
	SSHKeys      []store.PublicKey
	SignIns      []signIn
	Events       []store.SSOEvent
}

// user reads the user the path names, answering a missing or malformed
// id (or another site's user) as not found.
func (c *Console) user(w http.ResponseWriter, r *http.Request, call *Call) (store.User, bool) {
	id, err := pathID(r, "id", identity.ErrUserNotFound)
	if err == nil {
		var u store.User
		if u, err = c.svc.GetUser(r.Context(), call.Site.ID, id); err == nil {
			return u, true
		}
	}
	c.fail(w, r, call, err)
	return store.User{}, false
}

// userSaved are the notices a user page shows after a change, by the
// saved= its address carries.
var userSaved = map[string]string{
	"auth": "Authentication method saved.", "access": "Permissions saved.", "groups": "Groups saved.",
	"unlocked": "Unlocked: the user may sign in again.", "key": "API key revoked.", "sshkey": "SSH key revoked.",
}

func (c *Console) userShow(w http.ResponseWriter, r *http.Request, call *Call) {
	u, ok := c.user(w, r, call)
	if !ok {
		return
	}
	c.showUser(w, r, call, u, http.StatusOK, view{Notice: userSaved[r.URL.Query().Get("saved")]})
}

// showUser renders user u's page with v's notices and refusals.
func (c *Console) showUser(w http.ResponseWriter, r *http.Request, call *Call, u store.User, status int, v view) {
	ctx := r.Context()
	site := call.Site.ID
	pg := userPage{U: u, Locked: u.LockoutExpires.After(c.now()), Method: u.AuthenticationMethod}
	if u.AuthenticationMethod == store.AuthSSO && u.SSOStrategyID != 0 {
		pg.Method = "provider:" + strconv.FormatInt(u.SSOStrategyID, 10)
	}
	providers, err := c.svc.ListSSOStrategies(ctx, site, store.ListOptions{Limit: maxProviders})
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	labels := map[int64]string{}
	for _, p := range providers {
		labels[p.ID] = p.Label
		k := kindOf(p.Protocol, p.Provider)
		pc := providerChoice{ID: p.ID, Label: p.Label, Kind: k.Name}
		if k.LDAP() {
			pg.LDAP = append(pg.LDAP, pc)
		} else {
			pg.SSOProviders = append(pg.SSOProviders, pc)
		}
	}
	pg.Provider = labels[u.SSOStrategyID]
	member, admin, err := c.svc.UserGroupIDs(ctx, site, u.ID)
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	groups, err := c.svc.ListGroups(ctx, site, store.GroupQuery{ListOptions: store.ListOptions{Limit: maxGroups + 1, Sort: store.Sort{Field: "name"}}})
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	if len(groups) > maxGroups {
		groups, pg.MoreGroups = groups[:maxGroups], true
	}
	for _, g := range groups {
		pg.Groups = append(pg.Groups, groupChoice{G: g, Member: contains(member, g.ID), Admin: contains(admin, g.ID), ManagedByLabel: labels[g.SSOStrategyID]})
	}
	keys := store.KeyQuery{UserID: u.ID, ListOptions: store.ListOptions{Limit: maxKeys}}
	if pg.APIKeys, err = c.svc.ListAPIKeys(ctx, call.Actor, site, keys); err != nil {
		c.fail(w, r, call, err)
		return
	}
	if pg.SSHKeys, err = c.svc.ListPublicKeys(ctx, call.Actor, site, keys); err != nil {
		c.fail(w, r, call, err)
		return
	}
	pg.SignIns = []signIn{{"Web", u.LastWebLoginAt}, {"REST API", u.LastRestAPILoginAt}, {"Desktop app", u.LastDesktopLoginAt},
		{"SFTP", u.LastSFTPLoginAt}, {"FTP", u.LastFTPLoginAt}, {"WebDAV", u.LastDAVLoginAt}, {"API key last used", u.LastAPIUseAt}}
	events := store.EventQuery{UserID: u.ID, ListOptions: store.ListOptions{Limit: recentN, Sort: store.Sort{Desc: true}}}
	if pg.Events, err = c.svc.ListSSOEvents(ctx, site, events); err != nil {
		c.fail(w, r, call, err)
		return
	}
	v.Title, v.Section, v.Data = u.Username, "users", pg
	c.render(w, r, call, status, "user", v)
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// userRefusal shows a refusal of the service on the user's page, in the
// service's words, at the top and beside the form's field.
func (c *Console) userRefusal(w http.ResponseWriter, r *http.Request, call *Call, u store.User, field string, err error) {
	e := identity.AsError(err)
	if e == identity.ErrInternal {
		c.fail(w, r, call, err)
		return
	}
	msg := e.Message
	if msg == "" {
		msg = e.Title
	}
	if fresh, gerr := c.svc.GetUser(r.Context(), call.Site.ID, u.ID); gerr == nil {
		u = fresh
	}
	c.showUser(w, r, call, u, e.Status, view{Error: "Nothing was saved: " + msg, Fields: map[string]string{field: msg}})
}

// userUpdate applies a change to the user and goes back to their page.
func (c *Console) userUpdate(w http.ResponseWriter, r *http.Request, call *Call, u store.User, field, saved string, ch identity.UserChange) {
	if _, err := c.svc.UpdateUser(r.Context(), call.Actor, call.Site.ID, u.ID, ch, false); err != nil {
		c.userRefusal(w, r, call, u, field, err)
		return
	}
	seeOther(w, r, fmt.Sprintf("%s/users/%d?saved=%s", Prefix, u.ID, saved))
}

// userAuth sets how the user signs in: a password, no interactive
// sign-in, or an SSO or LDAP provider of the site.
func (c *Console) userAuth(w http.ResponseWriter, r *http.Request, call *Call) {
	u, ok := c.user(w, r, call)
	if !ok {
		return
	}
	ch := identity.UserChange{}
	choice := r.PostForm.Get("authentication_method")
	switch choice {
	case store.AuthPassword, store.AuthNone, store.AuthEmailSignup:
		ch.AuthenticationMethod = &choice
	default:
		id, err := strconv.ParseInt(strings.TrimPrefix(choice, "provider:"), 10, 64)
		if !strings.HasPrefix(choice, "provider:") || err != nil || id <= 0 {
			c.showUser(w, r, call, u, http.StatusBadRequest, view{Error: "Nothing was saved: choose how the user signs in.",
				Fields: map[string]string{"authentication_method": "choose a password, no sign-in, or one of the providers"}})
			return
		}
		sso := store.AuthSSO
		ch.AuthenticationMethod, ch.SSOStrategyID = &sso, &id
	}
	c.userUpdate(w, r, call, u, "authentication_method", "auth", ch)
}

// userAccess sets the user's site admin flag, channels and disabled
// flag; unticked boxes are sent as nothing, so each is set from the
// form whole.
func (c *Console) userAccess(w http.ResponseWriter, r *http.Request, call *Call) {
	u, ok := c.user(w, r, call)
	if !ok {
		return
	}
	on := func(name string) *bool { b := r.PostForm.Get(name) == "on"; return &b }
	ch := identity.UserChange{SiteAdmin: on("site_admin"), RestAPIPermission: on("restapi_permission"),
		SFTPPermission: on("sftp_permission"), FTPPermission: on("ftp_permission"), DAVPermission: on("dav_permission"),
		Disabled: on("disabled"), NotifyOnAllSSOFailures: on("notify_on_all_sso_failures")}
	c.userUpdate(w, r, call, u, "access", "access", ch)
}

// userGroups sets the groups the user is a member of to those ticked.
func (c *Console) userGroups(w http.ResponseWriter, r *http.Request, call *Call) {
	u, ok := c.user(w, r, call)
	if !ok {
		return
	}
	ids := identity.IDList{}
	for _, v := range r.PostForm["group"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			c.showUser(w, r, call, u, http.StatusBadRequest, view{Error: "Nothing was saved: a group in the form is not one of the site's."})
			return
		}
		ids = append(ids, id)
	}
	c.userUpdate(w, r, call, u, "groups", "groups", identity.UserChange{GroupIDs: &ids})
}

func (c *Console) userUnlock(w http.ResponseWriter, r *http.Request, call *Call) {
	u, ok := c.user(w, r, call)
	if !ok {
		return
	}
	if _, err := c.svc.UnlockUser(r.Context(), call.Actor, call.Site.ID, u.ID); err != nil {
		c.userRefusal(w, r, call, u, "unlock", err)
		return
	}
	seeOther(w, r, fmt.Sprintf("%s/users/%d?saved=unlocked", Prefix, u.ID))
}

// userPassword is the page that shows a new one-time password once.
type userPassword struct {
	U        store.User
	Password string
}

// userResetPassword gives a password user a new one-time password, which
// they must change at their next sign-in, and unlocks them, as
// "gatehouse admin reset-password" does. The password is shown once and
// never stored but as a hash.
func (c *Console) userResetPassword(w http.ResponseWriter, r *http.Request, call *Call) {
	u, ok := c.user(w, r, call)
	if !ok {
		return
	}
	if u.AuthenticationMethod != store.AuthPassword {
		c.showUser(w, r, call, u, http.StatusConflict, view{Error: "Nothing was changed: " + u.Username + " does not sign in with a password; set the authentication method to Password first.",
			Fields: map[string]string{"password": "set the authentication method to Password first"}})
		return
	}
	password, yes := identity.GeneratePassword(), true
	if _, err := c.svc.UpdateUser(r.Context(), call.Actor, call.Site.ID, u.ID,
		identity.UserChange{Password: &password, RequirePasswordChange: &yes}, false); err != nil {
		c.userRefusal(w, r, call, u, "password", err)
		return
	}
	if _, err := c.svc.UnlockUser(r.Context(), call.Actor, call.Site.ID, u.ID); err != nil {
		c.userRefusal(w, r, call, u, "password", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	c.render(w, r, call, http.StatusOK, "user_password", view{Title: "New password for " + u.Username, Section: "users",
		Data: userPassword{U: u, Password: password}})
}

// userRevokeKey deletes one of the user's API keys or SSH keys; a key of
// another user is not found, whatever its id.
func (c *Console) userRevokeKey(ssh bool) Page {
	return func(w http.ResponseWriter, r *http.Request, call *Call) {
		u, ok := c.user(w, r, call)
		if !ok {
			return
		}
		ctx := r.Context()
		notFound, saved := identity.ErrAPIKeyNotFound, "key"
		if ssh {
			notFound, saved = identity.ErrPublicKeyNotFound, "sshkey"
		}
		id, err := pathID(r, "key", notFound)
		if err == nil {
			var owner int64
			if ssh {
				var k store.PublicKey
				k, err = c.svc.GetPublicKey(ctx, call.Actor, call.Site.ID, id)
				owner = k.UserID
			} else {
				var k store.APIKey
				k, err = c.svc.GetAPIKey(ctx, call.Actor, call.Site.ID, id)
				owner = k.UserID
			}
			if err == nil && owner != u.ID {
				err = notFound
			}
		}
		if err == nil && ssh {
			err = c.svc.DeletePublicKey(ctx, call.Actor, call.Site.ID, id)
		} else if err == nil {
			err = c.svc.DeleteAPIKey(ctx, call.Actor, call.Site.ID, id)
		}
		if err != nil {
			c.userRefusal(w, r, call, u, "keys", err)
			return
		}
		seeOther(w, r, fmt.Sprintf("%s/users/%d?saved=%s", Prefix, u.ID, saved))
	}
}

// userDelete deletes the user after the admin typed their username; the
// route needs a recent sign-in.
func (c *Console) userDelete(w http.ResponseWriter, r *http.Request, call *Call) {
	u, ok := c.user(w, r, call)
	if !ok {
		return
	}
	if r.PostForm.Get("confirm") != u.Username {
		c.showUser(w, r, call, u, http.StatusBadRequest, view{Error: "Nothing was deleted: type the username exactly to delete the user.",
			Fields: map[string]string{"confirm": "type the username exactly to delete the user"}})
		return
	}
	if err := c.svc.DeleteUser(r.Context(), call.Actor, call.Site.ID, u.ID, false); err != nil {
		c.userRefusal(w, r, call, u, "confirm", err)
		return
	}
	seeOther(w, r, Prefix+"/users?deleted="+strconv.FormatInt(u.ID, 10))
}
