package identity

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestLoginWithSSO(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	other := e.provider(ProtocolSAML)
	sso := e.user("ann", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID})
	pw := e.user("bob", UserChange{})
	off := e.user("cid", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID, Disabled: ptr(true)})
	noWeb := e.user("dee", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID, RestAPIPermission: ptr(false)})

	u, err := e.svc.LoginWithSSO(e.ctx, e.site.ID, sso.ID, saml.ID, ChannelWeb, "192.0.2.1")
	wantErr(t, "assigned sso user", err, nil)
	if u.LastWebLoginAt.IsZero() || u.FirstLoginAt.IsZero() {
		t.Errorf("sign-in not recorded: %+v", u)
	}
	for _, tc := range []struct {
		name           string
		user, provider int64
		ch             Channel
		want           error
	}{
		{"password user", pw.ID, saml.ID, ChannelWeb, ErrNotAuthorized},
		{"another provider's assertion", sso.ID, other.ID, ChannelWeb, ErrNotAuthorized},
		{"disabled", off.ID, saml.ID, ChannelWeb, ErrUserDisabled},
		{"no web permission", noWeb.ID, saml.ID, ChannelWeb, ErrChannelNotPermitted},
		{"sso over sftp", sso.ID, saml.ID, ChannelSFTP, ErrChannelNotPermitted},
		{"unknown user", 99999, saml.ID, ChannelWeb, ErrInvalidUsernameOrPassword},
	} {
		_, err := e.svc.LoginWithSSO(e.ctx, e.site.ID, tc.user, tc.provider, tc.ch, "192.0.2.1")
		wantErr(t, tc.name, err, tc.want)
	}
	// A user of another site is not found on this one.
	_, err = e.svc.LoginWithSSO(e.ctx, e.otherSite().ID, sso.ID, saml.ID, ChannelWeb, "192.0.2.1")
	wantErr(t, "other site", err, ErrInvalidUsernameOrPassword)

	// A disabled provider signs nobody in.
	if _, err := e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, saml.ID, SSOStrategyChange{Enabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.LoginWithSSO(e.ctx, e.site.ID, sso.ID, saml.ID, ChannelWeb, "192.0.2.1")
	wantErr(t, "disabled provider", err, ErrNotAuthorized)
}

func TestStartSSOSessionKeepsIndexAndCap(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	u := e.user("ann", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID})
	now := e.clock.Now()
	_, sess, err := e.svc.StartSSOSession(e.ctx, u, ChannelWeb, "192.0.2.1", "test", SSOSessionInfo{
		SessionIndex: "_idx1", NotOnOrAfter: now.Add(time.Minute)})
	wantErr(t, "start", err, nil)
	if sess.SSOSessionIndex != "_idx1" || !sess.ExpiresAt.Equal(now.Add(time.Minute).UTC().Truncate(time.Microsecond)) {
		t.Errorf("session %+v: want index _idx1 and expiry capped at one minute", sess)
	}
	_, _, err = e.svc.StartSSOSession(e.ctx, u, ChannelWeb, "", "", SSOSessionInfo{NotOnOrAfter: now})
	wantErr(t, "ended idp session", err, ErrInvalidSession)
}
