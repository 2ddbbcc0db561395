package samllogin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Single logout (HTTP-Redirect binding). Our SLO URL is on the site's own
// host, so the Host names the site; the path's identifier and the message's
// Issuer name the provider, as at the ACS.

// EventSAMLLogout is the SSO event type of every single logout.
const EventSAMLLogout = "saml_logout"

// logoutReplayWindow is how long a LogoutRequest ID is remembered: a
// captured request replayed later would otherwise end sessions started
// after it.
const logoutReplayWindow = 24 * time.Hour

// sessionLink is what an SP-initiated logout needs to name the IdP's
// session in its LogoutRequest; kept per session as a login state.
type sessionLink struct {
	NameID       string `json:"name_id"`
	NameIDFormat string `json:"name_id_format,omitempty"`
	SessionIndex string `json:"session_index,omitempty"`
}

// LinkSession remembers which IdP session started sess, so that signing
// out of it can also sign out at the identity provider. A failure only
// costs that, so it is logged, not returned.
// It is the sign-in core's signin.SessionLinker for SAML providers.
func (s *Service) LinkSession(ctx context.Context, in signin.SignIn, sess store.Session) {
	if in.NameID == "" {
		return
	}
	data, _ := json.Marshal(sessionLink{NameID: signin.Clip(in.NameID, 1024), NameIDFormat: signin.Clip(in.NameIDFormat, 256),
		SessionIndex: sess.SSOSessionIndex})
	ls := store.LoginState{KeyHash: sessionKey(sess.SiteID, sess.ID), SiteID: sess.SiteID, SSOStrategyID: in.Provider.ID,
		Kind: store.LoginStateSAMLSession, Data: string(data), ExpiresAt: sess.ExpiresAt}
	if err := s.core.SaveState(ctx, ls); err != nil {
		s.log.Warn("samllogin: cannot link a session to its identity provider session; single logout will be local only",
			"site_id", sess.SiteID, "error", err)
	}
}

// StartLogout is called when the user of sess signs out. When a SAML
// sign-in started the session and its identity provider has a single
// logout URL, it returns the URL that sends the browser there with a
// LogoutRequest (whose ID it remembers); otherwise "", and the sign-out is
// local only. The caller ends the local session either way.
func (s *Service) StartLogout(ctx context.Context, site store.Site, sess store.Session) string {
	ls, err := s.core.TakeState(ctx, sessionKey(site.ID, sess.ID))
	if err != nil || ls.Kind != store.LoginStateSAMLSession || ls.SiteID != site.ID {
		return ""
	}
	var link sessionLink
	if json.Unmarshal([]byte(ls.Data), &link) != nil || link.NameID == "" {
		return ""
	}
	p, err := s.id.GetSSOStrategy(ctx, site.ID, ls.SSOStrategyID)
	if err != nil || p.Protocol != identity.ProtocolSAML || !p.Enabled {
		return ""
	}
	idp, err := s.trustedIdP(ctx, p)
	if err != nil || idp.SLOURL == "" {
		return ""
	}
	sp, _, err := s.serviceProvider(ctx, site, p, idp, nil)
	if err != nil {
		return ""
	}
	redirect, requestID, err := sp.LogoutRequestURL(link.NameID, link.NameIDFormat, link.SessionIndex, site.Subdomain)
	if err == nil {
		err = s.core.SaveState(ctx, store.LoginState{KeyHash: logoutKey(requestID), SiteID: site.ID, SSOStrategyID: p.ID,
			Kind: store.LoginStateSAMLLogout})
	}
	if err != nil {
		s.log.Warn("samllogin: single logout not started; signing out locally", "site_id", site.ID, "sso_strategy_id", p.ID, "error", err)
		return ""
	}
	s.core.Record(ctx, store.SSOEvent{SiteID: site.ID, EventType: EventSAMLLogout, Status: store.EventInProgress,
		Body: "signed out here; logout request sent to the identity provider", UserID: sess.UserID}, p)
	return redirect
}

// LogoutMessage is a request to our SLO URL.
type LogoutMessage struct {
	HostSite   store.Site // the site the Host names
	Identifier string     // the {provider_identifier} of the path; "" for the shared URL
	RawQuery   string     // r.URL.RawQuery exactly as received: the signature covers it
	IP         string
}

// LogoutResult says where the browser goes next.
type LogoutResult struct {
	// Redirect is the IdP's SLO URL with our LogoutResponse, after an
	// IdP-initiated logout; "" after the answer to our own LogoutRequest.
	Redirect string
	// SessionsEnded counts the sessions an IdP-initiated logout ended.
	SessionsEnded int
}

