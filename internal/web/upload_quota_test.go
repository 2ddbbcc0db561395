package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// uploader drives REST uploads as one user, on one site's host.
type uploader struct {
	t    *testing.T
	base string // http://127.0.0.1:port
	host string // the Host header: the site
	key  string
}

func (u uploader) do(method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	u.t.Helper()
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	req.Host = u.host
	req.Header.Set(apiKeyHeader, u.key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// begin asks for an upload of name and returns the answer and the ref.
func (u uploader) begin(name string) (*http.Response, []byte, string) {
	u.t.Helper()
	res, b := u.do("POST", apiPrefix+"/file_actions/begin_upload/"+name, "", nil)
	var parts []fileUploadPartJSON
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 1 {
			u.t.Fatalf("begin_upload %s: %s", name, b)
		}
		return res, b, parts[0].Ref
	}
	return res, b, ""
}

// upload uploads name whole through begin_upload, PUT and end.
func (u uploader) upload(name, content string) {
	u.t.Helper()
	res, b, ref := u.begin(name)
	if res.StatusCode != http.StatusOK {
		u.t.Fatalf("begin_upload %s on %s: %d %s", name, u.host, res.StatusCode, b)
	}
	if res, b := u.do("PUT", apiPrefix+"/file_uploads/"+ref, "application/octet-stream", strings.NewReader(content)); res.StatusCode != http.StatusOK {
		u.t.Fatalf("PUT %s: %d %s", name, res.StatusCode, b)
	}
	if res, b := u.do("POST", apiPrefix+"/files/"+name, "application/json", strings.NewReader(`{"action":"end","ref":"`+ref+`"}`)); res.StatusCode != http.StatusCreated {
		u.t.Fatalf("end %s: %d %s", name, res.StatusCode, b)
	}
}

// refused asserts a begin_upload refused for the quota, naming scope.
func (u uploader) refused(name, scope string) {
	u.t.Helper()
	res, b, _ := u.begin(name)
	var e errorBody
	_ = json.Unmarshal(b, &e)
	if res.StatusCode != http.StatusTooManyRequests || e.Type != "rate-limited/too-many-pending-uploads" ||
		!strings.Contains(e.Error, scope) || res.Header.Get("Retry-After") == "" {
		u.t.Fatalf("begin_upload over the quota: %d %v %s", res.StatusCode, res.Header, b)
	}
}

// quotaSetup is a harness with a second site, acme, reached on its own
// host, and users with API keys on both.
type quotaSetup struct {
	h    *harness
	acme store.Site
}

func newQuotaSetup(t *testing.T) *quotaSetup {
	h := newHarness(t)
	acme, err := h.svc.CreateSite(h.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	return &quotaSetup{h: h, acme: acme}
}

// user makes a user with an API key on site and returns their uploader.
func (q *quotaSetup) user(site store.Site, name, base string) uploader {
	q.h.t.Helper()
	pw, method, yes := strongPassword, store.AuthPassword, true
	u, err := q.h.svc.CreateUser(q.h.ctx, identity.SystemActor, site.ID, identity.UserChange{
		Username: &name, Password: &pw, AuthenticationMethod: &method, RestAPIPermission: &yes})
	if err != nil {
		q.h.t.Fatal(err)
	}
	keyName := "key"
	_, key, err := q.h.svc.CreateAPIKey(q.h.ctx, identity.SystemActor, site.ID, identity.APIKeyChange{UserID: &u.ID, Name: &keyName})
	if err != nil {
		q.h.t.Fatal(err)
	}
	host := strings.TrimPrefix(base, "http://")
	if site.Subdomain != "" {
		host = site.Subdomain + ".example.test:" + host[strings.LastIndex(host, ":")+1:]
	}
	return uploader{t: q.h.t, base: base, host: host, key: key}
}

// TestUploadQuotaPerUser: one user who begins uploads and never finishes
// them fills their own quota, not the server's: they are refused with a
// typed error saying what to do and when to retry, while another user of
// the site and a user of another site still upload; finishing an upload,
// or its expiry, frees a place.
func TestUploadQuotaPerUser(t *testing.T) {
	q := newQuotaSetup(t)
	h := q.h
	mallory, bob, carol := q.user(h.site, "mallory", h.srv.URL), q.user(h.site, "bob", h.srv.URL), q.user(q.acme, "carol", h.srv.URL)
	limit := defaultUploadLimits.perUser
	var refs []string
	for i := 0; i < limit; i++ {
		res, b, ref := mallory.begin("hog" + itoa(int64(i)) + ".bin")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("begin_upload %d of %d: %d %s", i+1, limit, res.StatusCode, b)
		}
		refs = append(refs, ref)
	}
	mallory.refused("one-more.bin", "the most one user may have")
	bob.upload("report.txt", "bob's report")
	carol.upload("report.txt", "carol's report")

	// Finishing one frees a place.
	if res, b := mallory.do("PUT", apiPrefix+"/file_uploads/"+refs[0], "application/octet-stream", strings.NewReader("x")); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", res.StatusCode, b)
	}
	mallory.refused("one-more.bin", "the most one user may have") // bytes sent, not ended: still pending
	if res, b := mallory.do("POST", apiPrefix+"/files/hog0.bin", "application/json", strings.NewReader(`{"action":"end","ref":"`+refs[0]+`"}`)); res.StatusCode != http.StatusCreated {
		t.Fatalf("end: %d %s", res.StatusCode, b)
	}
	if res, b, _ := mallory.begin("one-more.bin"); res.StatusCode != http.StatusOK {
		t.Fatalf("begin_upload after finishing one: %d %s", res.StatusCode, b)
	}
	mallory.refused("two-more.bin", "the most one user may have")

	// Unfinished uploads expire.
	h.clock.Advance(defaultUploadLimits.ttl + time.Minute)
	if res, b, _ := mallory.begin("after-expiry.bin"); res.StatusCode != http.StatusOK {
		t.Fatalf("begin_upload after the others expired: %d %s", res.StatusCode, b)
	}
	if res, _ := mallory.do("PUT", apiPrefix+"/file_uploads/"+refs[1], "application/octet-stream", strings.NewReader("late")); res.StatusCode != http.StatusNotFound {
		t.Fatalf("PUT to an expired upload: %d", res.StatusCode)
	}
}

