package sqlstore

import (
	"testing"
	"time"
)

func TestBindNumbersPlaceholdersOutsideLiterals(t *testing.T) {
	s := &Store{d: Dialect{NumberedPlaceholders: true}}
	cases := map[string]string{
		"SELECT 1":                             "SELECT 1",
		"a = ? AND b = ?":                      "a = $1 AND b = $2",
		`x LIKE ? ESCAPE '\' AND y = '?' OR ?`: `x LIKE $1 ESCAPE '\' AND y = '?' OR $2`,
		"s <> '' AND lower(s) = ?":             "s <> '' AND lower(s) = $1",
	}
	for in, want := range cases {
		for range 2 { // the second call answers from the cache
			if got := s.bind(in); got != want {
				t.Fatalf("bind(%q) = %q, want %q", in, got, want)
			}
		}
	}
	plain := &Store{}
	if got := plain.bind("a = ?"); got != "a = ?" {
		t.Fatalf("a dialect with ? placeholders got %q", got)
	}
}

func TestLikePrefixEscapesWildcards(t *testing.T) {
	cases := map[string]string{
		"abc":     "abc%",
		"50%_off": `50\%\_off%`,
		`a\b`:     `a\\b%`,
		"":        "%",
	}
	for in, want := range cases {
		if got := likePrefix(in); got != want {
			t.Fatalf("likePrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalTime(t *testing.T) {
	in := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600))
	got := normalTime(in)
	if got.Location() != time.UTC || got.Nanosecond() != 678901000 || !got.Equal(in.Truncate(time.Microsecond)) {
		t.Fatalf("normalTime(%v) = %v", in, got)
	}
	if !normalTime(time.Time{}).IsZero() {
		t.Fatal("the zero time must stay zero")
	}
	var back time.Time
	if err := (timeDest{&back}).Scan(got.Format(SQLiteTimeLayout)); err != nil || !back.Equal(got) {
		t.Fatalf("SQLite text form did not round-trip: %v %v", back, err)
	}
}

func TestPrefixRange(t *testing.T) {
	for _, tc := range []struct {
		in, lo, hi string
		ok         bool
	}{
		{"abc", "abc", "abd", true},
		{"az", "az", "a{", true},
		{"mañ", "mañ", "maò", true},
		{"a\ud7ff", "a\ud7ff", "a\ue000", true}, // no surrogate as a bound
		{"a\U0010FFFF", "", "", false},
		{"a\xff", "", "", false},
		{"", "", "", false},
	} {
		lo, hi, ok := prefixRange(tc.in)
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("prefixRange(%q) = %q, %q, %v; want %q, %q, %v", tc.in, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}
