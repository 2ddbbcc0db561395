package identity

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// allChannels is the column order of the expectation table below.
var allChannels = []Channel{ChannelWeb, ChannelDesktop, ChannelAPI, ChannelSFTP, ChannelFTP, ChannelWebDAV}

var allCredentials = []Credential{CredentialPassword, CredentialAPIKey, CredentialSSHKey, CredentialSSO, CredentialSession}

var allMethods = []MethodClass{MethodPassword, MethodFederatedSSO, MethodLDAP, MethodNone}

// ok marks a cell where the sign-in is allowed.
var ok error

// notAuth is any refusal of type not-authorized/not-authorized.
var notAuth = ErrNotAuthorized

// policyTable is every (method × credential × channel) cell, written out by
// hand from the documented behaviour rather than derived from the code.
// Columns: web, desktop, api, sftp, ftp, webdav.
var policyTable = []struct {
	method     MethodClass
	credential Credential
	want       [6]error
}{
	{MethodPassword, CredentialPassword, [6]error{ok, ok, ok, ok, ok, ok}},
	{MethodPassword, CredentialAPIKey, [6]error{notAuth, ok, ok, notAuth, ok, ok}},
	{MethodPassword, CredentialSSHKey, [6]error{notAuth, notAuth, notAuth, ok, notAuth, notAuth}},
	{MethodPassword, CredentialSSO, [6]error{notAuth, notAuth, notAuth, notAuth, notAuth, notAuth}},
	{MethodPassword, CredentialSession, [6]error{ok, ok, ok, notAuth, notAuth, notAuth}},

	{MethodFederatedSSO, CredentialPassword, [6]error{ErrMustUseSSO, ErrMustUseSSO, ErrMustAuthenticateWithAPIKey,
		ErrMustAuthenticateWithAPIKey, ErrMustAuthenticateWithAPIKey, ErrMustAuthenticateWithAPIKey}},
	{MethodFederatedSSO, CredentialAPIKey, [6]error{notAuth, ok, ok, notAuth, ok, ok}},
	{MethodFederatedSSO, CredentialSSHKey, [6]error{notAuth, notAuth, notAuth, ok, notAuth, notAuth}},
	{MethodFederatedSSO, CredentialSSO, [6]error{ok, ok, ErrMustAuthenticateWithAPIKey, ErrMustAuthenticateWithAPIKey,
		ErrMustAuthenticateWithAPIKey, ErrMustAuthenticateWithAPIKey}},
	{MethodFederatedSSO, CredentialSession, [6]error{ok, ok, ok, notAuth, notAuth, notAuth}},

	{MethodLDAP, CredentialPassword, [6]error{ok, ok, ok, ok, ok, ok}},
	{MethodLDAP, CredentialAPIKey, [6]error{notAuth, ok, ok, notAuth, ok, ok}},
	{MethodLDAP, CredentialSSHKey, [6]error{notAuth, notAuth, notAuth, ok, notAuth, notAuth}},
	{MethodLDAP, CredentialSSO, [6]error{notAuth, notAuth, notAuth, notAuth, notAuth, notAuth}},
	{MethodLDAP, CredentialSession, [6]error{ok, ok, ok, notAuth, notAuth, notAuth}},

	{MethodNone, CredentialPassword, [6]error{notAuth, ErrMustAuthenticateWithAPIKey, ErrMustAuthenticateWithAPIKey,
		ErrMustAuthenticateWithAPIKey, ErrMustAuthenticateWithAPIKey, ErrMustAuthenticateWithAPIKey}},
	{MethodNone, CredentialAPIKey, [6]error{notAuth, ok, ok, notAuth, ok, ok}},
	{MethodNone, CredentialSSHKey, [6]error{notAuth, notAuth, notAuth, ok, notAuth, notAuth}},
	{MethodNone, CredentialSSO, [6]error{notAuth, notAuth, notAuth, notAuth, notAuth, notAuth}},
	{MethodNone, CredentialSession, [6]error{ok, ok, ok, notAuth, notAuth, notAuth}},
}

var allPermissions = Permissions{RestAPI: true, SFTP: true, FTP: true, DAV: true}

