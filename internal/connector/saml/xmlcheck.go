package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/beevik/etree"
	rtvalidator "github.com/mattermost/xml-roundtrip-validator"
)

// XML namespaces this package reads.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// checkXML is the gate every untrusted XML document passes before any
// library parses it. It refuses:
//   - DOCTYPE and entity declarations (entity expansion, external entities)
//     and processing instructions other than the XML declaration;
//   - comments, because exclusive canonicalisation drops them, so a comment
//     inside a signed NameID ("user@evil.com<!---->.example.com") would not
//     break the signature while changing what a careless reader sees;
//   - documents that are not well-formed: strict tokenising, with every end
//     tag matching its start tag and no attribute given twice (encoding/xml
//     lets a repeated attribute through, and etree keeps the last one, so
//     two readers could see different values);
//   - documents encoding/xml would not read back identically (the
//     CVE-2020-29509/29510/29511 family): tokens go through
//     xml-roundtrip-validator's CheckToken, as its Validate does (see
//     needsRoundTrip for the two kinds that cannot fail it). Since Go
//     1.17 or so encoding/xml itself rejects the published shapes (colons
//     in names, empty prefixes) as syntax errors, so today they surface as
//     KindMalformed; the check stays as the guard for shapes not yet known.
//
// It reads the document once; running Validate beside a second tokenising
// pass cost a third of a sign-in's time.
//
// allowComments relaxes the comment rule for metadata, which is not verified
// by signature here and which real federations annotate with comments.
func checkXML(doc []byte, allowComments bool) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var open []xml.Name
	first := true
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return wrap(KindMalformed, err, "not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if dup, ok := duplicateAttr(t.Attr); ok {
				return fail(KindMalformed, "not well-formed XML: <%s> repeats attribute %s", qualified(t.Name), qualified(dup))
			}
			open = append(open, t.Name)
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != t.Name {
				return fail(KindMalformed, "not well-formed XML: unexpected end tag </%s>", qualified(t.Name))
			}
			open = open[:len(open)-1]
		case xml.Directive:
			return fail(KindDTD, "document contains a DOCTYPE or declaration")
		case xml.ProcInst:
			if t.Target != "xml" || !first {
				return fail(KindDTD, "document contains a processing instruction %q", t.Target)
			}
		case xml.Comment:
			if !allowComments {
				return fail(KindComment, "document contains an XML comment")
			}
		}
		if needsRoundTrip(tok) {
			if err := rtvalidator.CheckToken(tok); err != nil {
				return wrap(KindRoundTrip, err, "document does not survive an XML round trip")
			}
		}
		first = false
	}
	if len(open) != 0 {
		return fail(KindMalformed, "not well-formed XML: <%s> is not closed", qualified(open[len(open)-1]))
	}
	return nil
}

// needsRoundTrip says whether a token must go through CheckToken, which
// costs a fresh encoder and decoder per token. Two kinds cannot fail it:
//   - an end tag, because checkXML has matched its name to its start tag's,
//     whose name and attributes did go through the check;
//   - character data that is valid UTF-8 without a carriage return, which is
//     everything a strict decoder hands out: the encoder writes such text
//     with character references only for characters the decoder turns
//     back into themselves.
//
// Anything else (start tags, and the comments, declarations and processing
// instructions checkXML lets through) is checked.
func needsRoundTrip(tok xml.Token) bool {
	switch t := tok.(type) {
	case xml.EndElement:
		return false
	case xml.CharData:
		return !utf8.Valid(t) || bytes.IndexByte(t, '\r') >= 0
	}
	return true
}

// duplicateAttr reports an attribute name that occurs twice.
func duplicateAttr(attrs []xml.Attr) (xml.Name, bool) {
	if len(attrs) <= 8 {
		for i, a := range attrs {
			for _, b := range attrs[:i] {
				if a.Name == b.Name {
					return a.Name, true
				}
			}
		}
		return xml.Name{}, false
	}
	seen := make(map[xml.Name]struct{}, len(attrs))
	for _, a := range attrs {
		if _, ok := seen[a.Name]; ok {
			return a.Name, true
		}
		seen[a.Name] = struct{}{}
	}
	return xml.Name{}, false
}

// qualified spells a raw token's name as it appeared.
func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// parseChecked runs checkXML and then parses doc with etree.
func parseChecked(doc []byte, allowComments bool) (*etree.Document, error) {
	if err := checkXML(doc, allowComments); err != nil {
		return nil, err
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, wrap(KindMalformed, err, "parse XML")
	}
	if d.Root() == nil {
		return nil, fail(KindMalformed, "empty document")
	}
	return d, nil
}

// is reports whether el is the element {ns}local.
func is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// findAll returns every descendant of root (root included) named {ns}local,
// in document order, wherever it sits — wrapping attacks hide elements in
// unexpected places, so the checks look everywhere.
func findAll(root *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	var walk func(*etree.Element)
	walk = func(el *etree.Element) {
		if is(el, ns, local) {
			out = append(out, el)
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	if root != nil {
		walk(root)
	}
	return out
}

// child returns the first direct child of el named {ns}local, or nil.
func child(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			return c
		}
	}
	return nil
}
