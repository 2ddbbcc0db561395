package saml

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
)

const (
	bearerMethod = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	samlVersion  = "2.0"
)

// checkVerified checks the verified response and its assertion against our
// configuration, and returns the Assertion with the time until which its ID
// must be remembered. Values that admit someone come from the verified
// assertion only; the Response's own attributes (Destination, Version,
// Issuer) are read from the verified Response when it was signed and
// otherwise can only refuse.
func (sp *ServiceProvider) checkVerified(v *verified, now time.Time) (*Assertion, time.Time, error) {
	resp, as := v.response, v.assertion
	if dest := resp.SelectAttrValue("Destination", ""); dest != "" && dest != sp.acsURL {
		return nil, time.Time{}, fail(KindDestination, "Destination %q, want %q", dest, sp.acsURL)
	}
	if ver := resp.SelectAttrValue("Version", ""); ver != samlVersion {
		return nil, time.Time{}, fail(KindMalformed, "SAML version %q, want %q", ver, samlVersion)
	}
	if got, ok := issuerOf(resp); !ok || got != sp.idp.EntityID {
		return nil, time.Time{}, fail(KindIssuer, "response issuer %q, want %q", got, sp.idp.EntityID)
	}
	if got, ok := issuerOf(as); !ok || got != sp.idp.EntityID {
		return nil, time.Time{}, fail(KindIssuer, "assertion issuer %q, want %q", got, sp.idp.EntityID)
	}

	subject := child(as, nsAssertion, "Subject")
	if subject == nil {
		return nil, time.Time{}, fail(KindSubject, "assertion has no Subject")
	}
	scd := bearerConfirmation(subject)
	if scd == nil {
		return nil, time.Time{}, fail(KindSubject, "assertion has no bearer SubjectConfirmationData")
	}
	if got := scd.SelectAttrValue("Recipient", ""); got != sp.acsURL {
		return nil, time.Time{}, fail(KindRecipient, "Recipient %q, want %q", got, sp.acsURL)
	}
	scdNOA, err := timeAttr(scd, "NotOnOrAfter")
	if err != nil || scdNOA.IsZero() {
		return nil, time.Time{}, wrap(KindExpired, err, "SubjectConfirmationData/@NotOnOrAfter missing or unreadable")
	}
	if !now.Add(-sp.skew).Before(scdNOA) {
		return nil, time.Time{}, fail(KindExpired, "SubjectConfirmationData NotOnOrAfter %s has passed", scdNOA.Format(time.RFC3339))
	}

	noa, err := sp.checkConditions(child(as, nsAssertion, "Conditions"), now)
	if err != nil {
		return nil, time.Time{}, err
	}
	nameID := child(subject, nsAssertion, "NameID")
	if nameID == nil || strings.TrimSpace(nameID.Text()) == "" {
		return nil, time.Time{}, fail(KindSubject, "assertion has no NameID")
	}
	id := as.SelectAttrValue("ID", "")
	if id == "" {
		return nil, time.Time{}, fail(KindMalformed, "assertion has no ID")
	}
	a := &Assertion{
		ID:              id,
		Issuer:          sp.idp.EntityID,
		NameID:          strings.TrimSpace(nameID.Text()),
		NameIDFormat:    nameID.SelectAttrValue("Format", ""),
		Attributes:      attributesOf(as),
		NotOnOrAfter:    noa,
		InResponseTo:    scd.SelectAttrValue("InResponseTo", ""),
		ResponseSigned:  v.responseSigned,
		AssertionSigned: v.assertionSigned,
	}
	if st := child(as, nsAssertion, "AuthnStatement"); st != nil {
		a.SessionIndex = st.SelectAttrValue("SessionIndex", "")
		if a.AuthnInstant, err = timeAttr(st, "AuthnInstant"); err != nil {
			return nil, time.Time{}, wrap(KindMalformed, err, "AuthnStatement/@AuthnInstant")
		}
		if a.SessionNotOnOrAfter, err = timeAttr(st, "SessionNotOnOrAfter"); err != nil {
			return nil, time.Time{}, wrap(KindMalformed, err, "AuthnStatement/@SessionNotOnOrAfter")
		}
	}
	return a, later(noa, scdNOA), nil
}

