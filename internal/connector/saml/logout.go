package saml

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Single logout over the HTTP-Redirect binding, the only one Entra supports
// for SLO. Messages we send are signed on the query when we have a key;
// messages we receive must carry a query signature by a trusted certificate
// (an unsigned LogoutRequest would let anyone end a user's sessions —
// gosaml2's GHSA-pcgw-qcv5-h8ch).

// LogoutRequest is a verified logout request from the identity provider.
type LogoutRequest struct {
	ID             string
	Issuer         string
	NameID         string
	NameIDFormat   string
	SessionIndexes []string
	RelayState     string
}

// LogoutResponse is a verified answer to our LogoutRequest.
type LogoutResponse struct {
	ID           string
	Issuer       string
	InResponseTo string
	RelayState   string
}

// LogoutRequestURL returns the URL that sends the browser to the IdP's SLO
// endpoint with a LogoutRequest for the session the assertion started
// (nameID, its format and sessionIndex from Assertion), and the request's ID.
func (sp *ServiceProvider) LogoutRequestURL(nameID, nameIDFormat, sessionIndex, relayState string) (redirectURL, requestID string, err error) {
	if sp.idp.SLOURL == "" {
		return "", "", fail(KindConfig, "identity provider has no single logout URL")
	}
	if len(relayState) > MaxRelayStateSize {
		return "", "", fail(KindConfig, "RelayState is %d bytes, limit %d", len(relayState), MaxRelayStateSize)
	}
	requestID, err = newMessageID()
	if err != nil {
		return "", "", err
	}
	req := sp.newMessage("samlp:LogoutRequest", requestID, sp.idp.SLOURL)
	req.CreateAttr("NotOnOrAfter", sp.now().Add(10*time.Minute).UTC().Format(time.RFC3339))
	req.CreateElement("saml:Issuer").SetText(sp.entityID)
	n := req.CreateElement("saml:NameID")
	if nameIDFormat != "" {
		n.CreateAttr("Format", nameIDFormat)
	}
	n.SetText(nameID)
	if sessionIndex != "" {
		req.CreateElement("samlp:SessionIndex").SetText(sessionIndex)
	}
	redirectURL, err = sp.redirectURL(sp.idp.SLOURL, "SAMLRequest", req, relayState)
	return redirectURL, requestID, err
}

// LogoutResponseURL answers an IdP's LogoutRequest with Success once the
// caller has ended the local sessions.
func (sp *ServiceProvider) LogoutResponseURL(inResponseTo, relayState string) (string, error) {
	if sp.idp.SLOURL == "" {
		return "", fail(KindConfig, "identity provider has no single logout URL")
	}
	id, err := newMessageID()
	if err != nil {
		return "", err
	}
	resp := sp.newMessage("samlp:LogoutResponse", id, sp.idp.SLOURL)
	resp.CreateAttr("InResponseTo", inResponseTo)
	resp.CreateElement("saml:Issuer").SetText(sp.entityID)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)
	return sp.redirectURL(sp.idp.SLOURL, "SAMLResponse", resp, relayState)
}

func (sp *ServiceProvider) newMessage(tag, id, destination string) *etree.Element {
	m := etree.NewElement(tag)
	m.CreateAttr("xmlns:samlp", nsProtocol)
	m.CreateAttr("xmlns:saml", nsAssertion)
	m.CreateAttr("ID", id)
	m.CreateAttr("Version", "2.0")
	m.CreateAttr("IssueInstant", sp.now().UTC().Format(time.RFC3339))
	m.CreateAttr("Destination", destination)
	return m
}

// ParseLogoutRequest verifies an IdP-initiated LogoutRequest received on our
// SLO endpoint; rawQuery is the request's URL query exactly as received
// (r.URL.RawQuery), because the signature covers its original encoding.
func (sp *ServiceProvider) ParseLogoutRequest(rawQuery string, now time.Time) (*LogoutRequest, error) {
	root, relayState, err := sp.verifyRedirect(rawQuery, "SAMLRequest", "LogoutRequest", now)
	if err != nil {
		return nil, err
	}
	lr := &LogoutRequest{ID: root.SelectAttrValue("ID", ""), Issuer: sp.idp.EntityID, RelayState: relayState}
	if n := child(root, nsAssertion, "NameID"); n != nil {
		lr.NameID, lr.NameIDFormat = strings.TrimSpace(n.Text()), n.SelectAttrValue("Format", "")
	}
	for _, si := range root.ChildElements() {
		if is(si, nsProtocol, "SessionIndex") {
			lr.SessionIndexes = append(lr.SessionIndexes, strings.TrimSpace(si.Text()))
		}
	}
	if lr.ID == "" {
		return nil, fail(KindMalformed, "LogoutRequest has no ID")
	}
	return lr, nil
}

// ParseLogoutResponse verifies the IdP's answer to our LogoutRequest.
// requestIDs are the logout request IDs this browser is waiting for.
func (sp *ServiceProvider) ParseLogoutResponse(rawQuery string, requestIDs []string, now time.Time) (*LogoutResponse, error) {
	root, relayState, err := sp.verifyRedirect(rawQuery, "SAMLResponse", "LogoutResponse", now)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(root); err != nil {
		return nil, err
	}
	lr := &LogoutResponse{ID: root.SelectAttrValue("ID", ""), Issuer: sp.idp.EntityID,
		InResponseTo: root.SelectAttrValue("InResponseTo", ""), RelayState: relayState}
	found := false
	for _, id := range requestIDs {
		found = found || id == lr.InResponseTo
	}
	if !found {
		return nil, fail(KindInResponseTo, "LogoutResponse answers %q, which this browser did not send", lr.InResponseTo)
	}
	return lr, nil
}