// assertOutcome checks that got is exactly want: nil for nil, otherwise the
// same Files.com type.
func assertOutcome(t *testing.T, name string, got, want error) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Errorf("%s: refused with %v, want allowed", name, got)
		}
		return
	}
	if got == nil {
		t.Errorf("%s: allowed, want %v", name, want.(*Error).Type)
		return
	}
	if !errors.Is(got, want) {
		t.Errorf("%s: got %v, want type %s", name, got, want.(*Error).Type)
	}
}

func TestDecideEveryCell(t *testing.T) {
	seen := map[string]bool{}
	for _, row := range policyTable {
		for i, ch := range allChannels {
			name := fmt.Sprintf("%s/%s/%s", row.method, row.credential, ch)
			seen[name] = true
			d := Decision{Method: row.method, Channel: ch, Credential: row.credential, Permissions: allPermissions}
			assertOutcome(t, name, Decide(d), row.want[i])

			// Disabled users get nothing, whatever the cell. (A password
			// lockout is no input of the policy: LoginWithPassword applies
			// it to new password sign-ins only.)
			dd := d
			dd.Disabled = true
			assertOutcome(t, name+"/disabled", Decide(dd), ErrUserDisabled)

			// Without the channel's protocol permission nothing works either.
			dp := d
			dp.Permissions = withoutChannelPermission(ch)
			assertOutcome(t, name+"/no-permission", Decide(dp), ErrChannelNotPermitted)
			// ...and the other permissions do not stand in for it.
			if err := Decide(dp); err != nil && !errors.Is(err, ErrChannelNotPermitted) {
				t.Errorf("%s: missing permission answered %v", name, err)
			}
		}
	}
	for _, m := range allMethods {
		for _, c := range allCredentials {
			for _, ch := range allChannels {
				if name := fmt.Sprintf("%s/%s/%s", m, c, ch); !seen[name] {
					t.Errorf("cell %s has no expectation", name)
				}
			}
		}
	}
	if len(seen) != len(allMethods)*len(allCredentials)*len(allChannels) {
		t.Errorf("table has %d cells, want %d", len(seen), len(allMethods)*len(allCredentials)*len(allChannels))
	}
}

func withoutChannelPermission(ch Channel) Permissions {
	p := allPermissions
	switch ch {
	case ChannelWeb, ChannelDesktop, ChannelAPI:
		p.RestAPI = false
	case ChannelSFTP:
		p.SFTP = false
	case ChannelFTP:
		p.FTP = false
	case ChannelWebDAV:
		p.DAV = false
	}
	return p
}

func TestDecidePermissionMessageNamesPermission(t *testing.T) {
	cases := map[Channel]string{
		ChannelWeb: "restapi_permission", ChannelDesktop: "restapi_permission", ChannelAPI: "restapi_permission",
		ChannelSFTP: "sftp_permission", ChannelFTP: "ftp_permission", ChannelWebDAV: "dav_permission",
	}
	for ch, perm := range cases {
		err := Decide(Decision{Method: MethodPassword, Channel: ch, Credential: CredentialPassword,
			Permissions: withoutChannelPermission(ch)})
		e := AsError(err)
		if !containsAll(e.Message, perm, "site admin", "group") {
			t.Errorf("%s: message %q should name %s and say a site admin can grant it on the user or a group", ch, e.Message, perm)
		}
	}
}

func TestDecideProviderDisabled(t *testing.T) {
	cases := []struct {
		method     MethodClass
		credential Credential
		channel    Channel
		want       error
	}{
		{MethodLDAP, CredentialPassword, ChannelSFTP, ErrNotAuthorized},
		{MethodFederatedSSO, CredentialSSO, ChannelWeb, ErrNotAuthorized},
		{MethodFederatedSSO, CredentialAPIKey, ChannelAPI, nil},
		{MethodFederatedSSO, CredentialSession, ChannelWeb, ErrNotAuthorized},
		{MethodLDAP, CredentialSession, ChannelAPI, ErrNotAuthorized},
		{MethodPassword, CredentialSession, ChannelAPI, nil},
		{MethodLDAP, CredentialSSHKey, ChannelSFTP, nil},
		{MethodPassword, CredentialPassword, ChannelWeb, nil},
	}
	for _, c := range cases {
		err := Decide(Decision{Method: c.method, Credential: c.credential, Channel: c.channel,
			Permissions: allPermissions, ProviderDisabled: true})
		assertOutcome(t, fmt.Sprintf("%s/%s/%s", c.method, c.credential, c.channel), err, c.want)
	}
}

