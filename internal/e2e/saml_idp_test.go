package e2e

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml/samltest"
	"github.com/gatehouse/gatehouse/internal/testcert"
)

// browserIdP is a SAML identity provider a browser can visit: a small
// HTTP server on loopback whose every SAML message is made and signed by
// pysaml2 with xmlsec1 (the connector's testdata/idp.py), so the browser
// meets what an identity provider like Entra ID would send. The browser
// reaches it under the host name idpHost, which Chromium maps to
// 127.0.0.1, so that the post to our ACS is a cross-site one as it is in
// production.
type browserIdP struct {
	t   *testing.T
	srv *httptest.Server
	dir string
	// Base is the IdP's origin as the browser sees it.
	Base     string
	EntityID string
	keyFile  string
	certFile string
	spMDFile string

	// Our side, as the IdP addresses it.
	spEntityID, acsURL, sloURL, spCert string

	mu          sync.Mutex
	nameID      string              // who is signed in at the IdP
	attrs       map[string][]string // the claims it sends for them
	authn       []authnSeen         // AuthnRequests received at /sso
	logouts     []logoutSeen        // LogoutRequests received at /slo
	unsolicited int                 // unsolicited responses sent from /idp-initiated
	failures    []string            // what went wrong inside a handler
}

// idpHost is the IdP's host name in the browser; Chromium resolves it to
// 127.0.0.1 (see saml-sign-in.mjs).
const idpHost = "idp.test"

// authnSeen is an AuthnRequest as pysaml2 answered it.
type authnSeen struct {
	ID         string // the request's ID, the response's InResponseTo
	ACS        string // where the request asked the response to go
	Signed     bool   // the Redirect binding carried a Signature
	RelayState string
}

// logoutSeen is a LogoutRequest as pysaml2 read and answered it.
type logoutSeen struct {
	Issuer       string   `json:"issuer"`
	NameID       string   `json:"name_id"`
	SessionIndex []string `json:"session_index"`
	SignatureOK  bool     `json:"signature_ok"`
	URL          string   `json:"url"`
}

// newBrowserIdP starts the IdP with a fresh RSA key and self-signed
// certificate. Trust it with its Metadata; then give it ours with TrustSP.
func newBrowserIdP(t *testing.T) *browserIdP {
	t.Helper()
	samltest.RequirePeer(t)
	idp := &browserIdP{t: t, dir: t.TempDir(),
		EntityID: "https://sts.windows.net/8f3c1a2e-5b7d-4c9e-a1f0-2d6b9e4c7a13/"}
	var err error
	idp.keyFile, idp.certFile, err = testcert.Signer(t, "Microsoft Azure Federated SSO Certificate", time.Now().AddDate(3, 0, 0)).WriteFiles(idp.dir)
	if err != nil {
		t.Fatal(err)
	}
	idp.spMDFile = filepath.Join(idp.dir, "sp.xml")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /sso", idp.sso)
	mux.HandleFunc("GET /slo", idp.slo)
	mux.HandleFunc("GET /idp-initiated", idp.idpInitiated)
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	_, port, _ := net.SplitHostPort(idp.srv.Listener.Addr().String())
	idp.Base = "http://" + idpHost + ":" + port
	return idp
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// SSOURL and SLOURL are the IdP's endpoints, as its metadata publishes
// them.
func (idp *browserIdP) SSOURL() string { return idp.Base + "/sso" }
func (idp *browserIdP) SLOURL() string { return idp.Base + "/slo" }

// Metadata is the IdP's metadata, what an admin pastes into Gatehouse:
// its signing certificate, SSO URL and SLO URL. idp.py publishes one
// location for both services; this IdP has its single logout service at
// its own URL, as Okta's has, so that the test sees which one is used.
func (idp *browserIdP) Metadata() string {
	idp.t.Helper()
	md, err := idp.run(idp.config("metadata", idp.SSOURL()))
	if err != nil {
		idp.t.Fatal(err)
	}
	slo := `<ns0:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="`
	if strings.Count(string(md), slo+idp.SSOURL()+`"`) != 1 {
		idp.t.Fatalf("idp.py's metadata has no single logout service at %s:\n%s", idp.SSOURL(), md)
	}
	return strings.Replace(string(md), slo+idp.SSOURL()+`"`, slo+idp.SLOURL()+`"`, 1)
}

// TrustSP gives the IdP our metadata (pysaml2 reads our ACS and
// certificate from it), as an admin pastes Gatehouse's values into Entra.
func (idp *browserIdP) TrustSP(base string) {
	idp.t.Helper()
	res, err := http.Get(base + "/saml/metadata")
	if err != nil {
		idp.t.Fatal(err)
	}
	md, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		idp.t.Fatalf("GET /saml/metadata: %d %s", res.StatusCode, md)
	}
	writeFile(idp.t, idp.spMDFile, md)
	_, rest, ok := strings.Cut(string(md), "<ds:X509Certificate>")
	cert, _, ok2 := strings.Cut(rest, "</ds:X509Certificate>")
	if !ok || !ok2 {
		idp.t.Fatalf("our metadata publishes no certificate:\n%s", md)
	}
	idp.spCert = strings.TrimSpace(cert)
	idp.spEntityID, idp.acsURL, idp.sloURL = base+"/saml/metadata", base+"/saml/consume", base+"/saml/logout"
}

