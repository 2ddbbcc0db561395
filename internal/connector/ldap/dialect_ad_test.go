package ldap

import (
	"errors"
	"slices"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
)

// Entries shaped as Active Directory and Entra Domain Services return
// them (attribute names and formats per MS-ADA3 and the Entra DS
// synchronization table); no AD server runs here.

// guidBytes is objectGUID b9b0b2a8-7a3c-4f5d-9e1f-2a3b4c5d6e7f as AD
// sends it: the first three fields little-endian.
var guidBytes = string([]byte{0xa8, 0xb2, 0xb0, 0xb9, 0x3c, 0x7a, 0x5d, 0x4f, 0x9e, 0x1f, 0x2a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f})

const (
	guidText = "b9b0b2a8-7a3c-4f5d-9e1f-2a3b4c5d6e7f"
	adBase   = "DC=corp,DC=example,DC=com"
	adUsers  = "OU=AADDC Users," + adBase
)

func adDirectory(t *testing.T, mutate func(*Config)) *Directory {
	t.Helper()
	cfg := Config{Hosts: []string{"dc1.corp.example.com"}, Secure: true, BindDN: "svc-gatehouse@corp.example.com",
		BindPassword: "x", BaseDN: adBase, Domain: "corp.example.com", Dialect: DialectActiveDirectory}
	if mutate != nil {
		mutate(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func adUser(cn, sam string, uac string, extra map[string][]string) *goldap.Entry {
	attrs := map[string][]string{
		"sAMAccountName": {sam}, "userPrincipalName": {sam + "@corp.example.com"}, "mail": {sam + "@example.com"},
		"givenName": {"Given " + sam}, "sn": {"Sur " + sam}, "displayName": {cn}, "objectGUID": {guidBytes},
		"userAccountControl": {uac},
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return goldap.NewEntry("CN="+cn+","+adUsers, attrs)
}

func TestGUIDStringUsesMicrosoftByteOrder(t *testing.T) {
	if got := GUIDString([]byte(guidBytes)); got != guidText {
		t.Fatalf("GUIDString = %s, want %s", got, guidText)
	}
	if GUIDString([]byte{1, 2, 3}) != "" {
		t.Fatal("a short value is not a GUID")
	}
}

func TestADEntryAttributesAndStatus(t *testing.T) {
	d := adDirectory(t, nil)
	cases := []struct {
		name             string
		entry            *goldap.Entry
		id               string
		disabled, locked bool
	}{
		{"normal account 512", adUser("Jo Doe", "jdoe", "512", nil), guidText, false, false},
		{"disabled 514", adUser("Jo Doe", "jdoe", "514", nil), guidText, true, false},
		{"disabled with DONT_EXPIRE 66050", adUser("Jo Doe", "jdoe", "66050", nil), guidText, true, false},
		{"locked per computed flag", adUser("Jo Doe", "jdoe", "512", map[string][]string{adUACComputed: {"16"}}), guidText, false, true},
		{"stale lockoutTime alone is not locked", adUser("Jo Doe", "jdoe", "512", map[string][]string{"lockoutTime": {"133497064000000000"}}), guidText, false, false},
		// Entra DS: the Entra object id wins over objectGUID.
		{"Entra DS object id", adUser("Jo Doe", "jdoe", "512", map[string][]string{"msDS-aadObjectId": {"5E7A1F43-9C1B-4E8A-8B1D-0F2E3D4C5B6A"}}), "5e7a1f43-9c1b-4e8a-8b1d-0f2e3d4c5b6a", false, false},
		{"Entra DS object id in binary", adUser("Jo Doe", "jdoe", "512", map[string][]string{"msDS-aadObjectId": {guidBytes}}), guidText, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := d.entryFrom(tc.entry)
			if e.ImmutableID != tc.id || e.Disabled != tc.disabled || e.Locked != tc.locked {
				t.Fatalf("entry = %+v", e)
			}
			if e.Username != "jdoe" || e.Email != "jdoe@example.com" || e.GivenName != "Given jdoe" || e.Surname != "Sur jdoe" {
				t.Fatalf("attributes = %+v", e)
			}
		})
	}
	upn := adDirectory(t, func(c *Config) { c.UsernameAttr = "userPrincipalName" })
	if e := upn.entryFrom(adUser("Jo Doe", "jdoe", "512", nil)); e.Username != "jdoe@corp.example.com" {
		t.Fatalf("UPN username = %q", e.Username)
	}
}

func TestADUsernameForms(t *testing.T) {
	sam := adDirectory(t, nil)
	upn := adDirectory(t, func(c *Config) { c.UsernameAttr = "userPrincipalName" })
	cases := []struct {
		d           *Directory
		typed, want string
	}{
		{sam, "jdoe", "jdoe"},
		{sam, `CORP\jdoe`, "jdoe"},
		{sam, "jdoe@corp.example.com", "jdoe"},
		{sam, "jdoe@other.example.com", "jdoe@other.example.com"},
		{upn, "jdoe", "jdoe@corp.example.com"},
		{upn, "jdoe@corp.example.com", "jdoe@corp.example.com"},
		{upn, `CORP\jdoe`, "jdoe@corp.example.com"},
	}
	for _, tc := range cases {
		got, err := tc.d.normalizeUsername(tc.typed)
		if err != nil || got != tc.want {
			t.Errorf("%s (%s): %q, %v; want %q", tc.typed, tc.d.cfg.UsernameAttr, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "   ", `CORP\`, "a\x00b", "\xff"} {
		if _, err := sam.normalizeUsername(bad); KindOf(err) != KindUnknownUser {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestADInChainFilterEscapesTheDN(t *testing.T) {
	d := adDirectory(t, nil)
	got := d.inChainGroupFilter(`CN=Smith\, Jo (IT)*,` + adUsers)
	want := `(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=CN=Smith\5c, Jo \28IT\29\2a,OU=AADDC Users,DC=corp,DC=example,DC=com))`
	if got != want {
		t.Fatalf("filter\n got %s\nwant %s", got, want)
	}
	if _, err := goldap.CompileFilter(got); err != nil {
		t.Fatalf("filter does not compile: %v", err)
	}
}

func TestADBindDiagnostics(t *testing.T) {
	diag := func(data string) error {
		return goldap.NewError(goldap.LDAPResultInvalidCredentials,
			errors.New("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data "+data+", v4563"))
	}
	cases := map[string]Kind{
		"52e": KindInvalidCredentials, "775": KindLocked, "533": KindDisabled, "701": KindDisabled,
		"530": KindDisabled, "532": KindPasswordExpired, "773": KindPasswordExpired, "525": KindUnknownUser,
	}
	for data, want := range cases {
		if got := classifyBind(diag(data)); got != want {
			t.Errorf("data %s: %s, want %s", data, got, want)
		}
	}
	if got := classifyBind(goldap.NewError(goldap.ErrorNetwork, errors.New("EOF"))); got != KindUnavailable {
		t.Errorf("network error: %s", got)
	}
	if got := classifyBind(goldap.NewError(goldap.LDAPResultConfidentialityRequired, errors.New("need TLS"))); got != KindConfig {
		t.Errorf("confidentiality required: %s", got)
	}
}

// A recorded AD directory: users and groups with memberOf, groups nested
// three deep and in a cycle, one group outside the group filter's
// selection, and a user whose memberOf names a group not selected.
func TestADSnapshotResolvesNestingFromMemberOf(t *testing.T) {
	d := adDirectory(t, nil)
	b := d.newSnapshotBuilder()
	if !slices.Contains(b.userAttrs, "memberOf") || !slices.Contains(b.groupAttrs, "memberOf") {
		t.Fatalf("AD snapshot reads memberOf: users %v groups %v", b.userAttrs, b.groupAttrs)
	}
	gdn := func(name string) string { return "CN=" + name + ",OU=Groups," + adBase }
	group := func(name string, id byte, memberOf ...string) *goldap.Entry {
		guid := []byte(guidBytes)
		guid[15] = id
		return goldap.NewEntry(gdn(name), map[string][]string{"cn": {name}, "objectGUID": {string(guid)}, "memberOf": memberOf})
	}
	// Case and spacing of DNs differ between memberOf and entry DNs, as
	// they may on AD.
	b.addUser(adUser("Ann", "ann", "512", map[string][]string{"memberOf": {"cn=Backend, ou=Groups," + adBase}}))
	b.addUser(adUser("Ben", "ben", "514", map[string][]string{"memberOf": {gdn("Staff"), gdn("Unselected")}}))
	b.addUser(adUser("Cy", "cy", "512", map[string][]string{"memberOf": {gdn("CycleA")}}))
	b.addGroup(group("Backend", 1, gdn("Engineering")))
	b.addGroup(group("Engineering", 2, gdn("Staff")))
	b.addGroup(group("Staff", 3))
	b.addGroup(group("CycleA", 4, gdn("CycleB")))
	b.addGroup(group("CycleB", 5, gdn("CycleA")))
	snap := b.finish()
	want := map[string][]string{"ann": {"Backend", "Engineering", "Staff"}, "ben": {"Staff"}, "cy": {"CycleA", "CycleB"}}
	for _, u := range snap.Users {
		if got := groupNames(u.Groups); !slices.Equal(got, want[u.Username]) {
			t.Errorf("%s: %v, want %v", u.Username, got, want[u.Username])
		}
	}
	if !snap.Users[1].Disabled {
		t.Error("ben (514) is disabled")
	}
	if snap.Groups[0].ImmutableID == "" || snap.Groups[0].ImmutableID == snap.Groups[1].ImmutableID {
		t.Errorf("group ids: %+v", snap.Groups)
	}
}

func groupNames(gs []GroupRef) []string {
	var names []string
	for _, g := range gs {
		names = append(names, g.Name)
	}
	slices.Sort(names)
	return names
}

func TestConfigValidation(t *testing.T) {
	bad := map[string]func(*Config){
		"no host":            func(c *Config) { c.Hosts = nil },
		"URL as host":        func(c *Config) { c.Hosts = []string{"ldaps://dc1"} },
		"both TLS modes":     func(c *Config) { c.StartTLS = true },
		"no service account": func(c *Config) { c.BindPassword = "" },
		"bad base":           func(c *Config) { c.BaseDN = "not a dn" },
		"bad filter":         func(c *Config) { c.UserFilter = "(objectClass=user" },
		"bad attribute":      func(c *Config) { c.UsernameAttr = "uid)(x" },
		"unknown dialect":    func(c *Config) { c.Dialect = "novell" },
		"huge pool":          func(c *Config) { c.PoolSize = 1000 },
	}
	for name, mutate := range bad {
		cfg := Config{Hosts: []string{"dc1"}, Secure: true, BindDN: "svc", BindPassword: "x", BaseDN: adBase, Dialect: DialectActiveDirectory}
		mutate(&cfg)
		if _, err := New(cfg); KindOf(err) != KindConfig {
			t.Errorf("%s: %v", name, err)
		}
	}
	d := adDirectory(t, nil)
	if c := d.Config(); c.Port != 636 || c.PageSize != 1000 || c.UsernameAttr != "sAMAccountName" || c.Attributes.ImmutableID != "objectGUID" {
		t.Errorf("AD defaults: %+v", c)
	}
}
