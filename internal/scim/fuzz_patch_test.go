package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// FuzzPatch sends arbitrary PATCH bodies through the real front end to a
// user (group false) or a group the iteration has just made, as Entra
// would. Every answer must be SCIM: 200 with the user or 204 for a group,
// or a SCIM error with its status and, for 400, a scimType; never a
// server fault. A refused PATCH must leave the target, its memberships and
// the site's counts as they were. An accepted user PATCH must read back
// as answered, and PUT of what the server answered must be accepted and
// change nothing (the server takes its own output). A group never gains
// another provider's user.
func FuzzPatch(f *testing.F) {
	e := newEnv(f, openSQLite)
	fx := &patchFixture{env: e}
	fx.member1 = e.createUser("member1@contoso.com", "member1")
	fx.member2 = e.createUser("member2@contoso.com", "member2")
	_, otherToken := e.provider(e.site.ID, "Okta")
	fx.foreign = e.callWith("POST", "/api/scim/Users", `{`+userSchema+`,"userName":"mallory@contoso.com"}`,
		map[string]string{"Authorization": "Bearer " + otherToken}).want(f, 201).s("id")

	member := func(body, op, id string) string {
		return strings.NewReplacer("OP", op, "ID", id).Replace(body)
	}
	for _, body := range []string{entraPatchMultiValued, entraPatchUserName, entraDisableDoc, entraDisableNoFlag,
		entraDisableFlag, entraAddNickNoFlag, entraAddNickFlag, entraReplaceManyNoFlag, entraReplaceManyFlag,
		entraRolesPatch, member(entraAddManager, "", fx.member1),
		`{` + patchSchema + `,"Operations":[{"op":"replace","path":"favouriteColour","value":"x"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"replace","path":"emails[type eq ","value":"x"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"replace","path":"userName.first","value":"x"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"move","path":"userName","value":"x"}]}`,
		`{` + patchSchema + `,"Operations":[]}`,
		`{` + patchSchema + `,"Operations":[{"op":"remove"}]}`,
		`{"Operations":[{"op":"replace","path":"userName","value":"x@contoso.com"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"remove","path":"userName"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"add","path":"emails[type eq \"home\"].value","value":"h@example.com"},{"op":"remove","path":"emails[type eq \"work\"]"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Ops","manager":"` + fx.member2 + `"}}}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"replace","path":"name","value":{"givenName":"A","familyName":"B"}},{"op":"add","path":"title","value":{"x":1}}]}`,
	} {
		f.Add(false, []byte(body))
	}
	for _, body := range []string{entraRenameGroup, member(entraMembers, "Add", fx.member2), member(entraMembers, "Remove", fx.member1),
		member(entraRemoveMemberFlag, "", fx.member1), postmanRemoveAll, member(entraMembers, "Add", fx.foreign),
		`{` + patchSchema + `,"Operations":[{"op":"add","path":"owners","value":[{"value":"1"}]}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"replace","path":"externalId","value":"other"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"replace","path":"members","value":[{"value":"` + fx.member2 + `"},{"value":"999999"}]}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"remove","path":"members[value eq \"` + fx.member1 + `\" or value eq ` + fx.member2 + `]"}]}`,
		`{` + patchSchema + `,"Operations":[{"op":"replace","value":{"displayName":"Renamed","members":[{"value":"` + fx.member1 + `"}]}}]}`,
	} {
		f.Add(true, []byte(body))
	}
	f.Fuzz(func(t *testing.T, group bool, body []byte) {
		fx := fx.on(t)
		if group {
			fx.patchGroup(body)
		} else {
			fx.patchUser(body)
		}
	})
}

// patchFixture is the provider's two users that groups start with, and
// another provider's user no group may gain.
type patchFixture struct {
	env                       *env
	member1, member2, foreign string
}

// made numbers the users and groups the iterations make, so that each has
// its own names.
var made atomic.Int64

// on is the fixture for one fuzz iteration, failing t instead of the
// fuzz target.
func (fx *patchFixture) on(t *testing.T) *patchFixture {
	e := *fx.env
	e.t = t
	c := *fx
	c.env = &e
	return &c
}

