package samllogin

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Metadata refresh timing.
const (
	// MetadataMaxAge is how old cached metadata may get before the
	// refresh job fetches it again.
	MetadataMaxAge = 24 * time.Hour
	// metadataRetryAfter spaces out retries of a failing metadata URL.
	metadataRetryAfter = time.Hour
	// CertificateWarning is how long before a signing certificate expires
	// the admins are alerted.
	CertificateWarning = 30 * 24 * time.Hour
	// EventMetadataRefresh is the SSO event type of a metadata refresh.
	EventMetadataRefresh = "saml_metadata_refresh"
)

// RefreshMetadata fetches a provider's metadata URL over verified TLS and
// caches it. On failure the last good copy stays in use: the failure is
// recorded with it, in an SSO event, and in an alert to the site admins.
// A successful refresh alerts when a signing certificate expires within
// CertificateWarning.
func (s *Service) RefreshMetadata(ctx context.Context, p store.SSOStrategy) error {
	if p.Protocol != identity.ProtocolSAML || p.SAMLProviderMetadataURL == "" {
		return fmt.Errorf("samllogin: provider %d has no SAML metadata URL", p.ID)
	}
	idp, raw, err := saml.FetchMetadata(ctx, s.client, p.SAMLProviderMetadataURL, p.SAMLProviderIssuerURL)
	now := s.now()
	if err != nil {
		s.metadataFailed(ctx, p, err, now)
		return err
	}
	alerted := s.alertedCertificates(ctx, p)
	m := store.SSOMetadata{SSOStrategyID: p.ID, Raw: string(raw), FetchedAt: now, SourceURL: p.SAMLProviderMetadataURL}
	stored, err := s.putMetadataFor(ctx, p, m)
	if err != nil {
		return fmt.Errorf("samllogin: caching metadata of provider %d: %w", p.ID, err)
	}
	if !stored {
		s.log.Info("samllogin: metadata fetched for a URL the provider no longer has; not kept",
			"sso_strategy_id", p.ID, "url", p.SAMLProviderMetadataURL)
		return nil
	}
	s.core.Record(ctx, store.SSOEvent{SiteID: p.SiteID, EventType: EventMetadataRefresh, Status: store.EventSuccess,
		Body: fmt.Sprintf("metadata fetched from %s: issuer %s, %d signing certificate(s)", p.SAMLProviderMetadataURL,
			idp.EntityID, len(idp.Certificates))}, p)
	var expiring []*x509.Certificate
	for _, c := range idp.ExpiringCertificates(now, CertificateWarning) {
		if !alerted[saml.FingerprintOf(c)] {
			expiring = append(expiring, c)
		}
	}
	if len(expiring) > 0 {
		s.alertExpiring(ctx, p, expiring)
	}
	return nil
}

// putMetadataFor writes m, a copy of p's metadata URL, unless the
// provider's URL changed since p was read (see
// identity.Service.CacheSAMLMetadata). It says whether m was written.
func (s *Service) putMetadataFor(ctx context.Context, p store.SSOStrategy, m store.SSOMetadata) (bool, error) {
	return s.id.CacheSAMLMetadata(ctx, p, m)
}

// cachedMetadata returns p's cached copy when it is a copy of p's current
// metadata URL; a copy of another URL (the provider's earlier one) is as
// good as none (see identity.Service.SAMLMetadata).
func (s *Service) cachedMetadata(ctx context.Context, p store.SSOStrategy) (store.SSOMetadata, bool, error) {
	return s.id.SAMLMetadata(ctx, p)
}

// alertedCertificates are the fingerprints of the certificates the last
// cached copy already announced as expiring when it was fetched: the
// admins were told then, and a daily refresh does not tell them again.
func (s *Service) alertedCertificates(ctx context.Context, p store.SSOStrategy) map[string]bool {
	m, ok, err := s.cachedMetadata(ctx, p)
	if err != nil || !ok || m.Raw == "" {
		return nil
	}
	old, err := saml.ParseMetadata([]byte(m.Raw), p.SAMLProviderIssuerURL)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	for _, c := range old.ExpiringCertificates(m.FetchedAt, CertificateWarning) {
		seen[saml.FingerprintOf(c)] = true
	}
	return seen
}

