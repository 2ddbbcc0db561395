package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestLoginWithPasswordRecordsSignIn(t *testing.T) {
	e := newEnv(t)
	e.user("ann", UserChange{SFTPPermission: ptr(true)})
	u, err := e.login("ANN", testPassword, ChannelWeb)
	wantErr(t, "login (case-insensitive username)", err, nil)
	if u.FirstLoginAt.IsZero() || !u.LastLoginAt.Equal(e.clock.Now()) || !u.LastWebLoginAt.Equal(e.clock.Now()) {
		t.Fatalf("sign-in not recorded: %+v", u)
	}
	first := u.FirstLoginAt
	e.clock.Advance(time.Hour)
	u, err = e.login("ann", testPassword, ChannelSFTP)
	wantErr(t, "sftp login", err, nil)
	if !u.FirstLoginAt.Equal(first) || !u.LastSFTPLoginAt.Equal(e.clock.Now()) || !u.LastWebLoginAt.Equal(first) {
		t.Fatalf("second sign-in recorded wrongly: first=%v sftp=%v web=%v", u.FirstLoginAt, u.LastSFTPLoginAt, u.LastWebLoginAt)
	}
}

func TestLoginWithPasswordRefusals(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	e.user("pat", UserChange{})
	// sso and keyonly kept a password from before their method changed:
	// once it verifies, they are told which credential to use instead.
	e.user("sso", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID, Password: ptr(testPassword)})
	e.user("ssonopw", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID})
	e.user("off", UserChange{Disabled: ptr(true)})
	e.user("keyonly", UserChange{AuthenticationMethod: ptr(store.AuthNone), Password: ptr(testPassword)})
	e.user("keynopw", UserChange{AuthenticationMethod: ptr(store.AuthNone)})
	e.user("change", UserChange{RequirePasswordChange: ptr(true), FTPPermission: ptr(true)})

	cases := []struct {
		user, password string
		ch             Channel
		want           error
	}{
		{"pat", "wrong password here", ChannelWeb, ErrInvalidUsernameOrPassword},
		{"nobody", testPassword, ChannelWeb, ErrInvalidUsernameOrPassword},
		{"pat", "", ChannelWeb, ErrInvalidUsernameOrPassword},
		{"pat", strings.Repeat("x", 1025), ChannelWeb, ErrInvalidUsernameOrPassword},
		{"pat", testPassword, ChannelSFTP, ErrChannelNotPermitted},
		{"sso", testPassword, ChannelWeb, ErrMustUseSSO},
		{"sso", testPassword, ChannelAPI, ErrMustAuthenticateWithAPIKey},
		{"off", testPassword, ChannelWeb, ErrUserDisabled},
		{"keyonly", testPassword, ChannelAPI, ErrMustAuthenticateWithAPIKey},
		// Without a password that verifies, no refusal names the account.
		{"ssonopw", testPassword, ChannelWeb, ErrInvalidUsernameOrPassword},
		{"keynopw", testPassword, ChannelAPI, ErrInvalidUsernameOrPassword},
		{"change", testPassword, ChannelWeb, nil},
		{"change", testPassword, ChannelFTP, ErrPasswordChangeRequired},
		{"change", "wrong password here", ChannelFTP, ErrInvalidUsernameOrPassword},
	}
	for _, c := range cases {
		_, err := e.login(c.user, c.password, c.ch)
		wantErr(t, c.user+"/"+string(c.ch), err, c.want)
	}
}

// fakeDirectory is a test double for the LDAP connector: it knows one
// password per username.
type fakeDirectory struct{ passwords map[string]string }

func (d fakeDirectory) CheckPassword(_ context.Context, _ store.SSOStrategy, username, password string) error {
	if want, ok := d.passwords[username]; ok && want == password {
		return nil
	}
	return ErrInvalidUsernameOrPassword
}

