// Package namekey computes the key under which two usernames count as the
// same name: the one every way of creating or renaming a user is checked
// against (the store keeps it in a unique column), so that "ａdmin" (full
// width), "аdmin" (a Cyrillic а) or "admin" with an invisible variation
// selector cannot be created next to "admin".
//
// The key is Unicode's confusable skeleton (UTS #39, section 4) of the
// name after case folding and NFKC: case folding because usernames are
// case-insensitive, NFKC for full-width and other compatibility forms
// (which it maps to their plain letters), and the skeleton for letters of
// other scripts that look like Latin ones. golang.org/x/text has the case
// folding and the normalisation forms but no confusables data, so the
// skeleton's table comes from github.com/mtibben/confusables (Unicode's
// confusables.txt of version 13.0).
//
// ASCII characters are kept as they are rather than mapped through the
// table: it folds "rn" into "m", "1" and "I" into "l" and "0" into "O",
// which would refuse ordinary names ("kim" next to "kirn", "user1" next to
// "userl") that every directory already holds side by side. The attack is
// a name that only looks like another, and among ASCII characters only
// those pairs are near; the key catches every non-ASCII look-alike the
// table knows. Characters the table does not know, and names mixing
// scripts without resembling an existing one, are not refused.
//
// The key is for comparing, never for display or for signing in: a
// person signs in with their name as stored, so a look-alike typed at the
// sign-in prompt reaches no one else's account.
package namekey

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Skeleton returns the key of a username.
func Skeleton(name string) string {
	folded := norm.NFKC.String(cases.Fold().String(name))
	var b strings.Builder
	b.Grow(len(folded))
	for _, r := range norm.NFD.String(folded) {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case invisible(r):
			// Nothing a reader sees: "admin" followed by one is "admin".
		default:
			b.WriteString(confusables.Skeleton(string(r)))
		}
	}
	// The table maps to capitals at times (Cyrillic О to Latin O): fold
	// again, and compose, so the key has one form.
	return norm.NFC.String(cases.Fold().String(b.String()))
}

// invisible reports whether r is a default-ignorable code point: one that
// renders as nothing (joiners, variation selectors, Hangul fillers).
func invisible(r rune) bool {
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector, unicode.Cf) ||
		r == '\u034f' || r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0'
}
