package identity

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

func TestCreateUserDefaults(t *testing.T) {
	e := newEnv(t)
	u, err := e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("ann")})
	wantErr(t, "create", err, nil)
	if u.AuthenticationMethod != store.AuthPassword || !u.RestAPIPermission || u.SFTPPermission || u.FTPPermission ||
		u.DAVPermission || u.SiteAdmin || u.TimeZone != DefaultTimeZone || u.PasswordHash != "" {
		t.Fatalf("defaults: %+v", u)
	}
	u, err = e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("bob"), TimeZone: ptr("UTC"),
		Password: ptr(testPassword)})
	wantErr(t, "create with a password", err, nil)
	if u.TimeZone != "UTC" || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$") || !u.PasswordSetAt.Equal(e.clock.Now()) {
		t.Fatalf("bob: %+v", u)
	}
}

func TestUsernamesStoredVerbatim(t *testing.T) {
	e := newEnv(t)
	names := []string{
		"robert');DROP_TABLE_users;--",
		"o'brien",
		"a%_b",
		"semi;colon",
		"Zoë.Ünïcødé",
		"back`tick",
		"$dollar{brace}",
		strings.Repeat("x", 128),
	}
	for _, name := range names {
		u := e.user(name, UserChange{})
		got, err := e.svc.GetUser(e.ctx, e.site.ID, u.ID)
		wantErr(t, "read back "+name, err, nil)
		if got.Username != name {
			t.Fatalf("stored %q as %q", name, got.Username)
		}
		signedIn, err := e.login(name, testPassword, ChannelWeb)
		wantErr(t, "sign in as "+name, err, nil)
		if signedIn.ID != u.ID {
			t.Fatalf("signed in as %d, want %d", signedIn.ID, u.ID)
		}
	}
	// LIKE wildcards in a name do not match other names.
	_, err := e.login("aXYb", testPassword, ChannelWeb)
	wantErr(t, "wildcard lookup", err, ErrInvalidUsernameOrPassword)
	// Uniqueness ignores case, and the error names the username.
	_, err = e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("O'BRIEN")})
	wantErr(t, "duplicate", err, ErrDuplicate)
	if !strings.Contains(AsError(err).Message, `"O'BRIEN"`) {
		t.Errorf("duplicate message %q should name the username", AsError(err).Message)
	}
	users, err := e.svc.ListUsers(e.ctx, e.site.ID, store.UserQuery{})
	wantErr(t, "list", err, nil)
	if len(users) != len(names) {
		t.Fatalf("%d users, want %d", len(users), len(names))
	}
}

