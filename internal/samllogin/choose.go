package samllogin

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// siteOf picks the site a response is for. The ACS is shared by every
// site, so RelayState names it: the subdomain alone, SUBDOMAIN.SiteDomain
// (what admins type into Entra's Relay State field), or a URL on that host.
// A RelayState that names no site (empty, or a deep link of another kind)
// leaves the site the Host names.
func (s *Service) siteOf(ctx context.Context, host store.Site, relayState string) (store.Site, error) {
	sub := relaySubdomain(relayState, s.core.SiteDomain())
	if sub == "" || strings.EqualFold(sub, host.Subdomain) {
		return host, nil
	}
	site, err := s.id.SiteBySubdomain(ctx, sub)
	if errors.Is(err, identity.ErrNotFound) {
		return host, nil
	}
	return site, err
}

// relaySubdomain reads a site subdomain out of a RelayState, or "".
func relaySubdomain(relayState, siteDomain string) string {
	rs := strings.ToLower(strings.TrimSpace(relayState))
	if rs == "" || len(rs) > saml.MaxRelayStateSize {
		return ""
	}
	host := rs
	if strings.Contains(rs, "://") {
		u, err := url.Parse(rs)
		if err != nil {
			return ""
		}
		host = u.Hostname()
	}
	if siteDomain != "" {
		if host == siteDomain {
			return ""
		}
		host = strings.TrimSuffix(host, "."+siteDomain)
	}
	label, _, _ := strings.Cut(host, ".")
	if !dnsLabel(label) {
		return ""
	}
	return label
}

func dnsLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// providerFor picks the SAML provider of site a response is for: the one
// with the ACS path's identifier, else among the providers on the shared
// ACS the only one, or the one whose identity provider is the response's
// Issuer (issuer reads it from the message). The Issuer is read unverified,
// only to choose; the full validation that follows checks it against the
// chosen provider's trust.
func (s *Service) providerFor(ctx context.Context, site store.Site, identifier string, issuer func() string) (store.SSOStrategy, *saml.IdentityProvider, *signin.LoginError) {
	var candidates []store.SSOStrategy
	opts := store.ListOptions{Limit: 200}
	for {
		page, err := s.id.ListSSOStrategies(ctx, site.ID, opts)
		if err != nil {
			return store.SSOStrategy{}, nil, refusal("", err, "")
		}
		for _, p := range page {
			if p.Protocol != identity.ProtocolSAML {
				continue
			}
			if identifier != "" && p.ProviderIdentifier == identifier || identifier == "" && p.ProviderIdentifier == "" {
				candidates = append(candidates, p)
			}
		}
		if len(page) < opts.Limit {
			break
		}
		opts.AfterID = page[len(page)-1].ID
	}
	noProvider := &signin.LoginError{Check: signin.CheckProvider, Status: http.StatusForbidden,
		Message: "no SAML provider of this site matches the response: check that the identity provider's Reply URL and Relay State are this provider's saml_sp_acs_url and saml_sp_relay_state"}
	switch len(candidates) {
	case 0:
		return store.SSOStrategy{}, nil, noProvider
	case 1:
		p := candidates[0]
		idp, err := s.trustedIdP(ctx, p)
		if err != nil {
			return p, nil, refusal("", err, "")
		}
		return p, idp, nil
	}
	iss := issuer()
	for _, p := range candidates {
		idp, err := s.trustedIdP(ctx, p)
		if err != nil {
			s.log.Warn("samllogin: a SAML provider's trust cannot be used", "sso_strategy_id", p.ID, "error", err)
			continue
		}
		if iss != "" && idp.EntityID == iss {
			return p, idp, nil
		}
	}
	return store.SSOStrategy{}, nil, noProvider
}

// peekIssuer returns the first Issuer of a base64 SAMLResponse, or "" when
// it cannot be read. It never decides trust.
func peekIssuer(samlResponse string) string {
	if len(samlResponse) > saml.DefaultMaxResponseSize*2 {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(samlResponse), ""))
	if err != nil {
		return ""
	}
	iss, _ := peekXML(raw)
	return iss
}

// peekRedirect returns the Issuer and InResponseTo of an HTTP-Redirect
// message (base64 of deflated XML, already query-unescaped), or "" when it
// cannot be read. It never decides trust.
func peekRedirect(value string) (issuer, inResponseTo string) {
	if len(value) > saml.DefaultMaxResponseSize {
		return "", ""
	}
	deflated, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return "", ""
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(deflated)), saml.DefaultMaxResponseSize))
	if err != nil {
		return "", ""
	}
	return peekXML(raw)
}

// peekXML returns the first Issuer of an XML message and its root's
// InResponseTo.
func peekXML(raw []byte) (issuer, inResponseTo string) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	root := true
	for tokens := 0; tokens < 200; tokens++ {
		tok, err := dec.Token()
		if err != nil {
			return "", ""
		}
		se, ok := tok.(xml.StartElement)
		if ok && root {
			root = false
			for _, a := range se.Attr {
				if a.Name.Local == "InResponseTo" && a.Name.Space == "" {
					inResponseTo = a.Value
				}
			}
		}
		if ok && se.Name.Local == "Issuer" {
			var text string
			if err := dec.DecodeElement(&text, &se); err != nil && err != io.EOF {
				return "", ""
			}
			return strings.TrimSpace(text), inResponseTo
		}
	}
	return "", ""
}
