package directory

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

func ldapProvider(options map[string]any) store.SSOStrategy {
	p := store.SSOStrategy{ID: 7, SiteID: 1, Protocol: identity.ProtocolActiveDirectory, Provider: "ldap",
		LDAPHost: "dc1.corp.example.com", LDAPHost2: " ", LDAPHost3: "dc3.corp.example.com", LDAPPort: 3269, LDAPSecure: true,
		LDAPUsername: "svc@corp.example.com", LDAPBaseDN: "DC=corp,DC=example,DC=com", LDAPDomain: "corp.example.com",
		LDAPUsernameField: "userPrincipalName"}
	if options != nil {
		b, _ := json.Marshal(options)
		p.Options = string(b)
	}
	return p
}

func TestConfigFromMapsEveryField(t *testing.T) {
	p := ldapProvider(map[string]any{
		OptionStartTLS: false, OptionUserFilter: "(&(objectClass=user)(memberOf=CN=App,DC=corp,DC=example,DC=com))",
		OptionGroupFilter: "(cn=app-*)", OptionAttributes: map[string]string{"mail": "proxyAddresses", "immutable_id": "objectSid"},
		OptionPageSize: 500, OptionTimeoutSeconds: 4, OptionPoolSize: 3, "saml_attributes": map[string]any{"email": "x"},
	})
	cfg, err := ConfigFrom(p, "service-pw")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Hosts, ",") != "dc1.corp.example.com,dc3.corp.example.com" || cfg.Port != 3269 || !cfg.Secure ||
		cfg.BindDN != "svc@corp.example.com" || cfg.BindPassword != "service-pw" || cfg.BaseDN != p.LDAPBaseDN ||
		cfg.Domain != "corp.example.com" || cfg.UsernameAttr != "userPrincipalName" || cfg.Dialect != ldap.DialectActiveDirectory ||
		cfg.GroupFilter != "(cn=app-*)" || cfg.Attributes.Mail != "proxyAddresses" || cfg.Attributes.ImmutableID != "objectSid" ||
		cfg.PageSize != 500 || cfg.Timeout != 4*time.Second || cfg.PoolSize != 3 || cfg.RootCAs != nil {
		t.Fatalf("config = %+v", cfg)
	}
	if _, err := ldap.New(cfg); err != nil {
		t.Fatalf("the mapped config is refused: %v", err)
	}
}

func TestDialectOf(t *testing.T) {
	cases := []struct {
		protocol, ldapType string
		want               ldap.Dialect
	}{
		{identity.ProtocolOpenLDAP, "", ldap.DialectOpenLDAP},
		{identity.ProtocolActiveDirectory, "open_ldap", ldap.DialectActiveDirectory},
		{identity.ProtocolSAML, "open_ldap", ldap.DialectOpenLDAP},
		{identity.ProtocolSAML, "", ldap.DialectActiveDirectory},
	}
	for _, tc := range cases {
		if got := DialectOf(store.SSOStrategy{Protocol: tc.protocol, LDAPType: tc.ldapType}); got != tc.want {
			t.Errorf("%s/%s: %s, want %s", tc.protocol, tc.ldapType, got, tc.want)
		}
	}
}

func TestConfigFromRefusesBadOptions(t *testing.T) {
	bad := map[string]string{
		"not JSON":          `{"ldap_user_filter": `,
		"wrong type":        `{"ldap_start_tls": "yes"}`,
		"unknown attribute": `{"ldap_attributes": {"phone": "telephoneNumber"}}`,
		"timeout":           `{"ldap_timeout_seconds": 100000}`,
		"CA not PEM":        `{"ldap_ca_bundle": "MIIB..."}`,
		"CA garbage cert":   `{"ldap_ca_bundle": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}`,
		"CA without cert":   `{"ldap_ca_bundle": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`,
	}
	for name, opts := range bad {
		p := ldapProvider(nil)
		p.Options = opts
		if _, err := ConfigFrom(p, "pw"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestExternalIdentity(t *testing.T) {
	e := ldap.Entry{DN: "uid=zoe,ou=people,dc=x", ImmutableID: "0e5c…", Username: "zoe", Email: "zoe@x.test",
		GivenName: "Zoë", Surname: "Ødegård", Disabled: true,
		Groups: []ldap.GroupRef{{DN: "cn=staff,dc=x", ImmutableID: "g1", Name: "staff"}}}
	x := ExternalIdentity(e)
	if x.ExternalID != e.ImmutableID || x.Username != "zoe" || x.Email != e.Email || x.GivenName != "Zoë" || x.FamilyName != "Ødegård" ||
		x.Active || x.GroupsIncomplete || len(x.Groups) != 1 || x.Groups[0].ExternalID != "g1" || x.Groups[0].Name != "staff" {
		t.Fatalf("identity = %+v", x)
	}
	locked := ExternalIdentity(ldap.Entry{ImmutableID: "1", Username: "dave", Locked: true, DisplayName: "Dave D"})
	if !locked.Active || locked.GivenName != "Dave D" {
		t.Fatalf("a locked account stays active, named by its display name: %+v", locked)
	}
}
