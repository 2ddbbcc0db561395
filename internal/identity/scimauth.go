package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The SCIM authentication methods of a provider (scim_authentication_method).
const (
	SCIMAuthNone  = "none"
	SCIMAuthBasic = "basic"
	SCIMAuthToken = "token"
)

// SCIMTokenPrefix starts every SCIM bearer token, so a leaked one is easy
// to recognise in logs and by secret scanners.
const SCIMTokenPrefix = "ghscim_"

// SCIMBasicUsernamePrefix starts every generated SCIM Basic username.
const SCIMBasicUsernamePrefix = "scim-"

// DefaultSCIMTokenLifetime is how long a new SCIM token is valid, as on
// Files.com: a year from generation. An admin may change the date later
// through scim_oauth_access_token_expires_at.
const DefaultSCIMTokenLifetime = 365 * 24 * time.Hour

// The external event types of SCIM credential changes.
const (
	EventTypeSCIMTokenGenerated = "scim_token_generated"
	EventTypeSCIMTokenReset     = "scim_token_reset"
	EventTypeSCIMTokenExpiry    = "scim_token_expiry_changed"
	EventTypeSCIMBasicGenerated = "scim_basic_generated"
)

// maxSCIMAuthorizationLen bounds the Authorization header we decode and
// hash; real tokens and Basic credentials are far shorter.
const maxSCIMAuthorizationLen = 8192

// maxSCIMUsernameLen bounds a SCIM Basic username.
const maxSCIMUsernameLen = 256

// ErrSCIMUnauthorized refuses a SCIM request whose credential is missing,
// wrong, expired or revoked, or that names a disabled provider. The SCIM
// server answers it with 401 in SCIM's error format; its message says which
// check failed and is meant for the scim_logs entry only, never for the
// client (which learns nothing about which credentials exist).
var ErrSCIMUnauthorized = newError(http.StatusUnauthorized, "not-authenticated/invalid-scim-credentials",
	"Invalid SCIM Credentials", "the SCIM credentials are missing, wrong, expired or revoked")

// AuthenticateSCIM resolves which provider (and so which site) a SCIM
// request belongs to from its Authorization header: "Bearer <token>" for a
// provider whose method is token, "Basic <base64(username:password)>" for
// one whose method is basic. The provider must be enabled, and a token
// must not have expired.
//
// Method none: a request with no Authorization header at all, arriving
// from a loopback address (loopback true), belongs to the one enabled
// provider, across every site, whose method is none; with none or several
// such providers it is refused. It is a test mode for a SCIM client on the
// same machine: behind a reverse proxy on the same host every request looks
// like loopback, so a provider must never use none there.
//
// Every refusal is ErrSCIMUnauthorized with a message naming the failed
// check. When the credential named a provider (an expired token, a wrong
// password for a known username, a disabled provider) that provider is
// returned with the error, so the refusal can be written to its site's
// scim_logs; otherwise the provider is zero.
func (s *Service) AuthenticateSCIM(ctx context.Context, authorization string, loopback bool) (store.SSOStrategy, error) {
	if len(authorization) > maxSCIMAuthorizationLen {
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("the Authorization header is longer than %d bytes", maxSCIMAuthorizationLen)
	}
	authorization = strings.TrimSpace(authorization)
	if authorization == "" {
		if !loopback {
			return store.SSOStrategy{}, ErrSCIMUnauthorized.With("no Authorization header (method none is accepted only from a loopback address)")
		}
		return s.authenticateSCIMNone(ctx)
	}
	scheme, credential, _ := strings.Cut(authorization, " ")
	credential = strings.TrimSpace(credential)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return s.authenticateSCIMToken(ctx, credential)
	case strings.EqualFold(scheme, "Basic"):
		return s.authenticateSCIMBasic(ctx, credential)
	default:
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("the Authorization scheme is neither Bearer nor Basic")
	}
}

