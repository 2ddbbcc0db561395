package web

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
)

// TestSAMLTrustModesBothFlows signs a user in through the ACS with each
// way of trusting the IdP — its metadata URL (fetched over TLS), its
// pasted metadata, and the typed certificate fingerprint with issuer and
// SSO URL — through both an SP-initiated and an IdP-initiated flow.
func TestSAMLTrustModesBothFlows(t *testing.T) {
	requireSAMLPeer(t)
	for _, mode := range []string{"metadata_url", "metadata_content", "fingerprint"} {
		t.Run(mode, func(t *testing.T) {
			// The IdP's metadata, served over TLS once the IdP exists.
			var metadata atomic.Value
			metadata.Store("")
			tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/samlmetadata+xml")
				fmt.Fprint(w, metadata.Load().(string))
			}))
			defer tlsSrv.Close()
			h := newHarness(t, func(o *signin.Options) { o.HTTPClient = tlsSrv.Client() })
			s := (&samlSetup{harness: h}).withProvider(h.site, "https://idp.test/"+mode, false)
			metadata.Store(s.idp.Metadata())

			empty := ""
			var c identity.SSOStrategyChange
			switch mode {
			case "metadata_url":
				u := tlsSrv.URL + "/federationmetadata.xml"
				c = identity.SSOStrategyChange{SAMLProviderMetadataURL: &u, SAMLProviderMetadataContent: &empty}
			case "fingerprint":
				fp := certFingerprint(t, s.idp.certFile)
				issuer, sso := s.idp.entityID, s.idp.ssoURL
				c = identity.SSOStrategyChange{SAMLProviderMetadataContent: &empty, SAMLProviderCertFingerprint: &fp,
					SAMLProviderIssuerURL: &issuer, SAMLProviderSSOTargetURL: &sso}
			}
			p, err := s.svc.UpdateSSOStrategy(s.ctx, identity.SystemActor, s.site.ID, s.provider.ID, c)
			if err != nil {
				t.Fatal(err)
			}
			s.provider = p

			user := mode + "@example.com"
			s.ssoUser(user)
			req, relay := s.begin()
			s.wantSignedIn(s.postACS("/saml/consume", s.idp.Respond(assertion{NameID: user, SAMLRequest: req}), relay), user)
			s.wantSignedIn(s.postACS("/saml/consume", s.idpInitiated(user, nil), ""), user)
		})
	}
}

// certFingerprint prints a PEM certificate's SHA-256 fingerprint as
// `openssl x509 -noout -sha256 -fingerprint` does.
func certFingerprint(t *testing.T, certFile string) string {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("no PEM certificate in " + certFile)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(block.Bytes)
	hex := make([]string, len(sum))
	for i, c := range sum {
		hex[i] = fmt.Sprintf("%02X", c)
	}
	return "SHA256 Fingerprint=" + strings.Join(hex, ":")
}
