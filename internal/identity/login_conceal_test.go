package identity

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestPolicyRefusalsAnswerAsUnknownUntilPasswordVerifies: a disabled user,
// a user without the channel's permission and a single sign-on user are
// answered with a wrong password exactly as an unknown username is, on
// every channel — the same error, type, status and message — and told the
// true reason only once the password verifies. A wrong password counts
// towards their lockout as anyone's does, so a channel the user may not use
// is no way to test passwords unhindered.
func TestPolicyRefusalsAnswerAsUnknownUntilPasswordVerifies(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	all := UserChange{FTPPermission: ptr(true), SFTPPermission: ptr(true), DAVPermission: ptr(true)}
	off := all
	off.Disabled = ptr(true)
	e.user("off", off)
	e.user("noperm", UserChange{RestAPIPermission: ptr(false)})
	sso := all
	sso.AuthenticationMethod, sso.SSOStrategyID, sso.Password = ptr(store.AuthSSO), &saml.ID, ptr(testPassword)
	e.user("sso", sso)
	ssoNoPassword := all
	ssoNoPassword.AuthenticationMethod, ssoNoPassword.SSOStrategyID = ptr(store.AuthSSO), &saml.ID
	e.user("ssonopw", ssoNoPassword)

	right := map[string]error{"off": ErrUserDisabled, "noperm": ErrChannelNotPermitted, "sso": nil, "ssonopw": ErrInvalidUsernameOrPassword}
	ip := 0
	from := func() string { ip++; return fmt.Sprintf("192.0.2.%d", ip) }
	for _, ch := range []Channel{ChannelWeb, ChannelAPI, ChannelSFTP, ChannelFTP, ChannelWebDAV} {
		_, unknown := e.loginFrom(from(), "nobody", "a wrong guess", ch)
		wantErr(t, string(ch)+" unknown", unknown, ErrInvalidUsernameOrPassword)
		for _, name := range []string{"off", "noperm", "sso", "ssonopw"} {
			_, err := e.loginFrom(from(), name, "a wrong guess", ch)
			if err == nil || *AsError(err) != *AsError(unknown) || err.Error() != unknown.Error() || !errors.Is(err, ErrInvalidUsernameOrPassword) {
				t.Errorf("%s: %s with a wrong password answered %v, an unknown user %v", ch, name, err, unknown)
			}
			// The right password may tell why (each user's own reason,
			// which for sso depends on the channel).
			_, err = e.loginFrom(from(), name, testPassword, ch)
			want := right[name]
			if name == "noperm" && ch != ChannelWeb && ch != ChannelAPI {
				want = ErrChannelNotPermitted
			}
			if name == "sso" {
				want = ErrMustAuthenticateWithAPIKey
				if ch == ChannelWeb {
					want = ErrMustUseSSO
				}
			}
			if err == nil || !errors.Is(err, want) {
				t.Errorf("%s: %s with the right password answered %v, want %v", ch, name, err, want)
			}
		}
	}

	// Wrong passwords for a disabled user count towards its lockout.
	u, err := e.st.GetUserByUsername(e.ctx, e.site.ID, "off")
	if err != nil {
		t.Fatal(err)
	}
	if u.FailedLogins == 0 {
		t.Errorf("wrong passwords for a disabled user were not counted")
	}

	// The transfer sign-in event keeps the true reason for the admin.
	_, err = e.loginFrom(from(), "off", "a wrong guess", ChannelFTP)
	reason, ok := ConcealedReason(err)
	if !ok || !errors.Is(reason, ErrUserDisabled) {
		t.Fatalf("concealed reason of a disabled user's wrong password: %v %v", reason, ok)
	}
	e.svc.RecordChannelLogin(e.ctx, e.site.ID, ChannelFTP, CredentialPassword, "off", "192.0.2.250", err)
	e.svc.refusals.Flush(e.ctx)
	found := false
	for _, ev := range e.events(EventTypeTransferLogin) {
		if strings.Contains(ev.Body, `"off"`) && strings.Contains(ev.Body, ErrUserDisabled.Type) {
			found = true
		}
	}
	if !found {
		t.Errorf("no transfer sign-in event names the disabled user's true refusal: %+v", e.events(EventTypeTransferLogin))
	}
}