func TestDecidePasswordChangeRequired(t *testing.T) {
	for _, ch := range allChannels {
		err := Decide(Decision{Method: MethodPassword, Credential: CredentialPassword, Channel: ch,
			Permissions: allPermissions, RequirePasswordChange: true})
		want := error(ErrPasswordChangeRequired)
		if ch == ChannelWeb {
			want = nil
		}
		assertOutcome(t, "password-change/"+string(ch), err, want)
		// Keys are not passwords: they keep working.
		err = Decide(Decision{Method: MethodPassword, Credential: CredentialAPIKey, Channel: ChannelAPI,
			Permissions: allPermissions, RequirePasswordChange: true})
		assertOutcome(t, "password-change/api-key", err, nil)
	}
}

func TestDecideFailsClosedOnUnknowns(t *testing.T) {
	base := Decision{Method: MethodPassword, Channel: ChannelWeb, Credential: CredentialPassword, Permissions: allPermissions}
	for name, d := range map[string]Decision{
		"channel":    {Method: base.Method, Channel: "gopher", Credential: base.Credential, Permissions: allPermissions},
		"credential": {Method: base.Method, Channel: base.Channel, Credential: "telepathy", Permissions: allPermissions},
		"method":     {Method: ClassifyMethod(store.User{AuthenticationMethod: "password_with_imported_hash"}, nil), Channel: base.Channel, Credential: base.Credential, Permissions: allPermissions},
		"empty":      {},
	} {
		if err := Decide(d); err == nil {
			t.Errorf("unknown %s was allowed", name)
		}
	}
}

func TestClassifyMethod(t *testing.T) {
	saml := &store.SSOStrategy{Protocol: ProtocolSAML}
	oidc := &store.SSOStrategy{Protocol: ProtocolOAuth2}
	ad := &store.SSOStrategy{Protocol: ProtocolActiveDirectory}
	ldap := &store.SSOStrategy{Protocol: ProtocolOpenLDAP}
	scim := &store.SSOStrategy{Protocol: ProtocolSCIM}
	cases := []struct {
		user     store.User
		provider *store.SSOStrategy
		want     MethodClass
	}{
		{store.User{AuthenticationMethod: store.AuthPassword}, nil, MethodPassword},
		{store.User{AuthenticationMethod: store.AuthEmailSignup, PasswordHash: "$argon2id$..."}, nil, MethodPassword},
		{store.User{AuthenticationMethod: store.AuthEmailSignup}, nil, MethodNone},
		{store.User{AuthenticationMethod: store.AuthSSO}, saml, MethodFederatedSSO},
		{store.User{AuthenticationMethod: store.AuthSSO}, oidc, MethodFederatedSSO},
		{store.User{AuthenticationMethod: store.AuthSSO}, scim, MethodFederatedSSO},
		{store.User{AuthenticationMethod: store.AuthSSO}, nil, MethodFederatedSSO},
		{store.User{AuthenticationMethod: store.AuthSSO}, ad, MethodLDAP},
		{store.User{AuthenticationMethod: store.AuthSSO}, ldap, MethodLDAP},
		{store.User{AuthenticationMethod: store.AuthNone}, nil, MethodNone},
	}
	for _, c := range cases {
		if got := ClassifyMethod(c.user, c.provider); got != c.want {
			t.Errorf("ClassifyMethod(%s, %v) = %s, want %s", c.user.AuthenticationMethod, c.provider, got, c.want)
		}
	}
}

func TestEffectivePermissionsORsGroups(t *testing.T) {
	u := store.User{RestAPIPermission: true}
	groups := []store.Group{{SFTPPermission: true}, {DAVPermission: true}}
	got := EffectivePermissions(u, groups)
	want := Permissions{RestAPI: true, SFTP: true, DAV: true}
	if got != want {
		t.Errorf("EffectivePermissions = %+v, want %+v", got, want)
	}
	// A group-granted permission lets the user in on that channel.
	err := Decide(Decision{Method: MethodPassword, Channel: ChannelSFTP, Credential: CredentialPassword, Permissions: got})
	assertOutcome(t, "sftp via group", err, nil)
	err = Decide(Decision{Method: MethodPassword, Channel: ChannelFTP, Credential: CredentialPassword, Permissions: got})
	assertOutcome(t, "ftp without grant", err, ErrChannelNotPermitted)
}
