package web

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testcert"
)

// The load tests sign their responses in Go with goxmldsig: a pysaml2
// process per response would measure Python, not the ACS. The responses
// have Entra ID's shape (assertion-only signature, Entra's claim names).
// pysaml2 interoperability is covered by the other SAML tests.

// goIdP signs Entra-shaped responses with its own key.
type goIdP struct {
	entityID string
	cert     *x509.Certificate
	signer   *dsig.SigningContext
}

func newGoIdP(tb testing.TB, entityID string) *goIdP {
	tb.Helper()
	pair := testcert.Signer(tb, "Load IdP", time.Now().AddDate(1, 0, 0))
	cert := pair.Cert
	signer := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(pair.TLSCertificate()))
	signer.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := signer.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		tb.Fatal(err)
	}
	return &goIdP{entityID: entityID, cert: cert, signer: signer}
}

const entraResponseTemplate = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r%[1]s" Version="2.0" IssueInstant="%[2]s" Destination="%[3]s">` +
	`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%[4]s</Issuer>` +
	`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
	`<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a%[1]s" IssueInstant="%[2]s" Version="2.0">` +
	`<Issuer>%[4]s</Issuer>` +
	`<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">%[5]s</NameID>` +
	`<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData NotOnOrAfter="%[6]s" Recipient="%[3]s"/></SubjectConfirmation></Subject>` +
	`<Conditions NotBefore="%[7]s" NotOnOrAfter="%[6]s"><AudienceRestriction><Audience>%[8]s</Audience></AudienceRestriction></Conditions>` +
	`<AttributeStatement>%[9]s</AttributeStatement>` +
	`<AuthnStatement AuthnInstant="%[2]s" SessionIndex="_s%[1]s"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef></AuthnContext></AuthnStatement>` +
	`</Assertion></samlp:Response>`