// authenticateSCIMToken finds the provider by the hash of the token. The
// store looks the hash up by index; the stored hash is then compared again
// in constant time, so no part of the decision depends on how much of the
// token matched.
func (s *Service) authenticateSCIMToken(ctx context.Context, token string) (store.SSOStrategy, error) {
	if token == "" {
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("the Bearer token is empty")
	}
	hash := secret.HashToken(token)
	p, err := s.st.GetSSOStrategyBySCIMTokenHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !secret.Equal(p.SCIMTokenHash, hash)) {
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("unknown or revoked SCIM token")
	}
	if err != nil {
		return store.SSOStrategy{}, mapStoreErr(err, "find SCIM token", nil, nil)
	}
	if err := checkSCIMProvider(p, SCIMAuthToken); err != nil {
		return p, err
	}
	if p.SCIMTokenExpiresAt.IsZero() {
		// Every token is made with an expiry; one without is refused
		// rather than trusted forever.
		return p, ErrSCIMUnauthorized.With("the SCIM token of provider %d has no expiry date; reset it", p.ID)
	}
	if now := s.now(); !now.Before(p.SCIMTokenExpiresAt) {
		return p, ErrSCIMUnauthorized.With("the SCIM token of provider %d expired at %s",
			p.ID, p.SCIMTokenExpiresAt.UTC().Format(time.RFC3339))
	}
	return p, nil
}

// authenticateSCIMBasic checks a Basic credential. Usernames are not unique
// across sites, so the password is checked against every provider with the
// username; an unknown username is checked against a dummy password, so it
// costs what a wrong password costs (one decryption and one constant-time
// comparison per candidate, at least one).
func (s *Service) authenticateSCIMBasic(ctx context.Context, credential string) (store.SSOStrategy, error) {
	raw, err := base64.StdEncoding.DecodeString(credential)
	if err != nil {
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("the Basic credential is not base64")
	}
	username, password, ok := strings.Cut(string(raw), ":")
	if !ok || username == "" || len(username) > maxSCIMUsernameLen {
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("the Basic credential is not username:password")
	}
	rows, err := s.st.ListSSOStrategiesBySCIMUsername(ctx, username, s.scimDecoy(ctx), 0)
	if err != nil {
		return store.SSOStrategy{}, mapStoreErr(err, "find SCIM username", nil, nil)
	}
	var candidates []store.SSOStrategy
	for _, p := range rows {
		if p.SCIMUsername == username {
			candidates = append(candidates, p)
		}
	}
	presented := sha256.Sum256([]byte(password))
	if len(candidates) == 0 {
		s.scimPasswordMatches(s.dummySCIMProvider(), presented[:])
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("unknown SCIM username")
	}
	var (
		match   store.SSOStrategy
		matched bool
	)
	for _, p := range candidates {
		if s.scimPasswordMatches(p, presented[:]) && !matched {
			match, matched = p, true
		}
	}
	if !matched {
		// The first candidate is the one to log against; with several
		// sites sharing a username there is no telling which was meant.
		return candidates[0], ErrSCIMUnauthorized.With("wrong password for SCIM username %q", username)
	}
	if err := checkSCIMProvider(match, SCIMAuthBasic); err != nil {
		return match, err
	}
	return match, nil
}

// scimPasswordMatches compares the SHA-256 of the presented password with
// that of the provider's sealed password in constant time. A provider
// without a password, or whose password does not open, never matches.
func (s *Service) scimPasswordMatches(p store.SSOStrategy, presented []byte) bool {
	stored, err := s.OpenProviderSecret(p, SecretSCIMPassword)
	if err != nil {
		s.log.Error("SCIM Basic password cannot be opened; check the master key",
			"site_id", p.SiteID, "sso_strategy_id", p.ID, "error", err)
	}
	sum := sha256.Sum256([]byte(stored))
	return secret.Equal(sum[:], presented) && stored != "" && err == nil
}

