package store

import (
	"maps"
	"testing"
)

// TestFieldTablesAreCopies checks that the tables of what a filter may name
// and what a list sorts by are handed out as copies: a caller that adds to
// the one it got changes nothing for the next caller or for the drivers.
func TestFieldTablesAreCopies(t *testing.T) {
	for name, table := range map[string]func() map[string]FieldKind{
		"UserFields": UserFields, "GroupFields": GroupFields,
		"APIKeyFields": APIKeyFields, "PublicKeyFields": PublicKeyFields,
		"UserSortFields": UserSortFields, "GroupSortFields": GroupSortFields,
		"KeySortFields": KeySortFields, "PublicKeySortFields": PublicKeySortFields,
		"EventSortFields": EventSortFields,
	} {
		want := table()
		if len(want) == 0 {
			t.Errorf("%s is empty", name)
		}
		got := table()
		got["password_hash"] = KindText
		delete(got, "id")
		if again := table(); !maps.Equal(again, want) {
			t.Errorf("%s changed after a caller changed its copy: %v, want %v", name, again, want)
		}
	}
}
