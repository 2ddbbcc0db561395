package web

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
)

// TestSAMLForgedResponsesAtACS posts a few forged responses (the full corpus
// is in the connector's tests) to the real ACS: each is refused with a page
// and an sso_event naming the failed check, and no session or account is
// made. The comment case must not sign in the account whose name the
// comment would shorten the signed NameID to.
func TestSAMLForgedResponsesAtACS(t *testing.T) {
	s := newSAMLSetup(t, true)
	alice := s.ssoUser("alice@example.com")
	long := s.idpInitiated("alice@example.com.evil.test", nil)
	genuine := s.idpInitiated("alice@example.com", nil)

	for _, tc := range []struct {
		name, check string
		xml         string
	}{
		{"comment in NameID", string(saml.KindComment),
			strings.Replace(decode64(t, long), "alice@example.com.evil.test", "alice@example.com<!---->.evil.test", 1)},
		{"XSW3 forged assertion before the signed one", string(saml.KindMultipleAssertion), editXML(t, genuine, func(doc *etree.Document) {
			signed := doc.Root().SelectElement("Assertion")
			forged := signed.Copy()
			for _, sig := range forged.FindElements(".//Signature") {
				sig.Parent().RemoveChild(sig)
			}
			forged.CreateAttr("ID", "_forged")
			forged.FindElement(".//NameID").SetText("mallory@example.com")
			doc.Root().InsertChildAt(signed.Index(), forged)
		})},
		{"signatures removed", string(saml.KindSignature), editXML(t, genuine, func(doc *etree.Document) {
			for _, sig := range doc.FindElements("//Signature") {
				sig.Parent().RemoveChild(sig)
			}
		})},
		{"tampered NameID", string(saml.KindSignature),
			strings.Replace(decode64(t, genuine), ">alice@example.com<", ">mallory@example.com<", 1)},
		{"external entity", string(saml.KindDTD), `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
			strings.SplitN(decode64(t, genuine), "?>", 2)[1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.postACS("/saml/consume", base64.StdEncoding.EncodeToString([]byte(tc.xml)), "")
			s.wantRefused(res, s.site.ID, tc.check)
		})
	}

	u, err := s.st.GetUserByUsername(s.ctx, s.site.ID, alice.Username)
	if err != nil || !u.LastWebLoginAt.IsZero() {
		t.Fatalf("alice after the forged responses: %+v, %v; want never signed in", u, err)
	}
	for _, name := range []string{"alice@example.com.evil.test", "mallory@example.com"} {
		if _, err := s.st.GetUserByUsername(s.ctx, s.site.ID, name); err == nil {
			t.Errorf("a refused response created the account %q", name)
		}
	}
	// The genuine response, never consumed by the refusals, still works.
	s.wantSignedIn(s.postACS("/saml/consume", genuine, ""), "alice@example.com")
}

func decode64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// editXML decodes a base64 response, applies edit and returns the XML.
func editXML(t *testing.T, b64 string, edit func(*etree.Document)) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(decode64(t, b64)); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
