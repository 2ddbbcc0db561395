package identity

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestGuideFor: the guide is the login policy's own answer, for each
// method class, per channel; a missing channel permission is told with
// its reason, and a required password change does not hide the password.
func TestGuideFor(t *testing.T) {
	e := newEnv(t)
	works := func(g SignInGuide) map[Channel][]Credential {
		out := map[Channel][]Credential{}
		for _, c := range g.Channels {
			out[c.Channel] = c.Credentials
		}
		return out
	}
	refusal := func(g SignInGuide, ch Channel) string {
		for _, c := range g.Channels {
			if c.Channel == ch {
				return c.Refusal
			}
		}
		return "(no row)"
	}

	pw := e.user("ann", UserChange{RestAPIPermission: ptr(true), SFTPPermission: ptr(true), RequirePasswordChange: ptr(true)})
	g, err := e.svc.GuideFor(e.ctx, e.site.ID, pw)
	wantErr(t, "guide for a password user", err, nil)
	want := map[Channel][]Credential{
		ChannelWeb:  {CredentialPassword},
		ChannelAPI:  {CredentialPassword, CredentialAPIKey},
		ChannelSFTP: {CredentialPassword, CredentialSSHKey},
	}
	if g.Method != MethodPassword || g.PasswordKeeper != "" || !reflect.DeepEqual(works(g), map[Channel][]Credential{
		ChannelWeb: want[ChannelWeb], ChannelAPI: want[ChannelAPI], ChannelSFTP: want[ChannelSFTP], ChannelFTP: nil, ChannelWebDAV: nil}) {
		t.Fatalf("password user: %+v", g)
	}
	if r := refusal(g, ChannelFTP); !strings.Contains(r, "ftp_permission") {
		t.Fatalf("FTP refusal: %q", r)
	}

	saml := e.provider(ProtocolSAML)
	sso := e.user("bob", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: ptr(saml.ID),
		RestAPIPermission: ptr(true), SFTPPermission: ptr(true), FTPPermission: ptr(true), DAVPermission: ptr(true)})
	if g, err = e.svc.GuideFor(e.ctx, e.site.ID, sso); err != nil {
		t.Fatal(err)
	}
	if got := works(g); g.Method != MethodFederatedSSO || g.PasswordKeeper == "" || !reflect.DeepEqual(got, map[Channel][]Credential{
		ChannelWeb: {CredentialSSO}, ChannelAPI: {CredentialAPIKey}, ChannelSFTP: {CredentialSSHKey},
		ChannelFTP: {CredentialAPIKey}, ChannelWebDAV: {CredentialAPIKey}}) {
		t.Fatalf("SSO user: %+v", got)
	}

	ldap := e.provider(ProtocolOpenLDAP)
	dir := e.user("carol", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: ptr(ldap.ID),
		RestAPIPermission: ptr(true), DAVPermission: ptr(true)})
	if g, err = e.svc.GuideFor(e.ctx, e.site.ID, dir); err != nil {
		t.Fatal(err)
	}
	if got := works(g); g.Method != MethodLDAP || !reflect.DeepEqual(got[ChannelWebDAV], []Credential{CredentialPassword, CredentialAPIKey}) {
		t.Fatalf("LDAP user: %+v", got)
	}
}