// TestDirectoryUsersRefusedOnlyAfterTheirDirectoryPassword: for an LDAP
// user the password is the directory's, and a refusal is told only once
// the directory accepted it.
func TestDirectoryUsersRefusedOnlyAfterTheirDirectoryPassword(t *testing.T) {
	e := newEnvOn(t, openSQLite(t), Options{Directory: fakeDirectory{map[string]string{"dir": "directory secret"}}})
	ad := e.provider(ProtocolActiveDirectory)
	e.user("dir", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &ad.ID, Disabled: ptr(true)})
	_, err := e.loginFrom("192.0.2.1", "dir", "wrong", ChannelFTP)
	_, unknown := e.loginFrom("192.0.2.2", "nobody", "wrong", ChannelFTP)
	if err == nil || *AsError(err) != *AsError(unknown) {
		t.Fatalf("disabled directory user with a wrong password answered %v, an unknown user %v", err, unknown)
	}
	_, err = e.loginFrom("192.0.2.3", "dir", "directory secret", ChannelFTP)
	wantErr(t, "disabled directory user with the directory's password", err, ErrUserDisabled)
}

// TestSSHKeyRefusalsAnswerAsUnknownUntilTheKeyIsTheirs: a key that is not
// the account's gets the unknown-username answer even when the login
// policy refuses the account; one of the account's own keys is told why.
func TestSSHKeyRefusalsAnswerAsUnknownUntilTheKeyIsTheirs(t *testing.T) {
	e := newEnv(t)
	dora := e.user("dora", UserChange{SFTPPermission: ptr(true)})
	k, err := e.svc.CreatePublicKey(e.ctx, ActorFor(dora, ""), e.site.ID, PublicKeyChange{Title: ptr("laptop"), PublicKey: ptr(newAuthorizedKey(t))})
	wantErr(t, "add key", err, nil)
	nick := e.user("nick", UserChange{})
	nk, err := e.svc.CreatePublicKey(e.ctx, ActorFor(nick, ""), e.site.ID, PublicKeyChange{Title: ptr("laptop"), PublicKey: ptr(newAuthorizedKey(t))})
	wantErr(t, "add key", err, nil)
	if _, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, dora.ID, UserChange{Disabled: ptr(true)}, true); err != nil {
		t.Fatal(err)
	}
	_, unknown := e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "nobody", "SHA256:notakey", ChannelSFTP, "192.0.2.1")
	wantErr(t, "unknown user", unknown, ErrInvalidUsernameOrPassword)
	for _, name := range []string{"dora", "nick"} {
		_, err := e.svc.LoginWithPublicKey(e.ctx, e.site.ID, name, "SHA256:notakey", ChannelSFTP, "192.0.2.1")
		if err == nil || *AsError(err) != *AsError(unknown) || err.Error() != unknown.Error() {
			t.Errorf("%s with a key that is not theirs answered %v, an unknown user %v", name, err, unknown)
		}
	}
	_, err = e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "dora", k.FingerprintSHA256, ChannelSFTP, "192.0.2.1")
	wantErr(t, "disabled user's own key", err, ErrUserDisabled)
	_, err = e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "nick", nk.FingerprintSHA256, ChannelSFTP, "192.0.2.1")
	wantErr(t, "own key without the SFTP permission", err, ErrChannelNotPermitted)
}

// TestEveryPasswordRefusalCostsOneHash: an unknown username, a locked
// account, a disabled one, one without the channel's permission and single
// sign-on accounts with and without a password all cost one password hash
// when refused, as a wrong password for a real account does, so the time
// an answer takes tells nothing about the account either.
func TestEveryPasswordRefusalCostsOneHash(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	e.user("pat", UserChange{})
	e.user("off", UserChange{Disabled: ptr(true)})
	e.user("noperm", UserChange{})
	e.user("sso", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID, Password: ptr(testPassword)})
	e.user("ssonopw", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID})
	e.user("keynopw", UserChange{AuthenticationMethod: ptr(store.AuthNone)})
	locked := e.user("locked", UserChange{})
	if _, err := e.st.UpdateUser(e.ctx, e.site.ID, locked.ID, func(u *store.User) error {
		u.LockoutExpires = e.clock.Now().Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ip := 0
	for _, c := range []struct {
		name string
		ch   Channel
	}{{"nobody", ChannelAPI}, {"pat", ChannelAPI}, {"locked", ChannelAPI}, {"off", ChannelAPI},
		{"noperm", ChannelSFTP}, {"sso", ChannelFTP}, {"ssonopw", ChannelWeb}, {"keynopw", ChannelWebDAV}} {
		ip++
		before := e.svc.hasher.computed.Load()
		_, err := e.loginFrom(fmt.Sprintf("192.0.2.%d", ip), c.name, "a wrong guess", c.ch)
		wantErr(t, c.name, err, ErrInvalidUsernameOrPassword)
		if n := e.svc.hasher.computed.Load() - before; n != 1 {
			t.Errorf("%s over %s: refused after %d password hashes, want 1", c.name, c.ch, n)
		}
	}
}
