package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TrustChecker reads and checks what a provider's sign-ins trust — a SAML
// provider's metadata, an OpenID provider's discovery document and keys —
// when the settings that name it are saved, so that a URL that cannot be
// read or does not hold usable trust is refused then, with the old
// settings kept, rather than at the next person's sign-in. The sign-in
// services implement it; the application wires them in with
// SetTrustChecker, as it gives the core its Directory.
type TrustChecker interface {
	// CheckTrust reads and checks the trust p's settings name. It runs
	// before the transaction that saves p, since a download must not hold
	// a transaction open. A refusal is an *Error saying what to fix. The
	// TrustRecord it returns (nil: nothing to keep) writes what was read.
	CheckTrust(ctx context.Context, p store.SSOStrategy) (TrustRecord, error)
}

// TrustRecord writes checked trust for the saved provider p (a new
// provider has its ID only then) inside the transaction ctx carries, so
// that the settings and what they trust change together.
type TrustRecord func(ctx context.Context, p store.SSOStrategy) error

// TrustByProtocol is a TrustChecker that hands a provider to the checker
// of its protocol; providers of other protocols have nothing to check.
type TrustByProtocol map[string]TrustChecker

// CheckTrust implements TrustChecker.
func (m TrustByProtocol) CheckTrust(ctx context.Context, p store.SSOStrategy) (TrustRecord, error) {
	if c := m[p.Protocol]; c != nil {
		return c.CheckTrust(ctx, p)
	}
	return nil, nil
}

// trustHolder keeps the TrustChecker, which is set after the Service is
// made (the sign-in services that check trust are built on the Service).
type trustHolder struct{ p atomic.Pointer[TrustChecker] }

// SetTrustChecker sets the checker of providers' trust; call it once at
// start. Without one, saving a provider checks no URL, but still drops
// the trust cached for settings that changed.
func (s *Service) SetTrustChecker(c TrustChecker) { s.trust.p.Store(&c) }

func (s *Service) trustChecker() TrustChecker {
	if c := s.trust.p.Load(); c != nil {
		return *c
	}
	return nil
}

// trustSettings sums up the settings that decide whom a provider's
// sign-ins trust. Two providers states with the same sum trust the same
// identity provider; any other change (a label, a group rule, a SAML
// attribute name) leaves trust alone.
func trustSettings(p store.SSOStrategy) string {
	var fields []string
	switch p.Protocol {
	case ProtocolSAML:
		fields = []string{p.SAMLProviderMetadataURL, p.SAMLProviderMetadataContent, p.SAMLProviderCertFingerprint,
			p.SAMLProviderIssuerURL, p.SAMLProviderSSOTargetURL, p.SAMLProviderSLOTargetURL}
	case ProtocolOAuth2:
		var o struct {
			TenantID      string `json:"oidc_tenant_id"`
			CloudInstance string `json:"oidc_cloud_instance"`
			Authority     string `json:"oidc_authority"`
			IssuerURL     string `json:"oidc_issuer_url"`
		}
		options := p.Options
		if json.Unmarshal([]byte(p.Options), &o) == nil {
			options = ""
		}
		fields = []string{p.Provider, p.Subdomain, p.ClientID, o.TenantID, o.CloudInstance, o.Authority, o.IssuerURL, options}
	default:
		return p.Protocol
	}
	var b strings.Builder
	b.WriteString(p.Protocol)
	for _, f := range fields {
		fmt.Fprintf(&b, "\x00%d:%s", len(f), f)
	}
	return b.String()
}

// checkedTrust is the outcome of checking a provider's trust before it is
// saved: the settings sum that was checked and what to write with them.
type checkedTrust struct {
	settings string
	changed  bool // the save changes the provider's trust
	record   TrustRecord
}

// checkTrust checks after's trust when it differs from before's.
func (s *Service) checkTrust(ctx context.Context, before, after store.SSOStrategy) (checkedTrust, error) {
	ct := checkedTrust{settings: trustSettings(after)}
	if ct.settings == trustSettings(before) {
		return ct, nil
	}
	ct.changed = true
	c := s.trustChecker()
	if c == nil {
		return ct, nil
	}
	record, err := c.CheckTrust(ctx, after)
	var ie *Error
	switch {
	case err == nil:
		ct.record = record
		return ct, nil
	case errors.As(err, &ie):
		return ct, ie
	default:
		return ct, ErrInvalidParams.With("the provider's trust settings cannot be used (%v); nothing was changed", truncate(err.Error(), 500))
	}
}

// saveTrust writes, inside the transaction that saved p, what was checked
// for it; without a record it drops the trust cached for p's earlier
// settings, so no sign-in is judged by the identity provider it used to
// trust.
func (s *Service) saveTrust(ctx context.Context, p store.SSOStrategy, ct checkedTrust) error {
	if ct.record != nil {
		return ct.record(ctx, p)
	}
	return s.st.PutSSOMetadata(ctx, &store.SSOMetadata{SSOStrategyID: p.ID})
}
