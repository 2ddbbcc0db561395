package saml

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/fingerprint"

	"github.com/beevik/etree"
)

// IdentityProvider is everything we trust about one SAML identity provider.
// It comes from one of three places: pasted metadata (ParseMetadata), a
// metadata URL (FetchMetadata), or an administrator typing the values
// (ManualTrust).
type IdentityProvider struct {
	// EntityID is the Issuer every response and assertion must carry, for
	// Entra "https://sts.windows.net/{tenant-id}/".
	EntityID string
	// SSOURL is where AuthnRequests go (HTTP-Redirect binding).
	SSOURL string
	// SLOURL is where LogoutRequests go; empty when the IdP has no SLO.
	SLOURL string
	// Certificates are every signing certificate the IdP publishes. All are
	// trusted at once, so an IdP that announces its next certificate before
	// switching (Entra's rollover) needs no action on our side.
	Certificates []*x509.Certificate
	// Fingerprint, when set, replaces Certificates: the signing certificate
	// is taken from the signature's KeyInfo and trusted only if the SHA-256
	// of its DER equals this value.
	Fingerprint []byte
}

// ManualTrust builds an IdentityProvider from values an administrator copies
// out of the IdP's console: the signing certificate's SHA-256 fingerprint in
// any spelling openssl or a console prints it, the issuer, the SSO URL and an
// optional SLO URL.
func ManualTrust(fingerprint, issuer, ssoURL, sloURL string) (*IdentityProvider, error) {
	fp, err := ParseFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	idp := &IdentityProvider{EntityID: strings.TrimSpace(issuer), SSOURL: strings.TrimSpace(ssoURL),
		SLOURL: strings.TrimSpace(sloURL), Fingerprint: fp}
	if err := idp.validate(); err != nil {
		return nil, err
	}
	return idp, nil
}

// ParseFingerprint reads a SHA-256 certificate fingerprint as
// `openssl x509 -noout -sha256 -fingerprint` prints it
// ("SHA256 Fingerprint=AB:CD:…"), or bare with or without colons, in any
// case.
func ParseFingerprint(s string) ([]byte, error) {
	fp, err := fingerprint.ParseSHA256(s)
	if err != nil {
		return nil, fail(KindConfig, "%v", err)
	}
	return fp, nil
}

// FingerprintOf returns the SHA-256 fingerprint of a certificate in
// openssl's spelling, for display next to the trusted certificates.
func FingerprintOf(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return fingerprint.Format(sum[:])
}

// ExpiringCertificates returns the trusted certificates whose NotAfter falls
// before now+within (already expired ones included), so the caller can alert
// an administrator — 30 days is the usual window. With fingerprint trust no
// certificate is known in advance and the result is empty.
func (idp *IdentityProvider) ExpiringCertificates(now time.Time, within time.Duration) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range idp.Certificates {
		if c.NotAfter.Before(now.Add(within)) {
			out = append(out, c)
		}
	}
	return out
}

// validate checks that idp can be used to trust responses.
func (idp *IdentityProvider) validate() error {
	if idp.EntityID == "" {
		return fail(KindConfig, "identity provider entity ID (issuer) is empty")
	}
	if err := checkAbsoluteURL("SSO URL", idp.SSOURL); err != nil {
		return err
	}
	if idp.SLOURL != "" {
		if err := checkAbsoluteURL("SLO URL", idp.SLOURL); err != nil {
			return err
		}
	}
	if len(idp.Fingerprint) == 0 && len(idp.Certificates) == 0 {
		return fail(KindConfig, "identity provider has no signing certificate or fingerprint")
	}
	if len(idp.Fingerprint) != 0 && len(idp.Fingerprint) != sha256.Size {
		return fail(KindConfig, "fingerprint must be a SHA-256 (32 bytes)")
	}
	return nil
}

// checkAbsoluteURL refuses anything but an absolute http(s) URL, so that a
// pasted "javascript:" location never reaches a redirect.
func checkAbsoluteURL(what, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fail(KindConfig, "%s %q is not an absolute http(s) URL", what, s)
	}
	return nil
}

// certificateStore implements goxmldsig's X509CertificateStore for one
// document: the metadata certificates, or — with fingerprint trust — the
// KeyInfo certificates of doc whose SHA-256 matches the fingerprint exactly.
type certificateStore struct{ certs []*x509.Certificate }

func (s certificateStore) Certificates() ([]*x509.Certificate, error) { return s.certs, nil }

// trustedCertificates returns the certificates a signature in doc may use.
func (idp *IdentityProvider) trustedCertificates(doc *etree.Document) certificateStore {
	if len(idp.Fingerprint) == 0 {
		return certificateStore{certs: idp.Certificates}
	}
	var out []*x509.Certificate
	for _, el := range findAll(doc.Root(), nsDSig, "X509Certificate") {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
		if err != nil {
			continue
		}
		sum := sha256.Sum256(der)
		if subtle.ConstantTimeCompare(sum[:], idp.Fingerprint) != 1 {
			continue
		}
		if cert, err := x509.ParseCertificate(der); err == nil {
			out = append(out, cert)
		}
	}
	return certificateStore{certs: out}
}
