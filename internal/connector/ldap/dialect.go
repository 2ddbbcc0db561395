package ldap

import (
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// dialect is what differs between directories. Each one lives in its own
// file (dialect_ad.go, dialect_openldap.go) so that the Active Directory
// rules, which no test server here can show, stay small and covered by
// recorded entries.
type dialect struct {
	usernameAttr string
	userFilter   string
	groupFilter  string
	immutableID  string
	// preferredUserID and preferredGroupID are read before the immutable
	// id attribute when present (Entra DS's copies of the Entra object id).
	preferredUserID  string
	preferredGroupID string
	// userStatusAttrs are read with every user for status.
	userStatusAttrs []string
	// status reads whether an entry is disabled or locked.
	status func(e *goldap.Entry) (disabled, locked bool)
	// inChain: the directory resolves nested membership in one search
	// (AD's LDAP_MATCHING_RULE_IN_CHAIN); otherwise groups are walked.
	inChain bool
	// memberOf: direct memberships are read from users' and groups'
	// memberOf (AD keeps it for every object) rather than groups' member.
	memberOf bool
	// qualifiedNames: "DOMAIN\name" typed at sign-in loses its prefix.
	qualifiedNames bool
}

func dialectFor(d Dialect) dialect {
	if d == DialectActiveDirectory {
		return activeDirectory
	}
	return openLDAP
}

// immutableID reads an entry's immutable id: the preferred attribute when
// the entry has it, else attr. Binary GUIDs become their string form.
func immutableID(e *goldap.Entry, preferred, attr string) string {
	if preferred != "" {
		if v := e.GetEqualFoldRawAttributeValue(preferred); len(v) > 0 {
			return formatID(v)
		}
	}
	return formatID(e.GetEqualFoldRawAttributeValue(attr))
}

// formatID turns an id value into text: a 16-byte binary value is a GUID
// in Microsoft's byte order (objectGUID, msDS-aadObjectId), anything else
// is taken as text (entryUUID), with UUIDs lower-cased so that ids read on
// AD and from Entra's claims compare equal.
func formatID(v []byte) string {
	if len(v) == 16 && !isPrintable(v) {
		return GUIDString(v)
	}
	s := string(v)
	if len(s) == 36 && strings.Count(s, "-") == 4 {
		return strings.ToLower(s)
	}
	return s
}

func isPrintable(v []byte) bool {
	for _, b := range v {
		if b < 0x20 || b > 0x7e {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// GUIDString formats a 16-byte GUID as Windows stores it (MS-DTYP 2.3.4:
// the first three fields little-endian, the last eight bytes in order) in
// the usual 8-4-4-4-12 form, lower case.
func GUIDString(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	order := [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	out := make([]byte, 0, 36)
	for i, j := range order {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexDigits[b[j]>>4], hexDigits[b[j]&0xf])
	}
	return string(out)
}

// parseDN checks a DN.
func parseDN(dn string) (*goldap.DN, error) { return goldap.ParseDN(dn) }

// checkFilter checks an admin-written search filter.
func checkFilter(f string) error {
	if len(f) > 4096 {
		return newError(KindConfig, nil, "filter longer than 4096 bytes")
	}
	_, err := goldap.CompileFilter(f)
	return err
}
