package sftp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSFTPCredentialMatrix is the SFTP row of the seed's table: which
// credential each kind of user signs in with over SFTP, tried with OpenSSH,
// with the refusal the user sees where it is refused.
//
//	user            password              SSH key   API key (as password)
//	password        yes                   yes       no: use an SSH key
//	SSO (SAML)      no: banner, use a key yes       no: use an SSH key
//	SSO (OIDC)      no: banner, use a key yes       no: use an SSH key
//	LDAP            yes (directory)       yes       no: use an SSH key
//
// An SSO user's banner comes only for a password that verifies (the
// account kept one); a wrong password gets the plain refusal of a wrong
// password, which names no account.
func TestSFTPCredentialMatrix(t *testing.T) {
	var dirs *directory.Service
	srv := ldaptest.Start(t, ldaptest.Options{})
	h := newHarness(t, harnessOptions{directory: func(st store.Store, o *identity.Options) {
		dirs = directory.New(directory.Options{Store: st, Logger: o.Logger, Outbound: outbound.AllowPrivate(),
			Provision: provision.New(st, provision.Options{Logger: o.Logger})})
		o.Directory = dirs
	}})
	dirs.SetSecrets(h.id)
	t.Cleanup(func() { _ = dirs.Close() })

	type row struct {
		user     store.User
		password string
	}
	rows := map[string]row{
		"password": {h.passwordUser("pat"), testPassword},
		"saml":     {h.ssoUser("sam"), testPassword},
		"oidc":     {h.federatedUser("olga", identity.ProtocolOAuth2, "azure"), testPassword},
		"ldap":     {h.ldapUser(srv, dirs, ldaptest.UserAlice), ldaptest.Password(ldaptest.UserAlice)},
	}
	const ssoBanner = "single sign-on"
	const apiKeyRefusal = "API keys do not sign in over SFTP; use an SSH key"
	for _, tc := range []struct {
		kind, credential string
		ok               bool
		says             string
	}{
		{"password", "password", true, ""},
		{"password", "ssh_key", true, ""},
		{"password", "api_key", false, apiKeyRefusal},
		{"saml", "password", false, ssoBanner},
		{"saml", "wrong_password", false, "Permission denied"},
		{"saml", "ssh_key", true, ""},
		{"saml", "api_key", false, apiKeyRefusal},
		{"oidc", "password", false, ssoBanner},
		{"oidc", "wrong_password", false, "Permission denied"},
		{"oidc", "ssh_key", true, ""},
		{"oidc", "api_key", false, apiKeyRefusal},
		{"ldap", "password", true, ""},
		{"ldap", "ssh_key", true, ""},
		{"ldap", "api_key", false, apiKeyRefusal},
	} {
		t.Run(tc.kind+"/"+tc.credential, func(t *testing.T) {
			r := rows[tc.kind]
			var a auth
			switch tc.credential {
			case "password":
				a = auth{password: r.password}
			case "wrong_password":
				a = auth{password: "not the account's password"}
			case "ssh_key":
				a = auth{key: h.addKey(r.user)}
			case "api_key":
				a = auth{password: h.apiKey(r.user)}
			}
			out, err := h.run(r.user.Username, a, t.TempDir(), "ls\n")
			if tc.ok && err != nil {
				t.Fatalf("refused: %v\n%s", err, out)
			}
			if !tc.ok && (err == nil || !strings.Contains(out, tc.says)) {
				t.Fatalf("want a refusal saying %q, got %v\n%s", tc.says, err, out)
			}
			if tc.credential == "wrong_password" && strings.Contains(out, "Gatehouse") {
				t.Fatalf("a wrong password got a banner naming the account's kind:\n%s", out)
			}
		})
	}
}

// ldapUser creates an OpenLDAP provider reading srv, syncs it, and returns
// the synced account uid with SFTP permission.
func (h *harness) ldapUser(srv *ldaptest.Server, dirs *directory.Service, uid string) store.User {
	h.t.Helper()
	opts, _ := json.Marshal(map[string]any{directory.OptionCABundle: srv.CAPEM()})
	raw := json.RawMessage(opts)
	p, err := h.id.CreateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, identity.SSOStrategyChange{
		Protocol: ptr(identity.ProtocolOpenLDAP), Provider: ptr("ldap"), Label: ptr("Directory"), Enabled: ptr(true),
		LDAPHost: ptr(srv.Host()), LDAPPort: ptr(srv.LDAPSPort), LDAPSecure: ptr(true),
		LDAPUsername: ptr(ldaptest.ServiceDN), LDAPPassword: ptr(ldaptest.ServicePassword),
		LDAPBaseDN: ptr(ldaptest.BaseDN), LDAPUsernameField: ptr("uid"), Options: &raw,
		ProvisionUsers: ptr(true), ProvisionGroups: ptr(true), DeprovisionUsers: ptr(true),
	})
	if err != nil {
		h.t.Fatalf("create LDAP provider: %v", err)
	}
	dir, err := dirs.Directory(h.ctx, p)
	if err != nil {
		h.t.Fatal(err)
	}
	snap, err := dir.Snapshot(h.ctx, nil)
	if err != nil {
		h.t.Fatalf("snapshot: %v", err)
	}
	engine := provision.New(h.st, provision.Options{})
	if _, err := engine.Reconcile(h.ctx, h.site.ID, p.ID, directory.Snapshot(snap)); err != nil {
		h.t.Fatalf("reconcile: %v", err)
	}
	u, err := h.st.GetUserByUsername(h.ctx, h.site.ID, uid)
	if err != nil {
		h.t.Fatalf("synced user %s: %v", uid, err)
	}
	u, err = h.id.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, u.ID, identity.UserChange{SFTPPermission: ptr(true)}, true)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}
