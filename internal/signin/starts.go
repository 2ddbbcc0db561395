package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Sign-in starts per address. Anyone may open a sign-in link, and every
// start of a usable provider stores the sign-in in flight (for 15 minutes,
// so that any node can finish it). So each source address (IPv6 by /64)
// may start StartRate sign-ins at once and then one every
// StartPer/StartRate — far more than a person clicking, even a whole
// office behind one address — and the rest are refused before anything is
// stored: at most StartRate + 15×StartRate states per address are ever
// waiting. SAML and OpenID Connect share one budget. Starts refused for
// another reason (no such provider, one whose metadata cannot be read)
// store nothing and are not counted: the refusal limiter and the
// provider's back-off bound what those cost.
const (
	StartRate = 20
	StartPer  = time.Minute
)

// CheckTooManyStarts names a sign-in start refused because its address
// started too many lately.
const CheckTooManyStarts = "too-many-starts"

// NewStartLimiter returns the per-address limit of sign-in starts; the
// server makes one and gives it to the sign-in core (Options.Starts),
// which counts the SAML and the OpenID Connect starts against it.
func NewStartLimiter(clock func() time.Time, log *slog.Logger) *sourcelimit.Limiter {
	return sourcelimit.New(sourcelimit.Options{Rate: StartRate, Per: StartPer, Clock: clock, Logger: log,
		What: "single sign-on starts"})
}

// AdmitStart counts one sign-in start from ip and, when the address
// started too many lately, refuses it: a *LoginError with status 429 and
// RetryAfter. A protocol adapter asks it just before it stores a start.
// The refusal is not an SSO event (an address over its limit would only
// be writing rows another way); the limiter logs refusals at most every
// 10 seconds, with their count.
func (s *Service) AdmitStart(ip string) error {
	ok, wait := s.starts.Allow(ip)
	if ok {
		return nil
	}
	seconds := int((wait + time.Second - 1) / time.Second)
	return &LoginError{Check: CheckTooManyStarts, Status: http.StatusTooManyRequests, RetryAfter: time.Duration(seconds) * time.Second,
		Message: fmt.Sprintf("too many sign-ins were started from your address in the last minute; wait %d seconds, then start again from the sign-in page", seconds)}
}

// ProviderToStart finds the provider a sign-in start names, the same for
// every protocol: one of protocol (named for people as protocolName) on
// the site, enabled, asked for by a browser that brings a well-formed
// binding nonce. A refusal comes with the provider as far as it was found
// (zero when none), for the adapter to record.
func (s *Service) ProviderToStart(ctx context.Context, siteID, providerID int64, protocol, protocolName, browser string) (store.SSOStrategy, *LoginError) {
	p, err := s.id.GetSSOStrategy(ctx, siteID, providerID)
	if errors.Is(err, identity.ErrSSOStrategyNotFound) || errors.Is(err, identity.ErrNotFound) || (err == nil && p.Protocol != protocol) {
		return store.SSOStrategy{}, &LoginError{Check: CheckProvider, Status: http.StatusNotFound,
			Message: "this site has no " + protocolName + " provider with that id; use a button on the sign-in page"}
	}
	if err != nil {
		return store.SSOStrategy{}, Refusal("", err, nil, "")
	}
	if !p.Enabled {
		return p, &LoginError{Check: CheckProviderDisabled, Status: http.StatusForbidden,
			Message: "this single sign-on provider is disabled; a site admin can enable it"}
	}
	if !WellFormedBrowserNonce(browser) {
		return p, Refusal("", fmt.Errorf("%s sign-in start without a browser binding nonce", protocolName), nil, "")
	}
	return p, nil
}
