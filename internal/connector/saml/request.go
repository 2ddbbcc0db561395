package saml

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"time"

	"github.com/beevik/etree"
)

// MaxRelayStateSize is the SAML bindings limit on RelayState (section 3.4.3).
const MaxRelayStateSize = 80

// sigAlgRSASHA256 is the SigAlg we sign redirect-binding queries with.
const sigAlgRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

// AuthnRequestURL returns the URL that sends the browser to the identity
// provider with a fresh AuthnRequest (HTTP-Redirect binding: deflated,
// base64, and a query signature when we have a key), and the request's ID.
// The caller keeps the ID — in the browser's pre-login session or a
// RequestTracker — and hands it back to ParseResponse, which then accepts
// only a response to that request.
//
// The request follows what Entra accepts: an ID that does not start with a
// digit, no Subject, no RequestedAuthnContext, NameIDPolicy only when a
// format was configured.
func (sp *ServiceProvider) AuthnRequestURL(relayState string) (redirectURL, requestID string, err error) {
	if len(relayState) > MaxRelayStateSize {
		return "", "", fail(KindConfig, "RelayState is %d bytes, limit %d", len(relayState), MaxRelayStateSize)
	}
	requestID, err = newMessageID()
	if err != nil {
		return "", "", err
	}
	req := etree.NewElement("samlp:AuthnRequest")
	req.CreateAttr("xmlns:samlp", nsProtocol)
	req.CreateAttr("xmlns:saml", nsAssertion)
	req.CreateAttr("ID", requestID)
	req.CreateAttr("Version", "2.0")
	req.CreateAttr("IssueInstant", sp.now().UTC().Format(time.RFC3339))
	req.CreateAttr("Destination", sp.idp.SSOURL)
	req.CreateAttr("AssertionConsumerServiceURL", sp.acsURL)
	req.CreateAttr("ProtocolBinding", BindingPOST)
	if sp.forceAuthn {
		req.CreateAttr("ForceAuthn", "true")
	}
	req.CreateElement("saml:Issuer").SetText(sp.entityID)
	if sp.nameIDFormat != "" {
		p := req.CreateElement("samlp:NameIDPolicy")
		p.CreateAttr("Format", sp.nameIDFormat)
		p.CreateAttr("AllowCreate", "true")
	}
	redirectURL, err = sp.redirectURL(sp.idp.SSOURL, "SAMLRequest", req, relayState)
	if err != nil {
		return "", "", err
	}
	return redirectURL, requestID, nil
}

// newMessageID returns "id" and 32 hex digits from crypto/rand: unguessable,
// a valid xs:ID, and not starting with a digit as Entra requires.
func newMessageID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", wrap(KindInternal, err, "random message ID")
	}
	return "id" + hex.EncodeToString(b[:]), nil
}

// redirectURL encodes msg for the HTTP-Redirect binding under param
// ("SAMLRequest" or "SAMLResponse") on target, and signs the query when we
// have a key (bindings section 3.4.4.1: the signature covers
// param=…&RelayState=…&SigAlg=… exactly as sent).
func (sp *ServiceProvider) redirectURL(target, param string, msg *etree.Element, relayState string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", wrap(KindConfig, err, "IdP URL")
	}
	doc := etree.NewDocument()
	doc.SetRoot(msg)
	xmlBytes, err := doc.WriteToBytes()
	if err != nil {
		return "", wrap(KindInternal, err, "write %s", param)
	}
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", wrap(KindInternal, err, "deflate")
	}
	if _, err := fw.Write(xmlBytes); err != nil {
		return "", wrap(KindInternal, err, "deflate")
	}
	if err := fw.Close(); err != nil {
		return "", wrap(KindInternal, err, "deflate")
	}
	signed := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relayState != "" {
		signed += "&RelayState=" + url.QueryEscape(relayState)
	}
	query := signed
	if sp.key != nil {
		signed += "&SigAlg=" + url.QueryEscape(sigAlgRSASHA256)
		sum := sha256.Sum256([]byte(signed))
		sig, err := rsa.SignPKCS1v15(rand.Reader, sp.key, crypto.SHA256, sum[:])
		if err != nil {
			return "", wrap(KindInternal, err, "sign redirect query")
		}
		query = signed + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	}
	if u.RawQuery != "" {
		query = u.RawQuery + "&" + query
	}
	u.RawQuery = query
	return u.String(), nil
}
