package saml

import "testing"

// TestCheckXMLWellFormed refuses documents a lenient tokenizer would let
// through: end tags that close another element, unclosed elements, and
// the XML declaration anywhere but first.
func TestCheckXMLWellFormed(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want Kind
	}{
		{`<a><b></a></b>`, KindMalformed},
		{`<a:x xmlns:a="u"></b:x>`, KindMalformed},
		{`<a><b/>`, KindMalformed},
		{`</a>`, KindMalformed},
		{`<a/><?xml version="1.0"?>`, KindDTD},
		{`<a b=unquoted/>`, KindMalformed},
		{`<a>&nbsp;</a>`, KindMalformed},
		{`<a b="1" c="2" b="3"/>`, KindMalformed},
		{`<a x:b="1" x:b="2"/>`, KindMalformed},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, KindMalformed},
	} {
		if got := KindOf(checkXML([]byte(tc.doc), true)); got != tc.want {
			t.Errorf("%s: kind %q, want %q", tc.doc, got, tc.want)
		}
	}
	if err := checkXML([]byte(`<?xml version="1.0" encoding="UTF-8"?><a:x xmlns:a="u"><a:y b="1">t</a:y></a:x>`), false); err != nil {
		t.Errorf("well-formed document refused: %v", err)
	}
}
