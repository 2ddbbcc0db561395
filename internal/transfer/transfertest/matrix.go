package transfertest

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// MatrixUser is one row of the credential matrix: an account, the
// password it tries, and its API key.
type MatrixUser struct {
	User     store.User
	Password string
	APIKey   string
}

// Secret is the password, or the API key when credential is "api_key".
func (m MatrixUser) Secret(credential string) string {
	if credential == "api_key" {
		return m.APIKey
	}
	return m.Password
}

// MatrixUsers makes the four kinds of user of the seed's credential table
// on an NewLDAP harness — "password", "saml", "oidc" and "ldap" (the
// synced directory account) — each with an API key and a file
// "<kind>-home.txt" in their home, so a listing shows whose home it is.
func (h *Harness) MatrixUsers(t testing.TB) map[string]MatrixUser {
	t.Helper()
	ldapUser, err := h.Store.GetUserByUsername(h.Ctx, h.Site.ID, LDAPUser)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]MatrixUser{
		"password": {User: h.PasswordUser("pat"), Password: Password},
		"saml":     {User: h.FederatedUser("sam", identity.ProtocolSAML, "okta"), Password: "any password at all"},
		"oidc":     {User: h.FederatedUser("olga", identity.ProtocolOAuth2, "azure"), Password: "any password at all"},
		"ldap":     {User: ldapUser, Password: LDAPPassword},
	}
	for kind, m := range users {
		m.APIKey = h.APIKey(m.User)
		users[kind] = m
		fsys, err := h.Files(h.Ctx, h.Site, m.User)
		if err != nil {
			t.Fatal(err)
		}
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
	return users
}
