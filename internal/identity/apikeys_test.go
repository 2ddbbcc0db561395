package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestAPIKeyLogin(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	ann := e.user("ann", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID, FTPPermission: ptr(true)})
	annActor := ActorFor(ann, "")

	k, key, err := e.svc.CreateAPIKey(e.ctx, annActor, e.site.ID, APIKeyChange{Name: ptr("laptop")})
	wantErr(t, "create own key", err, nil)
	if !strings.HasPrefix(key, APIKeyPrefix) || k.DescriptiveLabel != key[:8]+"…" || k.PermissionSet != "full" || k.UserID != ann.ID {
		t.Fatalf("key %q stored as %+v", key, k)
	}
	if string(k.KeyHash) == key || strings.Contains(string(k.KeyHash), key) {
		t.Fatal("the key itself was stored")
	}

	// An SSO user's key works where the policy says, and notes its use.
	u, gotKey, err := e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	wantErr(t, "key on api", err, nil)
	if u.ID != ann.ID || !gotKey.LastUseAt.Equal(e.clock.Now()) || !u.LastAPIUseAt.Equal(e.clock.Now()) {
		t.Fatalf("login returned user %d, key last use %v, user last use %v", u.ID, gotKey.LastUseAt, u.LastAPIUseAt)
	}
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelFTP, "")
	wantErr(t, "key on ftp", err, nil)
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelWeb, "")
	wantErr(t, "key on web", err, ErrNotAuthorized)

	// Last use is written at most every 3 hours.
	firstUse := e.clock.Now()
	e.clock.Advance(time.Hour)
	_, gotKey, _ = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	if !gotKey.LastUseAt.Equal(firstUse) {
		t.Errorf("last_use_at moved after an hour: %v", gotKey.LastUseAt)
	}
	e.clock.Advance(2*time.Hour + time.Second)
	_, gotKey, _ = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	if !gotKey.LastUseAt.Equal(e.clock.Now()) {
		t.Errorf("last_use_at not updated after 3 hours: %v", gotKey.LastUseAt)
	}

	// Wrong, forged and oversized keys.
	for _, bad := range []string{"", "ghk_nope", key + "x", strings.ToUpper(key), strings.Repeat("k", 10000), "' OR 1=1 --"} {
		_, _, err := e.svc.LoginWithAPIKey(e.ctx, e.site.ID, bad, ChannelAPI, "")
		wantErr(t, "bad key "+truncate(bad, 12), err, ErrInvalidAPIKey)
	}

	// Another site does not accept it, with the same answer.
	other := e.otherSite()
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, other.ID, key, ChannelAPI, "")
	wantErr(t, "other site", err, ErrInvalidAPIKey)

	// A disabled user's key stops working.
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{Disabled: ptr(true)}, false)
	wantErr(t, "disable", err, nil)
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	wantErr(t, "disabled user", err, ErrUserDisabled)
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{Disabled: ptr(false)}, false)
	wantErr(t, "enable", err, nil)

	// A password lockout does not stop a key: it is about password guesses.
	if _, err := e.st.UpdateUser(e.ctx, e.site.ID, ann.ID, func(u *store.User) error {
		u.LockoutExpires = e.clock.Now().Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	wantErr(t, "locked-out user's key", err, nil)
	if _, err := e.svc.UnlockUser(e.ctx, SystemActor, e.site.ID, ann.ID); err != nil {
		t.Fatal(err)
	}

	// A revoked key is unknown.
	wantErr(t, "revoke", e.svc.DeleteAPIKey(e.ctx, annActor, e.site.ID, k.ID), nil)
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	wantErr(t, "revoked key", err, ErrInvalidAPIKey)
}

func TestAPIKeyExpiry(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	_, _, err := e.svc.CreateAPIKey(e.ctx, ActorFor(ann, ""), e.site.ID, APIKeyChange{ExpiresAt: ptr(e.clock.Now().Add(-time.Minute))})
	wantErr(t, "expiry in the past", err, ErrInvalidParams)

	_, key, err := e.svc.CreateAPIKey(e.ctx, ActorFor(ann, ""), e.site.ID, APIKeyChange{ExpiresAt: ptr(e.clock.Now().Add(time.Hour))})
	wantErr(t, "create", err, nil)
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	wantErr(t, "before expiry", err, nil)
	e.clock.Advance(time.Hour)
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	wantErr(t, "at expiry", err, ErrInvalidAPIKey)
}

func TestSiteWideAPIKey(t *testing.T) {
	e := newEnv(t)
	admin := e.admin("root")
	zero := int64(0)
	_, _, err := e.svc.CreateAPIKey(e.ctx, ActorFor(admin, ""), e.site.ID, APIKeyChange{UserID: &zero})
	wantErr(t, "site admin creating a site-wide key", err, ErrNotAuthorized)

	k, key, err := e.svc.CreateAPIKey(e.ctx, SystemActor, e.site.ID, APIKeyChange{UserID: &zero, Name: ptr("automation")})
	wantErr(t, "operator creating a site-wide key", err, nil)
	u, _, err := e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelAPI, "")
	wantErr(t, "site-wide key", err, nil)
	if u.ID != 0 || u.SiteID != e.site.ID {
		t.Fatalf("site-wide key returned user %+v", u)
	}
	_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelWeb, "")
	wantErr(t, "site-wide key on web", err, ErrNotAuthorized)

	// Only site admins see it.
	bob := e.user("bob", UserChange{})
	_, err = e.svc.GetAPIKey(e.ctx, ActorFor(bob, ""), e.site.ID, k.ID)
	wantErr(t, "non-admin reading a site-wide key", err, ErrAPIKeyNotFound)
	_, err = e.svc.GetAPIKey(e.ctx, ActorFor(admin, ""), e.site.ID, k.ID)
	wantErr(t, "admin reading a site-wide key", err, nil)
}