func TestLoginLDAPUsers(t *testing.T) {
	// Without a directory connector, LDAP users are refused as a wrong
	// password would be (the log says why), and the try is not counted.
	e := newEnv(t)
	ad := e.provider(ProtocolActiveDirectory)
	dir := e.user("dir", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &ad.ID})
	_, err := e.login("dir", "directory secret", ChannelWeb)
	wantErr(t, "ldap without connector", err, ErrInvalidUsernameOrPassword)
	if u, _ := e.st.GetUser(e.ctx, dir.SiteID, dir.ID); u.FailedLogins != 0 {
		t.Errorf("a directory that cannot be asked counted a failed sign-in: %d", u.FailedLogins)
	}

	e = newEnvOn(t, openSQLite(t), Options{Directory: fakeDirectory{map[string]string{"dir": "directory secret"}}})
	ad = e.provider(ProtocolActiveDirectory)
	e.user("dir", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &ad.ID, FTPPermission: ptr(true)})
	_, err = e.login("dir", "directory secret", ChannelFTP)
	wantErr(t, "ldap password over ftp", err, nil)
	_, err = e.login("dir", "wrong", ChannelWeb)
	wantErr(t, "wrong ldap password", err, ErrInvalidUsernameOrPassword)

	// A disabled provider stops directory passwords.
	if _, err := e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, ad.ID, SSOStrategyChange{Enabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.login("dir", "directory secret", ChannelWeb)
	wantErr(t, "ldap with disabled provider", err, ErrNotAuthorized)
}