// TestUploadQuotaPerSite: the users of one site together fill only their
// site's quota; another site's users still upload.
func TestUploadQuotaPerSite(t *testing.T) {
	q := newQuotaSetup(t)
	base := "http://" + bodyServer(t, q.h, Config{Files: q.h.files, SiteDomain: "example.test"}, func(s *server) {
		s.uploadLimits = uploadLimits{perUser: 3, perSite: 5, total: 100, ttl: time.Minute}
	})
	alice, bob, carol := q.user(q.h.site, "alice", base), q.user(q.h.site, "bob", base), q.user(q.h.site, "carol", base)
	dave := q.user(q.acme, "dave", base)
	for i := 0; i < 3; i++ {
		if res, b, _ := alice.begin("a" + itoa(int64(i))); res.StatusCode != http.StatusOK {
			t.Fatalf("alice %d: %d %s", i, res.StatusCode, b)
		}
	}
	for i := 0; i < 2; i++ {
		if res, b, _ := bob.begin("b" + itoa(int64(i))); res.StatusCode != http.StatusOK {
			t.Fatalf("bob %d: %d %s", i, res.StatusCode, b)
		}
	}
	carol.refused("c.bin", "the most one site may have")
	dave.upload("d.bin", "dave's file on acme")
}

// TestUploadLimitsAdmit: the limits in order, with their advice.
func TestUploadLimitsAdmit(t *testing.T) {
	l := uploadLimits{perUser: 2, perSite: 3, total: 4, ttl: time.Minute}
	now := time.Now()
	for _, c := range []struct {
		counts pendingCounts
		want   string
	}{
		{pendingCounts{user: 1, site: 2, total: 3}, ""},
		{pendingCounts{user: 2, site: 2, total: 2, userExpires: now.Add(30 * time.Second)}, "action=end"},
		{pendingCounts{user: 0, site: 3, total: 3}, "POST /files/{path}"},
		{pendingCounts{user: 0, site: 0, total: 4}, "the most it keeps"},
	} {
		wait, err := l.admit(c.counts, now)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v refused: %v", c.counts, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || wait < time.Second):
			t.Errorf("%+v: %v, wait %s", c.counts, err, wait)
		}
	}
}
