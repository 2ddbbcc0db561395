package ldap

import goldap "github.com/go-ldap/ldap/v3"

// OpenLDAP (and other RFC 4519 directories).
//
//   - Users are inetOrgPerson entries named by uid; groups are
//     groupOfNames with member DNs, nested by listing a group's DN as a
//     member, resolved here by walking the groups.
//   - The immutable id is entryUUID (RFC 4530).
//   - Disabled and locked follow the password policy overlay (ppolicy,
//     draft-behera-ldap-password-policy): pwdAccountLockedTime
//     "000001010000Z" means the administrator locked the account for good,
//     which Gatehouse reads as disabled; any other value is a lockout after
//     failed binds. With the overlay loaded the server refuses such binds
//     too; without it the attribute is simply absent.
const (
	olPwdLocked       = "pwdAccountLockedTime"
	olLockedPermanent = "000001010000Z"
)

var openLDAP = dialect{
	usernameAttr:    "uid",
	userFilter:      "(objectClass=inetOrgPerson)",
	groupFilter:     "(objectClass=groupOfNames)",
	immutableID:     "entryUUID",
	userStatusAttrs: []string{olPwdLocked},
	status:          openLDAPStatus,
}

func openLDAPStatus(e *goldap.Entry) (disabled, locked bool) {
	v := e.GetEqualFoldAttributeValue(olPwdLocked)
	switch {
	case v == "":
		return false, false
	case v == olLockedPermanent:
		return true, false
	}
	return false, true
}
