package saml

import (
	"encoding/base64"

	"github.com/beevik/etree"
)

// Metadata returns our SP metadata, the document an administrator uploads to
// the identity provider (or gives it by URL): our entity ID, the
// Assertion Consumer Service for the HTTP-POST binding, the NameID formats
// we understand, the SLO endpoint when set, and our certificate for signing
// and encryption when a key is configured.
func (sp *ServiceProvider) Metadata() ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	ed := doc.CreateElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMetadata)
	ed.CreateAttr("xmlns:ds", nsDSig)
	ed.CreateAttr("entityID", sp.entityID)
	sso := ed.CreateElement("md:SPSSODescriptor")
	sso.CreateAttr("protocolSupportEnumeration", nsProtocol)
	if sp.key != nil {
		sso.CreateAttr("AuthnRequestsSigned", "true")
		certText := base64.StdEncoding.EncodeToString(sp.cert.Raw)
		for _, use := range []string{"signing", "encryption"} {
			kd := sso.CreateElement("md:KeyDescriptor")
			kd.CreateAttr("use", use)
			kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(certText)
		}
	} else {
		sso.CreateAttr("AuthnRequestsSigned", "false")
	}
	if sp.sloURL != "" {
		slo := sso.CreateElement("md:SingleLogoutService")
		slo.CreateAttr("Binding", BindingRedirect)
		slo.CreateAttr("Location", sp.sloURL)
	}
	for _, f := range []string{NameIDFormatEmailAddress, NameIDFormatPersistent, NameIDFormatUnspecified} {
		sso.CreateElement("md:NameIDFormat").SetText(f)
	}
	acs := sso.CreateElement("md:AssertionConsumerService")
	acs.CreateAttr("Binding", BindingPOST)
	acs.CreateAttr("Location", sp.acsURL)
	acs.CreateAttr("index", "0")
	acs.CreateAttr("isDefault", "true")
	doc.Indent(2)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, wrap(KindInternal, err, "write SP metadata")
	}
	return out, nil
}
