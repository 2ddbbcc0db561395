// Package oidc is Gatehouse's OpenID Connect relying party: the
// authorization-code flow with PKCE against Microsoft Entra ID, Okta, Auth0,
// Google or any OpenID provider. It turns a provider's ID token into
// provider-neutral Claims and refuses, with a typed *Error naming the failed
// check, anything that is not a token the configured provider signed for us.
//
// The package knows nothing of the store, sessions or users: the sign-in
// flow keeps state, nonce and PKCE verifier where every node can find them,
// and hands them back to Exchange on the callback.
//
// Discovery uses github.com/coreos/go-oidc and the code redemption
// golang.org/x/oauth2; ID tokens are verified here, in a fixed order
// (algorithm allow-list, signature by a JWKS key, then the claims), so that
// every refusal names its exact cause and a token costs one signature check.
package oidc

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Defaults and limits.
const (
	// DefaultSkew is the allowance between our clock and the provider's.
	DefaultSkew = 2 * time.Minute
	// MaxSkew is the largest allowance Config.Skew may ask for.
	MaxSkew = 5 * time.Minute
	// DefaultHTTPTimeout bounds each request to the provider when
	// Config.HTTPClient is nil.
	DefaultHTTPTimeout = 10 * time.Second
)

// defaultScopes are asked for when Config.Scopes is empty: openid for the ID
// token, profile for names and Entra's oid, email for the address. Each
// Config gets its own copy: a slice shared by every provider would let one
// change what all of them ask for.
var defaultScopes = []string{gooidc.ScopeOpenID, "profile", "email"}

// Config is one OpenID provider trust: where the provider is, who we are to
// it, and how tolerant the checks are of clock drift.
type Config struct {
	// Kind is "azure", "okta", "auth0", "google" or "" (generic).
	Kind string
	// Issuer is the exact issuer every ID token must carry, as built by
	// IssuerFor; discovery is read from Issuer/.well-known/openid-configuration.
	Issuer string
	// TenantID is, for azure, the tid every token must carry.
	TenantID string
	// ClientID and ClientSecret are the application's credentials at the provider.
	ClientID, ClientSecret string
	// RedirectURL is our callback, exactly as registered at the provider.
	RedirectURL string
	// Scopes default to openid, profile and email; openid is always added.
	Scopes []string
	// HTTPClient fetches discovery and keys and redeems codes. It must verify
	// TLS; nil means a client with DefaultHTTPTimeout.
	HTTPClient *http.Client
	// Clock is the time source for token checks and caches; nil means time.Now.
	Clock func() time.Time
	// Skew is the allowance for exp, nbf and iat; 0 means DefaultSkew.
	Skew time.Duration
	// Cache shares discovery documents and keys between Providers of the
	// same issuer; nil means the process-wide cache (the one
	// CheckIssuer reads).
	Cache *Cache
}

// Provider is one configured OpenID provider, discovered and ready to start
// and finish sign-ins. It is safe for concurrent use and cheap to build
// again: discovery and keys come from the Cache.
type Provider struct {
	cfg    Config
	issuer string
	oauth  oauth2.Config
	keys   *keySet
	client *http.Client
	now    func() time.Time
	skew   time.Duration
}

// New checks cfg and reads the provider's discovery document (from the cache
// when it is fresh). The document must name exactly cfg.Issuer, so a
// provider cannot pass off another issuer's tokens as its own.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, issuer: cfg.Issuer, client: cfg.HTTPClient, now: cfg.Clock, skew: cfg.Skew}
	entry, err := cfg.Cache.discover(ctx, cfg.Issuer, p.client, p.now)
	if err != nil {
		return nil, err
	}
	p.keys = entry.keys
	p.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       cfg.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   entry.doc.AuthURL,
			TokenURL:  entry.doc.TokenURL,
			AuthStyle: authStyle(entry.doc.TokenAuthMethods),
		},
	}
	return p, nil
}

