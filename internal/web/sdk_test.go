package web

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	apikey "github.com/Files-com/files-sdk-go/v3/apikey"
	"github.com/Files-com/files-sdk-go/v3/group"
	groupuser "github.com/Files-com/files-sdk-go/v3/groupuser"
	"github.com/Files-com/files-sdk-go/v3/session"
	ssostrategy "github.com/Files-com/files-sdk-go/v3/ssostrategy"
	"github.com/Files-com/files-sdk-go/v3/user"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// These tests drive Gatehouse through Files.com's own Go SDK, pointed at
// the test server with an endpoint override: the SDK is the judge of wire
// compatibility.

func sdkConfig(h *harness, apiKey string) files_sdk.Config {
	return files_sdk.Config{APIKey: apiKey, EndpointOverride: h.srv.URL}.Init()
}

func TestSDKUsersWithPagination(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	users := user.Client{Config: sdkConfig(h, key)}

	created := map[int64]string{admin.ID: "admin"}
	for i := range 5 {
		name := fmt.Sprintf("user%d", i)
		u, err := users.Create(files_sdk.UserCreateParams{Username: name, Email: name + "@example.com", Name: "User " + name})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if u.Id == 0 || u.Username != name || u.Email != name+"@example.com" {
			t.Fatalf("created user %+v", u)
		}
		created[u.Id] = name
	}

	it, err := users.List(files_sdk.UserListParams{ListParams: files_sdk.ListParams{PerPage: 2}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []int64
	for it.Next() {
		u := it.User()
		if created[u.Id] != u.Username {
			t.Fatalf("listed unexpected user %+v", u)
		}
		seen = append(seen, u.Id)
	}
	if err := it.Err(); err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(seen) != len(created) {
		t.Fatalf("listed %d users, want %d", len(seen), len(created))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("users not in ascending id order: %v", seen)
		}
	}
	if n := h.requestCount("GET /api/rest/v1/users"); n != 3 {
		t.Fatalf("listing 6 users 2 per page took %d requests, want 3", n)
	}

	target := seen[len(seen)-1]
	no := false
	updated, err := users.Update(files_sdk.UserUpdateParams{Id: target, Name: "Renamed", Company: "ACME", SftpPermission: &no})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.Name != "Renamed" || updated.Company != "ACME" || updated.SftpPermission == nil || *updated.SftpPermission {
		t.Fatalf("updated user %+v", updated)
	}
	found, err := users.Find(files_sdk.UserFindParams{Id: target})
	if err != nil || found.Name != "Renamed" || found.CreatedAt == nil {
		t.Fatalf("find after update: %+v, %v", found, err)
	}

	if err := users.Delete(files_sdk.UserDeleteParams{Id: target}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = users.Find(files_sdk.UserFindParams{Id: target})
	var re files_sdk.ResponseError
	if !errors.As(err, &re) || re.Type != identity.ErrUserNotFound.Type || re.HttpCode != 404 {
		t.Fatalf("find deleted user: %#v", err)
	}
	if !errors.Is(err, files_sdk.ResponseErrorType(identity.ErrUserNotFound.Type)) {
		t.Fatalf("SDK does not match the error type: %v", err)
	}
}

func TestSDKGroupsAndMembers(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	cfg := sdkConfig(h, key)
	groups := group.Client{Config: cfg}
	members := groupuser.Client{Config: cfg}
	ann := h.createUser("ann", false)

	var ids []int64
	for _, name := range []string{"Engineering", "Sales", "Robert'); DROP TABLE groups;--"} {
		g, err := groups.Create(files_sdk.GroupCreateParams{Name: name, Notes: "notes of " + name})
		if err != nil {
			t.Fatalf("create group %q: %v", name, err)
		}
		if g.Name != name {
			t.Fatalf("group name %q came back as %q", name, g.Name)
		}
		ids = append(ids, g.Id)
	}
	it, err := groups.List(files_sdk.GroupListParams{ListParams: files_sdk.ListParams{PerPage: 1}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		n++
	}
	if it.Err() != nil || n != 3 {
		t.Fatalf("listed %d groups (%v), want 3", n, it.Err())
	}

	g, err := groups.Update(files_sdk.GroupUpdateParams{Id: ids[0], Name: "Engineers"})
	if err != nil || g.Name != "Engineers" {
		t.Fatalf("update group: %+v %v", g, err)
	}

	gu, err := members.Create(files_sdk.GroupUserCreateParams{GroupId: ids[0], UserId: ann.ID})
	if err != nil {
		t.Fatalf("add member: %v", err)
	}
	if gu.GroupId != ids[0] || gu.UserId != ann.ID || gu.Username != "ann" || gu.Id == 0 {
		t.Fatalf("membership %+v", gu)
	}
	yes := true
	gu, err = members.Update(files_sdk.GroupUserUpdateParams{Id: gu.Id, GroupId: ids[0], UserId: ann.ID, Admin: &yes})
	if err != nil || gu.Admin == nil || !*gu.Admin {
		t.Fatalf("make group admin: %+v %v", gu, err)
	}
	shown, err := groups.Find(files_sdk.GroupFindParams{Id: ids[0]})
	want := fmt.Sprint(ann.ID)
	if err != nil || shown.UserIds != want || shown.AdminIds != want || shown.Usernames != "ann" {
		t.Fatalf("group with member: %+v %v", shown, err)
	}
	u, err := (&user.Client{Config: cfg}).Find(files_sdk.UserFindParams{Id: ann.ID})
	if err != nil || u.GroupIds != fmt.Sprint(ids[0]) || len(u.AdminGroupIds) != 1 {
		t.Fatalf("user's groups: %+v %v", u, err)
	}
	mit, err := members.List(files_sdk.GroupUserListParams{GroupId: ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for mit.Next() {
		n++
	}
	if mit.Err() != nil || n != 1 {
		t.Fatalf("listed %d members (%v)", n, mit.Err())
	}
	if err := members.Delete(files_sdk.GroupUserDeleteParams{Id: gu.Id, GroupId: ids[0], UserId: ann.ID}); err != nil {
		t.Fatalf("remove member: %v", err)
	}
	left, err := h.svc.ListGroupUsers(h.ctx, h.site.ID, storeGroupQuery(ids[0]))
	if err != nil || len(left) != 0 {
		t.Fatalf("members after removal: %v %v", left, err)
	}

	if err := groups.Delete(files_sdk.GroupDeleteParams{Id: ids[1]}); err != nil {
		t.Fatalf("delete group: %v", err)
	}
	_, err = groups.Find(files_sdk.GroupFindParams{Id: ids[1]})
	if !errors.Is(err, files_sdk.ResponseErrorType(identity.ErrGroupNotFound.Type)) {
		t.Fatalf("deleted group: %v", err)
	}
}

func TestSDKAPIKeysSessionsAndSSOStrategies(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	cfg := sdkConfig(h, key)
	keys := apikey.Client{Config: cfg}

	k, err := keys.Create(files_sdk.ApiKeyCreateParams{Name: "deploy", Description: "for the deploy job"})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	if !strings.HasPrefix(k.Key, identity.APIKeyPrefix) || k.UserId != admin.ID || k.Name != "deploy" {
		t.Fatalf("created key %+v", k)
	}
	found, err := keys.Find(files_sdk.ApiKeyFindParams{Id: k.Id})
	if err != nil || found.Key != "" || found.DescriptiveLabel == "" {
		t.Fatalf("shown key must not carry the secret: %+v %v", found, err)
	}
	current, err := (&apikey.Client{Config: sdkConfig(h, k.Key)}).FindCurrent()
	if err != nil || current.Id != k.Id {
		t.Fatalf("current key: %+v %v", current, err)
	}
	it, err := keys.List(files_sdk.ApiKeyListParams{UserId: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		if it.ApiKey().Key != "" {
			t.Fatal("a listed key carries its secret")
		}
		n++
	}
	if it.Err() != nil || n != 2 {
		t.Fatalf("listed %d keys (%v), want 2", n, it.Err())
	}

	// A session made through the SDK authenticates the SDK, and ends.
	sess, err := (&session.Client{Config: sdkConfig(h, "")}).Create(files_sdk.SessionCreateParams{Username: "admin", Password: strongPassword})
	if err != nil || sess.Id == "" {
		t.Fatalf("create session: %+v %v", sess, err)
	}
	sessCfg := files_sdk.Config{SessionId: sess.Id, EndpointOverride: h.srv.URL}.Init()
	if _, err := (&apikey.Client{Config: sessCfg}).Find(files_sdk.ApiKeyFindParams{Id: k.Id}); err != nil {
		t.Fatalf("call with session: %v", err)
	}
	if err := (&session.Client{Config: sessCfg}).Delete(); err != nil {
		t.Fatalf("end session: %v", err)
	}
	_, err = (&apikey.Client{Config: sessCfg}).Find(files_sdk.ApiKeyFindParams{Id: k.Id})
	if !errors.Is(err, files_sdk.ResponseErrorType(identity.ErrInvalidSession.Type)) {
		t.Fatalf("ended session still works: %v", err)
	}
	_, err = (&session.Client{Config: sdkConfig(h, "")}).Create(files_sdk.SessionCreateParams{Username: "admin", Password: "wrong password!"})
	if !errors.Is(err, files_sdk.ErrInvalidUsernameOrPassword) {
		t.Fatalf("wrong password: %v", err)
	}

	st := h.createStrategy("saml", "okta", "Okta", true, true)
	strategies := ssostrategy.Client{Config: cfg}
	sit, err := strategies.List(files_sdk.SsoStrategyListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var listed []files_sdk.SsoStrategy
	for sit.Next() {
		listed = append(listed, sit.SsoStrategy())
	}
	if sit.Err() != nil || len(listed) != 1 || listed[0].Id != st.ID || listed[0].Protocol != "saml" ||
		listed[0].Label != "Okta" || listed[0].Enabled == nil || !*listed[0].Enabled {
		t.Fatalf("listed strategies %+v (%v)", listed, sit.Err())
	}
	err = strategies.Sync(files_sdk.SsoStrategySyncParams{Id: st.ID})
	var re files_sdk.ResponseError
	if !errors.As(err, &re) || re.HttpCode != 422 || re.Type != errSyncUnavailable.Type {
		t.Fatalf("sync: %#v", err)
	}

	if err := keys.Delete(files_sdk.ApiKeyDeleteParams{Id: k.Id}); err != nil {
		t.Fatalf("delete key: %v", err)
	}
	_, err = (&apikey.Client{Config: sdkConfig(h, k.Key)}).FindCurrent()
	if !errors.Is(err, files_sdk.ResponseErrorType(identity.ErrInvalidAPIKey.Type)) {
		t.Fatalf("deleted key still works: %v", err)
	}
}