// dummySCIMProvider is a provider with a sealed random password that
// nobody knows, checked when a Basic username is unknown.
func (s *Service) dummySCIMProvider() store.SSOStrategy {
	s.scimDummyOnce.Do(func() {
		if s.opts.Sealer == nil {
			return
		}
		s.scimDummy = store.SSOStrategy{SCIMPasswordEnc: s.opts.Sealer.Seal([]byte(secret.NewToken("")),
			ProviderSecretLabel(0, SecretSCIMPassword))}
	})
	return s.scimDummy
}

// authenticateSCIMNone finds the one enabled provider using method none.
// It reads every site's providers, which is fine for a loopback test mode
// and never reached from another host.
func (s *Service) authenticateSCIMNone(ctx context.Context) (store.SSOStrategy, error) {
	var found []store.SSOStrategy
	err := s.eachProvider(ctx, func(p store.SSOStrategy) {
		if p.Enabled && p.SCIMAuthenticationMethod == SCIMAuthNone {
			found = append(found, p)
		}
	})
	if err != nil {
		return store.SSOStrategy{}, err
	}
	switch len(found) {
	case 0:
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("no Authorization header, and no enabled provider uses SCIM authentication method none")
	case 1:
		return found[0], nil
	default:
		return store.SSOStrategy{}, ErrSCIMUnauthorized.With("no Authorization header, and %d enabled providers use SCIM authentication method none; "+
			"keep one, or give the others a token", len(found))
	}
}

// eachProvider calls fn for every provider of every site.
func (s *Service) eachProvider(ctx context.Context, fn func(store.SSOStrategy)) error {
	so := store.ListOptions{Limit: 1000}
	for {
		sites, err := s.st.ListSites(ctx, so)
		if err != nil {
			return mapStoreErr(err, "list sites", nil, nil)
		}
		for _, site := range sites {
			po := store.ListOptions{Limit: 1000}
			for {
				ps, err := s.st.ListSSOStrategies(ctx, site.ID, po)
				if err != nil {
					return mapStoreErr(err, "list sso strategies", nil, nil)
				}
				for _, p := range ps {
					fn(p)
				}
				if len(ps) < po.Limit {
					break
				}
				po.AfterID = ps[len(ps)-1].ID
			}
		}
		if len(sites) < so.Limit {
			return nil
		}
		so.AfterID = sites[len(sites)-1].ID
	}
}

// checkSCIMProvider refuses a disabled provider and a credential of a
// method the provider does not use (a token kept after the admin switched
// to Basic, for example).
func checkSCIMProvider(p store.SSOStrategy, method string) error {
	if !p.Enabled {
		return ErrSCIMUnauthorized.With("provider %d is disabled", p.ID)
	}
	if p.SCIMAuthenticationMethod != method {
		return ErrSCIMUnauthorized.With("provider %d uses SCIM authentication method %q, not %s",
			p.ID, p.SCIMAuthenticationMethod, method)
	}
	return nil
}