func TestUserValidation(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	other := e.otherSite()
	otherProvider, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, other.ID, SSOStrategyChange{Protocol: ptr(ProtocolSAML)})
	wantErr(t, "other site's provider", err, nil)
	_ = saml

	cases := []struct {
		name string
		c    UserChange
		want error
	}{
		{"no username", UserChange{}, ErrParamsRequired},
		{"empty username", UserChange{Username: ptr("")}, ErrParamsRequired},
		{"129 characters", UserChange{Username: ptr(strings.Repeat("x", 129))}, ErrInvalidParams},
		{"space", UserChange{Username: ptr("ann smith")}, ErrInvalidParams},
		{"tab", UserChange{Username: ptr("ann\tsmith")}, ErrInvalidParams},
		{"newline", UserChange{Username: ptr("ann\n")}, ErrInvalidParams},
		{"nul", UserChange{Username: ptr("ann\x00")}, ErrInvalidParams},
		{"zero-width", UserChange{Username: ptr("ann\u200b")}, ErrInvalidParams},
		{"invalid utf-8", UserChange{Username: ptr("ann\xff")}, ErrInvalidParams},
		{"slash", UserChange{Username: ptr("a/b")}, ErrInvalidParams},
		{"backslash", UserChange{Username: ptr(`a\b`)}, ErrInvalidParams},
		{"colon", UserChange{Username: ptr("a:b")}, ErrInvalidParams},
		{"star", UserChange{Username: ptr("a*")}, ErrInvalidParams},
		{"question", UserChange{Username: ptr("a?")}, ErrInvalidParams},
		{"quote", UserChange{Username: ptr(`a"`)}, ErrInvalidParams},
		{"angle", UserChange{Username: ptr("<a>")}, ErrInvalidParams},
		{"pipe", UserChange{Username: ptr("a|b")}, ErrInvalidParams},
		{"bad email", UserChange{Username: ptr("ann"), Email: ptr("not an address")}, ErrInvalidParams},
		{"email with name", UserChange{Username: ptr("ann"), Email: ptr("Ann <ann@example.com>")}, ErrInvalidParams},
		{"email without domain dot", UserChange{Username: ptr("ann"), Email: ptr("ann@localhost")}, ErrInvalidParams},
		{"long email", UserChange{Username: ptr("ann"), Email: ptr(strings.Repeat("a", 250) + "@example.com")}, ErrInvalidParams},
		{"long name", UserChange{Username: ptr("ann"), Name: ptr(strings.Repeat("n", 257))}, ErrInvalidParams},
		{"control in name", UserChange{Username: ptr("ann"), Name: ptr("Ann\x07")}, ErrInvalidParams},
		{"newline in company", UserChange{Username: ptr("ann"), Company: ptr("A\nB")}, ErrInvalidParams},
		{"long notes", UserChange{Username: ptr("ann"), Notes: ptr(strings.Repeat("n", 4097))}, ErrInvalidParams},
		{"control in notes", UserChange{Username: ptr("ann"), Notes: ptr("a\x1bb")}, ErrInvalidParams},
		{"unknown method", UserChange{Username: ptr("ann"), AuthenticationMethod: ptr("password_with_imported_hash")}, ErrInvalidParams},
		{"sso without provider", UserChange{Username: ptr("ann"), AuthenticationMethod: ptr(store.AuthSSO)}, ErrInvalidParams},
		{"sso with unknown provider", UserChange{Username: ptr("ann"), AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: ptr(int64(9999))}, ErrInvalidParams},
		{"sso with other site's provider", UserChange{Username: ptr("ann"), AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &otherProvider.ID}, ErrInvalidParams},
		{"unknown group", UserChange{Username: ptr("ann"), GroupIDs: &IDList{9999}}, ErrInvalidParams},
	}
	for _, c := range cases {
		_, err := e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, c.c)
		wantErr(t, c.name, err, c.want)
	}
	// Multi-line notes are fine; the long-field error names field and limit.
	_, err = e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("ann"), Notes: ptr("line one\nline two")})
	wantErr(t, "multi-line notes", err, nil)
	_, err = e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("bob"), Name: ptr(strings.Repeat("n", 300))})
	if msg := AsError(err).Message; !containsAll(msg, "name", "256") {
		t.Errorf("message %q should name the field and the limit", msg)
	}
	users, _ := e.svc.ListUsers(e.ctx, e.site.ID, store.UserQuery{})
	if len(users) != 1 {
		t.Fatalf("refused creates left %d users", len(users))
	}
}

func TestUserActorChecks(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	annActor := ActorFor(ann, "")
	_, err := e.svc.CreateUser(e.ctx, annActor, e.site.ID, UserChange{Username: ptr("mallory")})
	wantErr(t, "non-admin creates a user", err, ErrSiteAdminRequired)
	_, err = e.svc.UpdateUser(e.ctx, annActor, e.site.ID, ann.ID, UserChange{SiteAdmin: ptr(true)}, false)
	wantErr(t, "non-admin promotes themselves", err, ErrSiteAdminRequired)
	wantErr(t, "non-admin deletes", e.svc.DeleteUser(e.ctx, annActor, e.site.ID, ann.ID, false), ErrSiteAdminRequired)
	_, err = e.svc.UpdateSite(e.ctx, annActor, e.site.ID, SiteChange{UserLockout: ptr(false)})
	wantErr(t, "non-admin changes the site", err, ErrSiteAdminRequired)
	_, err = e.svc.CreateGroup(e.ctx, annActor, e.site.ID, GroupChange{Name: ptr("g")})
	wantErr(t, "non-admin creates a group", err, ErrSiteAdminRequired)
	_, err = e.svc.CreateSSOStrategy(e.ctx, annActor, e.site.ID, SSOStrategyChange{Protocol: ptr(ProtocolSAML)})
	wantErr(t, "non-admin creates a provider", err, ErrSiteAdminRequired)
	_, err = e.svc.UnlockUser(e.ctx, annActor, e.site.ID, ann.ID)
	wantErr(t, "non-admin unlocks", err, ErrSiteAdminRequired)

	_, err = e.svc.GetUser(e.ctx, e.site.ID, 9999)
	wantErr(t, "unknown user", err, ErrUserNotFound)
	other := e.otherSite()
	_, err = e.svc.GetUser(e.ctx, other.ID, ann.ID)
	wantErr(t, "user of another site", err, ErrUserNotFound)
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, 9999, UserChange{Name: ptr("x")}, false)
	wantErr(t, "update unknown user", err, ErrUserNotFound)
}

