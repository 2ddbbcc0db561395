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

// Secret is the password, the API key when credential is "api_key", or a
// password that is not the account's when it is "wrong_password".
func (m MatrixUser) Secret(credential string) string {
	switch credential {
	case "api_key":
		return m.APIKey
	case "wrong_password":
		return "not the account's password"
	}
	return m.Password
}

// KeptPassword gives u the password hash of Password, as an account moved
// to single sign-on keeps the password it had: its password then verifies,
// so the login policy's refusal (use single sign-on or a key) is what the
// user is told, where a wrong password is told only that.
func (h *Harness) KeptPassword(u store.User) store.User {
	h.T.Helper()
	pw := Password
	u, err := h.Svc.UpdateUser(h.Ctx, identity.SystemActor, h.Site.ID, u.ID, identity.UserChange{Password: &pw}, true)
	if err != nil {
		h.T.Fatalf("keep a password for %s: %v", u.Username, err)
	}
	return u
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
		"saml":     {User: h.KeptPassword(h.FederatedUser("sam", identity.ProtocolSAML, "okta")), Password: Password},
		"oidc":     {User: h.KeptPassword(h.FederatedUser("olga", identity.ProtocolOAuth2, "azure")), Password: Password},
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