func TestAPIKeyOwnership(t *testing.T) {
	e := newEnv(t)
	admin := e.admin("root")
	ann := e.user("ann", UserChange{})
	bob := e.user("bob", UserChange{})
	annKey, _, err := e.svc.CreateAPIKey(e.ctx, ActorFor(ann, ""), e.site.ID, APIKeyChange{})
	wantErr(t, "ann's key", err, nil)

	bobActor := ActorFor(bob, "")
	_, err = e.svc.GetAPIKey(e.ctx, bobActor, e.site.ID, annKey.ID)
	wantErr(t, "bob reads ann's key", err, ErrAPIKeyNotFound)
	_, err = e.svc.UpdateAPIKey(e.ctx, bobActor, e.site.ID, annKey.ID, APIKeyChange{Name: ptr("mine")})
	wantErr(t, "bob renames ann's key", err, ErrAPIKeyNotFound)
	wantErr(t, "bob deletes ann's key", e.svc.DeleteAPIKey(e.ctx, bobActor, e.site.ID, annKey.ID), ErrAPIKeyNotFound)
	_, _, err = e.svc.CreateAPIKey(e.ctx, bobActor, e.site.ID, APIKeyChange{UserID: &ann.ID})
	wantErr(t, "bob creates a key for ann", err, ErrUserNotFound)
	keys, err := e.svc.ListAPIKeys(e.ctx, bobActor, e.site.ID, store.KeyQuery{UserID: ann.ID})
	wantErr(t, "bob lists ann's keys", err, nil)
	if len(keys) != 0 {
		t.Fatalf("bob saw %d of ann's keys", len(keys))
	}

	adminActor := ActorFor(admin, "")
	_, _, err = e.svc.CreateAPIKey(e.ctx, adminActor, e.site.ID, APIKeyChange{UserID: &ann.ID})
	wantErr(t, "admin creates a key for ann", err, nil)
	keys, _ = e.svc.ListAPIKeys(e.ctx, adminActor, e.site.ID, store.KeyQuery{UserID: ann.ID})
	if len(keys) != 2 {
		t.Fatalf("admin sees %d of ann's keys, want 2", len(keys))
	}
	_, err = e.svc.UpdateAPIKey(e.ctx, adminActor, e.site.ID, annKey.ID, APIKeyChange{PermissionSet: ptr("superuser")})
	wantErr(t, "unknown permission set", err, ErrInvalidParams)
	updated, err := e.svc.UpdateAPIKey(e.ctx, adminActor, e.site.ID, annKey.ID, APIKeyChange{PermissionSet: ptr("desktop_app")})
	wantErr(t, "known permission set", err, nil)
	if updated.PermissionSet != "desktop_app" {
		t.Fatalf("permission set %q", updated.PermissionSet)
	}
	_, err = e.svc.UpdateAPIKey(e.ctx, adminActor, e.site.ID, annKey.ID, APIKeyChange{UserID: &bob.ID})
	wantErr(t, "move key to bob", err, ErrInvalidParams)
}