func TestNonSSOUsersNotAllowed(t *testing.T) {
	e := newEnv(t)
	admin := e.admin("root")
	saml := e.provider(ProtocolSAML)
	_, err := e.svc.UpdateSite(e.ctx, SystemActor, e.site.ID, SiteChange{NonSSOUsersAllowed: ptr(false), NonSSOGroupsAllowed: ptr(false)})
	wantErr(t, "turn off non-SSO users", err, nil)
	a := ActorFor(admin, "")
	_, err = e.svc.CreateUser(e.ctx, a, e.site.ID, UserChange{Username: ptr("ann")})
	wantErr(t, "admin creates a password user", err, ErrNonSSOUsersNotAllowed)
	_, err = e.svc.CreateUser(e.ctx, a, e.site.ID, UserChange{Username: ptr("ann"), AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID})
	wantErr(t, "admin creates an SSO user", err, nil)
	_, err = e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("svc"), AuthenticationMethod: ptr(store.AuthNone)})
	wantErr(t, "operator creates a key-only user", err, nil)
	_, err = e.svc.CreateGroup(e.ctx, a, e.site.ID, GroupChange{Name: ptr("g")})
	wantErr(t, "admin creates a group", err, ErrNonSSOUsersNotAllowed)
}

func TestUserGroupsReplace(t *testing.T) {
	e := newEnv(t)
	var groups []store.Group
	for _, name := range []string{"one", "two", "three"} {
		g, err := e.svc.CreateGroup(e.ctx, SystemActor, e.site.ID, GroupChange{Name: ptr(name)})
		wantErr(t, "group "+name, err, nil)
		groups = append(groups, g)
	}
	ann := e.user("ann", UserChange{GroupIDs: &IDList{groups[0].ID, groups[1].ID}})
	_, err := e.svc.UpdateGroupUser(e.ctx, SystemActor, e.site.ID, groups[1].ID, ann.ID, true)
	wantErr(t, "make admin of two", err, nil)
	member, admin, err := e.svc.UserGroupIDs(e.ctx, e.site.ID, ann.ID)
	wantErr(t, "group ids", err, nil)
	if len(member) != 2 || len(admin) != 1 || admin[0] != groups[1].ID {
		t.Fatalf("member %v admin %v", member, admin)
	}
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{GroupIDs: &IDList{groups[1].ID, groups[2].ID}}, false)
	wantErr(t, "replace groups", err, nil)
	member, admin, _ = e.svc.UserGroupIDs(e.ctx, e.site.ID, ann.ID)
	if len(member) != 2 || !containsID(member, groups[1].ID) || !containsID(member, groups[2].ID) || len(admin) != 1 {
		t.Fatalf("after replace: member %v admin %v (admin flag of kept group should stay)", member, admin)
	}
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestGroupMembersReplace(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.user("a", UserChange{}), e.user("b", UserChange{}), e.user("c", UserChange{})
	g, err := e.svc.CreateGroup(e.ctx, SystemActor, e.site.ID, GroupChange{Name: ptr("Team"), UserIDs: &IDList{a.ID, b.ID}, AdminIDs: &IDList{b.ID}, SFTPPermission: ptr(true)})
	wantErr(t, "create group", err, nil)
	_, err = e.svc.CreateGroup(e.ctx, SystemActor, e.site.ID, GroupChange{Name: ptr("TEAM")})
	wantErr(t, "duplicate group name", err, ErrDuplicate)
	_, err = e.svc.CreateGroup(e.ctx, SystemActor, e.site.ID, GroupChange{Name: ptr("  ")})
	wantErr(t, "blank group name", err, ErrInvalidParams)

	members := func() map[int64]bool {
		gus, err := e.svc.ListGroupUsers(e.ctx, e.site.ID, store.GroupUserQuery{GroupID: g.ID})
		wantErr(t, "list members", err, nil)
		m := map[int64]bool{}
		for _, gu := range gus {
			m[gu.UserID] = gu.Admin
		}
		return m
	}
	if m := members(); len(m) != 2 || m[a.ID] || !m[b.ID] {
		t.Fatalf("members %v", m)
	}
	// A group permission reaches its members.
	_, err = e.login("a", testPassword, ChannelSFTP)
	wantErr(t, "sftp through the group", err, nil)
	_, err = e.login("c", testPassword, ChannelSFTP)
	wantErr(t, "sftp without the group", err, ErrChannelNotPermitted)

	_, err = e.svc.UpdateGroup(e.ctx, SystemActor, e.site.ID, g.ID, GroupChange{AdminIDs: &IDList{c.ID}})
	wantErr(t, "admins only", err, nil)
	if m := members(); len(m) != 3 || m[a.ID] || m[b.ID] || !m[c.ID] {
		t.Fatalf("after admin_ids: %v", m)
	}
	_, err = e.svc.UpdateGroup(e.ctx, SystemActor, e.site.ID, g.ID, GroupChange{UserIDs: &IDList{a.ID}})
	wantErr(t, "users only", err, nil)
	if m := members(); len(m) != 1 || m[a.ID] {
		t.Fatalf("after user_ids: %v", m)
	}
	_, err = e.svc.UpdateGroup(e.ctx, SystemActor, e.site.ID, g.ID, GroupChange{UserIDs: &IDList{9999}})
	wantErr(t, "unknown member", err, ErrInvalidParams)

	_, err = e.svc.AddGroupUser(e.ctx, SystemActor, e.site.ID, g.ID, b.ID, false)
	wantErr(t, "add", err, nil)
	_, err = e.svc.AddGroupUser(e.ctx, SystemActor, e.site.ID, g.ID, b.ID, false)
	wantErr(t, "add twice", err, ErrDuplicate)
	_, err = e.svc.AddGroupUser(e.ctx, SystemActor, e.site.ID, 9999, b.ID, false)
	wantErr(t, "add to unknown group", err, ErrGroupNotFound)
	wantErr(t, "remove", e.svc.RemoveGroupUser(e.ctx, SystemActor, e.site.ID, g.ID, b.ID), nil)
	wantErr(t, "remove again", e.svc.RemoveGroupUser(e.ctx, SystemActor, e.site.ID, g.ID, b.ID), ErrNotFound)
	wantErr(t, "delete group", e.svc.DeleteGroup(e.ctx, SystemActor, e.site.ID, g.ID), nil)
	_, err = e.svc.GetGroup(e.ctx, e.site.ID, g.ID)
	wantErr(t, "deleted group", err, ErrGroupNotFound)
}

