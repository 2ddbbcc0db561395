package ssosettings

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testcert"
)

const guid = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// opts is one options object as JSON.
func opts(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantFields checks that err lists exactly fields, each named in its own
// message, and that Error() holds every message.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	got := AsFieldErrors(err)
	if len(fields) == 0 {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if len(got) != len(fields) {
		t.Fatalf("errors %+v, want fields %v", got, fields)
	}
	for i, f := range fields {
		if got[i].Field != f || !strings.Contains(got[i].Message, f) || !strings.Contains(err.Error(), got[i].Message) {
			t.Errorf("error %d is %+v, want field %s named in its message", i, got[i], f)
		}
	}
}

// TestParseEveryKey: every key with a good value, and with each kind of
// bad one (wrong JSON type, out of range, malformed, too many entries),
// through Parse, which saving a provider runs.
func TestParseEveryKey(t *testing.T) {
	ca := testcert.Signer(t, "Directory CA", time.Now().Add(time.Hour))
	caPEM := string(ca.CertPEM())
	many := map[string]string{}
	for i := range MaxGroupNames + 1 {
		many[fmt.Sprint("g", i)] = "Group"
	}
	scopes := make([]string, maxOIDCScopes+1)
	for i := range scopes {
		scopes[i] = fmt.Sprint("scope", i)
	}
	names := make([]string, maxSAMLNames+1)
	for i := range names {
		names[i] = fmt.Sprint("attr", i)
	}
	const o = "options."
	for _, tc := range []struct {
		name    string
		options map[string]any
		fields  []string // nil: accepted
	}{
		// OpenID Connect
		{"oidc good", map[string]any{KeyOIDCTenantID: guid, KeyOIDCCloudInstance: "login.microsoftonline.us", KeyOIDCLoginClaim: "upn",
			KeyOIDCScopes: []string{"groups", "offline_access"}, KeyOIDCIssuerURL: "https://login.example.com/oauth2/default"}, nil},
		{"oidc authority", map[string]any{KeyOIDCAuthority: "https://login.example.test"}, nil},
		{"tenant wrong type", map[string]any{KeyOIDCTenantID: 7}, []string{o + KeyOIDCTenantID}},
		{"tenant common", map[string]any{KeyOIDCTenantID: "common"}, []string{o + KeyOIDCTenantID}},
		{"tenant a domain", map[string]any{KeyOIDCTenantID: "contoso.onmicrosoft.com"}, []string{o + KeyOIDCTenantID}},
		{"cloud unknown", map[string]any{KeyOIDCTenantID: guid, KeyOIDCCloudInstance: "login.example.test"}, []string{o + KeyOIDCCloudInstance}},
		{"cloud wrong type", map[string]any{KeyOIDCCloudInstance: true}, []string{o + KeyOIDCCloudInstance}},
		{"authority not a URL", map[string]any{KeyOIDCAuthority: "login.microsoftonline.com"}, []string{o + KeyOIDCAuthority}},
		{"issuer over http", map[string]any{KeyOIDCIssuerURL: "http://login.example.com"}, []string{o + KeyOIDCIssuerURL}},
		{"issuer with a query", map[string]any{KeyOIDCIssuerURL: "https://login.example.com/?x=1"}, []string{o + KeyOIDCIssuerURL}},
		{"issuer on loopback over http", map[string]any{KeyOIDCIssuerURL: "http://127.0.0.1:8080/oidc"}, nil},
		{"login claim unknown", map[string]any{KeyOIDCLoginClaim: "nickname"}, []string{o + KeyOIDCLoginClaim}},
		{"scopes a string", map[string]any{KeyOIDCScopes: "groups"}, []string{o + KeyOIDCScopes}},
		{"scope with a space", map[string]any{KeyOIDCScopes: []string{"a b"}}, []string{o + KeyOIDCScopes}},
		{"too many scopes", map[string]any{KeyOIDCScopes: scopes}, []string{o + KeyOIDCScopes}},
		// SAML
		{"saml good", map[string]any{KeySAMLAttributes: map[string]any{"email": "mail", "groups": []string{"memberOf", "groups"}},
			KeySAMLIdPInitiated: true, KeySAMLAllowSHA1: false, KeySAMLNameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"}, nil},
		{"attributes not an object", map[string]any{KeySAMLAttributes: []string{"mail"}}, []string{o + KeySAMLAttributes}},
		{"attribute field unknown", map[string]any{KeySAMLAttributes: map[string]any{"nickname": "x"}}, []string{o + KeySAMLAttributes + ".nickname"}},
		{"attribute a number", map[string]any{KeySAMLAttributes: map[string]any{"email": 7}}, []string{o + KeySAMLAttributes + ".email"}},
		{"attribute list empty", map[string]any{KeySAMLAttributes: map[string]any{"email": []string{}}}, []string{o + KeySAMLAttributes + ".email"}},
		{"attribute name empty", map[string]any{KeySAMLAttributes: map[string]any{"email": []string{" "}}}, []string{o + KeySAMLAttributes + ".email"}},
		{"attribute name with a newline", map[string]any{KeySAMLAttributes: map[string]any{"login": "a\nb"}}, []string{o + KeySAMLAttributes + ".login"}},
		{"too many attribute names", map[string]any{KeySAMLAttributes: map[string]any{"groups": names}}, []string{o + KeySAMLAttributes + ".groups"}},
		{"idp initiated a string", map[string]any{KeySAMLIdPInitiated: "yes"}, []string{o + KeySAMLIdPInitiated}},
		{"sha1 a number", map[string]any{KeySAMLAllowSHA1: 1}, []string{o + KeySAMLAllowSHA1}},
		{"name id format unknown", map[string]any{KeySAMLNameIDFormat: "email"}, []string{o + KeySAMLNameIDFormat}},
		// LDAP
		{"ldap good", map[string]any{KeyLDAPCABundle: caPEM, KeyLDAPStartTLS: true, KeyLDAPUserFilter: "(&(objectClass=user)(mail=*))",
			KeyLDAPGroupFilter: "(objectClass=group)", KeyLDAPAttributes: map[string]any{"mail": "mail", "immutable_id": "objectGUID", "member": "1.2.3"},
			KeyLDAPPageSize: 500, KeyLDAPTimeoutSeconds: 30, KeyLDAPPoolSize: 4}, nil},
		{"ldap zeros keep the defaults", map[string]any{KeyLDAPPageSize: 0, KeyLDAPTimeoutSeconds: 0, KeyLDAPPoolSize: 0}, nil},
		{"page size a string", map[string]any{KeyLDAPPageSize: "big"}, []string{o + KeyLDAPPageSize}},
		{"page size a fraction", map[string]any{KeyLDAPPageSize: 10.5}, []string{o + KeyLDAPPageSize}},
		{"page size too large", map[string]any{KeyLDAPPageSize: maxLDAPPageSize + 1}, []string{o + KeyLDAPPageSize}},
		{"page size negative", map[string]any{KeyLDAPPageSize: -1}, []string{o + KeyLDAPPageSize}},
		{"timeout too long", map[string]any{KeyLDAPTimeoutSeconds: 100000}, []string{o + KeyLDAPTimeoutSeconds}},
		{"pool too large", map[string]any{KeyLDAPPoolSize: maxLDAPPoolSize + 1}, []string{o + KeyLDAPPoolSize}},
		{"start tls a string", map[string]any{KeyLDAPStartTLS: "yes"}, []string{o + KeyLDAPStartTLS}},
		{"user filter unbalanced", map[string]any{KeyLDAPUserFilter: "(objectClass=user"}, []string{o + KeyLDAPUserFilter}},
		{"group filter a list", map[string]any{KeyLDAPGroupFilter: []string{"(cn=*)"}}, []string{o + KeyLDAPGroupFilter}},
		{"group filter too long", map[string]any{KeyLDAPGroupFilter: "(cn=" + strings.Repeat("a", maxLDAPFilterLen) + ")"}, []string{o + KeyLDAPGroupFilter}},
		{"attributes a list", map[string]any{KeyLDAPAttributes: []string{"mail"}}, []string{o + KeyLDAPAttributes}},
		{"attribute field unknown", map[string]any{KeyLDAPAttributes: map[string]any{"phone": "telephoneNumber"}}, []string{o + KeyLDAPAttributes + ".phone"}},
		{"attribute name malformed", map[string]any{KeyLDAPAttributes: map[string]any{"mail": "mail;binary"}}, []string{o + KeyLDAPAttributes + ".mail"}},
		{"attribute name a number", map[string]any{KeyLDAPAttributes: map[string]any{"mail": 1}}, []string{o + KeyLDAPAttributes + ".mail"}},
		{"CA not PEM", map[string]any{KeyLDAPCABundle: "MIIB..."}, []string{o + KeyLDAPCABundle}},
		{"CA certificate unreadable", map[string]any{KeyLDAPCABundle: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, []string{o + KeyLDAPCABundle}},
		{"CA without a certificate", map[string]any{KeyLDAPCABundle: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, []string{o + KeyLDAPCABundle}},
		{"CA a number", map[string]any{KeyLDAPCABundle: 1}, []string{o + KeyLDAPCABundle}},
		// Provisioning
		{"provisioning good", map[string]any{KeyGroupNames: map[string]string{guid: "Payroll"}, KeyDeprovisionLimitUsers: 0, KeyDeprovisionLimitPercent: 100}, nil},
		{"group names a list", map[string]any{KeyGroupNames: []string{"a"}}, []string{o + KeyGroupNames}},
		{"group name empty", map[string]any{KeyGroupNames: map[string]string{"id": ""}}, []string{o + KeyGroupNames}},
		{"group id empty", map[string]any{KeyGroupNames: map[string]string{" ": "x"}}, []string{o + KeyGroupNames}},
		{"group id with a control character", map[string]any{KeyGroupNames: map[string]string{"i\x00d": "x"}}, []string{o + KeyGroupNames}},
		{"group name too long", map[string]any{KeyGroupNames: map[string]string{"id": strings.Repeat("n", 300)}}, []string{o + KeyGroupNames}},
		{"too many group names", map[string]any{KeyGroupNames: many}, []string{o + KeyGroupNames}},
		{"limit users a string", map[string]any{KeyDeprovisionLimitUsers: "ten"}, []string{o + KeyDeprovisionLimitUsers}},
		{"limit percent a string", map[string]any{KeyDeprovisionLimitPercent: "lots"}, []string{o + KeyDeprovisionLimitPercent}},
		{"limit percent over 100", map[string]any{KeyDeprovisionLimitPercent: 101}, []string{o + KeyDeprovisionLimitPercent}},
		{"limit users negative", map[string]any{KeyDeprovisionLimitUsers: -1}, []string{o + KeyDeprovisionLimitUsers}},
		// Several at once are all listed, in the order of the checks.
		{"several", map[string]any{KeyOIDCLoginClaim: "x", KeySAMLAllowSHA1: "x", KeyLDAPPageSize: "x", KeyDeprovisionLimitPercent: "x"},
			[]string{o + KeyOIDCLoginClaim, o + KeySAMLAllowSHA1, o + KeyLDAPPageSize, o + KeyDeprovisionLimitPercent}},
		// Unknown keys are not Parse's business (see CheckKnownKeys).
		{"unknown key", map[string]any{"later_version_key": 1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := store.SSOStrategy{Protocol: protocolOIDC, Provider: "azure", Options: opts(t, tc.options)}
			_, err := Parse(p)
			wantFields(t, err, tc.fields...)
		})
	}
}

func TestParseTypedValues(t *testing.T) {
	ca := testcert.Signer(t, "Directory CA", time.Now().Add(time.Hour))
	p := store.SSOStrategy{Protocol: "saml", Options: opts(t, map[string]any{
		KeySAMLAttributes: map[string]any{"email": "mail", "groups": []string{"memberOf", "groups"}}, KeySAMLIdPInitiated: true,
		KeyLDAPCABundle: string(ca.CertPEM()), KeyLDAPTimeoutSeconds: 30, KeyLDAPAttributes: map[string]any{"mail": " userMail "},
		KeyGroupNames: map[string]string{guid: "Payroll"}, KeyDeprovisionLimitPercent: 5,
		KeyOIDCTenantID: "not checked on a SAML provider's kind",
	})}
	s, err := Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.SAML.Attributes.Email) != 1 || s.SAML.Attributes.Email[0] != "mail" || len(s.SAML.Attributes.Groups) != 2 ||
		s.SAML.Attributes.Login != nil || !s.SAML.IdPInitiated || s.SAML.AllowSHA1 {
		t.Errorf("SAML %+v", s.SAML)
	}
	if s.LDAP.RootCAs == nil || s.LDAP.Timeout != 30*time.Second || s.LDAP.Attributes.Mail != "userMail" || s.LDAP.PageSize != 0 {
		t.Errorf("LDAP %+v", s.LDAP)
	}
	if s.Provision.GroupNames[guid] != "Payroll" || s.Provision.DeprovisionLimitPercent == nil || *s.Provision.DeprovisionLimitPercent != 5 ||
		s.Provision.DeprovisionLimitUsers != nil {
		t.Errorf("provisioning %+v", s.Provision)
	}
	empty, err := Parse(store.SSOStrategy{Options: "null"})
	if err != nil || empty.Provision.GroupNames == nil || empty.LDAP.RootCAs != nil {
		t.Errorf("empty options: %+v, %v", empty, err)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{`} {
		_, err := Parse(store.SSOStrategy{Options: bad})
		wantFields(t, err, "options")
	}
}

// TestParseOIDCComplete: what a sign-in needs beyond what saving checks.
func TestParseOIDCComplete(t *testing.T) {
	for _, tc := range []struct {
		name, provider, subdomain, options string
		saveOK, signInOK                   bool
	}{
		{"entra without a tenant", "azure", "", "", true, false},
		{"entra tenant from subdomain", "azure", guid, "", true, true},
		{"entra domain in subdomain", "azure", "contoso.com", "", true, false},
		{"okta without a subdomain", "okta", "", "{}", true, false},
		{"okta subdomain", "okta", "acme", "{}", true, true},
		{"okta bad subdomain", "okta", "acme.okta.com/x", "{}", false, false},
		{"generic without an issuer", "onelogin", "", "{}", true, false},
		{"google", "google", "", "", true, true},
	} {
		p := store.SSOStrategy{Protocol: protocolOIDC, Provider: tc.provider, Subdomain: tc.subdomain, Options: tc.options}
		if _, err := ParseOIDC(p, false); (err == nil) != tc.saveOK {
			t.Errorf("%s: at save %v", tc.name, err)
		}
		o, err := ParseOIDC(p, true)
		if (err == nil) != tc.signInOK {
			t.Errorf("%s: at sign-in %v", tc.name, err)
		}
		if tc.name == "entra tenant from subdomain" && o.TenantID != guid {
			t.Errorf("tenant %q, want the subdomain's", o.TenantID)
		}
	}
}

func TestCheckKnownKeys(t *testing.T) {
	wantFields(t, CheckKnownKeys(`{"ldap_page_size":1,"group_names":{}}`, ""))
	err := CheckKnownKeys(`{"ldap_pagesize":1,"safety_limit_percent":5}`, "")
	wantFields(t, err, "options.ldap_pagesize", "options.safety_limit_percent")
	if !strings.Contains(err.Error(), KeyLDAPPageSize) || !strings.Contains(err.Error(), KeyDeprovisionLimitPercent) {
		t.Errorf("the message does not list the known keys: %v", err)
	}
	// A key the provider already had is kept: an upgrade that stops
	// reading a key does not block rewriting the others.
	wantFields(t, CheckKnownKeys(`{"old_key":1,"ldap_page_size":2}`, `{"old_key":1}`))
	wantFields(t, CheckKnownKeys(`[1]`, ""), "options")
}

func TestSetKeyKeepsOtherKeys(t *testing.T) {
	out, err := SetKey(`{"ldap_user_filter":"(objectClass=person)","later_version_key":[1]}`, KeySAMLIdPInitiated, true)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &m); err != nil || string(m[KeySAMLIdPInitiated]) != "true" ||
		string(m[KeyLDAPUserFilter]) != `"(objectClass=person)"` || string(m["later_version_key"]) != "[1]" {
		t.Fatalf("SetKey = %s, %v", out, err)
	}
	if out, err = SetKey(out, KeySAMLIdPInitiated, nil); err != nil || strings.Contains(out, KeySAMLIdPInitiated) {
		t.Fatalf("remove: %s, %v", out, err)
	}
	if out, err = SetKey("", KeyGroupNames, map[string]string{"a": "b"}); err != nil || out != `{"group_names":{"a":"b"}}` {
		t.Fatalf("on empty options: %s, %v", out, err)
	}
	if _, err := SetKey(`[1]`, KeyGroupNames, nil); err == nil {
		t.Fatal("options that are not an object were replaced")
	}
}
