package saml

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testSPSLOURL = "https://app.example.com/saml/logout/entra"

// sloTrust is the test IdP with an SLO endpoint (pysaml2 publishes its SSO
// URL for SLO too).
func sloTrust(t *testing.T) *IdentityProvider {
	idpKP, _, _ := testKeys(t)
	tr := certTrust(idpKP.cert)
	tr.SLOURL = testIdPSSOURL
	return tr
}

// TestIdPInitiatedLogout verifies pysaml2's signed LogoutRequest and
// refuses it when altered, unsigned, or signed by someone else.
func TestIdPInitiatedLogout(t *testing.T) {
	t.Parallel()
	idpKP, otherKP, _ := testKeys(t)
	sp := newTestSP(t, sloTrust(t), WithSLOURL(testSPSLOURL))
	idp := startIdP(t, idpKP, sp)
	loc := string(idp.run(map[string]any{"mode": "logout_request", "sp_slo_url": testSPSLOURL,
		"sp_entity_id": testSPEntityID, "name_id": "alice@example.com", "name_id_format": NameIDFormatEmailAddress,
		"session_index": "id-session-1", "relay_state": "acme"}))
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := sp.ParseLogoutRequest(u.RawQuery, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if lr.NameID != "alice@example.com" || len(lr.SessionIndexes) != 1 || lr.SessionIndexes[0] != "id-session-1" ||
		lr.RelayState != "acme" || lr.Issuer != testIdPEntityID || lr.ID == "" {
		t.Fatalf("logout request = %+v", lr)
	}

	q := u.Query()
	unsigned := url.Values{"SAMLRequest": {q.Get("SAMLRequest")}, "RelayState": {q.Get("RelayState")}}
	_, err = sp.ParseLogoutRequest(unsigned.Encode(), time.Now())
	wantKind(t, err, KindSignature)

	tampered := strings.Replace(u.RawQuery, "RelayState=acme", "RelayState=evil", 1)
	_, err = sp.ParseLogoutRequest(tampered, time.Now())
	wantKind(t, err, KindSignature)

	other := otherKP.cert
	_, err = newTestSP(t, certTrust(other), WithSLOURL(testSPSLOURL)).ParseLogoutRequest(u.RawQuery, time.Now())
	wantKind(t, err, KindSignature)

	_, err = newTestSP(t, sloTrust(t), WithSLOURL("https://app.example.com/saml/logout/other")).ParseLogoutRequest(u.RawQuery, time.Now())
	wantKind(t, err, KindDestination)
}

// TestSPInitiatedLogout sends our signed LogoutRequest to pysaml2, which
// verifies the signature and answers; we verify the answer.
func TestSPInitiatedLogout(t *testing.T) {
	t.Parallel()
	idpKP, _, spKP := testKeys(t)
	sp := newTestSP(t, sloTrust(t), WithSLOURL(testSPSLOURL), WithSigningKey(spKP.key, spKP.cert))
	idp := startIdP(t, idpKP, sp)
	loc, reqID, err := sp.LogoutRequestURL("alice@example.com", NameIDFormatEmailAddress, "id-session-1", "acme")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	query := map[string]string{}
	for k, v := range u.Query() {
		query[k] = v[0]
	}
	out := idp.run(map[string]any{"mode": "logout_response", "query": query, "sp_slo_url": testSPSLOURL,
		"sp_cert": base64.StdEncoding.EncodeToString(spKP.cert.Raw)})
	var got struct {
		ID           string   `json:"id"`
		Issuer       string   `json:"issuer"`
		NameID       string   `json:"name_id"`
		SessionIndex []string `json:"session_index"`
		SignatureOK  bool     `json:"signature_ok"`
		URL          string   `json:"url"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if got.ID != reqID || got.Issuer != testSPEntityID || got.NameID != "alice@example.com" ||
		len(got.SessionIndex) != 1 || got.SessionIndex[0] != "id-session-1" || !got.SignatureOK {
		t.Fatalf("pysaml2 read our LogoutRequest as %+v", got)
	}
	ru, _ := url.Parse(got.URL)
	resp, err := sp.ParseLogoutResponse(ru.RawQuery, []string{reqID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resp.InResponseTo != reqID || resp.RelayState != "acme" {
		t.Fatalf("logout response = %+v", resp)
	}
	_, err = sp.ParseLogoutResponse(ru.RawQuery, []string{"id-other"}, time.Now())
	wantKind(t, err, KindInResponseTo)

	// Our answer to an IdP-initiated logout.
	answer, err := sp.LogoutResponseURL("id-idp-request", "")
	if err != nil || !strings.HasPrefix(answer, testIdPSSOURL+"?SAMLResponse=") || !strings.Contains(answer, "&Signature=") {
		t.Fatalf("LogoutResponseURL = %q, %v", answer, err)
	}
}