// SignIn makes nameID the person signed in at the IdP, with these claims.
func (idp *browserIdP) SignIn(nameID string, attrs map[string][]string) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.nameID, idp.attrs = nameID, attrs
}

// Seen returns what the IdP received and anything that failed inside it.
func (idp *browserIdP) Seen() (authn []authnSeen, logouts []logoutSeen, unsolicited int, failures []string) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return append([]authnSeen(nil), idp.authn...), append([]logoutSeen(nil), idp.logouts...), idp.unsolicited,
		append([]string(nil), idp.failures...)
}

// sso answers an SP-initiated AuthnRequest (HTTP-Redirect binding) with a
// signed response, posted to the ACS the request names: pysaml2 reads the
// request and takes InResponseTo and the ACS from it.
func (idp *browserIdP) sso(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("SAMLRequest") == "" {
		idp.fail(w, "GET /sso without a SAMLRequest")
		return
	}
	cfg := idp.responseConfig()
	cfg["saml_request"], cfg["sp_entity_id"] = q.Get("SAMLRequest"), idp.spEntityID
	resp, err := idp.run(cfg)
	var seen authnSeen
	if err == nil {
		seen, err = readResponse(resp)
	}
	if err != nil {
		idp.fail(w, "answering the AuthnRequest: %v", err)
		return
	}
	seen.Signed, seen.RelayState = q.Get("Signature") != "", q.Get("RelayState")
	idp.mu.Lock()
	idp.authn = append(idp.authn, seen)
	idp.mu.Unlock()
	idp.postForm(w, seen.ACS, string(resp), seen.RelayState)
}

// readResponse reads what pysaml2 took from our AuthnRequest out of its
// base64 response: the request's ID and the ACS it named.
func readResponse(b64 []byte) (authnSeen, error) {
	raw, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil {
		return authnSeen{}, err
	}
	var resp struct {
		InResponseTo string `xml:"InResponseTo,attr"`
		Destination  string `xml:"Destination,attr"`
	}
	if err := xml.Unmarshal(raw, &resp); err != nil {
		return authnSeen{}, fmt.Errorf("pysaml2's response: %w", err)
	}
	return authnSeen{ID: resp.InResponseTo, ACS: resp.Destination}, nil
}

