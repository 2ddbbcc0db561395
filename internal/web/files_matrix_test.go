package web

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// TestAPICredentialMatrix is the REST API row of the seed's table: which
// credential each kind of user reaches their files with, tried with curl:
// an API key in X-FilesAPI-Key, or a password through POST /sessions and
// then the session in X-FilesAPI-Auth, each listing GET /folders/.
//
//	user            password (POST /sessions)              API key
//	password        yes                                    yes
//	SSO (SAML)      no: 403 must-authenticate-with-api-key yes
//	SSO (OIDC)      no: 403 must-authenticate-with-api-key yes
//	LDAP            yes (directory password)               yes
//
// An SSO user is told to use an API key only when the password it sent
// verifies (the account kept one); a wrong one gets the 401 of a wrong
// password, which names no account.
//
// The SSH-key column of the seed's table has no API cell: the REST API
// has no way to present an SSH key.
func TestAPICredentialMatrix(t *testing.T) {
	requireCurl(t)
	h := newLDAPHarness(t)
	base := h.harness.srv.URL
	type row struct {
		user     store.User
		password string
	}
	rows := map[string]row{
		"password": {h.createUser("pat", false), strongPassword},
		"saml":     {h.federatedAPIUser("sam", identity.ProtocolSAML, "okta"), strongPassword},
		"oidc":     {h.federatedAPIUser("olga", identity.ProtocolOAuth2, "azure"), strongPassword},
		"ldap":     {h.user(ldaptest.UserAlice), ldaptest.Password(ldaptest.UserAlice)},
	}
	keys := map[string]string{}
	for kind, r := range rows {
		_, keys[kind] = h.apiKeyFor(r.user, time.Time{})
		// A file only this user has shows a listing is of their own home.
		fsys, err := h.files.For(h.ctx, h.site, r.user)
		if err != nil {
			t.Fatal(err)
		}
		up, err := fsys.Create(h.ctx, "/"+kind+"-home.txt", 0)
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

	const useAPIKey = "not-authorized/must-authenticate-with-api-key"
	const useAPIKeyText = "this user signs in through single sign-on; use an API key"
	const wrongPassword = "not-authenticated/invalid-username-or-password"
	for _, tc := range []struct {
		kind, credential string
		status           int    // of the listing, or of POST /sessions when refused there
		refusal, says    string // the error type and text of a refusal
	}{
		{"password", "password", http.StatusOK, "", ""},
		{"password", "api_key", http.StatusOK, "", ""},
		{"saml", "password", http.StatusForbidden, useAPIKey, useAPIKeyText},
		{"saml", "wrong_password", http.StatusUnauthorized, wrongPassword, "invalid username or password"},
		{"saml", "api_key", http.StatusOK, "", ""},
		{"oidc", "password", http.StatusForbidden, useAPIKey, useAPIKeyText},
		{"oidc", "wrong_password", http.StatusUnauthorized, wrongPassword, "invalid username or password"},
		{"oidc", "api_key", http.StatusOK, "", ""},
		{"ldap", "password", http.StatusOK, "", ""},
		{"ldap", "api_key", http.StatusOK, "", ""},
	} {
		t.Run(tc.kind+"/"+tc.credential, func(t *testing.T) {
			r := rows[tc.kind]
			auth := []string{"-H", "X-FilesAPI-Key: " + keys[tc.kind]}
			if tc.credential == "password" || tc.credential == "wrong_password" {
				password := r.password
				if tc.credential == "wrong_password" {
					password = "not the account's password"
				}
				creds, _ := json.Marshal(map[string]string{"username": r.user.Username, "password": password})
				code, body := curlAPI(t, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", string(creds),
					base+apiPrefix+"/sessions")
				if tc.refusal != "" {
					expectCurlError(t, code, body, tc.status, tc.refusal, tc.says)
					return
				}
				var sess sessionJSON
				if err := json.Unmarshal([]byte(body), &sess); code != http.StatusCreated || err != nil || sess.ID == "" {
					t.Fatalf("POST /sessions: %d %s", code, body)
				}
				auth = []string{"-H", sessionHeader + ": " + sess.ID}
			}
			code, body := curlAPI(t, append(auth, base+apiPrefix+"/folders/")...)
			if tc.refusal != "" {
				expectCurlError(t, code, body, tc.status, tc.refusal, tc.says)
				return
			}
			if code != tc.status || !strings.Contains(body, `"`+tc.kind+`-home.txt"`) {
				t.Fatalf("want %d and a listing of the user's home, got %d %s", tc.status, code, body)
			}
		})
	}
}

// federatedAPIUser creates a user of a new, enabled SSO provider speaking
// protocol, with API access and no password.
func (h *harness) federatedAPIUser(username, protocol, provider string) store.User {
	h.t.Helper()
	p := store.SSOStrategy{SiteID: h.site.ID, Protocol: protocol, Provider: provider, Enabled: true}
	if err := h.st.CreateSSOStrategy(h.ctx, &p); err != nil {
		h.t.Fatal(err)
	}
	u := store.User{SiteID: h.site.ID, Username: username, AuthenticationMethod: store.AuthSSO, SSOStrategyID: p.ID, RestAPIPermission: true}
	if err := h.st.CreateUser(h.ctx, &u); err != nil {
		h.t.Fatal(err)
	}
	// The account keeps strongPassword, as one moved to single sign-on
	// keeps the password it had: only a password that verifies is told
	// that this account signs in otherwise.
	pw := strongPassword
	u, err := h.svc.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, u.ID, identity.UserChange{Password: &pw}, true)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// expectCurlError asserts a typed JSON error answered to curl, whose
// message says says.
func expectCurlError(t *testing.T, code int, body string, status int, typ, says string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil || code != status || e.Type != typ || !strings.Contains(e.Error, says) {
		t.Fatalf("want %d %s saying %q, got %d %s", status, typ, says, code, body)
	}
}

func requireCurl(t *testing.T) {
	t.Helper()
	testpeer.LookPath(t, "Debian curl", "curl")
}

// curlAPI runs curl with args and returns the HTTP status and the body.
func curlAPI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]string{"-sS", "--noproxy", "*", "-w", "\n%{http_code}"}, args...)
	out, err := exec.CommandContext(ctx, "curl", all...).Output()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	s := strings.TrimRight(string(out), "\n")
	i := strings.LastIndex(s, "\n")
	code, _ := strconv.Atoi(s[i+1:])
	if i < 0 {
		return code, ""
	}
	return code, s[:i]
}
