package namekey

import "testing"

func TestLookAlikesShareAKey(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"admin", "ADMIN"},
		{"admin", "ａdmin"},       // full-width a
		{"admin", "ＡＤＭＩＮ"},       // full-width capitals
		{"admin", "аdmin"},       // Cyrillic а
		{"admin", "аdmіn"},       // Cyrillic а and Ukrainian і
		{"admin", "admin\ufe0f"}, // variation selector
		{"admin", "ad\u200dmin"}, // zero-width joiner
		{"admin", "𝐚𝐝𝐦𝐢𝐧"},       // mathematical bold
		{"paypal", "раураl"},     // Cyrillic р, а, у
		{"ace", "асе"},           // a whole Cyrillic word
		{"josé", "jose\u0301"},   // composed and decomposed
		{"strasse", "straße"},    // case folding
		{"bob@example.com", "bob＠example.com"},
	} {
		if Skeleton(c.a) != Skeleton(c.b) {
			t.Errorf("%q and %q have different keys: %q, %q", c.a, c.b, Skeleton(c.a), Skeleton(c.b))
		}
	}
}

func TestDistinctNamesKeepDistinctKeys(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"kim", "kirn"},
		{"user1", "userl"},
		{"user0", "usero"},
		{"admin", "admin2"},
		{"jose", "josé"},
		{"alice", "alicé"},
		{"李雷", "李电"},
	} {
		if Skeleton(c.a) == Skeleton(c.b) {
			t.Errorf("%q and %q share the key %q", c.a, c.b, Skeleton(c.a))
		}
	}
}
