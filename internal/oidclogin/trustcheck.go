package oidclogin

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// CheckTrust is identity.TrustChecker for OpenID Connect providers: when
// the settings that name a provider's issuer are saved, its discovery
// document and signing keys are read, so that a wrong tenant, subdomain,
// authority or issuer URL — or one this server may not reach — is refused
// then and the old settings stay. Settings not yet complete enough to name
// an issuer are checked when they are. Nothing is cached in the store: the
// connector's cache is keyed by the settings themselves, so changed
// settings are never judged by the old issuer's keys.
func (s *Service) CheckTrust(ctx context.Context, p store.SSOStrategy) (identity.TrustRecord, error) {
	settings, err := identity.ReadOIDCSettings(p.Provider, p.Subdomain, p.Options, true)
	if err != nil {
		return nil, nil // set up in steps; saving checked what was given
	}
	issuer, err := oidc.IssuerFor(connectorKind(p.Provider), settings.TenantID, settings.CloudInstance,
		settings.Authority, p.Subdomain, settings.IssuerURL)
	if err != nil {
		return nil, nil
	}
	if err := oidc.CheckIssuer(ctx, issuer, s.client, s.now); err != nil {
		what := "the discovery document " + strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
		if oidc.KindOf(err) == oidc.KindKeys {
			what = "the signing keys its discovery document names"
		}
		return nil, identity.ErrInvalidParams.With("the OpenID provider at %s cannot be used: %s could not be read or holds nothing usable (%s). "+
			"Check %s, and that this server can reach the provider; nothing was changed",
			signin.Clip(issuer, 300), what, signin.Clip(err.Error(), 1000), issuerSettings(p.Provider))
	}
	return nil, nil
}

// issuerSettings names the settings that make a provider kind's issuer.
func issuerSettings(provider string) string {
	switch connectorKind(provider) {
	case oidc.KindAzure:
		return "options." + identity.OptionOIDCTenantID + " (the Directory (tenant) ID), options." + identity.OptionOIDCCloudInstance +
			" or options." + identity.OptionOIDCAuthority
	case oidc.KindOkta, oidc.KindAuth0:
		return "subdomain or options." + identity.OptionOIDCIssuerURL
	case oidc.KindGoogle:
		return "options." + identity.OptionOIDCIssuerURL
	}
	return "options." + identity.OptionOIDCIssuerURL + " (the issuer its /.well-known/openid-configuration names)"
}

// CanStart says whether OpenID Connect provider p's settings are complete
// enough for a sign-in to start: a client id, and the settings that name
// its issuer (whose discovery document was read when they were saved).
// The login page shows a button only for such a provider: a provider
// saved in steps would otherwise answer its first visitors with an error.
func CanStart(p store.SSOStrategy) bool {
	if strings.TrimSpace(p.ClientID) == "" {
		return false
	}
	settings, err := identity.ReadOIDCSettings(p.Provider, p.Subdomain, p.Options, true)
	if err != nil {
		return false
	}
	_, err = oidc.IssuerFor(connectorKind(p.Provider), settings.TenantID, settings.CloudInstance,
		settings.Authority, p.Subdomain, settings.IssuerURL)
	return err == nil
}
