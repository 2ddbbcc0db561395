package ldap

import (
	"strconv"

	goldap "github.com/go-ldap/ldap/v3"
)

// Active Directory and Entra Domain Services.
//
//   - Users are person objects of class user; groups are class group.
//   - The immutable id is objectGUID (16 bytes, Microsoft byte order), or
//     msDS-aadObjectId when present: Entra DS copies the Entra object id
//     there, which is the id SAML and OIDC sign-ins carry, so one person
//     keeps one id whichever way they arrive. Groups: msDS-AzureADObjectId.
//   - userAccountControl bit 2 (ACCOUNTDISABLE) is disabled;
//     msDS-User-Account-Control-Computed bit 0x10 (UF_LOCKOUT) is locked,
//     because lockoutTime stays set after a lockout has expired.
//   - Nested membership is one search with LDAP_MATCHING_RULE_IN_CHAIN
//     (1.2.840.113556.1.4.1941); the sync reads memberOf of users and groups.
const (
	adAccountDisable    = 0x2
	adLockout           = 0x10
	adMatchingRuleChain = "1.2.840.113556.1.4.1941"
	adUAC               = "userAccountControl"
	adUACComputed       = "msDS-User-Account-Control-Computed"
)

var activeDirectory = dialect{
	usernameAttr:     "sAMAccountName",
	userFilter:       "(&(objectCategory=person)(objectClass=user))",
	groupFilter:      "(objectClass=group)",
	immutableID:      "objectGUID",
	preferredUserID:  "msDS-aadObjectId",
	preferredGroupID: "msDS-AzureADObjectId",
	userStatusAttrs:  []string{adUAC, adUACComputed},
	status:           adStatus,
	inChain:          true,
	memberOf:         true,
	qualifiedNames:   true,
}

func adStatus(e *goldap.Entry) (disabled, locked bool) {
	uac, _ := strconv.ParseInt(e.GetEqualFoldAttributeValue(adUAC), 10, 64)
	computed, _ := strconv.ParseInt(e.GetEqualFoldAttributeValue(adUACComputed), 10, 64)
	return uac&adAccountDisable != 0, computed&adLockout != 0
}