// guessFrom sends one wrong password for username from each address.
func (e *env) guessFrom(username string, ips ...string) {
	e.t.Helper()
	for _, ip := range ips {
		_, err := e.loginFrom(ip, username, "a wrong guess", ChannelWeb)
		wantErr(e.t, "guess from "+ip, err, ErrInvalidUsernameOrPassword)
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t)
	tries, within, period := 3, 1, 2
	if _, err := e.svc.UpdateSite(e.ctx, SystemActor, e.site.ID, SiteChange{
		UserLockoutTries: &tries, UserLockoutWithin: &within, UserLockoutLockPeriod: &period,
	}); err != nil {
		t.Fatal(err)
	}
	u := e.user("ann", UserChange{})

	// Two failures, then a success: the count starts over.
	e.guessFrom("ann", "192.0.2.1", "192.0.2.2")
	_, err := e.loginFrom("192.0.2.3", "ann", testPassword, ChannelWeb)
	wantErr(t, "success resets", err, nil)
	e.guessFrom("ann", "192.0.2.4", "192.0.2.5")
	_, err = e.loginFrom("192.0.2.3", "ann", testPassword, ChannelWeb)
	wantErr(t, "still not locked after 2+2 failures with a success between", err, nil)

	// Failures spread over more than the window do not add up.
	e.guessFrom("ann", "192.0.2.6", "192.0.2.7")
	e.clock.Advance(61 * time.Minute)
	e.guessFrom("ann", "192.0.2.8")
	if got, _ := e.svc.GetUser(e.ctx, e.site.ID, u.ID); !got.LockoutExpires.IsZero() || got.FailedLogins != 1 {
		t.Fatalf("window did not restart: lockout %v, failed %d", got.LockoutExpires, got.FailedLogins)
	}
	_, err = e.loginFrom("192.0.2.3", "ann", testPassword, ChannelWeb)
	wantErr(t, "success after slow guesses", err, nil)

	// Three failures from three addresses inside the window lock the user,
	// and the event names the addresses.
	e.guessFrom("ann", "198.51.100.1", "198.51.100.2", "198.51.100.3")
	locked, _ := e.svc.GetUser(e.ctx, e.site.ID, u.ID)
	wantUntil := e.clock.Now().Add(2 * time.Hour)
	if !locked.LockoutExpires.Equal(wantUntil) {
		t.Fatalf("LockoutExpires = %v, want %v", locked.LockoutExpires, wantUntil)
	}
	evs := e.events(EventTypeLockout)
	if len(evs) != 1 || !containsAll(evs[0].Body, `"ann"`, "198.51.100.1", "198.51.100.2", "198.51.100.3", "gatehouse users unlock ann") {
		t.Fatalf("lockout events = %+v, want one naming ann, the three addresses and the unlock command", evs)
	}

	// While locked even the right password is refused, exactly as an
	// unknown username is, and the lock is not extended.
	e.clock.Advance(time.Hour)
	_, lockedErr := e.loginFrom("203.0.113.9", "ann", testPassword, ChannelWeb)
	_, unknownErr := e.loginFrom("203.0.113.10", "nobody-here", testPassword, ChannelWeb)
	if *AsError(lockedErr) != *AsError(unknownErr) || !errors.Is(lockedErr, ErrInvalidUsernameOrPassword) {
		t.Fatalf("locked user answered %#v, unknown user %#v: want the same invalid-username-or-password", lockedErr, unknownErr)
	}
	_, err = e.loginFrom("203.0.113.11", "ann", "more guesses", ChannelSFTP)
	wantErr(t, "guess while locked", err, ErrInvalidUsernameOrPassword)
	if got, _ := e.svc.GetUser(e.ctx, e.site.ID, u.ID); !got.LockoutExpires.Equal(wantUntil) {
		t.Fatalf("lock extended to %v", got.LockoutExpires)
	}

	// The lock expires.
	e.clock.Advance(time.Hour + time.Second)
	_, err = e.loginFrom("203.0.113.9", "ann", testPassword, ChannelWeb)
	wantErr(t, "after the lock", err, nil)
	if got, _ := e.svc.GetUser(e.ctx, e.site.ID, u.ID); got.FailedLogins != 0 || !got.LockoutExpires.IsZero() {
		t.Fatalf("success did not reset: %+v", got)
	}

	// An admin can unlock early.
	e.guessFrom("ann", "198.51.100.4", "198.51.100.5", "198.51.100.6")
	_, err = e.loginFrom("203.0.113.9", "ann", testPassword, ChannelWeb)
	wantErr(t, "locked again", err, ErrInvalidUsernameOrPassword)
	if _, err := e.svc.UnlockUser(e.ctx, SystemActor, e.site.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.loginFrom("203.0.113.9", "ann", testPassword, ChannelWeb)
	wantErr(t, "after unlock", err, nil)
}

func TestLockoutDisabledOnSiteStillCountsButNeverLocks(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.UpdateSite(e.ctx, SystemActor, e.site.ID, SiteChange{UserLockout: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	e.user("ann", UserChange{})
	for i := range 20 {
		e.guessFrom("ann", fmt.Sprintf("192.0.2.%d", 10+i))
	}
	_, err := e.login("ann", testPassword, ChannelWeb)
	wantErr(t, "no lockout when the site turns it off", err, nil)
}

func TestConcurrentSignInsQueue(t *testing.T) {
	e := newEnv(t)
	e.user("ann", UserChange{})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := e.login("ann", testPassword, ChannelWeb)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantErr(t, "concurrent sign-in", err, nil)
	}
}

func TestLoginWithPublicKey(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{SFTPPermission: ptr(true)})
	k, err := e.svc.CreatePublicKey(e.ctx, ActorFor(ann, ""), e.site.ID, PublicKeyChange{Title: ptr("laptop"), PublicKey: ptr(newAuthorizedKey(t))})
	wantErr(t, "add key", err, nil)

	u, err := e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "Ann", k.FingerprintSHA256, ChannelSFTP, "192.0.2.1")
	wantErr(t, "key login", err, nil)
	if !u.LastSFTPLoginAt.Equal(e.clock.Now()) {
		t.Errorf("sftp sign-in not recorded")
	}
	_, err = e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "ann", "SHA256:nothere", ChannelSFTP, "")
	wantErr(t, "unknown key", err, ErrInvalidUsernameOrPassword)
	_, err = e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "ann", k.FingerprintSHA256, ChannelWeb, "")
	wantErr(t, "key on web", err, ErrNotAuthorized)
	bob := e.user("bob", UserChange{SFTPPermission: ptr(true)})
	_ = bob
	_, err = e.svc.LoginWithPublicKey(e.ctx, e.site.ID, "bob", k.FingerprintSHA256, ChannelSFTP, "")
	wantErr(t, "someone else's key", err, ErrInvalidUsernameOrPassword)
}