// respond returns a base64 IdP-initiated response for nameID with a new
// assertion ID, valid for an hour from now.
func (g *goIdP) respond(tb testing.TB, spEntityID, acsURL, nameID string, attrs map[string][]string) string {
	tb.Helper()
	var id [16]byte
	_, _ = rand.Read(id[:])
	now := time.Now().UTC()
	var stmt strings.Builder
	for name, values := range attrs {
		fmt.Fprintf(&stmt, `<Attribute Name="%s">`, name)
		for _, v := range values {
			fmt.Fprintf(&stmt, `<AttributeValue>%s</AttributeValue>`, v)
		}
		stmt.WriteString(`</Attribute>`)
	}
	raw := fmt.Sprintf(entraResponseTemplate, fmt.Sprintf("%x", id), now.Format(time.RFC3339), acsURL, g.entityID,
		nameID, now.Add(time.Hour).Format(time.RFC3339), now.Add(-time.Minute).Format(time.RFC3339), spEntityID, stmt.String())
	doc := etree.NewDocument()
	if err := doc.ReadFromString(raw); err != nil {
		tb.Fatal(err)
	}
	// The assertion declares its own namespace, so it is signed detached.
	assertion := doc.Root().RemoveChild(doc.Root().SelectElement("Assertion")).(*etree.Element)
	signed, err := g.signer.SignEnveloped(assertion)
	if err != nil {
		tb.Fatal(err)
	}
	// Entra puts the signature right after the Issuer, as the schema asks.
	// SignEnveloped appends it without setting its parent, so it is moved
	// by hand.
	sig := signed.Child[len(signed.Child)-1].(*etree.Element)
	signed.Child = signed.Child[:len(signed.Child)-1]
	signed.InsertChildAt(1, sig)
	doc.Root().AddChild(signed)
	out, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

// loadServer is the web front end on SQLite with the real clock and a SAML
// provider trusting a goIdP by certificate fingerprint, with JIT on.
type loadServer struct {
	srv      *httptest.Server
	idp      *goIdP
	svc      *identity.Service
	client   *http.Client
	siteID   int64
	provider int64 // the SAML provider
}

func newLoadServer(tb testing.TB) *loadServer {
	tb.Helper()
	st := teststore.Open(tb)
	sealer := identitytest.Sealer(tb)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	svc := identity.New(st, identity.Options{Clock: time.Now, Logger: logger, Sealer: sealer, PasswordHashing: identitytest.CheapHashing()})
	site, err := svc.EnsureDefaultSite(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	prov := provision.New(st, provision.Options{Clock: time.Now, Logger: logger})
	// The benchmarks start thousands of sign-ins from one address before
	// the clock runs; the limit per address has its own test
	// (TestSignInStartsPerAddress).
	starts := sourcelimit.New(sourcelimit.Options{Rate: 1 << 20, Per: time.Second})
	core, err := signin.New(signin.Options{Identity: svc, Provision: prov, Store: st, BaseURL: srv.URL,
		SiteDomain: "example.test", Logger: logger, Clock: time.Now, Outbound: outbound.AllowPrivate(), Starts: starts,
		Refusals: events.NewRefusalLimiter(st, events.RefusalLimits{Logger: logger})})
	if err != nil {
		tb.Fatal(err)
	}
	sso, err := samllogin.New(core)
	if err != nil {
		tb.Fatal(err)
	}
	oidcLogin, err := oidclogin.New(core, oidclogin.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	handler, err = New(Options{Service: svc, BaseURL: srv.URL, SiteDomain: "example.test", Logger: logger, Clock: time.Now,
		Provision: prov, SignIn: core, SAML: sso, OIDC: oidcLogin})
	if err != nil {
		tb.Fatal(err)
	}
	idp := newGoIdP(tb, "https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/")
	proto, label, yes := identity.ProtocolSAML, "Entra", true
	fp, ssoURL := saml.FingerprintOf(idp.cert), "https://login.microsoftonline.com/5b5c94c6/saml2"
	idpInitiated := json.RawMessage(`{"saml_idp_initiated": true}`) // the load posts unsolicited responses
	p, err := svc.CreateSSOStrategy(ctx, identity.SystemActor, site.ID, identity.SSOStrategyChange{
		Protocol: &proto, Label: &label, Enabled: &yes, ProvisionUsers: &yes, ProvisionGroups: &yes, Options: &idpInitiated,
		SAMLProviderCertFingerprint: &fp, SAMLProviderIssuerURL: &idp.entityID, SAMLProviderSSOTargetURL: &ssoURL})
	if err != nil {
		tb.Fatalf("create SAML provider: %v", err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	tb.Cleanup(transport.CloseIdleConnections)
	return &loadServer{srv: srv, idp: idp, svc: svc, siteID: site.ID, provider: p.ID,
		client: &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// entraClaims are the claims Entra sends for user n.
func entraClaims(n int) (nameID string, attrs map[string][]string) {
	nameID = fmt.Sprintf("user%04d@example.com", n)
	return nameID, map[string][]string{
		saml.ClaimEntraObjectID: {fmt.Sprintf("00000000-0000-4000-8000-%012d", n)},
		saml.ClaimEntraTenantID: {"5b5c94c6-14cf-42da-85bc-4e08722b253b"},
		saml.ClaimEmailAddress:  {nameID},
		saml.ClaimName:          {nameID},
		saml.ClaimGivenName:     {"User"},
		saml.ClaimSurname:       {fmt.Sprint(n)},
		saml.ClaimEntraGroups:   {"5581e43f-6096-41d4-8ffa-04e560bab39d", "07dd8a89-bf6d-4e81-8844-230b77145381"},
		"http://schemas.microsoft.com/claims/authnmethodsreferences": {"http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"},
	}
}

// consume posts one SAMLResponse to the ACS and reports whether it
// answered with a session.
func (l *loadServer) consume(samlResponse string) (bool, error) {
	form := url.Values{"SAMLResponse": {samlResponse}}
	req, err := http.NewRequest("POST", l.srv.URL+"/saml/consume", strings.NewReader(form.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://login.microsoftonline.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := l.client.Do(req)
	if err != nil {
		return false, err
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || sessionCookieOf(rawResponse{status: res.StatusCode, header: res.Header}) == nil {
		msg := string(body)
		if i := strings.Index(msg, "Single sign-on failed ("); i >= 0 {
			msg = msg[i:]
		}
		return false, fmt.Errorf("ACS answered %d: %.300s", res.StatusCode, msg)
	}
	return true, nil
}

func (l *loadServer) spEntityID() string { return l.srv.URL + "/saml/metadata" }
func (l *loadServer) acsURL() string     { return l.srv.URL + "/saml/consume" }
