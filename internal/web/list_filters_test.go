package web

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	apikey "github.com/Files-com/files-sdk-go/v3/apikey"
	externalevent "github.com/Files-com/files-sdk-go/v3/externalevent"
	"github.com/Files-com/files-sdk-go/v3/folder"
	"github.com/Files-com/files-sdk-go/v3/group"
	"github.com/Files-com/files-sdk-go/v3/user"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/pagecursor"
	"github.com/gatehouse/gatehouse/internal/store"
)

// listFixture is a site with users whose names, companies, admin flags
// and last sign-ins differ, a few groups, keys and events.
type listFixture struct {
	*harness
	key string
	cfg files_sdk.Config
}

func newListFixture(t *testing.T) *listFixture {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	st := h.st
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, u := range []struct {
		name, company string
		admin         bool
		login         time.Time
	}{
		{"test-carol", "globex", false, t0.Add(48 * time.Hour)},
		{"test-alice", "acme", false, time.Time{}},
		{"bob", "acme", false, t0},
		{"test-dave", "initech", true, t0.Add(24 * time.Hour)},
		{"Test-Erin", "globex", false, t0.AddDate(-1, 0, 0)},
		{"test-frank", "acme", false, t0.Add(24 * time.Hour)},
	} {
		created := h.createUser(u.name, u.admin)
		if _, err := st.UpdateUser(h.ctx, h.site.ID, created.ID, func(x *store.User) error {
			x.Company, x.LastLoginAt, x.Name = u.company, u.login, fmt.Sprintf("User %d", i)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return &listFixture{harness: h, key: key, cfg: sdkConfig(h, key)}
}

// usernames lists users through the Go SDK with p, following every cursor.
func (f *listFixture) usernames(t *testing.T, p files_sdk.UserListParams) []string {
	t.Helper()
	it, err := (&user.Client{Config: f.cfg}).List(p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for it.Next() {
		names = append(names, it.User().Username)
	}
	if err := it.Err(); err != nil {
		t.Fatalf("list users %+v: %v", p, err)
	}
	return names
}

// TestSDKListSortAndFilter: Files.com's sort_by and filter parameters as
// Files.com's Go SDK sends them, with pages of two following the sorted
// cursor, on the lists that take them.
func TestSDKListSortAndFilter(t *testing.T) {
	f := newListFixture(t)
	two := files_sdk.ListParams{PerPage: 2}
	for _, c := range []struct {
		name string
		p    files_sdk.UserListParams
		want string
	}{
		{"username asc", files_sdk.UserListParams{SortBy: map[string]any{"username": "asc"}, ListParams: two},
			"admin,bob,test-alice,test-carol,test-dave,Test-Erin,test-frank"},
		{"username desc", files_sdk.UserListParams{SortBy: map[string]any{"username": "desc"}, ListParams: two},
			"test-frank,Test-Erin,test-dave,test-carol,test-alice,bob,admin"},
		{"not site admins", files_sdk.UserListParams{Filter: map[string]any{"not_site_admin": true}, ListParams: two},
			"test-carol,test-alice,bob,Test-Erin,test-frank"},
		{"prefix", files_sdk.UserListParams{FilterPrefix: map[string]any{"username": "test"}, ListParams: two},
			"test-carol,test-alice,test-dave,Test-Erin,test-frank"},
		{"signed in since", files_sdk.UserListParams{FilterGteq: map[string]any{"last_login_at": "2024-03-01"}},
			"test-carol,bob,test-dave,test-frank"},
		{"README combination", files_sdk.UserListParams{FilterPrefix: map[string]any{"username": "test"},
			Filter: map[string]any{"not_site_admin": true}, SortBy: map[string]any{"last_login_at": "asc"}, ListParams: two},
			"test-alice,Test-Erin,test-frank,test-carol"},
		{"last sign-in newest first", files_sdk.UserListParams{SortBy: map[string]any{"last_login_at": "desc"}, ListParams: two},
			"test-carol,test-frank,test-dave,bob,Test-Erin,test-alice,admin"},
		{"company and name", files_sdk.UserListParams{Filter: map[string]any{"company": "acme"},
			FilterPrefix: map[string]any{"name": "user"}, SortBy: map[string]any{"name": "desc"}},
			"test-frank,bob,test-alice"},
		{"ids", files_sdk.UserListParams{Ids: "2,4"}, "test-carol,bob"},
	} {
		if got := strings.Join(f.usernames(t, c.p), ","); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}

	groups := group.Client{Config: f.cfg}
	for _, n := range []string{"sales", "Engineering", "marketing", "eng-ops"} {
		if _, err := groups.Create(files_sdk.GroupCreateParams{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	git, err := groups.List(files_sdk.GroupListParams{SortBy: map[string]any{"name": "desc"}, ListParams: two})
	if err != nil {
		t.Fatal(err)
	}
	var gnames []string
	for git.Next() {
		gnames = append(gnames, git.Group().Name)
	}
	if strings.Join(gnames, ",") != "sales,marketing,Engineering,eng-ops" || git.Err() != nil {
		t.Fatalf("groups by name, descending: %v %v", gnames, git.Err())
	}
	git, _ = groups.List(files_sdk.GroupListParams{FilterPrefix: map[string]any{"name": "ENG"}})
	gnames = nil
	for git.Next() {
		gnames = append(gnames, git.Group().Name)
	}
	if strings.Join(gnames, ",") != "Engineering,eng-ops" {
		t.Fatalf("groups by prefix: %v %v", gnames, git.Err())
	}

	keys := apikey.Client{Config: f.cfg}
	for _, days := range []int{30, 1, 7} {
		exp := f.clock.Now().AddDate(0, 0, days)
		if _, err := keys.Create(files_sdk.ApiKeyCreateParams{Name: fmt.Sprintf("k%d", days), ExpiresAt: &exp}); err != nil {
			t.Fatal(err)
		}
	}
	kit, err := keys.List(files_sdk.ApiKeyListParams{SortBy: map[string]any{"expires_at": "asc"},
		FilterLt: map[string]any{"expires_at": f.clock.Now().AddDate(0, 0, 10).Format(time.RFC3339)}})
	if err != nil {
		t.Fatal(err)
	}
	var knames []string
	for kit.Next() {
		knames = append(knames, kit.ApiKey().Name)
	}
	if strings.Join(knames, ",") != "k1,k7" || kit.Err() != nil {
		t.Fatalf("keys expiring within ten days, soonest first: %v %v", knames, kit.Err())
	}

	for i := range 5 {
		if r := f.callJSON("POST", apiPrefix+"/external_events", f.key, fmt.Sprintf(`{"status":"success","body":"e%d"}`, i)); r.status != 201 {
			t.Fatalf("event: %d %s", r.status, r.body)
		}
		f.clock.Advance(time.Minute)
	}
	eit, err := (&externalevent.Client{Config: f.cfg}).List(files_sdk.ExternalEventListParams{
		SortBy: map[string]any{"created_at": "desc"}, ListParams: two})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for eit.Next() {
		// Only the events posted here: the fixture's settings changes
		// (users created) are in the same log.
		if e := eit.ExternalEvent(); e.EventType == identity.EventTypeClientLog {
			bodies = append(bodies, strings.Fields(e.Body)[0])
		}
	}
	if strings.Join(bodies, ",") != "e4,e3,e2,e1,e0" || eit.Err() != nil {
		t.Fatalf("events newest first: %v %v", bodies, eit.Err())
	}
}

// TestFolderListingOrder: folders before files, then sort_by's order;
// type and search narrow the listing.
func TestFolderListingOrder(t *testing.T) {
	f := newListFixture(t)
	for _, p := range []string{"b-dir", "A-dir"} {
		f.call("POST", apiPrefix+"/folders/"+p, f.key, nil)
	}
	for name, content := range map[string]string{"c.txt": "ccc", "a.txt": "a", "B.txt": "bbbbbb"} {
		f.putFile(f.key, name, content)
		f.clock.Advance(time.Second)
	}
	list := func(params files_sdk.FolderListForParams) string {
		it, err := (&folder.Client{Config: f.cfg}).ListFor(params)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for it.Next() {
			names = append(names, it.File().DisplayName)
		}
		if it.Err() != nil {
			t.Fatalf("list %+v: %v", params, it.Err())
		}
		return strings.Join(names, ",")
	}
	for _, c := range []struct {
		params files_sdk.FolderListForParams
		want   string
	}{
		{files_sdk.FolderListForParams{}, "A-dir,b-dir,groups,users,a.txt,B.txt,c.txt"},
		{files_sdk.FolderListForParams{SortBy: map[string]any{"path": "desc"}, ListParams: files_sdk.ListParams{PerPage: 3}},
			"users,groups,b-dir,A-dir,c.txt,B.txt,a.txt"},
		{files_sdk.FolderListForParams{SortBy: map[string]any{"size": "desc"}, Type: "file"}, "B.txt,c.txt,a.txt"},
		{files_sdk.FolderListForParams{Type: "folder", Search: "DIR"}, "A-dir,b-dir"},
	} {
		if got := list(c.params); got != c.want {
			t.Errorf("%+v: %s, want %s", c.params, got, c.want)
		}
	}
}

// TestListParametersRefused: what a list does not take is refused with
// Files.com's error type, naming what it does take.
func TestListParametersRefused(t *testing.T) {
	f := newListFixture(t)
	usersPath := apiPrefix + "/users"
	page := f.callJSON("GET", usersPath+"?per_page=2&sort_by[username]=asc", f.key, "")
	cursor := page.header.Get(cursorHeader)
	idCursor := f.callJSON("GET", usersPath+"?per_page=2", f.key, "").header.Get(cursorHeader)
	// A folder listing's cursor is a position in the listing as ordered
	// and narrowed: it only works with the same order and narrowing.
	folderCursor := f.callJSON("GET", apiPrefix+"/folders?per_page=1&sort_by[path]=asc", f.key, "").header.Get(cursorHeader)
	if cursor == "" || idCursor == "" || folderCursor == "" {
		t.Fatal("no cursors")
	}
	for _, c := range []struct {
		query, list string
		status      int
		typ, says   string
	}{
		{"filter[ssl_required]=x", "", 400, "bad-request/invalid-filter-field", "it takes company, disabled, email"},
		{"filter[password_hash]=x", "", 400, "bad-request/invalid-filter-field", ""},
		{"filter_prefix[site_admin]=t", "", 400, "bad-request/invalid-filter-field", "filter_prefix"},
		{"filter_gt[username]=a", "", 400, "bad-request/invalid-filter-field", ""},
		{"filter_like[username]=a", "", 400, "bad-request/invalid-filter-param", ""},
		{"filter[username", "", 400, "bad-request/invalid-filter-param-format", ""},
		{"filter[a][b]=1", "", 400, "bad-request/invalid-filter-param-format", ""},
		{"filter=username", "", 400, "bad-request/invalid-filter-param-format", ""},
		{"filter[username]=a&filter[username]=b", "", 400, "bad-request/invalid-filter-param-format", "once"},
		{"filter[site_admin]=perhaps", "", 400, "bad-request/invalid-filter-param-value", "true or false"},
		{"filter_gteq[last_login_at]=yesterday", "", 400, "bad-request/invalid-filter-param-value", "date"},
		{"filter[sso_strategy_id]=-1", "", 400, "bad-request/invalid-filter-param-value", ""},
		{"filter[username]=" + strings.Repeat("x", 1025), "", 400, "bad-request/invalid-filter-param-value", "longer"},
		{"sort_by[password_hash]=asc", "", 400, "bad-request/invalid-sort-field", "sort_by takes company"},
		{"sort_by[username]=sideways", "", 400, "bad-request/invalid-sort-field", "asc or desc"},
		{"sort_by[username]=asc&sort_by[email]=asc", "", 400, "bad-request/multiple-sort-params-not-allowed", ""},
		{"sort_by[email]=asc&cursor=" + cursor, "", 400, "bad-request/invalid-cursor", ""},
		{"sort_by[username]=desc&cursor=" + cursor, "", 400, "bad-request/invalid-cursor", ""},
		{"cursor=" + cursor, "", 400, "bad-request/invalid-cursor", ""},
		{"sort_by[username]=asc&cursor=" + idCursor, "", 400, "bad-request/invalid-cursor", ""},
		{"sort_by[username]=asc&cursor=" + forgedCursor(cursor, 17, 9), "", 400, "bad-request/invalid-cursor", ""},
		{"sort_by[username]=asc&cursor=" + forgedCursor(cursor, 18, 0xff), "", 400, "bad-request/invalid-cursor", ""},
		{"sort_by[username]=asc&cursor=" + strings.Repeat("A", 3000), "", 400, "bad-request/invalid-cursor", ""},
		// Well-formed and bound to the list and order, but holding a value
		// of another kind than the field's.
		{"sort_by[username]=asc&cursor=" + pagecursor.EncodeSorted(2, usersPath, store.Sort{Field: "username"}, true), "", 400, "bad-request/invalid-cursor", ""},
		{"sort_by[last_login_at]=desc&cursor=" + pagecursor.EncodeSorted(2, usersPath, store.Sort{Field: "last_login_at", Desc: true}, "x"), "", 400, "bad-request/invalid-cursor", ""},
		{"ids=1,two", "", 400, "bad-request/request-params-invalid", ""},
		{"ids=" + strings.Repeat("1,", 100) + "1", "", 400, "bad-request/request-params-invalid", "at most 100"},
		{"sort_by[name]=asc&cursor=" + cursor, "/groups", 400, "bad-request/invalid-cursor", ""},
		{"filter[username]=x", "/groups", 400, "bad-request/invalid-filter-field", "it takes name"},
		{"filter[user_id]=1", "/group_users?user_id=1&x=1", 400, "bad-request/invalid-filter-field", "takes no filter"},
		{"sort_by[id]=asc", "/group_users?user_id=1&x=1", 400, "bad-request/invalid-sort-field", ""},
		{"sort_by[label]=asc", "/sso_strategies", 400, "bad-request/invalid-sort-field", "sort_by takes id"},
		{"filter[label]=x", "/sso_strategies", 400, "bad-request/invalid-filter-field", ""},
		{"filter[permission_set]=full", "/api_keys", 400, "bad-request/invalid-filter-field", "it takes expires_at"},
		{"filter_prefix[event_type]=s", "/external_events", 400, "bad-request/invalid-filter-field", ""},
		{"sort_by[status]=asc", "/scim_logs", 400, "bad-request/invalid-sort-field", ""},
		{"type=symlink", "/folders", 400, "bad-request/request-params-invalid", ""},
		{"filter[path]=a", "/folders", 400, "bad-request/invalid-filter-field", "takes no filter"},
		{"sort_by[mtime]=asc", "/folders", 400, "bad-request/invalid-sort-field", ""},
		{"sort_by[size]=desc&cursor=" + folderCursor, "/folders", 400, "bad-request/invalid-cursor", ""},
		{"sort_by[path]=asc&type=file&cursor=" + folderCursor, "/folders", 400, "bad-request/invalid-cursor", ""},
		{"cursor=" + folderCursor, "/folders/groups", 400, "bad-request/invalid-cursor", ""},
	} {
		path := usersPath
		if c.list != "" {
			path = apiPrefix + c.list
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := f.callJSON("GET", path+sep+c.query, f.key, "")
		if r.status != c.status || r.errType() != c.typ || !strings.Contains(string(r.body), c.says) {
			t.Errorf("%s?%.80s: %d %.300s, want %d %s saying %q", path, c.query, r.status, r.body, c.status, c.typ, c.says)
		}
	}
	if r := f.callJSON("GET", apiPrefix+"/folders?per_page=1&sort_by[path]=asc&cursor="+url.QueryEscape(folderCursor), f.key, ""); r.status != 200 {
		t.Fatalf("a folder listing's second page: %d %s", r.status, r.body)
	}
	// The cursor works with the order that made it.
	r := f.callJSON("GET", usersPath+"?per_page=2&sort_by[username]=asc&cursor="+url.QueryEscape(cursor), f.key, "")
	var next []userJSON
	r.decode(t, &next)
	if r.status != 200 || len(next) != 2 || next[0].Username != "test-alice" {
		t.Fatalf("second page: %d %s", r.status, r.body)
	}
}

// forgedCursor changes one byte of a cursor (or appends it, past the end).
func forgedCursor(c string, at int, b byte) string {
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	if at < len(raw) {
		raw[at] = b
	} else {
		raw = append(raw, b)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// TestSortedCursorRoundTrip: every kind of value a sorted cursor holds
// comes back as it went in, bound to its list and order.
func TestSortedCursorRoundTrip(t *testing.T) {
	s := store.Sort{Field: "last_login_at", Desc: true}
	at := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, v := range []any{"Ünïcode name", true, false, at, time.Time{}, int64(42)} {
		c := pagecursor.EncodeSorted(7, "/l", s, v)
		id, got, err := pagecursor.DecodeSorted(c, "/l", s)
		if err != nil || id != 7 || !equalValue(got, v) {
			t.Errorf("%v: got %d %v %v", v, id, got, err)
		}
		if _, _, err := pagecursor.DecodeSorted(c, "/other", s); err == nil {
			t.Errorf("%v: a cursor of another list was taken", v)
		}
		if _, _, err := pagecursor.DecodeSorted(c, "/l", store.Sort{Field: "last_login_at"}); err == nil {
			t.Errorf("%v: a cursor of another order was taken", v)
		}
	}
}

func equalValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}
