package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
)

// consoleRun is what console-saml.mjs saw.
type consoleRun struct {
	BadXML      fieldRefusal      `json:"badXML"`
	BadFP       fieldRefusal      `json:"badFingerprint"`
	ProviderURL string            `json:"providerURL"`
	Values      map[string]string `json:"values"`
	Copied      string            `json:"copied"`
	Trust       string            `json:"trust"`
	Token1      string            `json:"token1"`
	Token2      string            `json:"token2"`
	SCIMSection string            `json:"scimSection"`
	StaleForm   struct {
		Status int    `json:"status"`
		Text   string `json:"text"`
	} `json:"staleForm"`
	SSOHome      string   `json:"ssoHome"`
	FPTrust      string   `json:"fpTrust"`
	FPHome       string   `json:"fpHome"`
	LogRows      []string `json:"logRows"`
	LogEntry     string   `json:"logEntry"`
	ProvidersRow string   `json:"providersRow"`
}

type fieldRefusal struct {
	Status int    `json:"status"`
	Field  string `json:"field"`
}

// screenshotDir is where browser tests write their pictures for the
// README (make screenshots sets GATEHOUSE_SCREENSHOTS), or "-" for none.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("GATEHOUSE_SCREENSHOTS")
	if dir == "" {
		return "-"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestBrowserConsoleEntraSAML connects Entra ID by SAML the way the
// README's walkthrough tells an admin to, entirely in the console, in a
// real Chromium against the real binary and a SAML identity provider we
// did not write (pysaml2): the metadata file uploaded, the values to
// paste read and copied, a SCIM token generated and reset (the SCIM API
// then takes only the new one), a stale form refused, the login page's
// button signing a person in, and that sign-in found in the logs. Every
// page passes axe-core with no serious or critical violation.
func TestBrowserConsoleEntraSAML(t *testing.T) {
	node, chromium := requireBrowser(t)
	idp := newBrowserIdP(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	admin, password := s.firstAdminSignedIn(t)
	idp.TrustSP(s.Base)
	metadata := filepath.Join(t.TempDir(), "federationmetadata.xml")
	writeFile(t, metadata, []byte(idp.Metadata()))
	const label, upn = "Contoso Entra", "megan.bowen@contoso.example"
	idp.SignIn(upn, map[string][]string{
		saml.ClaimEntraObjectID: {"4c1c8d6e-2f0a-4b7e-9d3c-5e8a1b2c3d4f"},
		saml.ClaimEmailAddress:  {upn},
		saml.ClaimGivenName:     {"Megan"},
		saml.ClaimSurname:       {"Bowen"},
	})

	fp := idpFingerprint(t, idp)
	var run consoleRun
	runBrowserScript(t, node, chromium, &run, 10, "console-saml.mjs", s.Base, admin, password, metadata, label, idpHost, screenshotDir(t),
		fp, idp.EntityID, idp.SSOURL())
	// Hostile input: refused next to the field, with the server's words.
	if !refusedAs4xx(run.BadXML.Status) || !strings.Contains(run.BadXML.Field, "metadata") {
		t.Errorf("a malformed metadata file: %+v; want a 4xx and a message beside the metadata field", run.BadXML)
	}
	if !refusedAs4xx(run.BadFP.Status) || !strings.Contains(run.BadFP.Field, "SHA-256") {
		t.Errorf("a bad fingerprint: %+v; want a 4xx and a message beside the fingerprint field", run.BadFP)
	}
	// The values to paste are the ones the server uses, and Copy copies.
	want := map[string]string{
		"Identifier (Entity ID)":                     s.Base + "/saml/metadata",
		"Reply URL (Assertion Consumer Service URL)": s.Base + "/saml/consume",
		"Logout Url":      s.Base + "/saml/logout",
		"SCIM Tenant URL": s.Base + "/api/scim",
	}
	for name, v := range want {
		if run.Values[name] != v {
			t.Errorf("value to paste %q is %q, want %q (all: %v)", name, run.Values[name], v, run.Values)
		}
	}
	if !strings.HasPrefix(run.Values["Sign on URL"], s.Base+"/saml/login?sso_strategy_id=") {
		t.Errorf("Sign on URL %q", run.Values["Sign on URL"])
	}
	// What the provider trusts: the uploaded file's certificate and expiry.
	for _, want := range []string{"metadata file", idp.EntityID, "Microsoft Azure Federated SSO Certificate", "days"} {
		if !strings.Contains(run.Trust, want) {
			t.Errorf("the trust panel lacks %q: %q", want, run.Trust)
		}
	}
	if run.Copied != s.Base+"/saml/metadata" {
		t.Errorf("the first Copy button put %q on the clipboard", run.Copied)
	}
	// The reset token replaced the first one at once.
	if run.Token1 == "" || run.Token2 == "" || run.Token1 == run.Token2 {
		t.Fatalf("SCIM tokens shown: %q then %q", run.Token1, run.Token2)
	}
	if code := scimGet(t, s, run.Token1); code != http.StatusUnauthorized {
		t.Errorf("the reset SCIM token still answers %d", code)
	}
	if code := scimGet(t, s, run.Token2); code != http.StatusOK {
		t.Errorf("the new SCIM token answers %d", code)
	}
	if !strings.Contains(run.SCIMSection, "days left") {
		t.Errorf("the SCIM section does not say when the token expires: %q", run.SCIMSection)
	}
	// The stale tab's form was refused, and changed nothing.
	if run.StaleForm.Status != http.StatusForbidden {
		t.Errorf("a form from a stale tab answered %d: %s", run.StaleForm.Status, run.StaleForm.Text)
	}
	// The button signed Megan in, and the logs show it.
	if !strings.Contains(run.SSOHome, "Signed in") || !strings.Contains(run.SSOHome, upn) {
		t.Errorf("after the SSO button: %q", run.SSOHome)
	}
	if len(run.LogRows) == 0 || !strings.Contains(run.LogRows[0], upn) || !strings.Contains(run.LogRows[0], label) {
		t.Errorf("the SSO log shows %q; want Megan's sign-in with %s", run.LogRows, label)
	}
	// Trusted by fingerprint instead, the same identity provider signs her in.
	if !strings.Contains(run.FPTrust, "fingerprint") || !strings.Contains(run.FPTrust, idp.EntityID) {
		t.Errorf("the trust panel after switching to a fingerprint: %q", run.FPTrust)
	}
	if !strings.Contains(run.FPHome, "Signed in") || !strings.Contains(run.FPHome, upn) {
		t.Errorf("sign-in with fingerprint trust: %q", run.FPHome)
	}
	// The new token drives SCIM: it creates a user.
	if code := scimCreate(t, s, run.Token2, "adele.vance@contoso.example"); code != http.StatusCreated {
		t.Errorf("a SCIM create with the new token: %d", code)
	}
	if !strings.Contains(run.ProvidersRow, label) || strings.Contains(run.ProvidersRow, "Changed by a stale tab") {
		t.Errorf("the providers list shows %q", run.ProvidersRow)
	}
}

// scimGet lists SCIM users with a bearer token and returns the status.
func scimGet(t *testing.T, s *server, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.Base+"/api/scim/Users?count=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func refusedAs4xx(status int) bool { return status >= 400 && status < 500 }

// idpFingerprint is the IdP certificate's SHA-256 fingerprint as
// openssl x509 -noout -sha256 -fingerprint prints it, which the console
// takes pasted as is.
func idpFingerprint(t *testing.T, idp *browserIdP) string {
	t.Helper()
	raw, err := os.ReadFile(idp.certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s holds no PEM certificate", idp.certFile)
	}
	sum := sha256.Sum256(block.Bytes)
	hexed := strings.ToUpper(hex.EncodeToString(sum[:]))
	var pairs []string
	for i := 0; i < len(hexed); i += 2 {
		pairs = append(pairs, hexed[i:i+2])
	}
	return "SHA256 Fingerprint=" + strings.Join(pairs, ":")
}

// scimCreate creates a user over SCIM with a bearer token and returns the
// status.
func scimCreate(t *testing.T, s *server, token, userName string) int {
	t.Helper()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `","active":true,"externalId":"` + userName + `"}`
	req, _ := http.NewRequest(http.MethodPost, s.Base+"/api/scim/Users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// browserReport is what every console script reports beside its own
// findings: axe-core's serious and critical violations by page, what the
// browser refused (a content security policy violation shows there), and
// where it stopped when it failed.
type browserReport struct {
	Axe         map[string][]string `json:"axe"`
	Refused     []string            `json:"refused"`
	Error       string              `json:"error"`
	StoppedAt   string              `json:"stoppedAt"`
	StoppedText string              `json:"stoppedText"`
}

// runBrowserScript runs script of testdata/browser in Chromium with args,
// decodes its one JSON line into run, and checks what every console page
// must hold: no serious or critical axe-core violation, on at least
// minPages pages, and nothing refused by the browser.
func runBrowserScript(t *testing.T, node, chromium string, run any, minPages int, script string, args ...string) {
	t.Helper()
	cmd := exec.Command(node, append([]string{script}, args...)...)
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var rep browserReport
	if jerr := errors.Join(json.Unmarshal(out, &rep), json.Unmarshal(out, run)); jerr != nil || err != nil || rep.Error != "" {
		t.Fatalf("browser run of %s failed: %v %v\nstdout: %s\nstderr: %s", script, err, jerr, out, stderr.String())
	}
	for page, violations := range rep.Axe {
		if len(violations) > 0 {
			t.Errorf("axe-core on %s: %q", page, violations)
		}
	}
	if len(rep.Axe) < minPages {
		t.Errorf("axe-core checked %d pages, want every page the run visited (at least %d)", len(rep.Axe), minPages)
	}
	if len(rep.Refused) > 0 {
		t.Errorf("the browser refused something (a CSP violation?): %q", rep.Refused)
	}
}
