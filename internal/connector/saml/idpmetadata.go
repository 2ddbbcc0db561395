package saml

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// SAML bindings.
const (
	BindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// Limits on identity provider metadata.
const (
	// MaxMetadataSize bounds pasted and fetched metadata. Entra's tenant
	// metadata is about 20 KiB; national federations are far larger but are
	// not what a single site trusts.
	MaxMetadataSize = 1 << 20
	// MetadataFetchTimeout bounds one metadata download when the caller's
	// context has no earlier deadline.
	MetadataFetchTimeout = 30 * time.Second
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseMetadata reads identity provider metadata: an EntityDescriptor, or an
// EntitiesDescriptor holding it. A UTF-8 byte order mark is stripped (Entra's
// app federation metadata URL sends one). entityID selects one IdP out of an
// EntitiesDescriptor; empty means "the only IdP in the document".
//
// It takes the SSO and SLO locations of the HTTP-Redirect binding and every
// signing certificate of the IDPSSODescriptor (KeyDescriptors with
// use="signing" or no use), so a certificate published ahead of a rollover is
// trusted from the moment the metadata is read. WS-Federation RoleDescriptors
// are ignored. The metadata's own signature is not checked: trust comes from
// the administrator pasting it or from the TLS connection it was fetched over.
func ParseMetadata(raw []byte, entityID string) (*IdentityProvider, error) {
	raw = bytes.TrimPrefix(raw, utf8BOM)
	if len(raw) > MaxMetadataSize {
		return nil, fail(KindTooLarge, "metadata is %d bytes, limit %d", len(raw), MaxMetadataSize)
	}
	doc, err := parseChecked(raw, true)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if !is(root, nsMetadata, "EntityDescriptor") && !is(root, nsMetadata, "EntitiesDescriptor") {
		return nil, fail(KindMetadata, "root element is %q, want EntityDescriptor or EntitiesDescriptor", root.Tag)
	}
	var candidates []*etree.Element
	for _, ed := range findAll(root, nsMetadata, "EntityDescriptor") {
		if child(ed, nsMetadata, "IDPSSODescriptor") == nil {
			continue
		}
		if entityID == "" || ed.SelectAttrValue("entityID", "") == entityID {
			candidates = append(candidates, ed)
		}
	}
	switch {
	case len(candidates) == 0 && entityID != "":
		return nil, fail(KindMetadata, "no identity provider with entity ID %q in metadata", entityID)
	case len(candidates) == 0:
		return nil, fail(KindMetadata, "metadata has no IDPSSODescriptor")
	case len(candidates) > 1:
		return nil, fail(KindMetadata, "metadata describes %d identity providers; choose one by entity ID", len(candidates))
	}
	return identityProviderFrom(candidates[0])
}

// identityProviderFrom reads one EntityDescriptor with an IDPSSODescriptor.
func identityProviderFrom(ed *etree.Element) (*IdentityProvider, error) {
	idp := &IdentityProvider{EntityID: strings.TrimSpace(ed.SelectAttrValue("entityID", ""))}
	sso := child(ed, nsMetadata, "IDPSSODescriptor")
	for _, svc := range sso.ChildElements() {
		binding, location := svc.SelectAttrValue("Binding", ""), strings.TrimSpace(svc.SelectAttrValue("Location", ""))
		switch {
		case is(svc, nsMetadata, "SingleSignOnService") && binding == BindingRedirect && idp.SSOURL == "":
			idp.SSOURL = location
		case is(svc, nsMetadata, "SingleLogoutService") && binding == BindingRedirect && idp.SLOURL == "":
			idp.SLOURL = location
		}
	}
	if idp.SSOURL == "" {
		return nil, fail(KindMetadata, "identity provider %q has no HTTP-Redirect SingleSignOnService", idp.EntityID)
	}
	seen := map[string]bool{}
	for _, kd := range sso.ChildElements() {
		if !is(kd, nsMetadata, "KeyDescriptor") {
			continue
		}
		if use := kd.SelectAttrValue("use", ""); use != "" && use != "signing" {
			continue
		}
		for _, el := range findAll(kd, nsDSig, "X509Certificate") {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
			if err != nil {
				return nil, wrap(KindMetadata, err, "signing certificate is not base64")
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, wrap(KindMetadata, err, "signing certificate does not parse")
			}
			if !seen[string(der)] {
				seen[string(der)] = true
				idp.Certificates = append(idp.Certificates, cert)
			}
		}
	}
	if err := idp.validate(); err != nil {
		return nil, wrap(KindMetadata, err, "metadata")
	}
	return idp, nil
}

// FetchMetadata downloads identity provider metadata from rawURL and parses
// it like ParseMetadata. It returns the raw bytes too, so the caller can cache
// them and keep signing in when the IdP is briefly unreachable.
//
// The URL must be https (plain http is accepted only for a loopback host, for
// tests), redirects must stay on https, the body is limited to
// MaxMetadataSize and the download to MetadataFetchTimeout. client is used
// for its transport, so TLS verification is whatever it does — the default
// verifies; nil means http.DefaultClient's transport.
func FetchMetadata(ctx context.Context, client *http.Client, rawURL, entityID string) (*IdentityProvider, []byte, error) {
	if err := checkMetadataURL(rawURL); err != nil {
		return nil, nil, err
	}
	c := http.Client{}
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return checkMetadataURL(req.URL.String())
	}
	ctx, cancel := context.WithTimeout(ctx, MetadataFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, wrap(KindFetch, err, "build request")
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, wrap(KindFetch, err, "GET metadata")
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fail(KindFetch, "GET metadata: HTTP %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxMetadataSize+int64(len(utf8BOM))+1))
	if err != nil {
		return nil, nil, wrap(KindFetch, err, "read metadata")
	}
	if len(bytes.TrimPrefix(raw, utf8BOM)) > MaxMetadataSize {
		return nil, nil, fail(KindTooLarge, "metadata exceeds %d bytes", MaxMetadataSize)
	}
	idp, err := ParseMetadata(raw, entityID)
	if err != nil {
		return nil, raw, err
	}
	return idp, raw, nil
}

// checkMetadataURL allows https anywhere and http only to loopback.
func checkMetadataURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fail(KindFetch, "metadata URL %q is not an absolute URL", rawURL)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return &Error{Kind: KindFetch, Detail: fmt.Sprintf("metadata URL %q must use https", rawURL)}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