func TestSetup(t *testing.T) {
	e := newEnv(t)
	again, err := e.svc.EnsureDefaultSite(e.ctx)
	wantErr(t, "second EnsureDefaultSite", err, nil)
	if again.ID != e.site.ID || again.Name != DefaultSiteName || !again.IsDefault || again.Subdomain != "" ||
		again.PasswordMinLength != store.DefaultSiteSettings().PasswordMinLength {
		t.Fatalf("default site %+v", again)
	}
	resolved, err := e.svc.ResolveSite(e.ctx, "nosuchsite")
	wantErr(t, "resolve unknown subdomain", err, nil)
	if resolved.ID != e.site.ID {
		t.Fatalf("unknown subdomain resolved to %d", resolved.ID)
	}
	other := e.otherSite()
	resolved, _ = e.svc.ResolveSite(e.ctx, "OTHER")
	if resolved.ID != other.ID {
		t.Fatalf("subdomain resolved to %d, want %d", resolved.ID, other.ID)
	}

	admin, password, err := e.svc.CreateFirstAdmin(e.ctx, e.site.ID, "admin")
	wantErr(t, "first admin", err, nil)
	if len(password) < 20 || strings.ContainsAny(password, "0O1lI") {
		t.Fatalf("generated password %q", password)
	}
	if !admin.SiteAdmin || !admin.RequirePasswordChange || !admin.SFTPPermission || !admin.FTPPermission ||
		!admin.DAVPermission || !admin.RestAPIPermission || admin.AuthenticationMethod != store.AuthPassword {
		t.Fatalf("first admin %+v", admin)
	}
	_, err = e.login("admin", password, ChannelWeb)
	wantErr(t, "first admin on the web", err, nil)
	_, err = e.login("admin", password, ChannelSFTP)
	wantErr(t, "first admin over sftp before changing the password", err, ErrPasswordChangeRequired)
}