// metadataFailed keeps the last good metadata and says what went wrong.
func (s *Service) metadataFailed(ctx context.Context, p store.SSOStrategy, cause error, now time.Time) {
	ctx = context.WithoutCancel(ctx)
	m, _, err := s.cachedMetadata(ctx, p)
	if err != nil {
		s.log.Error("samllogin: reading cached metadata", "sso_strategy_id", p.ID, "error", err)
	}
	m.SSOStrategyID, m.SourceURL, m.LastError, m.LastErrorAt = p.ID, p.SAMLProviderMetadataURL, signin.Clip(cause.Error(), 1000), now
	m.Failures++
	if _, err := s.putMetadataFor(ctx, p, m); err != nil {
		s.log.Error("samllogin: recording a metadata refresh failure", "sso_strategy_id", p.ID, "error", err)
	}
	kept := "no earlier copy exists, so sign-in through this provider fails until the URL answers"
	if m.Raw != "" {
		kept = "sign-in goes on with the copy fetched " + m.FetchedAt.UTC().Format(time.RFC3339)
	}
	s.core.Record(ctx, store.SSOEvent{SiteID: p.SiteID, EventType: EventMetadataRefresh, Status: store.EventFailure,
		Body:        fmt.Sprintf("metadata could not be fetched from %s; %s", p.SAMLProviderMetadataURL, kept),
		EventErrors: []string{string(kindOf(cause)) + ": " + signin.Clip(cause.Error(), 500)}}, p)
	s.alert(ctx, events.Notice{SiteID: p.SiteID, Kind: events.NoticeMetadataRefreshFailure, SSOStrategyID: p.ID,
		Subject: fmt.Sprintf("SAML metadata of %q could not be refreshed", label(p)),
		Body: fmt.Sprintf("Gatehouse could not fetch the SAML metadata of provider %q (id %d) from\n%s\n\nError: %s\n\n%s.\n"+
			"Check that the URL is right and reachable from the Gatehouse server, and that its TLS certificate is valid.",
			label(p), p.ID, p.SAMLProviderMetadataURL, signin.Clip(cause.Error(), 500), kept)})
}

func (s *Service) alertExpiring(ctx context.Context, p store.SSOStrategy, certs []*x509.Certificate) {
	var b strings.Builder
	for _, c := range certs {
		fmt.Fprintf(&b, "- %s, SHA-256 %s, expires %s\n", c.Subject.CommonName, saml.FingerprintOf(c), c.NotAfter.UTC().Format(time.RFC3339))
	}
	s.alert(ctx, events.Notice{SiteID: p.SiteID, Kind: events.NoticeCertificateExpiry, SSOStrategyID: p.ID,
		Subject: fmt.Sprintf("A SAML signing certificate of %q expires soon", label(p)),
		Body: fmt.Sprintf("The identity provider of %q (id %d) signs with certificates that expire within 30 days:\n%s\n"+
			"Create a new certificate in the identity provider (Entra ID: the application's SAML Certificates section) "+
			"before then. With a metadata URL Gatehouse trusts the new certificate as soon as it is published.",
			label(p), p.ID, b.String())})
}

func (s *Service) alert(ctx context.Context, n events.Notice) { s.core.Alert(ctx, n) }

// RefreshDue refreshes every SAML provider whose cached metadata is older
// than MetadataMaxAge (or missing), waiting metadataRetryAfter between
// tries of a failing URL. It says how many it fetched successfully.
func (s *Service) RefreshDue(ctx context.Context) (int, error) {
	now, fetched := s.now(), 0
	var errs []error
	err := s.eachSAMLProvider(ctx, func(p store.SSOStrategy) {
		if p.SAMLProviderMetadataURL == "" {
			return
		}
		m, ok, err := s.cachedMetadata(ctx, p)
		if err == nil && ok && (now.Sub(m.FetchedAt) < MetadataMaxAge || now.Sub(m.LastErrorAt) < metadataRetryAfter) {
			return
		}
		if err := s.RefreshMetadata(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("provider %d: %w", p.ID, err))
			return
		}
		fetched++
	})
	return fetched, errors.Join(append(errs, err)...)
}

// RunMetadataRefresh calls RefreshDue now and then every interval until
// ctx ends; every node may run it, since refreshing twice is harmless.
func (s *Service) RunMetadataRefresh(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.RefreshDue(ctx); err != nil {
			s.log.Warn("SAML metadata refresh failed", "refreshed", n, "error", err)
		} else if n > 0 {
			s.log.Info("SAML metadata refreshed", "providers", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// eachSAMLProvider calls fn for every SAML provider of every site.
func (s *Service) eachSAMLProvider(ctx context.Context, fn func(store.SSOStrategy)) error {
	siteOpts := store.ListOptions{Limit: 200}
	for {
		sites, err := s.id.ListSites(ctx, siteOpts)
		if err != nil {
			return err
		}
		for _, site := range sites {
			provOpts := store.ListOptions{Limit: 200}
			for {
				ps, err := s.id.ListSSOStrategies(ctx, site.ID, provOpts)
				if err != nil {
					return err
				}
				for _, p := range ps {
					if p.Protocol == identity.ProtocolSAML {
						fn(p)
					}
				}
				if len(ps) < provOpts.Limit {
					break
				}
				provOpts.AfterID = ps[len(ps)-1].ID
			}
		}
		if len(sites) < siteOpts.Limit {
			return nil
		}
		siteOpts.AfterID = sites[len(sites)-1].ID
	}
}
