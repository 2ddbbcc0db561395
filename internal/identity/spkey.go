package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// spKeyBits and spCertLifetime shape a site's SAML service provider key
// pair. The certificate is self-signed: identity providers trust it
// because an administrator uploads our metadata, not because of a CA, and
// a long lifetime spares them replacing it (Entra does not check it).
const (
	spKeyBits      = 2048
	spCertLifetime = 10 * 365 * 24 * time.Hour
)

// SAMLSPKeyLabel authenticates a site's sealed SP private key, so a sealed
// key copied to another site does not open there.
func SAMLSPKeyLabel(siteID int64) string { return fmt.Sprintf("saml_sp_key:%d", siteID) }

// SAMLSPKey returns the site's SAML service provider key pair, generating
// it on first use: RSA 2048 with a self-signed certificate, the private
// key sealed with the master key. AuthnRequests and LogoutRequests are
// signed with it, encrypted assertions decrypted with it, and the
// certificate is published in the SP metadata. When two nodes generate at
// once, the first stored wins and both use it.
func (s *Service) SAMLSPKey(ctx context.Context, siteID int64) (*rsa.PrivateKey, *x509.Certificate, error) {
	if s.opts.Sealer == nil {
		return nil, nil, ErrInternal.With("the server has no master key configured, so it cannot keep a SAML signing key")
	}
	k, err := s.st.GetSAMLSPKey(ctx, siteID)
	if errors.Is(err, store.ErrNotFound) {
		k, err = s.newSAMLSPKey(ctx, siteID)
		if errors.Is(err, store.ErrConflict) {
			k, err = s.st.GetSAMLSPKey(ctx, siteID)
		}
	}
	if err != nil {
		return nil, nil, mapStoreErr(err, "SAML SP key", ErrNotFound.With("no site has that id"), nil)
	}
	der, err := s.opts.Sealer.Open(k.PrivateKeyEnc, SAMLSPKeyLabel(siteID))
	if err != nil {
		return nil, nil, fmt.Errorf("identity: open the SAML SP key of site %d: %w", siteID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: SAML SP key of site %d: %w", siteID, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("identity: SAML SP key of site %d is not an RSA key", siteID)
	}
	cert, err := x509.ParseCertificate(k.Certificate)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: SAML SP certificate of site %d: %w", siteID, err)
	}
	return key, cert, nil
}

func (s *Service) newSAMLSPKey(ctx context.Context, siteID int64) (store.SAMLSPKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, spKeyBits)
	if err != nil {
		return store.SAMLSPKey{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return store.SAMLSPKey{}, err
	}
	now := s.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: fmt.Sprintf("Gatehouse SAML service provider, site %d", siteID)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(spCertLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return store.SAMLSPKey{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return store.SAMLSPKey{}, err
	}
	k := store.SAMLSPKey{SiteID: siteID, PrivateKeyEnc: s.opts.Sealer.Seal(keyDER, SAMLSPKeyLabel(siteID)),
		Certificate: certDER, CreatedAt: now}
	if err := s.st.CreateSAMLSPKey(ctx, &k); err != nil {
		return store.SAMLSPKey{}, err
	}
	s.log.Info("SAML service provider key pair created", "site_id", siteID)
	return k, nil
}