// GenerateSCIMToken makes a new SCIM bearer token for the provider and
// returns it: the only time it is shown, as only its hash is stored. The
// provider's method becomes token and the token expires after
// DefaultSCIMTokenLifetime. A provider that has a token already is
// refused with ErrSCIMTokenExists unless reset is set: then the old token
// stops working when this change commits. Every front end (REST, console,
// CLI) asks through here, so they agree. The external log records the
// generation or reset, never the token.
func (s *Service) GenerateSCIMToken(ctx context.Context, a Actor, siteID, providerID int64, reset bool) (string, store.SSOStrategy, error) {
	if err := requireSiteAdmin(a); err != nil {
		return "", store.SSOStrategy{}, err
	}
	token := secret.NewToken(SCIMTokenPrefix)
	now := s.now()
	var p store.SSOStrategy
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		var replaced bool
		var err error
		p, err = s.st.UpdateSSOStrategy(ctx, siteID, providerID, func(p *store.SSOStrategy) error {
			replaced = len(p.SCIMTokenHash) > 0
			// A token left from before a switch to Basic works no more.
			if replaced && p.SCIMAuthenticationMethod == SCIMAuthToken && !reset {
				return ErrSCIMTokenExists.With("provider %d already has a SCIM token (it expires %s); to revoke it and make a new one: "+
					"gatehouse providers scim-token reset %d, or POST /api/rest/v1/sso_strategies/%d/scim_token with {\"reset\": true}",
					p.ID, p.SCIMTokenExpiresAt.UTC().Format(time.RFC3339), p.ID, p.ID)
			}
			p.SCIMTokenHash = secret.HashToken(token)
			p.SCIMTokenExpiresAt = now.Add(DefaultSCIMTokenLifetime)
			p.SCIMAuthenticationMethod = SCIMAuthToken
			return nil
		})
		if err != nil {
			return mapStoreErr(err, "store SCIM token", ErrSSOStrategyNotFound, nil)
		}
		eventType, verb := EventTypeSCIMTokenGenerated, "generated"
		if replaced {
			eventType, verb = EventTypeSCIMTokenReset, "reset (the previous token no longer works)"
		}
		body := fmt.Sprintf("SCIM token of SSO provider %s %s by %s; it expires at %s",
			describeProvider(p), verb, describeActor(a), p.SCIMTokenExpiresAt.UTC().Format(time.RFC3339))
		return s.recordExternalEvent(ctx, siteID, eventType, store.EventSuccess, body, p.ID)
	})
	if err != nil {
		return "", store.SSOStrategy{}, err
	}
	s.log.Info("SCIM token generated", "site_id", siteID, "sso_strategy_id", p.ID, "by", a.Username,
		"expires_at", p.SCIMTokenExpiresAt.UTC().Format(time.RFC3339))
	return token, p, nil
}

// GenerateSCIMBasic makes a new SCIM Basic username and password for the
// provider and saves them with the method basic in one change: they work
// from the moment it commits, and the provider's previous Basic credentials
// stop working then. The password is returned this once and stored sealed.
func (s *Service) GenerateSCIMBasic(ctx context.Context, a Actor, siteID, providerID int64) (string, string, store.SSOStrategy, error) {
	if err := requireSiteAdmin(a); err != nil {
		return "", "", store.SSOStrategy{}, err
	}
	if s.opts.Sealer == nil {
		return "", "", store.SSOStrategy{}, ErrInternal.With("the server has no master key configured, so it cannot store a SCIM password")
	}
	username := newSCIMUsername()
	password := secret.NewToken("")
	var p store.SSOStrategy
	err := s.st.Tx(ctx, func(ctx context.Context) error {
		var err error
		p, err = s.st.UpdateSSOStrategy(ctx, siteID, providerID, func(p *store.SSOStrategy) error {
			p.SCIMUsername = username
			p.SCIMPasswordEnc = s.opts.Sealer.Seal([]byte(password), ProviderSecretLabel(p.SiteID, SecretSCIMPassword))
			p.SCIMAuthenticationMethod = SCIMAuthBasic
			return nil
		})
		if err != nil {
			return mapStoreErr(err, "store SCIM Basic credentials", ErrSSOStrategyNotFound, nil)
		}
		body := fmt.Sprintf("SCIM Basic credentials of SSO provider %s generated by %s (username %q; the previous credentials no longer work)",
			describeProvider(p), describeActor(a), username)
		return s.recordExternalEvent(ctx, siteID, EventTypeSCIMBasicGenerated, store.EventSuccess, body, p.ID)
	})
	if err != nil {
		return "", "", store.SSOStrategy{}, err
	}
	s.log.Info("SCIM Basic credentials generated", "site_id", siteID, "sso_strategy_id", p.ID, "by", a.Username)
	return username, password, p, nil
}

