package saml

import (
	"strings"
	"testing"
)

func TestParseFingerprint(t *testing.T) {
	const hex = "AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12"
	colons := ""
	for i := 0; i < len(hex); i += 2 {
		if i > 0 {
			colons += ":"
		}
		colons += hex[i : i+2]
	}
	for _, s := range []string{hex, strings.ToLower(hex), colons, strings.ToLower(colons),
		"SHA256 Fingerprint=" + colons, "sha256 fingerprint=" + colons, "SHA-256 Fingerprint=" + hex} {
		fp, err := ParseFingerprint(s)
		if err != nil || len(fp) != 32 || fp[0] != 0xAB {
			t.Errorf("%q: %x, %v", s, fp, err)
		}
	}
	for _, s := range []string{"", "SHA1 Fingerprint=" + colons, hex[:40], hex + "00", "zz" + hex[2:]} {
		if _, err := ParseFingerprint(s); KindOf(err) != KindConfig {
			t.Errorf("%q accepted: %v", s, err)
		}
	}
}

func TestManualTrustRefusals(t *testing.T) {
	const fp = "AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12"
	for name, args := range map[string][4]string{
		"no issuer":      {fp, "", testIdPSSOURL, ""},
		"no SSO URL":     {fp, testIdPEntityID, "", ""},
		"javascript SSO": {fp, testIdPEntityID, "javascript:alert(1)", ""},
		"relative SLO":   {fp, testIdPEntityID, testIdPSSOURL, "/logout"},
	} {
		if _, err := ManualTrust(args[0], args[1], args[2], args[3]); KindOf(err) != KindConfig {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNewRefusals(t *testing.T) {
	idpKP, otherKP, spKP := testKeys(t)
	trust := certTrust(idpKP.cert)
	for name, f := range map[string]func() error{
		"no replay cache": func() error { _, err := New(testSPEntityID, testACSURL, trust, nil); return err },
		"no entity ID":    func() error { _, err := New("", testACSURL, trust, &memoryReplayCache{}); return err },
		"relative ACS":    func() error { _, err := New(testSPEntityID, "/acs", trust, &memoryReplayCache{}); return err },
		"no IdP":          func() error { _, err := New(testSPEntityID, testACSURL, nil, &memoryReplayCache{}); return err },
		"skew too large": func() error {
			_, err := New(testSPEntityID, testACSURL, trust, &memoryReplayCache{}, WithClockSkew(MaxClockSkew+1))
			return err
		},
		"key and cert mismatch": func() error {
			_, err := New(testSPEntityID, testACSURL, trust, &memoryReplayCache{}, WithSigningKey(spKP.key, otherKP.cert))
			return err
		},
		"unknown NameID format": func() error {
			_, err := New(testSPEntityID, testACSURL, trust, &memoryReplayCache{}, WithNameIDFormat("urn:x"))
			return err
		},
	} {
		if KindOf(f()) != KindConfig {
			t.Errorf("%s: accepted", name)
		}
	}
}
