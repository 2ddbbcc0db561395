package fingerprint

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseSHA256(t *testing.T) {
	want := bytes.Repeat([]byte{0xab}, 32)
	colons := Format(want)
	for _, s := range []string{
		colons,
		"SHA256 Fingerprint=" + colons,
		"sha256 fingerprint=" + strings.ToLower(colons),
		"SHA-256 Fingerprint = " + colons,
		strings.ReplaceAll(colons, ":", ""),
		"  " + strings.ToLower(strings.ReplaceAll(colons, ":", "")) + "\n",
	} {
		got, err := ParseSHA256(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseSHA256(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "SHA1 Fingerprint=" + colons, colons[:10], "zz" + colons[2:], colons + ":AB"} {
		if _, err := ParseSHA256(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSHA256(%q) accepted: %v", s, err)
		}
	}
}