// idpInitiated posts an unsolicited response to the ACS, as Entra's
// "Test" button and My Apps do.
func (idp *browserIdP) idpInitiated(w http.ResponseWriter, r *http.Request) {
	cfg := idp.responseConfig()
	cfg["sp_entity_id"], cfg["destination"] = idp.spEntityID, idp.acsURL
	resp, err := idp.run(cfg)
	if err != nil {
		idp.fail(w, "signing the unsolicited response: %v", err)
		return
	}
	idp.mu.Lock()
	idp.unsolicited++
	idp.mu.Unlock()
	idp.postForm(w, idp.acsURL, string(resp), "")
}

// slo reads our LogoutRequest (HTTP-Redirect binding), checks its
// signature with the certificate of our metadata, and sends the browser
// back to our SLO URL with a signed LogoutResponse.
func (idp *browserIdP) slo(w http.ResponseWriter, r *http.Request) {
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = v[0]
	}
	if query["SAMLRequest"] == "" {
		idp.fail(w, "GET /slo without a SAMLRequest")
		return
	}
	// pysaml2 checks the request's Destination against its SLO endpoint,
	// which idp.py publishes at its "sso_url".
	cfg := idp.config("logout_response", idp.SLOURL())
	cfg["query"], cfg["sp_slo_url"], cfg["sp_cert"] = query, idp.sloURL, idp.spCert
	out, err := idp.run(cfg)
	var seen logoutSeen
	if err == nil {
		err = json.Unmarshal(out, &seen)
	}
	if err != nil {
		idp.fail(w, "answering the LogoutRequest: %v", err)
		return
	}
	idp.mu.Lock()
	idp.logouts = append(idp.logouts, seen)
	idp.mu.Unlock()
	http.Redirect(w, r, seen.URL, http.StatusFound)
}

// responseConfig asks for an Entra-shaped response for whoever is signed
// in: emailAddress NameID, Entra's claim names, only the assertion signed
// (Entra's default), RSA-SHA256.
func (idp *browserIdP) responseConfig() map[string]any {
	idp.mu.Lock()
	nameID, attrs := idp.nameID, idp.attrs
	idp.mu.Unlock()
	if attrs == nil {
		attrs = map[string][]string{}
	}
	cfg := idp.config("response", idp.SSOURL())
	for k, v := range map[string]any{
		"name_id": nameID, "name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"attributes": attrs, "sign_assertion": true, "sign_response": false,
		"sign_alg":   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		"digest_alg": "http://www.w3.org/2001/04/xmlenc#sha256",
	} {
		cfg[k] = v
	}
	return cfg
}

func (idp *browserIdP) config(mode, endpoint string) map[string]any {
	return map[string]any{"mode": mode, "entity_id": idp.EntityID, "sso_url": endpoint,
		"key": idp.keyFile, "cert": idp.certFile, "sp_metadata": idp.spMDFile}
}

// run gives idp.py one job, returning its error: it runs inside an HTTP
// handler, off the test's goroutine.
func (idp *browserIdP) run(cfg map[string]any) ([]byte, error) { return samltest.Job(idp.dir, cfg) }

// fail records a failure for the test to report and answers 500.
func (idp *browserIdP) fail(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	idp.mu.Lock()
	idp.failures = append(idp.failures, msg)
	idp.mu.Unlock()
	http.Error(w, msg, http.StatusInternalServerError)
}

// postPage is the IdP's HTTP-POST binding page: a form that submits itself.
var postPage = template.Must(template.New("post").Parse(`<!doctype html>
<html><head><title>Working...</title></head>
<body>
<form method="post" action="{{.Action}}">
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit();</script>
</body></html>`))

func (idp *browserIdP) postForm(w http.ResponseWriter, action, samlResponse, relayState string) {
	if u, err := url.Parse(action); err != nil || u.Host == "" {
		idp.fail(w, "no ACS URL to post to: %q", action)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := postPage.Execute(w, map[string]string{"Action": action, "SAMLResponse": samlResponse, "RelayState": relayState})
	if err != nil {
		idp.fail(w, "writing the POST page: %v", err)
	}
}
