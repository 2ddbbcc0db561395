package webdav

import (
	"net/http"
	"strings"
	"testing"

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
// An SSO user is told to use an API key only when the password it sent
// verifies (the account kept one); a wrong one gets the 401 of a wrong
// password, which names no account.
//
// The SSH-key column of the seed's table has no WebDAV cell: HTTP Basic
// authentication has no way to present a key.
func TestWebDAVCredentialMatrix(t *testing.T) {
	requireClient(t, "curl")
	h := transfertest.NewLDAP(t)
	users := h.MatrixUsers(t)
	base, _ := startDAV(t, h, nil)

	const useAPIKey = "Must Authenticate With API Key. this user signs in through single sign-on; use an API key"
	const wrongPassword = "Invalid Username Or Password. invalid username or password"
	for _, tc := range []struct {
		kind, credential string
		status           int
		says             string
	}{
		{"password", "password", http.StatusMultiStatus, ""},
		{"password", "api_key", http.StatusMultiStatus, ""},
		{"saml", "password", http.StatusUnauthorized, useAPIKey},
		{"saml", "wrong_password", http.StatusUnauthorized, wrongPassword},
		{"saml", "api_key", http.StatusMultiStatus, ""},
		{"oidc", "password", http.StatusUnauthorized, useAPIKey},
		{"oidc", "wrong_password", http.StatusUnauthorized, wrongPassword},
		{"oidc", "api_key", http.StatusMultiStatus, ""},
		{"ldap", "password", http.StatusMultiStatus, ""},
		{"ldap", "api_key", http.StatusMultiStatus, ""},
	} {
		t.Run(tc.kind+"/"+tc.credential, func(t *testing.T) {
			u := users[tc.kind]
			code, body := curl(t, "-u", u.User.Username+":"+u.Secret(tc.credential), "-X", "PROPFIND", "-H", "Depth: 1", base+Prefix+"/")
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