// checkConditions checks the audience and validity window and returns
// NotOnOrAfter, which Entra always sets and which this package requires.
func (sp *ServiceProvider) checkConditions(c *etree.Element, now time.Time) (time.Time, error) {
	if c == nil {
		return time.Time{}, fail(KindAudience, "assertion has no Conditions")
	}
	restrictions := 0
	for _, ar := range c.ChildElements() {
		if !is(ar, nsAssertion, "AudienceRestriction") {
			continue
		}
		restrictions++
		named := slices.ContainsFunc(ar.ChildElements(), func(a *etree.Element) bool {
			return is(a, nsAssertion, "Audience") && strings.TrimSpace(a.Text()) == sp.entityID
		})
		if !named {
			return time.Time{}, fail(KindAudience, "audience restriction does not name %q", sp.entityID)
		}
	}
	if restrictions == 0 {
		return time.Time{}, fail(KindAudience, "assertion has no AudienceRestriction")
	}
	nb, err := timeAttr(c, "NotBefore")
	if err != nil {
		return time.Time{}, wrap(KindMalformed, err, "Conditions/@NotBefore")
	}
	if !nb.IsZero() && now.Add(sp.skew).Before(nb) {
		return time.Time{}, fail(KindNotYetValid, "NotBefore %s is after %s plus %s skew", nb.Format(time.RFC3339), now.UTC().Format(time.RFC3339), sp.skew)
	}
	noa, err := timeAttr(c, "NotOnOrAfter")
	if err != nil {
		return time.Time{}, wrap(KindMalformed, err, "Conditions/@NotOnOrAfter")
	}
	if noa.IsZero() {
		return time.Time{}, fail(KindExpired, "assertion has no Conditions/@NotOnOrAfter")
	}
	if !now.Add(-sp.skew).Before(noa) {
		return time.Time{}, fail(KindExpired, "NotOnOrAfter %s is before %s minus %s skew", noa.Format(time.RFC3339), now.UTC().Format(time.RFC3339), sp.skew)
	}
	return noa, nil
}

// checkInResponseTo accepts a response to one of requestIDs or to a request
// the tracker knows, or — when allowed — an IdP-initiated one. The verified
// SubjectConfirmationData's InResponseTo is authoritative; the Response's
// own attribute counts only when the Response itself was signed, and
// otherwise can only refuse.
func (sp *ServiceProvider) checkInResponseTo(ctx context.Context, v *verified, a *Assertion, requestIDs []string) error {
	respIRT := v.response.SelectAttrValue("InResponseTo", "")
	if respIRT != "" && a.InResponseTo != "" && respIRT != a.InResponseTo {
		return fail(KindInResponseTo, "Response answers %q but its assertion answers %q", respIRT, a.InResponseTo)
	}
	if a.InResponseTo == "" && v.responseSigned {
		a.InResponseTo = respIRT
	}
	irt := a.InResponseTo
	if irt == "" {
		if !sp.allowIdPInitiated {
			return fail(KindIdPInitiated, "the response answers no AuthnRequest (IdP-initiated), which this service provider does not accept")
		}
		return nil
	}
	if slices.Contains(requestIDs, irt) {
		return nil
	}
	if sp.tracker != nil {
		known, err := sp.tracker.Consume(ctx, irt)
		if err != nil {
			return wrap(KindInternal, err, "request tracker")
		}
		if known {
			return nil
		}
	}
	return fail(KindInResponseTo, "response answers request %q, which this browser did not send", irt)
}

// issuerOf returns the trimmed text of el's saml:Issuer child.
func issuerOf(el *etree.Element) (string, bool) {
	iss := child(el, nsAssertion, "Issuer")
	if iss == nil {
		return "", false
	}
	return strings.TrimSpace(iss.Text()), true
}

// bearerConfirmation returns the SubjectConfirmationData of the subject's
// first bearer SubjectConfirmation, or nil.
func bearerConfirmation(subject *etree.Element) *etree.Element {
	for _, sc := range subject.ChildElements() {
		if is(sc, nsAssertion, "SubjectConfirmation") && sc.SelectAttrValue("Method", "") == bearerMethod {
			return child(sc, nsAssertion, "SubjectConfirmationData")
		}
	}
	return nil
}

// attributesOf collects the AttributeStatements' values by attribute Name;
// a value that is a NameID (some IdPs send one) contributes its text.
func attributesOf(as *etree.Element) map[string][]string {
	out := map[string][]string{}
	for _, st := range as.ChildElements() {
		if !is(st, nsAssertion, "AttributeStatement") {
			continue
		}
		for _, attr := range st.ChildElements() {
			if !is(attr, nsAssertion, "Attribute") {
				continue
			}
			name := attr.SelectAttrValue("Name", "")
			for _, val := range attr.ChildElements() {
				if !is(val, nsAssertion, "AttributeValue") {
					continue
				}
				text := val.Text()
				if id := child(val, nsAssertion, "NameID"); id != nil {
					text = id.Text()
				}
				out[name] = append(out[name], strings.TrimSpace(text))
			}
		}
	}
	return out
}

// timeAttr parses an xs:dateTime attribute; zero when absent.
func timeAttr(el *etree.Element, name string) (time.Time, error) {
	s := el.SelectAttrValue(name, "")
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
