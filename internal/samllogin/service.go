// Package samllogin is SAML 2.0 single sign-on: the protocol adapter
// beside the sign-in core (package signin). It turns a provider record
// into a SAML service provider (our URLs, the trusted identity provider,
// the shared replay cache and request tracker), starts SP-initiated
// sign-ins, verifies the identity provider's responses and maps their
// attributes to an identity, which the core decides, provisions, records
// and starts a session for. It also serves single logout and keeps the
// identity providers' metadata fresh.
//
// It keeps nothing in process memory that another node would need: request
// IDs and used assertion IDs live in the store (through the core), so any
// node behind a load balancer may finish a sign-in another one started.
package samllogin

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/backoff"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Service starts and finishes SAML sign-ins. It is safe for concurrent use.
type Service struct {
	core   *signin.Service
	id     *identity.Service
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	spKeys sync.Map // site ID -> spKeyPair
	// fetches lets one sign-in at a time fetch a provider's missing
	// metadata; the others wait for its result.
	fetches backoff.Gate
}

// New returns the SAML adapter of the sign-in core core; sessions its
// sign-ins start are linked to the identity provider's session, for
// single logout.
func New(core *signin.Service) (*Service, error) {
	if core == nil {
		return nil, errors.New("samllogin: the sign-in core is required")
	}
	s := &Service{core: core, id: core.Identity(), log: core.Logger(), now: core.Now, client: core.HTTPClient()}
	core.LinkSessionsOf(identity.ProtocolSAML, s)
	return s, nil
}

// SPValues are what an administrator pastes into the identity provider's
// console (Entra's "Basic SAML Configuration").
type SPValues struct {
	EntityID    string `json:"saml_sp_entity_id"`    // Entra: Identifier (Entity ID)
	ACSURL      string `json:"saml_sp_acs_url"`      // Entra: Reply URL (Assertion Consumer Service URL)
	SignOnURL   string `json:"saml_sp_sign_on_url"`  // Entra: Sign on URL
	RelayState  string `json:"saml_sp_relay_state"`  // Entra: Relay State
	MetadataURL string `json:"saml_sp_metadata_url"` // our metadata, for IdPs that read it
	// SLOURL receives the IdP's LogoutRequests and LogoutResponses (Entra:
	// Logout Url). It is on the site's own host, which names the site.
	SLOURL string `json:"saml_sp_slo_url"`
}

// SPValuesFor returns the service provider values of a SAML provider of
// site. The entity ID is the metadata URL, by convention; a provider with
// a provider_identifier gets its own pair of URLs so that one site can
// trust several identity providers, each with its own Entra application.
func (s *Service) SPValuesFor(site store.Site, p store.SSOStrategy) SPValues {
	suffix := ""
	if p.ProviderIdentifier != "" {
		suffix = "/" + url.PathEscape(p.ProviderIdentifier)
	}
	base, siteURL := s.core.BaseURL(), s.core.SiteURL(site)
	v := SPValues{
		EntityID:    base + "/saml/metadata" + suffix,
		ACSURL:      base + "/saml/consume" + suffix,
		MetadataURL: base + "/saml/metadata" + suffix,
		SignOnURL:   siteURL + "/saml/login?sso_strategy_id=" + strconv.FormatInt(p.ID, 10),
		RelayState:  site.Subdomain,
		SLOURL:      siteURL + "/saml/logout" + suffix,
	}
	return v
}