// newSCIMUsername returns a random SCIM Basic username. It is not a
// secret, only unlikely to be chosen by anyone else.
func newSCIMUsername() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return SCIMBasicUsernamePrefix + hex.EncodeToString(b)
}

// describeProvider names a provider in an event body.
func describeProvider(p store.SSOStrategy) string {
	name := p.Label
	if name == "" {
		name = p.Provider
	}
	return fmt.Sprintf("%q (id %d)", name, p.ID)
}

// scimDummyState holds what an unknown Basic username is checked against:
// a sealed dummy password, and a decoy (a real provider with a SCIM
// username) whose row the username lookup reads along, so that a known
// and an unknown username cost the store the same (one query, one row).
type scimDummyState struct {
	scimDummyOnce sync.Once
	scimDummy     store.SSOStrategy

	scimDecoyMu      sync.Mutex
	scimDecoyID      int64
	scimDecoyScanned time.Time
}

// scimDecoyRescan is how long a decoy is trusted (it may have been
// deleted or lost its username), and how long the absence of any SCIM
// username is believed, before the providers are scanned again.
const scimDecoyRescan = 10 * time.Minute

// scimDecoy returns the id of a provider with a SCIM username, 0 when no
// provider has one (and so there is no username to discover).
func (s *Service) scimDecoy(ctx context.Context) int64 {
	s.scimDecoyMu.Lock()
	defer s.scimDecoyMu.Unlock()
	if now := s.now(); now.Sub(s.scimDecoyScanned) >= scimDecoyRescan || now.Before(s.scimDecoyScanned) {
		s.scimDecoyScanned = now
		var id int64
		_ = s.eachProvider(ctx, func(p store.SSOStrategy) {
			if id == 0 && p.SCIMUsername != "" {
				id = p.ID
			}
		})
		s.scimDecoyID = id
	}
	return s.scimDecoyID
}

// recordSCIMExpiryChange records in the external log that an update moved
// the SCIM token's expiry date, which decides when provisioning stops.
func (s *Service) recordSCIMExpiryChange(ctx context.Context, a Actor, before, after store.SSOStrategy) error {
	if before.SCIMTokenExpiresAt.Equal(after.SCIMTokenExpiresAt) {
		return nil
	}
	from := "none"
	if !before.SCIMTokenExpiresAt.IsZero() {
		from = before.SCIMTokenExpiresAt.UTC().Format(time.RFC3339)
	}
	body := fmt.Sprintf("SCIM token expiry of SSO provider %s changed by %s from %s to %s",
		describeProvider(after), describeActor(a), from, after.SCIMTokenExpiresAt.UTC().Format(time.RFC3339))
	s.log.Info("SCIM token expiry changed", "site_id", after.SiteID, "sso_strategy_id", after.ID, "by", a.Username,
		"expires_at", after.SCIMTokenExpiresAt.UTC().Format(time.RFC3339))
	return s.recordExternalEvent(ctx, after.SiteID, EventTypeSCIMTokenExpiry, store.EventSuccess, body, after.ID)
}

// maxSCIMTokenExpiry is how far ahead an admin may move a SCIM token's
// expiry: far enough for any planned rotation, near enough that no token
// is effectively forever.
const maxSCIMTokenExpiry = 10 * 365 * 24 * time.Hour

// checkSCIMTokenExpiry accepts a new scim_oauth_access_token_expires_at:
// a real date (a past one expires the token at once), at most
// maxSCIMTokenExpiry ahead.
func checkSCIMTokenExpiry(v *time.Time, now time.Time) error {
	switch {
	case v == nil:
		return nil
	case v.Year() < 2000:
		return ErrInvalidParams.With("scim_oauth_access_token_expires_at must be a date such as 2027-03-01T00:00:00Z")
	case v.Sub(now) > maxSCIMTokenExpiry:
		return ErrInvalidParams.With("scim_oauth_access_token_expires_at must be at most 10 years ahead; extend it again later, or reset the token")
	}
	return nil
}
