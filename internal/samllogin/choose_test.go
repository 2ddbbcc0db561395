package samllogin

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/store"
)

func TestRelaySubdomain(t *testing.T) {
	for _, tc := range []struct{ in, domain, want string }{
		{"acme", "example.com", "acme"},
		{"ACME.example.com", "example.com", "acme"},
		{"https://acme.example.com/files", "example.com", "acme"},
		{"acme.files.test", "", "acme"},
		{"example.com", "example.com", ""},
		{"", "example.com", ""},
		{"-bad-", "", ""},
		{"a b", "", ""},
		{"<script>", "", ""},
		{strings.Repeat("a", 81), "", ""},
		{"https://%zz", "", ""},
	} {
		if got := relaySubdomain(tc.in, tc.domain); got != tc.want {
			t.Errorf("relaySubdomain(%q, %q) = %q, want %q", tc.in, tc.domain, got, tc.want)
		}
	}
}

func TestPeekIssuer(t *testing.T) {
	doc := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
		`<saml:Issuer> https://sts.windows.net/t/ </saml:Issuer></samlp:Response>`
	if got := peekIssuer(base64.StdEncoding.EncodeToString([]byte(doc))); got != "https://sts.windows.net/t/" {
		t.Errorf("peekIssuer = %q", got)
	}
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString([]byte("<a><b>")), strings.Repeat("A", 1<<20)} {
		if got := peekIssuer(bad); got != "" {
			t.Errorf("peekIssuer(hostile) = %q, want empty", got)
		}
	}
}

func TestReadSAMLOptions(t *testing.T) {
	o, err := readSAMLOptions(store.SSOStrategy{})
	if err != nil || o.idpInitiated || o.sha1 || o.attributes.Email[0] != saml.ClaimEmailAddress {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	o, err = readSAMLOptions(store.SSOStrategy{Options: `{"group_names":{"x":"y"},"saml_attributes":{"email":"mail","groups":["memberOf","groups"]},"saml_idp_initiated":true,"saml_allow_sha1":true}`})
	if err != nil {
		t.Fatal(err)
	}
	if !o.idpInitiated || !o.sha1 || o.attributes.Email[0] != "mail" || len(o.attributes.Groups) != 2 || o.attributes.GivenName[0] != saml.ClaimGivenName {
		t.Errorf("options not read: %+v", o)
	}
	for _, bad := range []string{`[1]`, `{"saml_attributes":{"nickname":"x"}}`, `{"saml_attributes":{"email":[]}}`,
		`{"saml_attributes":{"email":7}}`, `{"saml_attributes":{"email":[""]}}`} {
		if _, err := readSAMLOptions(store.SSOStrategy{Options: bad}); err == nil {
			t.Errorf("options %s were accepted", bad)
		}
	}
}
