package ftp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// TestFTPCredentialMatrix is the FTP and FTPS rows of the seed's table:
// which credential each kind of user signs in with, tried with lftp over
// plain FTP and over explicit FTPS, with the 530 text the user sees where
// it is refused.
//
//	user            password                       API key (as the password)
//	password        yes                            yes
//	SSO (SAML)      no: 530, use an API key        yes
//	SSO (OIDC)      no: 530, use an API key        yes
//	LDAP            yes (directory password)       yes
//
// An SSO user is told to use an API key only when the password it sent
// verifies (the account kept one); a wrong one gets the 530 of a wrong
// password, which names no account.
//
// The SSH-key column of the seed's table has no FTP cell: FTP has no way
// to present a key, so there is nothing a client could try.
func TestFTPCredentialMatrix(t *testing.T) {
	requireClient(t, "lftp")
	h := transfertest.NewLDAP(t)
	users := h.MatrixUsers(t)
	s := startFTP(t, h, nil)

	const useAPIKey = "530 Not logged in: Must Authenticate With API Key. this user signs in through single sign-on; use an API key"
	const wrongPassword = "530 Not logged in: Invalid Username Or Password. invalid username or password"
	cells := []struct {
		kind, credential string
		ok               bool
		says             string
	}{
		{"password", "password", true, ""},
		{"password", "api_key", true, ""},
		{"saml", "password", false, useAPIKey},
		{"saml", "wrong_password", false, wrongPassword},
		{"saml", "api_key", true, ""},
		{"oidc", "password", false, useAPIKey},
		{"oidc", "wrong_password", false, wrongPassword},
		{"oidc", "api_key", true, ""},
		{"ldap", "password", true, ""},
		{"ldap", "api_key", true, ""},
	}
	for _, channel := range []struct {
		name   string
		useTLS bool
	}{{"ftp", false}, {"ftps", true}} {
		t.Run(channel.name, func(t *testing.T) {
			for i, tc := range cells {
				t.Run(tc.kind+"/"+tc.credential, func(t *testing.T) {
					u := users[tc.kind]
					// Wrong passwords come from addresses of their own, so
					// the per-address throttle leaves the other cells alone.
					src := ""
					if tc.credential == "wrong_password" {
						src = fmt.Sprintf("127.0.0.%d", 10+i)
						if channel.useTLS {
							src = fmt.Sprintf("127.0.0.%d", 50+i)
						}
					}
					out, err := lftpFrom(t, src, s.Addr(), u.User.Username, u.Secret(tc.credential), channel.useTLS, t.TempDir(), "cls -1 /")
					if tc.ok && (err != nil || !strings.Contains(out, tc.kind+"-home.txt")) {
						t.Fatalf("want a listing of the user's home, got %v\n%s", err, out)
					}
					if !tc.ok && (err == nil || !strings.Contains(out, tc.says)) {
						t.Fatalf("want a refusal saying %q, got %v\n%s", tc.says, err, out)
					}
				})
			}
		})
	}
}
