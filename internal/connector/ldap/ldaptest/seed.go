package ldaptest

import (
	"fmt"
	"strings"
)

// The directory tree every server starts with.
const (
	BaseDN          = "dc=example,dc=test"
	AdminDN         = "cn=admin," + BaseDN // the rootdn, for helpers only
	AdminPassword   = "admin-secret"
	ServiceDN       = "cn=gatehouse,ou=services," + BaseDN // read-only service account
	ServicePassword = "service-secret"
	PeopleDN        = "ou=people," + BaseDN
	GroupsDN        = "ou=groups," + BaseDN
)

// The seeded users. Each one's password is Password(uid).
const (
	UserAlice = "alice" // in staff
	UserBob   = "bob"   // in staff
	UserZoe   = "zoe"   // non-ASCII names, in engineers (nested in staff)
	// UserOdd has filter metacharacters in its uid (parentheses, which a
	// Gatehouse username may hold) and filter and DN metacharacters in its
	// DN (comma, plus, asterisk); it is in backend, nested in engineers,
	// nested in staff.
	UserOdd = "jo(it)smith"
	// UserCarol is disabled (pwdAccountLockedTime 000001010000Z).
	UserCarol = "carol"
	// UserDave is locked (a pwdAccountLockedTime timestamp).
	UserDave = "dave"
)

// Seeded group names.
const (
	GroupStaff     = "staff"     // alice, bob, engineers
	GroupEngineers = "engineers" // zoe, backend
	GroupBackend   = "backend"   // UserOdd
	GroupOps       = "ops"       // carol, dave
)

// OddDN is the DN of UserOdd: its RDN is a cn with DN metacharacters.
const OddDN = `cn=Smith\, Jo \2B (IT)*,` + PeopleDN

// Password is the password of a seeded user.
func Password(uid string) string { return "pw-" + uid + "-Secret1" }

// UserDN is the DN of a seeded user other than UserOdd.
func UserDN(uid string) string { return "uid=" + uid + "," + PeopleDN }

// GroupDN is the DN of a seeded group.
func GroupDN(name string) string { return "cn=" + name + "," + GroupsDN }

// baseLDIF is the tree: suffix, containers and the service account.
func baseLDIF() string {
	return `dn: ` + BaseDN + `
objectClass: dcObject
objectClass: organization
dc: example
o: Example Test

dn: ou=services,` + BaseDN + `
objectClass: organizationalUnit
ou: services

dn: ` + ServiceDN + `
objectClass: person
cn: gatehouse
sn: service
userPassword: ` + ServicePassword + `

dn: ` + PeopleDN + `
objectClass: organizationalUnit
ou: people

dn: ` + GroupsDN + `
objectClass: organizationalUnit
ou: groups

`
}

// seedLDIF is the people and groups of the default seed.
func seedLDIF() string {
	var b strings.Builder
	person := func(dn, uid, given, sn, mail, extra string) {
		fmt.Fprintf(&b, "dn: %s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s %s\ngivenName: %s\nsn: %s\ndisplayName: %s %s\nmail: %s\nuserPassword: %s\n%s\n",
			dn, uid, given, sn, given, sn, given, sn, mail, Password(uid), extra)
	}
	oddCN := "cn: Smith, Jo + (IT)*\n"
	person(UserDN(UserAlice), UserAlice, "Alice", "Archer", "alice@example.test", "")
	person(UserDN(UserBob), UserBob, "Bob", "Baker", "bob@example.test", "")
	person(UserDN(UserZoe), UserZoe, "Zoë", "Ødegård-Łukasz", "zoe@example.test", "")
	person(OddDN, UserOdd, "Jo", "Smith", "jo.smith@example.test", oddCN)
	person(UserDN(UserCarol), UserCarol, "Carol", "Cooper", "carol@example.test", "pwdAccountLockedTime: 000001010000Z\n")
	person(UserDN(UserDave), UserDave, "Dave", "Dunn", "dave@example.test", "pwdAccountLockedTime: 20260101000000Z\n")
	group := func(name string, members ...string) {
		fmt.Fprintf(&b, "dn: %s\nobjectClass: groupOfNames\ncn: %s\n", GroupDN(name), name)
		for _, m := range members {
			fmt.Fprintf(&b, "member: %s\n", m)
		}
		b.WriteString("\n")
	}
	group(GroupStaff, UserDN(UserAlice), UserDN(UserBob), GroupDN(GroupEngineers))
	group(GroupEngineers, UserDN(UserZoe), GroupDN(GroupBackend))
	group(GroupBackend, OddDN)
	group(GroupOps, UserDN(UserCarol), UserDN(UserDave))
	return b.String()
}

// BulkUID is the uid of bulk user i (0-based); its password is Password(uid).
func BulkUID(i int) string { return fmt.Sprintf("user%05d", i) }

// BulkGroup is the name of bulk group j (0-based).
func BulkGroup(j int) string { return fmt.Sprintf("group%04d", j) }

// bulkLDIF is n users in m groups: user i is a member of group i mod m,
// and every tenth group is nested in group 0.
func bulkLDIF(n, m int) string {
	var b strings.Builder
	b.Grow(n*300 + m*100)
	for i := 0; i < n; i++ {
		uid := BulkUID(i)
		fmt.Fprintf(&b, "dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: User %d\ngivenName: User\nsn: Number %d\nmail: %s@example.test\nuserPassword: %s\n\n",
			uid, PeopleDN, uid, i, i, uid, Password(uid))
	}
	for j := 0; j < m; j++ {
		fmt.Fprintf(&b, "dn: cn=%s,%s\nobjectClass: groupOfNames\ncn: %s\n", BulkGroup(j), GroupsDN, BulkGroup(j))
		members := 0
		for i := j; i < n; i += m {
			fmt.Fprintf(&b, "member: uid=%s,%s\n", BulkUID(i), PeopleDN)
			members++
		}
		if j == 0 {
			for k := 10; k < m; k += 10 {
				fmt.Fprintf(&b, "member: cn=%s,%s\n", BulkGroup(k), GroupsDN)
				members++
			}
		}
		if members == 0 { // groupOfNames needs a member
			fmt.Fprintf(&b, "member: %s\n", ServiceDN)
		}
		b.WriteString("\n")
	}
	return b.String()
}