// TestPermissionSetChannels: which channels each permission set signs in
// on (the routes a key may use are KeyMayUse's, tested over the REST route
// table in package web).
func TestPermissionSetChannels(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{FTPPermission: ptr(true), DAVPermission: ptr(true), SFTPPermission: ptr(true)})
	cases := []struct {
		set  string
		want [4]error // api, ftp, webdav, desktop
	}{
		{PermissionSetFull, [4]error{nil, nil, nil, nil}},
		{PermissionSetDesktopApp, [4]error{nil, nil, nil, nil}},
		{PermissionSetFilesOnly, [4]error{nil, nil, nil, ErrNotAuthorized}},
		{PermissionSetSyncApp, [4]error{nil, nil, nil, ErrNotAuthorized}},
		{PermissionSetMobileApp, [4]error{nil, nil, nil, ErrNotAuthorized}},
		{PermissionSetOfficeIntegration, [4]error{nil, nil, nil, ErrNotAuthorized}},
		{PermissionSetNone, [4]error{ErrAPIKeyDisabled, ErrAPIKeyDisabled, ErrAPIKeyDisabled, ErrAPIKeyDisabled}},
	}
	for _, c := range cases {
		_, key, err := e.svc.CreateAPIKey(e.ctx, SystemActor, e.site.ID, APIKeyChange{UserID: &ann.ID, Name: ptr(c.set), PermissionSet: ptr(c.set)})
		wantErr(t, "create "+c.set, err, nil)
		for i, ch := range []Channel{ChannelAPI, ChannelFTP, ChannelWebDAV, ChannelDesktop} {
			_, _, err := e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ch, "192.0.2.1")
			if c.want[i] == ErrNotAuthorized {
				// Refused with the set's own type, which names the set.
				if err == nil || AsError(err).Status != 403 || !strings.Contains(AsError(err).Message, c.set) {
					t.Errorf("%s on %s: %v, want a 403 naming the set", c.set, ch, err)
				}
				continue
			}
			wantErr(t, c.set+" on "+string(ch), err, c.want[i])
		}
		// No key signs in over SFTP, whatever its set: the policy says so.
		_, _, err = e.svc.LoginWithAPIKey(e.ctx, e.site.ID, key, ChannelSFTP, "192.0.2.1")
		if err == nil {
			t.Errorf("%s key signed in over SFTP", c.set)
		}
	}
	if err := KeyMayUse("made-up", ScopeFiles); err == nil {
		t.Error("an unknown permission set may use file routes")
	}
	if err := KeyMayUse(PermissionSetFull, ""); err != nil {
		t.Errorf("a full key on a route with no scope: %v", err)
	}
	if err := KeyMayUse(PermissionSetFilesOnly, ""); err == nil {
		t.Error("a files_only key may use a route with no scope")
	}
}