// Logout handles a message at our SLO URL: the identity provider's
// LogoutRequest (it ends the named user's sessions from that IdP session
// and answers with a LogoutResponse) or its LogoutResponse to ours. Both
// must carry a valid signature of the provider's identity provider. Every
// outcome leaves an SSO event; a refusal is a *signin.LoginError.
func (s *Service) Logout(ctx context.Context, m LogoutMessage) (LogoutResult, error) {
	site := m.HostSite
	q, err := url.ParseQuery(m.RawQuery)
	param := "SAMLRequest"
	if q.Get(param) == "" {
		param = "SAMLResponse"
	}
	if err != nil || q.Get(param) == "" || len(m.RawQuery) > 2*saml.DefaultMaxResponseSize {
		return LogoutResult{}, s.refuseLogoutAnonymous(ctx, site.ID, store.SSOStrategy{}, &signin.LoginError{Check: string(saml.KindMalformed),
			Status: http.StatusBadRequest, Message: "the single logout URL received neither a SAMLRequest nor a SAMLResponse"}, m.IP)
	}
	issuer, inResponseTo := peekRedirect(q.Get(param))
	p, idp, lerr := s.providerFor(ctx, site, m.Identifier, func() string { return issuer })
	if lerr != nil {
		if lerr.Check == signin.CheckProvider {
			lerr.Message = "no SAML provider of this site matches the logout message: check the Logout URL configured in the identity provider against this provider's saml_sp_slo_url"
		}
		return LogoutResult{}, s.refuseLogoutAnonymous(ctx, site.ID, p, lerr, m.IP)
	}
	sp, _, err := s.serviceProvider(ctx, site, p, idp, nil)
	if err != nil {
		return LogoutResult{}, s.refuseLogoutAnonymous(ctx, site.ID, p, refusal("", err, ""), m.IP)
	}
	if param == "SAMLResponse" {
		return LogoutResult{}, s.logoutAnswered(ctx, site, p, sp, m, inResponseTo)
	}
	return s.idpLogout(ctx, site, p, sp, m)
}

// idpLogout ends the sessions an IdP-initiated LogoutRequest names.
func (s *Service) idpLogout(ctx context.Context, site store.Site, p store.SSOStrategy, sp *saml.ServiceProvider, m LogoutMessage) (LogoutResult, error) {
	now := s.now()
	lr, err := sp.ParseLogoutRequest(m.RawQuery, now)
	if err != nil {
		return LogoutResult{}, s.refuseLogoutAnonymous(ctx, site.ID, p, refusal("", err, ""), m.IP)
	}
	first, err := s.core.UsedOnce(ctx, p.ID, "logout:"+lr.ID, now.Add(logoutReplayWindow))
	if err != nil {
		return LogoutResult{}, s.refuseLogout(ctx, site.ID, p, refusal("", err, ""), m.IP)
	}
	if !first {
		return LogoutResult{}, s.refuseLogout(ctx, site.ID, p, &signin.LoginError{Check: string(saml.KindReplay), Status: http.StatusForbidden,
			Message: "this logout request was already used"}, m.IP)
	}
	u, found, err := s.userOfNameID(ctx, site, p, lr.NameID)
	if err != nil {
		return LogoutResult{}, s.refuseLogout(ctx, site.ID, p, refusal("", err, ""), m.IP)
	}
	ended, body := 0, "the identity provider signed out "+signin.Clip(lr.NameID, 200)+", who has no account here"
	if found {
		if ended, err = s.id.EndSSOSessions(ctx, site.ID, u.ID, lr.SessionIndexes); err != nil {
			return LogoutResult{}, s.refuseLogout(ctx, site.ID, p, refusal("", err, ""), m.IP)
		}
		body = fmt.Sprintf("signed out by the identity provider: %d session(s) ended", ended)
	}
	s.core.Record(ctx, store.SSOEvent{SiteID: site.ID, EventType: EventSAMLLogout, Status: store.EventSuccess, Body: body,
		UserID: u.ID, Username: lr.NameID, IP: m.IP}, p)
	redirect, err := sp.LogoutResponseURL(lr.ID, lr.RelayState)
	if err != nil {
		return LogoutResult{SessionsEnded: ended}, refusal("", err, "the sessions ended, but the answer to the identity provider could not be built (%s)", signin.Clip(err.Error(), 300))
	}
	return LogoutResult{Redirect: redirect, SessionsEnded: ended}, nil
}

