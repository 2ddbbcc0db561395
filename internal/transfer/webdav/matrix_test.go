package webdav

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// TestWebDAVCredentialMatrix is the WebDAV row of the seed's table: which
// credential each kind of user signs in with, tried with curl's PROPFIND
// and Basic authentication, with the status and the text the user sees
// where it is refused.
//
//	user            password                       API key (as the password)
//	password        yes                            yes
//	SSO (SAML)      no: 401, use an API key        yes
//	SSO (OIDC)      no: 401, use an API key        yes
//	LDAP            yes (directory password)       yes
//
// The SSH-key column of the seed's table has no WebDAV cell: HTTP Basic
// authentication has no way to present a key.
func TestWebDAVCredentialMatrix(t *testing.T) {
	requireClient(t, "curl")
	h := transfertest.NewLDAP(t)
	ldapUser, err := h.Store.GetUserByUsername(h.Ctx, h.Site.ID, transfertest.LDAPUser)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		user     store.User
		password string
	}
	rows := map[string]row{
		"password": {h.PasswordUser("pat"), transfertest.Password},
		"saml":     {h.FederatedUser("sam", identity.ProtocolSAML, "okta"), "any password at all"},
		"oidc":     {h.FederatedUser("olga", identity.ProtocolOAuth2, "azure"), "any password at all"},
		"ldap":     {ldapUser, transfertest.LDAPPassword},
	}
	keys := map[string]string{}
	for kind, r := range rows {
		keys[kind] = h.APIKey(r.user)
		// A file only this user has shows a listing is of their own home.
		fsys := userFS(t, h, r.user)
		up, err := fsys.Create(h.Ctx, "/"+kind+"-home.txt", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Write([]byte(kind)); err != nil {
			t.Fatal(err)
		}
		if err := up.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	base, _ := startDAV(t, h, nil)

	const useAPIKey = "Must Authenticate With API Key. this user signs in through single sign-on; use an API key"
	for _, tc := range []struct {
		kind, credential string
		status           int
		says             string
	}{
		{"password", "password", http.StatusMultiStatus, ""},
		{"password", "api_key", http.StatusMultiStatus, ""},
		{"saml", "password", http.StatusUnauthorized, useAPIKey},
		{"saml", "api_key", http.StatusMultiStatus, ""},
		{"oidc", "password", http.StatusUnauthorized, useAPIKey},
		{"oidc", "api_key", http.StatusMultiStatus, ""},
		{"ldap", "password", http.StatusMultiStatus, ""},
		{"ldap", "api_key", http.StatusMultiStatus, ""},
	} {
		t.Run(tc.kind+"/"+tc.credential, func(t *testing.T) {
			r := rows[tc.kind]
			secret := r.password
			if tc.credential == "api_key" {
				secret = keys[tc.kind]
			}
			code, body := curl(t, "-u", r.user.Username+":"+secret, "-X", "PROPFIND", "-H", "Depth: 1", base+Prefix+"/")
			if code != tc.status {
				t.Fatalf("want %d, got %d %s", tc.status, code, body)
			}
			if tc.status == http.StatusMultiStatus && !strings.Contains(body, tc.kind+"-home.txt") {
				t.Fatalf("the listing is not of the user's home:\n%s", body)
			}
			if tc.says != "" && !strings.Contains(body, tc.says) {
				t.Fatalf("want a refusal saying %q, got %s", tc.says, body)
			}
		})
	}
}
