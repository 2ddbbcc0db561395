package oidclogin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Scopes every sign-in asks for; a provider's oidc_scopes add to them.
var baseScopes = []string{"openid", "profile", "email"}

// cachedProvider is one provider's connector, valid while the settings
// it was built from (summed up in key) stay the same.
type cachedProvider struct {
	key      string
	provider *oidc.Provider
	settings identity.OIDCSettings
}

// connectorKind is the connector's name for a provider kind: the four it
// knows by name, else a generic OpenID provider.
func connectorKind(provider string) string {
	switch provider {
	case oidc.KindAzure, oidc.KindOkta, oidc.KindAuth0, oidc.KindGoogle:
		return provider
	}
	return oidc.KindGeneric
}

// settingsKey sums up everything a connector is built from, so that a
// changed provider (or a rotated secret) builds a new one.
func (s *Service) settingsKey(p store.SSOStrategy) string {
	h := sha256.New()
	for _, v := range []string{p.Provider, p.Subdomain, p.ClientID, hex.EncodeToString(p.ClientSecretEnc), p.Options, s.RedirectURI(p)} {
		fmt.Fprintf(h, "%d:%s\x00", len(v), v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// connector returns provider p's connector, built on first use (which
// fetches the discovery document) and whenever p's settings change. A
// build that fails is not cached: the next sign-in tries again.
func (s *Service) connector(ctx context.Context, p store.SSOStrategy) (*cachedProvider, error) {
	key := s.settingsKey(p)
	s.mu.Lock()
	c := s.providers[p.ID]
	s.mu.Unlock()
	if c != nil && c.key == key {
		return c, nil
	}
	settings, err := identity.ReadOIDCSettings(p.Provider, p.Subdomain, p.Options, true)
	if err != nil {
		return nil, &oidc.Error{Kind: oidc.KindConfig, Detail: err.Error(), Err: err}
	}
	issuer, err := oidc.IssuerFor(connectorKind(p.Provider), settings.TenantID, settings.CloudInstance,
		settings.Authority, p.Subdomain, settings.IssuerURL)
	if err != nil {
		return nil, err
	}
	if p.ClientID == "" {
		return nil, &oidc.Error{Kind: oidc.KindConfig, Detail: "the provider has no client_id: copy the Application (client) ID from the app registration"}
	}
	clientSecret, err := s.id.OpenProviderSecret(p, identity.SecretClientSecret)
	if err != nil {
		return nil, &oidc.Error{Kind: oidc.KindConfig, Detail: "the client secret cannot be opened; set client_secret again", Err: err}
	}
	scopes := append(append([]string(nil), baseScopes...), settings.Scopes...)
	prov, err := oidc.New(ctx, oidc.Config{Kind: connectorKind(p.Provider), Issuer: issuer, TenantID: settings.TenantID,
		ClientID: p.ClientID, ClientSecret: clientSecret, RedirectURL: s.RedirectURI(p), Scopes: scopes,
		HTTPClient: s.client, Clock: s.now, Skew: s.skew})
	if err != nil {
		return nil, err
	}
	c = &cachedProvider{key: key, provider: prov, settings: settings}
	s.mu.Lock()
	s.providers[p.ID] = c
	s.mu.Unlock()
	return c, nil
}