// logoutAnswered accepts the IdP's LogoutResponse to a LogoutRequest this
// site and provider sent (once: the request's state is taken).
func (s *Service) logoutAnswered(ctx context.Context, site store.Site, p store.SSOStrategy, sp *saml.ServiceProvider, m LogoutMessage, inResponseTo string) error {
	now := s.now()
	var sent []string
	if inResponseTo != "" {
		ls, err := s.core.TakeState(ctx, logoutKey(inResponseTo))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return s.refuseLogoutAnonymous(ctx, site.ID, p, refusal("", err, ""), m.IP)
		}
		if err == nil && ls.Kind == store.LoginStateSAMLLogout && ls.SiteID == site.ID && ls.SSOStrategyID == p.ID {
			sent = []string{inResponseTo}
		}
	}
	body := "single logout finished: the identity provider signed the user out"
	if _, err := sp.ParseLogoutResponse(m.RawQuery, sent, now); err != nil {
		if !unverifiableAnswer(sp, err, sent) {
			if len(sent) == 0 {
				return s.refuseLogoutAnonymous(ctx, site.ID, p, refusal("", err, ""), m.IP)
			}
			return s.refuseLogout(ctx, site.ID, p, refusal("", err, ""), m.IP)
		}
		body = "single logout finished at the identity provider; its answer could not be verified because a " +
			"redirect-binding signature needs the identity provider's certificate and this provider is trusted " +
			"by fingerprint only (paste the identity provider's metadata to have answers verified)"
	}
	s.core.Record(ctx, store.SSOEvent{SiteID: site.ID, EventType: EventSAMLLogout, Status: store.EventSuccess,
		Body: body, IP: m.IP}, p)
	return nil
}

// unverifiableAnswer reports a LogoutResponse that failed only because
// fingerprint trust has no certificate to check a redirect-binding
// signature with, to a LogoutRequest this site did send (its state was
// just taken). Such an answer is let through: our session ended before the
// browser left, so the answer changes nothing here but the event, and
// refusing it would leave the person on an error page after a sign-out that
// worked.
func unverifiableAnswer(sp *saml.ServiceProvider, err error, sent []string) bool {
	idp := sp.IdentityProvider()
	return saml.KindOf(err) == saml.KindUntrustedCert && len(sent) == 1 &&
		len(idp.Fingerprint) > 0 && len(idp.Certificates) == 0
}

// userOfNameID finds the provider's user a LogoutRequest names: by login
// name (Entra's NameID is the user principal name), else by immutable id
// (a persistent NameID).
func (s *Service) userOfNameID(ctx context.Context, site store.Site, p store.SSOStrategy, nameID string) (store.User, bool, error) {
	if nameID == "" {
		return store.User{}, false, nil
	}
	u, err := s.id.GetUserByUsername(ctx, site.ID, nameID)
	if err == nil && u.SSOStrategyID == p.ID {
		return u, true, nil
	}
	if err != nil && !errors.Is(err, identity.ErrUserNotFound) {
		return store.User{}, false, err
	}
	users, err := s.id.ListUsers(ctx, site.ID, store.UserQuery{SSOStrategyID: p.ID, ExternalID: nameID,
		ListOptions: store.ListOptions{Limit: 1}})
	if err != nil || len(users) == 0 {
		return store.User{}, false, err
	}
	return users[0], true, nil
}

// refuseLogout records a refused logout message that names a real logout —
// verified, or answering a request this site sent — and returns it.
func (s *Service) refuseLogout(ctx context.Context, siteID int64, p store.SSOStrategy, e *signin.LoginError, ip string) error {
	if siteID != 0 && !e.Repeats() {
		s.core.Record(ctx, logoutRefusal(siteID, e, ip), p)
	}
	s.log.Info("SAML logout message refused", "site_id", siteID, "sso_strategy_id", p.ID, "check", e.Check, "ip", ip)
	return e
}

// refuseLogoutAnonymous is refuseLogout for a message that proved nothing
// (unreadable, unsigned, forged, for no provider): through the flood
// limiter.
func (s *Service) refuseLogoutAnonymous(ctx context.Context, siteID int64, p store.SSOStrategy, e *signin.LoginError, ip string) error {
	if siteID != 0 && !e.Repeats() {
		s.core.RecordUnproven(ctx, logoutRefusal(siteID, e, ip), p)
	}
	s.log.Info("SAML logout message refused", "site_id", siteID, "sso_strategy_id", p.ID, "check", e.Check, "ip", ip)
	return e
}

func logoutRefusal(siteID int64, e *signin.LoginError, ip string) store.SSOEvent {
	return store.SSOEvent{SiteID: siteID, EventType: EventSAMLLogout, Status: store.EventFailure,
		Body: "logout message refused: " + signin.Clip(e.EventText(), 1500), EventErrors: []string{e.Check}, IP: ip}
}

// sessionKey is the login state key of a session's link to its IdP session.
func sessionKey(siteID, sessionID int64) []byte {
	h := sha256.Sum256([]byte(store.LoginStateSAMLSession + "\x00" + strconv.FormatInt(siteID, 10) + "\x00" + strconv.FormatInt(sessionID, 10)))
	return h[:]
}

// logoutKey is the login state key of a LogoutRequest ID we sent.
func logoutKey(requestID string) []byte {
	h := sha256.Sum256([]byte(store.LoginStateSAMLLogout + "\x00" + requestID))
	return h[:]
}
