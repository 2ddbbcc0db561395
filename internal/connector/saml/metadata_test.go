package saml

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// TestMetadataTrust trusts the IdP through the metadata pysaml2 publishes,
// with and without a UTF-8 byte order mark, and through its URL.
func TestMetadataTrust(t *testing.T) {
	t.Parallel()
	idpKP, _, _ := testKeys(t)
	idp := startIdP(t, idpKP, newTestSP(t, nil))
	md := idp.Metadata()
	resp := idp.Response(issue{SignAssertion: true})

	for name, raw := range map[string][]byte{"plain": md, "BOM": append([]byte{0xEF, 0xBB, 0xBF}, md...)} {
		trust, err := ParseMetadata(raw, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if trust.EntityID != testIdPEntityID || trust.SSOURL != testIdPSSOURL || trust.SLOURL != testIdPSSOURL ||
			len(trust.Certificates) != 1 || !trust.Certificates[0].Equal(idpKP.cert) {
			t.Fatalf("%s: trust = %+v", name, trust)
		}
		if _, err := newTestSP(t, trust).ParseResponse(context.Background(), resp, nil, time.Now()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(append([]byte{0xEF, 0xBB, 0xBF}, md...))
	}))
	defer srv.Close()
	trust, raw, err := FetchMetadata(context.Background(), srv.Client(), srv.URL+"/federationmetadata.xml", "")
	if err != nil {
		t.Fatal(err)
	}
	if trust.EntityID != testIdPEntityID || !bytes.HasSuffix(raw, md) {
		t.Fatalf("fetched trust %+v", trust)
	}
}

// TestCertificateRollover trusts every certificate in the metadata, so a
// response signed with the announced next certificate is accepted.
func TestCertificateRollover(t *testing.T) {
	t.Parallel()
	idpKP, nextKP, _ := testKeys(t)
	idp := startIdP(t, nextKP, newTestSP(t, nil)) // already signing with the next certificate
	md := string(idp.Metadata())
	// Put the current certificate's KeyDescriptor in front of the next one,
	// as Entra's metadata does during a rollover.
	doc := mustParse(t, md)
	sso := findAll(doc.Root(), nsMetadata, "IDPSSODescriptor")[0]
	kd := child(sso, nsMetadata, "KeyDescriptor")
	current := kd.Copy()
	current.FindElement(".//X509Certificate").SetText(base64.StdEncoding.EncodeToString(idpKP.cert.Raw))
	sso.InsertChildAt(kd.Index(), current)
	trust, err := ParseMetadata([]byte(write(t, doc)), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(trust.Certificates) != 2 || !trust.Certificates[0].Equal(idpKP.cert) || !trust.Certificates[1].Equal(nextKP.cert) {
		t.Fatalf("certificates = %d", len(trust.Certificates))
	}
	resp := idp.Response(issue{SignAssertion: true})
	if _, err := newTestSP(t, trust).ParseResponse(context.Background(), resp, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Only the old one trusted: refused.
	_, err = newTestSP(t, certTrust(idpKP.cert)).ParseResponse(context.Background(), resp, nil, time.Now())
	wantKind(t, err, KindUntrustedCert)
}

// entraLikeMetadata is shaped like Entra's federation metadata: a signature,
// WS-Federation RoleDescriptors, then the IDPSSODescriptor.
func entraLikeMetadata(certs ...string) string {
	var kds strings.Builder
	for _, c := range certs {
		kds.WriteString(`<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + c + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`)
	}
	return `<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_0ded55d8" entityID="https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
 <RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + kds.String() + `</RoleDescriptor>
 <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kds.String() + `
  <KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>not-a-certificate</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
  <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/5b5c94c6-14cf-42da-85bc-4e08722b253b/saml2" />
  <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/5b5c94c6-14cf-42da-85bc-4e08722b253b/post" />
  <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/5b5c94c6-14cf-42da-85bc-4e08722b253b/saml2" />
 </IDPSSODescriptor>
</EntityDescriptor>`
}

func TestParseEntraLikeMetadata(t *testing.T) {
	idpKP, otherKP, spKP := testKeys(t)
	b64 := func(der []byte) string { return base64.StdEncoding.EncodeToString(der) }
	md := entraLikeMetadata(b64(idpKP.cert.Raw), b64(otherKP.cert.Raw), b64(spKP.cert.Raw), b64(idpKP.cert.Raw))
	trust, err := ParseMetadata([]byte(md), "")
	if err != nil {
		t.Fatal(err)
	}
	const loc = "https://login.microsoftonline.com/5b5c94c6-14cf-42da-85bc-4e08722b253b/saml2"
	if trust.EntityID != "https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/" || trust.SSOURL != loc || trust.SLOURL != loc {
		t.Fatalf("trust = %+v", trust)
	}
	if len(trust.Certificates) != 3 {
		t.Fatalf("want 3 distinct signing certificates, got %d", len(trust.Certificates))
	}
	// The SP certificate expires in a year, the others in three.
	if exp := trust.ExpiringCertificates(time.Now().AddDate(0, 11, 15), 30*24*time.Hour); len(exp) != 1 || !exp[0].Equal(spKP.cert) {
		t.Fatalf("expiring = %d certificates", len(exp))
	}
	if exp := trust.ExpiringCertificates(time.Now(), 30*24*time.Hour); len(exp) != 0 {
		t.Fatalf("nothing expires within 30 days, got %d", len(exp))
	}
}

func TestParseMetadataRefusals(t *testing.T) {
	idpKP, _, _ := testKeys(t)
	cert := base64.StdEncoding.EncodeToString(idpKP.cert.Raw)
	one := entraLikeMetadata(cert)
	inner := one[strings.Index(one, "<EntityDescriptor"):]
	two := `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + inner +
		strings.Replace(inner, "5b5c94c6-14cf-42da-85bc-4e08722b253b/\"", "other/\"", 1) + `</EntitiesDescriptor>`

	if _, err := ParseMetadata([]byte(two), ""); KindOf(err) != KindMetadata {
		t.Errorf("ambiguous aggregate: %v", err)
	}
	trust, err := ParseMetadata([]byte(two), "https://sts.windows.net/other/")
	if err != nil || trust.EntityID != "https://sts.windows.net/other/" {
		t.Errorf("aggregate by entity ID: %+v, %v", trust, err)
	}
	for name, tc := range map[string]struct {
		md   string
		kind Kind
	}{
		"DTD": {strings.Replace(one, "<EntityDescriptor", `<!DOCTYPE x [<!ENTITY e "e">]><EntityDescriptor`, 1), KindDTD},
		"no redirect SSO": {strings.Replace(one, `HTTP-Redirect" Location="https://login.microsoftonline.com/5b5c94c6-14cf-42da-85bc-4e08722b253b/saml2" />
 </IDPSSODescriptor>`, `HTTP-POST" Location="x" /></IDPSSODescriptor>`, 1), KindMetadata},
		"no certificate":  {entraLikeMetadata(), KindMetadata},
		"bad certificate": {entraLikeMetadata("AAAA"), KindMetadata},
		"SP metadata":     {`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor/></EntityDescriptor>`, KindMetadata},
		"not metadata":    {`<html/>`, KindMetadata},
		"javascript SSO":  {strings.ReplaceAll(one, "https://login.microsoftonline.com", "javascript://login.microsoftonline.com"), KindMetadata},
		"oversized":       {strings.Repeat(" ", MaxMetadataSize+1), KindTooLarge},
	} {
		if _, err := ParseMetadata([]byte(tc.md), ""); KindOf(err) != tc.kind {
			t.Errorf("%s: got %v, want %q", name, err, tc.kind)
		}
	}
}

func TestFetchMetadataRefusals(t *testing.T) {
	idpKP, _, _ := testKeys(t)
	md := entraLikeMetadata(base64.StdEncoding.EncodeToString(idpKP.cert.Raw))
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(md)) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte(" "), MaxMetadataSize+10))
	})
	mux.HandleFunc("/downgrade", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://idp.example.org/md", http.StatusFound)
	})
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()
	plain := httptest.NewServer(mux)
	defer plain.Close()
	ctx := context.Background()

	if _, _, err := FetchMetadata(ctx, nil, plain.URL+"/ok", ""); err != nil {
		t.Errorf("http on loopback is allowed for tests: %v", err)
	}
	for name, tc := range map[string]struct {
		client *http.Client
		url    string
		kind   Kind
	}{
		"http elsewhere":       {nil, "http://idp.example.org/md", KindFetch},
		"relative":             {nil, "/md", KindFetch},
		"untrusted TLS":        {nil, tlsSrv.URL + "/ok", KindFetch},
		"404":                  {tlsSrv.Client(), tlsSrv.URL + "/missing", KindFetch},
		"oversized":            {tlsSrv.Client(), tlsSrv.URL + "/big", KindTooLarge},
		"redirect to http":     {tlsSrv.Client(), tlsSrv.URL + "/downgrade", KindFetch},
		"file scheme":          {nil, "file:///etc/passwd", KindFetch},
		"ftp scheme":           {nil, "ftp://idp.example.org/md", KindFetch},
		"http to a private IP": {nil, "http://10.0.0.1/md", KindFetch},
	} {
		if _, _, err := FetchMetadata(ctx, tc.client, tc.url, ""); KindOf(err) != tc.kind {
			t.Errorf("%s: got %v, want %q", name, err, tc.kind)
		}
	}
}

