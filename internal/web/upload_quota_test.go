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
	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
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
	res, b, part := u.beginPart(name)
	return res, b, part.Ref
}

// beginPart asks for an upload of name and returns the answer and its
// first part.
func (u uploader) beginPart(name string) (*http.Response, []byte, fileUploadPartJSON) {
	u.t.Helper()
	res, b := u.do("POST", apiPrefix+"/file_actions/begin_upload/"+name, "", nil)
	var parts []fileUploadPartJSON
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 1 {
			u.t.Fatalf("begin_upload %s: %s", name, b)
		}
		return res, b, parts[0]
	}
	return res, b, fileUploadPartJSON{}
}

// put sends body to a presigned upload_uri, as Files.com's SDKs do:
// without the API key.
func (u uploader) put(uri string, body io.Reader) (*http.Response, []byte) {
	u.t.Helper()
	req, err := http.NewRequest("PUT", uri, body)
	if err != nil {
		u.t.Fatal(err)
	}
	req.Host = u.host
	req.URL.Host = strings.TrimPrefix(u.base, "http://")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// upload uploads name whole through begin_upload, PUT and end.
func (u uploader) upload(name, content string) {
	u.t.Helper()
	res, b, part := u.beginPart(name)
	ref := part.Ref
	if res.StatusCode != http.StatusOK {
		u.t.Fatalf("begin_upload %s on %s: %d %s", name, u.host, res.StatusCode, b)
	}
	if res, b := u.put(part.UploadURI, strings.NewReader(content)); res.StatusCode != http.StatusOK {
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
	limit := multipart.DefaultLimits().PerUser
	var refs, uris []string
	for i := 0; i < limit; i++ {
		res, b, part := mallory.beginPart("hog" + itoa(int64(i)) + ".bin")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("begin_upload %d of %d: %d %s", i+1, limit, res.StatusCode, b)
		}
		refs, uris = append(refs, part.Ref), append(uris, part.UploadURI)
	}
	mallory.refused("one-more.bin", "the most one user may have")
	bob.upload("report.txt", "bob's report")
	carol.upload("report.txt", "carol's report")

	// Finishing one frees a place.
	if res, b := mallory.put(uris[0], strings.NewReader("x")); res.StatusCode != http.StatusOK {
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
	h.clock.Advance(multipart.DefaultLimits().TTL + time.Minute)
	if res, b, _ := mallory.begin("after-expiry.bin"); res.StatusCode != http.StatusOK {
		t.Fatalf("begin_upload after the others expired: %d %s", res.StatusCode, b)
	}
	// Its URI has expired too (403, Files.com's upload_request_expired);
	// the upload itself is gone.
	if res, b := mallory.put(uris[1], strings.NewReader("late")); res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "upload_request_expired") {
		t.Fatalf("PUT to an expired upload: %d %s", res.StatusCode, b)
	}
	if res, b := mallory.do("POST", apiPrefix+"/files/hog1.bin", "application/json", strings.NewReader(`{"action":"end","ref":"`+refs[1]+`"}`)); res.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "file-upload-not-found") {
		t.Fatalf("end of an expired upload: %d %s", res.StatusCode, b)
	}
}

// TestUploadQuotaPerSite: the users of one site together fill only their
// site's quota; another site's users still upload.
func TestUploadQuotaPerSite(t *testing.T) {
	q := newQuotaSetup(t)
	base := "http://" + bodyServer(t, q.h, Options{Files: q.h.files, SiteDomain: "example.test"}, func(s *server) {
		s.multiUploads.SetLimits(multipart.Limits{PerUser: 3, PerSite: 5, Total: 100, TTL: time.Minute})
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
