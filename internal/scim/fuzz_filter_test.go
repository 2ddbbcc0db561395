package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
)

// filterSeeds are the filters the tests and Entra's and Okta's documented
// requests send, and the malformed ones TestBadInput refuses.
var filterSeeds = []string{
	`userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`,
	`userName eq "non-existent user"`,
	`emails[type eq "work"].value eq "NEW06@contoso.com"`,
	`externalId eq jyoung`,
	`id eq "12" and manager eq "7"`,
	`active eq false`,
	`displayName eq "Team 1"`,
	`meta.lastModified gt "2025-01-31T12:00:00Z"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "a" or not (emails co "@example.com")`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "3"`,
	`externalId eq "50%_off"`,
	`emails pr and (meta.created le "2030-01-01T00:00:00.5+02:00" or id ne 5)`,
	`userName eq`,
	`title eq "x"`,
	`meta.lastModified gt "yesterday"`,
	`userName eq "a` + "\x00" + `b"`,
	`emails[type eq "work" and value co "x"]`,
	`emails[value[type eq "a"] pr]`,
}

// FuzzFilter feeds arbitrary text to the SCIM filter parser, as the users
// and the groups endpoints read it. A filter it refuses must be a SCIM
// 400 invalidFilter with a reason; one it accepts must be a store filter
// the store checks and runs, and printing that filter back as SCIM text
// and reading it again must give the same filter (so every value a
// client can send is compared as sent, quotes and backslashes included).
func FuzzFilter(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	st := teststore.SQLite(f)
	ctx := context.Background()
	site := store.Site{Name: "Fuzz", Subdomain: "fuzz"}
	if err := st.CreateSite(ctx, &site); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, kind := range []struct {
			fields fieldMap
			allow  map[string]store.FieldKind
			run    func(*store.Filter) error
		}{
			{userFilterFields, store.UserFields(), func(sf *store.Filter) error {
				_, err := st.ListUsers(ctx, site.ID, store.UserQuery{Filter: sf, ListOptions: store.ListOptions{Limit: 10}})
				return err
			}},
			{groupFilterFields, store.GroupFields(), func(sf *store.Filter) error {
				_, err := st.ListGroups(ctx, site.ID, store.GroupQuery{Filter: sf, ListOptions: store.ListOptions{Limit: 10}})
				return err
			}},
		} {
			sf, e := parseFilter(text, kind.fields)
			if e != nil {
				if e.Status != http.StatusBadRequest || e.ScimType != typeInvalidFilter || e.Detail == "" {
					t.Fatalf("refusal of %q is not a 400 invalidFilter with a reason: %+v", text, e)
				}
				continue
			}
			if err := sf.Check(kind.allow); err != nil {
				t.Fatalf("%q became a filter the store refuses: %v\n%s", text, err, describe(sf))
			}
			if err := kind.run(sf); err != nil {
				t.Fatalf("%q became a filter the store cannot run: %v\n%s", text, err, describe(sf))
			}
			printed := printFilter(t, sf, kind.fields)
			again, e := parseFilter(printed, kind.fields)
			if e != nil {
				t.Fatalf("%q read as\n%s\nprinted as %q, which is refused: %v", text, describe(sf), printed, e)
			}
			if !sameFilter(sf, again) {
				t.Fatalf("%q read as\n%s\nprinted as %q, which reads as\n%s", text, describe(sf), printed, describe(again))
			}
		}
	})
}

// printFilter writes a store filter as SCIM filter text over fields.
func printFilter(t *testing.T, sf *store.Filter, fields fieldMap) string {
	switch sf.Op {
	case store.OpAnd, store.OpOr:
		parts := make([]string, len(sf.Args))
		for i := range sf.Args {
			parts[i] = "(" + printFilter(t, &sf.Args[i], fields) + ")"
		}
		return strings.Join(parts, " "+string(sf.Op)+" ")
	case store.OpNot:
		return "not (" + printFilter(t, &sf.Args[0], fields) + ")"
	}
	attr := ""
	for path, field := range fields {
		// The shortest path names the field (emails rather than emails.value).
		if field == sf.Field && (attr == "" || len(path) < len(attr)) {
			attr = path
		}
	}
	if attr == "" {
		t.Fatalf("no SCIM attribute for field %q", sf.Field)
	}
	if sf.Op == store.OpPresent {
		return attr + " pr"
	}
	var value string
	switch v := sf.Value.(type) {
	case string:
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		value = strings.TrimSuffix(b.String(), "\n")
	case bool:
		value = fmt.Sprint(v)
	case time.Time:
		value = `"` + v.Format(time.RFC3339Nano) + `"`
	default:
		t.Fatalf("field %q holds a %T", sf.Field, sf.Value)
	}
	return attr + " " + string(sf.Op) + " " + value
}

// sameFilter compares two filters, times by instant.
func sameFilter(a, b *store.Filter) bool {
	if a.Op != b.Op || a.Field != b.Field || len(a.Args) != len(b.Args) {
		return false
	}
	if ta, ok := a.Value.(time.Time); ok {
		tb, ok := b.Value.(time.Time)
		if !ok || !ta.Equal(tb) {
			return false
		}
	} else if !reflect.DeepEqual(a.Value, b.Value) {
		return false
	}
	for i := range a.Args {
		if !sameFilter(&a.Args[i], &b.Args[i]) {
			return false
		}
	}
	return true
}

func describe(sf *store.Filter) string {
	b, _ := json.MarshalIndent(sf, "", "  ")
	return string(b)
}