func TestSiteValidation(t *testing.T) {
	e := newEnv(t)
	bad := []SiteChange{
		{SessionExpiryMinutes: ptr(4)}, {SessionExpiryMinutes: ptr(525601)},
		{PasswordMinLength: ptr(7)}, {PasswordMinLength: ptr(129)},
		{UserLockoutTries: ptr(0)}, {UserLockoutTries: ptr(101)},
		{UserLockoutWithin: ptr(0)}, {UserLockoutLockPeriod: ptr(8761)},
		{EventRetentionDays: ptr(0)}, {EventRetentionDays: ptr(3651)},
		{Name: ptr("")}, {Name: ptr(strings.Repeat("n", 257))}, {LoginHelpText: ptr("a\x00b")},
	}
	for i, c := range bad {
		_, err := e.svc.UpdateSite(e.ctx, SystemActor, e.site.ID, c)
		wantErr(t, "bad site change "+string(rune('a'+i)), err, ErrInvalidParams)
	}
	site, err := e.svc.UpdateSite(e.ctx, SystemActor, e.site.ID, SiteChange{SessionExpiryMinutes: ptr(5), LoginHelpText: ptr("Call IT\nextension 42")})
	wantErr(t, "good site change", err, nil)
	if site.SessionExpiryMinutes != 5 || site.PasswordMinLength != 12 {
		t.Fatalf("site after update %+v", site)
	}
}

func TestExternalEvents(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	_, err := e.svc.CreateExternalEvent(e.ctx, ActorFor(ann, ""), e.site.ID, "exploded", "body")
	wantErr(t, "bad status", err, ErrInvalidParams)
	_, err = e.svc.CreateExternalEvent(e.ctx, ActorFor(ann, ""), e.site.ID, "success", "")
	wantErr(t, "no body", err, ErrParamsRequired)
	ev, err := e.svc.CreateExternalEvent(e.ctx, ActorFor(ann, ""), e.site.ID, "partial_failure", "backup finished with warnings")
	wantErr(t, "post event", err, nil)
	got, err := e.svc.GetExternalEvent(e.ctx, e.site.ID, ev.ID)
	wantErr(t, "get event", err, nil)
	if got.Status != "partial_failure" || !containsAll(got.Body, "backup finished", `"ann"`) {
		t.Fatalf("event %+v", got)
	}
	_, err = e.svc.GetExternalEvent(e.ctx, e.otherSite().ID, ev.ID)
	wantErr(t, "event of another site", err, ErrNotFound)
	_, err = e.svc.GetSSOEvent(e.ctx, e.site.ID, 42)
	wantErr(t, "unknown sso event", err, ErrNotFound)
	_, err = e.svc.GetScimLog(e.ctx, e.site.ID, 42)
	wantErr(t, "unknown scim log", err, ErrNotFound)
}

// TestEnsureDefaultSiteRace starts two Services on one database file, as
// two processes starting at once would: both must end up with the same
// single default site.
func TestEnsureDefaultSiteRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	var svcs []*Service
	for range 2 {
		st, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		svcs = append(svcs, New(st, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	}
	ids := make([]int64, len(svcs))
	var wg sync.WaitGroup
	for i, svc := range svcs {
		wg.Go(func() {
			site, err := svc.EnsureDefaultSite(t.Context())
			if err != nil {
				t.Errorf("EnsureDefaultSite: %v", err)
			}
			ids[i] = site.ID
		})
	}
	wg.Wait()
	if ids[0] == 0 || ids[0] != ids[1] {
		t.Fatalf("default sites %v, want one shared id", ids)
	}
}
