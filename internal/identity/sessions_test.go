package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestSessions(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	token, sess, err := e.svc.StartSession(e.ctx, ann, ChannelWeb, "192.0.2.1", "test-agent")
	wantErr(t, "start", err, nil)
	if !strings.HasPrefix(token, SessionTokenPrefix) || strings.Contains(string(sess.TokenHash), token) {
		t.Fatalf("token %q, stored hash %x", token, sess.TokenHash)
	}
	if want := e.clock.Now().Add(360 * time.Minute); !sess.ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt %v, want %v (site default 360 minutes)", sess.ExpiresAt, want)
	}

	u, _, err := e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "resume", err, nil)
	if u.ID != ann.ID {
		t.Fatalf("resumed as user %d", u.ID)
	}
	for _, bad := range []string{"", "ghs_forged", token + "x", strings.Repeat("t", 4096)} {
		_, _, err := e.svc.ResumeSession(e.ctx, e.site.ID, bad)
		wantErr(t, "bad token", err, ErrInvalidSession)
	}
	other := e.otherSite()
	_, _, err = e.svc.ResumeSession(e.ctx, other.ID, token)
	wantErr(t, "other site", err, ErrInvalidSession)
	wantErr(t, "end on other site is a no-op", e.svc.EndSession(e.ctx, other.ID, token), nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "still valid after a foreign end", err, nil)

	// Expiry.
	e.clock.Advance(360*time.Minute - time.Second)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "just before expiry", err, nil)
	e.clock.Advance(time.Second)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "at expiry", err, ErrInvalidSession)

	// End.
	token, _, err = e.svc.StartSession(e.ctx, ann, ChannelWeb, "", "")
	wantErr(t, "start again", err, nil)
	wantErr(t, "end", e.svc.EndSession(e.ctx, e.site.ID, token), nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "after end", err, ErrInvalidSession)
	wantErr(t, "end twice", e.svc.EndSession(e.ctx, e.site.ID, token), nil)

	// Disabling a user ends their sessions; re-enabling does not revive them.
	token, _, _ = e.svc.StartSession(e.ctx, ann, ChannelWeb, "", "")
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{Disabled: ptr(true)}, false)
	wantErr(t, "disable", err, nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "disabled user", err, ErrInvalidSession)
	_, _ = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{Disabled: ptr(false)}, false)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, token)
	wantErr(t, "re-enabled user, old session", err, ErrInvalidSession)
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{RequirePasswordChange: ptr(true)})
	err := e.svc.ChangePassword(e.ctx, e.site.ID, ann.ID, "not the password", "a brand new password", 0)
	wantErr(t, "wrong current", err, ErrInvalidUsernameOrPassword)
	err = e.svc.ChangePassword(e.ctx, e.site.ID, ann.ID, testPassword, "short", 0)
	wantErr(t, "too short", err, ErrPasswordTooShort)
	if !strings.Contains(AsError(err).Message, "12") {
		t.Errorf("message %q should say the minimum (12)", AsError(err).Message)
	}
	err = e.svc.ChangePassword(e.ctx, e.site.ID, ann.ID, testPassword, testPassword, 0)
	wantErr(t, "same as current", err, ErrInvalidParams)
	err = e.svc.ChangePassword(e.ctx, e.site.ID, ann.ID, testPassword, strings.Repeat("p", 1025), 0)
	wantErr(t, "over 1024 bytes", err, ErrInvalidParams)

	e.clock.Advance(time.Minute)
	err = e.svc.ChangePassword(e.ctx, e.site.ID, ann.ID, testPassword, "a brand new password", 0)
	wantErr(t, "change", err, nil)
	u, _ := e.svc.GetUser(e.ctx, e.site.ID, ann.ID)
	if u.RequirePasswordChange || !u.PasswordSetAt.Equal(e.clock.Now()) {
		t.Fatalf("after change: require=%v set_at=%v", u.RequirePasswordChange, u.PasswordSetAt)
	}
	_, err = e.login("ann", testPassword, ChannelWeb)
	wantErr(t, "old password", err, ErrInvalidUsernameOrPassword)
	_, err = e.login("ann", "a brand new password", ChannelAPI)
	wantErr(t, "new password on api (no change required any more)", err, nil)
}