func (fx *patchFixture) patchUser(body []byte) {
	e, t := fx.env, fx.env.t
	n := made.Add(1)
	id := e.call("POST", "/api/scim/Users", fmt.Sprintf(`{`+userSchema+`,"userName":"fuzz%d@contoso.com","externalId":"fuzz-%d",`+
		`"displayName":"Fuzz %d","name":{"givenName":"Fuzz","familyName":"User"},"title":"Tester",`+
		`"emails":[{"type":"work","value":"fuzz%d@contoso.com","primary":true},{"type":"home","value":"home%d@example.com"}],`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"QA","manager":{"value":%q}}}`,
		n, n, n, n, n, fx.member1)).want(t, 201).s("id")
	before := fx.state("Users", id)
	r := e.call("PATCH", "/api/scim/Users/"+id, string(body))
	if r.status != http.StatusOK {
		fx.refused(r, "Users", id, before)
		return
	}
	if r.s("id") != id || r.s("meta.resourceType") != "User" || r.s("userName") == "" {
		t.Fatalf("a PATCH answered 200 with something other than the user: %s", r.raw)
	}
	if got := e.call("GET", "/api/scim/Users/"+id, "").want(t, 200); !reflect.DeepEqual(got.body, r.body) {
		t.Fatalf("the user reads back other than the PATCH answered:\nanswered %s\nread     %s", r.raw, got.raw)
	}
	again := e.call("PUT", "/api/scim/Users/"+id, r.raw)
	if again.status != http.StatusOK {
		t.Fatalf("PUT of the server's own answer refused: %s\nthe answer was %s", again.raw, r.raw)
	}
	if a, b := withoutMeta(r.body), withoutMeta(again.body); !reflect.DeepEqual(a, b) {
		t.Fatalf("PUT of the server's own answer changed the user:\nbefore %s\nafter  %s", r.raw, again.raw)
	}
}

func (fx *patchFixture) patchGroup(body []byte) {
	e, t := fx.env, fx.env.t
	n := made.Add(1)
	id := e.call("POST", "/api/scim/Groups", fmt.Sprintf(`{"schemas":[%q],"displayName":"Fuzz group %d","externalId":"fuzz-group-%d",`+
		`"members":[{"value":%q}]}`, "urn:ietf:params:scim:schemas:core:2.0:Group", n, n, fx.member1)).want(t, 201).s("id")
	before := fx.state("Groups", id)
	r := e.call("PATCH", "/api/scim/Groups/"+id, string(body))
	if r.status != http.StatusNoContent {
		fx.refused(r, "Groups", id, before)
		return
	}
	for _, m := range e.members(id) {
		if strconv.FormatInt(m, 10) == fx.foreign {
			t.Fatalf("the group gained another provider's user %d", m)
		}
	}
	if g := e.call("GET", "/api/scim/Groups/"+id, "").want(t, 200); strings.TrimSpace(g.s("displayName")) == "" {
		t.Fatalf("the group lost its name: %s", g.raw)
	}
}

// refused checks an answer other than success: a SCIM error that is the
// client's, and nothing changed.
func (fx *patchFixture) refused(r response, kind, id, before string) {
	t := fx.env.t
	switch {
	case r.status >= 500:
		t.Fatalf("server fault: %s", r.raw)
	case r.status == http.StatusBadRequest:
		r.wantError(t, r.status, r.s("scimType"))
		if r.s("scimType") == "" {
			t.Fatalf("a 400 without scimType: %s", r.raw)
		}
	case r.status == http.StatusConflict || r.status == http.StatusRequestEntityTooLarge || r.status == http.StatusUnsupportedMediaType:
		r.wantError(t, r.status, r.s("scimType"))
	default:
		t.Fatalf("unexpected answer %d: %s", r.status, r.raw)
	}
	if after := fx.state(kind, id); after != before {
		t.Fatalf("a refused PATCH (%d) changed stored data:\nbefore %s\nafter  %s", r.status, before, after)
	}
}

// state is the target record, its memberships, and how many users and
// groups the site has.
func (fx *patchFixture) state(kind, id string) string {
	e, t := fx.env, fx.env.t
	n, _ := strconv.ParseInt(id, 10, 64)
	users, err := e.st.CountUsers(e.ctx, e.site.ID, store.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := e.st.CountGroups(e.ctx, e.site.ID, store.GroupQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var record any
	var members []int64
	if kind == "Users" {
		record = e.mustUser(id)
		ms, err := e.st.ListMemberships(e.ctx, e.site.ID, store.MembershipQuery{UserIDFrom: n, UserIDTo: n + 1})
		if err != nil {
			t.Fatal(err)
		}
		record = []any{record, ms}
	} else {
		if record, err = e.st.GetGroup(e.ctx, e.site.ID, n); err != nil {
			t.Fatal(err)
		}
		members = e.members(id)
	}
	b, _ := json.Marshal([]any{users, groups, record, members})
	return string(b)
}

func withoutMeta(doc map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range doc {
		if k != "meta" {
			out[k] = v
		}
	}
	return out
}