// TestSPMetadata checks our metadata is XML an IdP can read: pysaml2 loads it
// in every IdP test; here its content is checked.
func TestSPMetadata(t *testing.T) {
	_, _, spKP := testKeys(t)
	sp := newTestSP(t, nil, WithSigningKey(spKP.key, spKP.cert), WithSLOURL("https://app.example.com/saml/logout/entra"))
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkXML(md, false); err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	if !is(root, nsMetadata, "EntityDescriptor") || root.SelectAttrValue("entityID", "") != testSPEntityID {
		t.Fatalf("root: %s", md)
	}
	sso := child(root, nsMetadata, "SPSSODescriptor")
	acs := child(sso, nsMetadata, "AssertionConsumerService")
	if acs == nil || acs.SelectAttrValue("Location", "") != testACSURL || acs.SelectAttrValue("Binding", "") != BindingPOST {
		t.Fatalf("ACS: %s", md)
	}
	if n := len(findAll(sso, nsMetadata, "KeyDescriptor")); n != 2 {
		t.Fatalf("%d KeyDescriptors, want signing and encryption", n)
	}
	if slo := child(sso, nsMetadata, "SingleLogoutService"); slo == nil || slo.SelectAttrValue("Location", "") != "https://app.example.com/saml/logout/entra" {
		t.Fatalf("SLO: %s", md)
	}
	if sso.SelectAttrValue("AuthnRequestsSigned", "") != "true" {
		t.Fatal("AuthnRequestsSigned not announced")
	}
	bare, _ := newTestSP(t, nil).Metadata()
	if bytes.Contains(bare, []byte("KeyDescriptor")) {
		t.Fatal("metadata without a key announces one")
	}
}