func TestPasswordTooShortOnCreateAndUpdate(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("ann"), Password: ptr("elevenchars")})
	wantErr(t, "create with 11 characters", err, ErrPasswordTooShort)
	// The minimum counts characters, not bytes.
	_, err = e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, UserChange{Username: ptr("ann"), Password: ptr("ééééééééééé")})
	wantErr(t, "create with 11 two-byte characters", err, ErrPasswordTooShort)
	ann := e.user("ann", UserChange{})
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{Password: ptr("short")}, false)
	wantErr(t, "update with a short password", err, ErrPasswordTooShort)
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID,
		UserChange{Password: ptr("long enough password"), PasswordConfirmation: ptr("long enough passwore")}, false)
	wantErr(t, "confirmation mismatch", err, ErrInvalidParams)

	minLen := 20
	_, err = e.svc.UpdateSite(e.ctx, SystemActor, e.site.ID, SiteChange{PasswordMinLength: &minLen})
	wantErr(t, "raise the minimum", err, nil)
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{Password: ptr("nineteen characters")}, false)
	wantErr(t, "below the raised minimum", err, ErrPasswordTooShort)
}

func TestPHCFormat(t *testing.T) {
	h := newPasswordHasher(cheapHashing)
	ctx := t.Context()
	enc, err := h.hash(ctx, "pässwörd")
	wantErr(t, "hash", err, nil)
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Count(enc, "$") != 5 {
		t.Fatalf("PHC string %q", enc)
	}
	if ok, err := h.verify(ctx, enc, "pässwörd"); !ok || err != nil {
		t.Fatalf("verify right password: %v %v", ok, err)
	}
	if ok, _ := h.verify(ctx, enc, "passwort"); ok {
		t.Fatal("wrong password verified")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$AAAA", "plaintext"} {
		if ok, _ := h.verify(ctx, bad, "x"); ok {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
	// The default cost is OWASP's argon2id minimum.
	if d := defaultPasswordParams; d.Memory != 19456 || d.Iterations != 2 || d.Parallelism != 1 {
		t.Fatalf("defaultPasswordParams = %+v", d)
	}
}

// TestPasswordChangeEndsTheOtherSessions: the user's own change keeps the
// session it was made in and ends the others; an admin's new password for
// someone ends all of theirs, and an admin setting their own keeps theirs.
func TestPasswordChangeEndsTheOtherSessions(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	start := func(u store.User, ch Channel) (string, store.Session) {
		t.Helper()
		tok, sess, err := e.svc.StartSession(e.ctx, u, ch, "192.0.2.1", "test")
		wantErr(t, "start", err, nil)
		return tok, sess
	}
	alive := func(what, tok string, want bool) {
		t.Helper()
		_, _, err := e.svc.ResumeSession(e.ctx, e.site.ID, tok)
		if (err == nil) != want {
			t.Fatalf("%s: resume gave %v, want alive=%v", what, err, want)
		}
	}
	web, webSess := start(ann, ChannelWeb)
	api, _ := start(ann, ChannelAPI)
	e.clock.Advance(time.Minute)
	wantErr(t, "change", e.svc.ChangePassword(e.ctx, e.site.ID, ann.ID, testPassword, "a brand new password", webSess.ID), nil)
	alive("the session that made the change", web, true)
	alive("the other session", api, false)
	if u, _ := e.svc.GetUser(e.ctx, e.site.ID, ann.ID); !u.PasswordSetAt.Equal(e.clock.Now()) {
		t.Fatalf("PasswordSetAt %v, want the change's time %v", u.PasswordSetAt, e.clock.Now())
	}

	// Changing it at sign-in (change_password) ends every earlier session.
	wantErr(t, "set required", func() error {
		_, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{RequirePasswordChange: ptr(true)}, false)
		return err
	}(), nil)
	_, err := e.svc.LoginWithPassword(e.ctx, PasswordLogin{SiteID: e.site.ID, Username: "ann", Password: "a brand new password",
		NewPassword: "a third password here", Channel: ChannelAPI, IP: "192.0.2.1"})
	wantErr(t, "change at sign-in", err, nil)
	alive("a session from before the change at sign-in", web, false)

	// An admin's new password for ann ends all of ann's sessions.
	boss := e.admin("boss")
	annTok, _ := start(ann, ChannelWeb)
	bossTok, bossSess := start(boss, ChannelWeb)
	bossOther, _ := start(boss, ChannelAPI)
	bossActor := ActorFor(boss, "192.0.2.9")
	bossActor.SessionID = bossSess.ID
	_, err = e.svc.UpdateUser(e.ctx, bossActor, e.site.ID, ann.ID, UserChange{Password: ptr("an admin-set password")}, false)
	wantErr(t, "admin sets ann's password", err, nil)
	alive("ann's session after an admin set her password", annTok, false)
	alive("the admin's own session", bossTok, true)
	// The admin setting their own password keeps the session they did it in.
	_, err = e.svc.UpdateUser(e.ctx, bossActor, e.site.ID, boss.ID, UserChange{Password: ptr("the boss's new password")}, false)
	wantErr(t, "admin sets own password", err, nil)
	alive("the admin's session that made the change", bossTok, true)
	alive("the admin's other session", bossOther, false)
}

// TestSessionsAskThePolicyAgain: a session stops working when the user
// loses restapi_permission (on the user and every group), and when the SSO
// provider it came through is disabled; a lockout does not end it.
func TestSessionsAskThePolicyAgain(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	tok, _, err := e.svc.StartSession(e.ctx, ann, ChannelAPI, "192.0.2.1", "test")
	wantErr(t, "start", err, nil)
	g, err := e.svc.CreateGroup(e.ctx, SystemActor, e.site.ID, GroupChange{Name: ptr("api users"), RestAPIPermission: ptr(true),
		UserIDs: &IDList{ann.ID}})
	wantErr(t, "group", err, nil)
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{RestAPIPermission: ptr(false)}, false)
	wantErr(t, "revoke on the user", err, nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, tok)
	wantErr(t, "the group still grants it", err, nil)
	_, err = e.svc.UpdateGroup(e.ctx, SystemActor, e.site.ID, g.ID, GroupChange{RestAPIPermission: ptr(false)})
	wantErr(t, "revoke on the group", err, nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, tok)
	wantErr(t, "no restapi_permission left", err, ErrChannelNotPermitted)
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID, UserChange{RestAPIPermission: ptr(true)}, false)
	wantErr(t, "grant again", err, nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, tok)
	wantErr(t, "granted again", err, nil)

	saml := e.provider(ProtocolSAML)
	bob := e.user("bob", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID})
	bobTok, _, err := e.svc.StartSSOSession(e.ctx, bob, ChannelWeb, "192.0.2.2", "test", SSOSessionInfo{SessionIndex: "_i"})
	wantErr(t, "sso session", err, nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, bobTok)
	wantErr(t, "sso session, provider enabled", err, nil)
	_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, saml.ID, SSOStrategyChange{Enabled: ptr(false)})
	wantErr(t, "disable provider", err, nil)
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, bobTok)
	wantErr(t, "sso session, provider disabled", err, ErrNotAuthorized)

	if _, err := e.st.UpdateUser(e.ctx, e.site.ID, ann.ID, func(u *store.User) error {
		u.LockoutExpires = e.clock.Now().Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.ResumeSession(e.ctx, e.site.ID, tok)
	wantErr(t, "locked-out user's session", err, nil)
}