// verifyRedirect checks an HTTP-Redirect message: query signature by a
// trusted certificate with an accepted algorithm, bounded inflation, the XML
// gate, root element, Issuer, Destination and NotOnOrAfter.
func (sp *ServiceProvider) verifyRedirect(rawQuery, param, rootTag string, now time.Time) (*etree.Element, string, error) {
	if sp.sloURL == "" {
		return nil, "", fail(KindConfig, "no SP single logout URL configured (WithSLOURL)")
	}
	raw := map[string]string{}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := raw[k]; dup {
			return nil, "", fail(KindMalformed, "query parameter %s repeated", k)
		}
		raw[k] = v
	}
	value := func(k string) (string, error) {
		v, err := url.QueryUnescape(raw[k])
		if err != nil {
			return "", wrap(KindMalformed, err, "query parameter %s", k)
		}
		return v, nil
	}
	msg, err := value(param)
	if err != nil || msg == "" {
		return nil, "", fail(KindMalformed, "query has no %s", param)
	}
	relayState, err := value("RelayState")
	if err != nil {
		return nil, "", err
	}
	sigAlg, err := value("SigAlg")
	if err != nil {
		return nil, "", err
	}
	sig, err := value("Signature")
	if err != nil {
		return nil, "", err
	}
	signed := param + "=" + raw[param]
	if _, ok := raw["RelayState"]; ok {
		signed += "&RelayState=" + raw["RelayState"]
	}
	signed += "&SigAlg=" + raw["SigAlg"]
	if err := sp.verifyQuerySignature(signed, sigAlg, sig, now); err != nil {
		return nil, "", err
	}

	deflated, err := base64.StdEncoding.DecodeString(msg)
	if err != nil {
		return nil, "", wrap(KindMalformed, err, "%s is not base64", param)
	}
	xmlBytes, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(deflated)), int64(sp.maxResponseSize)+1))
	if err != nil {
		return nil, "", wrap(KindMalformed, err, "%s does not inflate", param)
	}
	if len(xmlBytes) > sp.maxResponseSize {
		return nil, "", fail(KindTooLarge, "%s inflates beyond %d bytes", param, sp.maxResponseSize)
	}
	doc, err := parseChecked(xmlBytes, false)
	if err != nil {
		return nil, "", err
	}
	root := doc.Root()
	if !is(root, nsProtocol, rootTag) {
		return nil, "", fail(KindMalformed, "root element is %q, want %s", root.Tag, rootTag)
	}
	if iss := child(root, nsAssertion, "Issuer"); iss == nil || strings.TrimSpace(iss.Text()) != sp.idp.EntityID {
		return nil, "", fail(KindIssuer, "%s issuer is not %q", rootTag, sp.idp.EntityID)
	}
	if d := root.SelectAttrValue("Destination", ""); d != "" && d != sp.sloURL {
		return nil, "", fail(KindDestination, "%s Destination %q, want %q", rootTag, d, sp.sloURL)
	}
	if noa := root.SelectAttrValue("NotOnOrAfter", ""); noa != "" {
		t, err := time.Parse(time.RFC3339, noa)
		if err != nil {
			return nil, "", wrap(KindMalformed, err, "NotOnOrAfter")
		}
		if !now.Add(-sp.skew).Before(t) {
			return nil, "", fail(KindExpired, "%s expired at %s", rootTag, noa)
		}
	}
	return root, relayState, nil
}

// verifyQuerySignature checks a redirect-binding signature against every
// trusted certificate. Fingerprint trust cannot be used: a redirect-binding
// message carries no certificate to compare the fingerprint with.
func (sp *ServiceProvider) verifyQuerySignature(signed, sigAlg, sigB64 string, now time.Time) error {
	if sigAlg == "" || sigB64 == "" {
		return fail(KindSignature, "logout message is not signed")
	}
	var hash crypto.Hash
	switch sigAlg {
	case algRSASHA256:
		hash = crypto.SHA256
	case algRSASHA384:
		hash = crypto.SHA384
	case algRSASHA512:
		hash = crypto.SHA512
	case algRSASHA1:
		if !sp.allowSHA1 {
			return fail(KindAlgorithm, "SigAlg %q is not accepted", sigAlg)
		}
		hash = crypto.SHA1
	default:
		return fail(KindAlgorithm, "SigAlg %q is not accepted", sigAlg)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return wrap(KindSignature, err, "Signature is not base64")
	}
	if len(sp.idp.Certificates) == 0 {
		return fail(KindUntrustedCert, "redirect-binding signatures need the IdP's certificate (metadata trust), not only its fingerprint")
	}
	digest := hashOf(hash, []byte(signed))
	for _, c := range sp.idp.Certificates {
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if ok && rsa.VerifyPKCS1v15(pub, hash, digest, sig) == nil {
			if now.After(c.NotAfter) {
				return fail(KindUntrustedCert, "signing certificate expired %s", c.NotAfter.Format(time.RFC3339))
			}
			return nil
		}
	}
	return fail(KindSignature, "query signature does not verify with any trusted certificate")
}

func hashOf(h crypto.Hash, b []byte) []byte {
	switch h {
	case crypto.SHA1:
		s := sha1.Sum(b)
		return s[:]
	case crypto.SHA384:
		s := sha512.Sum384(b)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(b)
		return s[:]
	}
	s := sha256.Sum256(b)
	return s[:]
}