// checkConfig fills defaults and refuses settings no sign-in could work with.
func checkConfig(cfg *Config) error {
	switch cfg.Kind {
	case KindAzure, KindOkta, KindAuth0, KindGoogle, KindGeneric:
	default:
		return fail(KindConfig, "unknown provider kind %q", cfg.Kind)
	}
	if _, err := checkIssuerURL(cfg.Issuer); err != nil {
		return err
	}
	if cfg.Kind == KindAzure {
		if !guidPattern.MatchString(cfg.TenantID) {
			return fail(KindConfig, "Entra needs the Tenant ID (a GUID) every token must carry; got %q", cfg.TenantID)
		}
		cfg.TenantID = strings.ToLower(cfg.TenantID)
		if !strings.Contains(cfg.Issuer, "/"+cfg.TenantID+"/") {
			return fail(KindConfig, "issuer %q does not name tenant %s: build it with IssuerFor", cfg.Issuer, cfg.TenantID)
		}
	}
	if cfg.ClientID == "" {
		return fail(KindConfig, "a client ID is required: copy it from the application registered at the provider")
	}
	if cfg.RedirectURL == "" {
		return fail(KindConfig, "a redirect URL is required: it must match the one registered at the provider")
	}
	if cfg.Skew < 0 || cfg.Skew > MaxSkew {
		return fail(KindConfig, "clock skew %s is outside 0..%s", cfg.Skew, MaxSkew)
	}
	if cfg.Skew == 0 {
		cfg.Skew = DefaultSkew
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = slices.Clone(defaultScopes)
	}
	if !slices.Contains(cfg.Scopes, gooidc.ScopeOpenID) {
		cfg.Scopes = append([]string{gooidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Cache == nil {
		cfg.Cache = defaultCache
	}
	return nil
}

// authStyle picks how the client secret is sent, from what the provider
// says it supports, so a failed redemption is never retried the other way
// (which would redeem the code twice).
func authStyle(methods []string) oauth2.AuthStyle {
	if len(methods) == 0 || slices.Contains(methods, "client_secret_basic") {
		return oauth2.AuthStyleInHeader
	}
	if slices.Contains(methods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// Issuer returns the exact issuer this provider's tokens must carry.
func (p *Provider) Issuer() string { return p.issuer }

// Kind returns the provider kind: "azure", "okta", "auth0", "google" or "".
func (p *Provider) Kind() string { return p.cfg.Kind }

// AuthCodeURL returns the authorization URL for state, nonce and the PKCE
// verifier's S256 challenge. The verifier itself never leaves our side until
// Exchange sends it to the token endpoint.
func (p *Provider) AuthCodeURL(state, nonce, verifier string) string {
	return p.oauth.AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce),
		oauth2.SetAuthURLParam("response_mode", "query"),
	)
}

// Exchange redeems the code with the PKCE verifier, verifies the ID token
// the provider answers with (see VerifyIDToken) and returns its claims. The
// provider refuses a code redeemed twice; that refusal is KindCode.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string) (*Claims, error) {
	if code == "" {
		return nil, fail(KindCode, "the callback carried no code")
	}
	if len(code) > maxCodeSize {
		return nil, fail(KindMalformed, "the code is %d bytes, over the %d-byte limit", len(code), maxCodeSize)
	}
	if verifier == "" {
		return nil, fail(KindConfig, "no PKCE verifier for this sign-in")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, tokenEndpointError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fail(KindMalformed, "the token endpoint answered without an id_token: is the openid scope allowed for this application?")
	}
	return p.VerifyIDToken(ctx, raw, nonce)
}

// maxCodeSize bounds an authorization code from the callback's query.
const maxCodeSize = 4096

// tokenEndpointError maps a failed redemption to a Kind: invalid_grant is
// the provider refusing the code (used, expired, or issued to someone else),
// any other error= is the provider's, and the rest is the network's.
func tokenEndpointError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		detail := "token endpoint answered error=" + clean(re.ErrorCode, 64)
		if re.ErrorCode == "" && re.Response != nil {
			detail = "token endpoint answered HTTP " + re.Response.Status
		}
		if re.ErrorDescription != "" {
			detail += ": " + clean(re.ErrorDescription, 300)
		}
		if re.ErrorCode == "invalid_grant" {
			return &Error{Kind: KindCode, Detail: detail + " (the code was already used, has expired, or was issued for another client or redirect URL)"}
		}
		return &Error{Kind: KindProviderError, Detail: detail}
	}
	return wrap(KindTokenEndpoint, err, "could not redeem the code; check the provider is reachable from this server")
}
