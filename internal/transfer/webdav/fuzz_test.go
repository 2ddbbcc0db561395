package webdav

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// fuzzMethods are the methods whose XML bodies and headers FuzzXMLBodies
// sends; fuzzTargets the paths, in alice's home, her group's folder, a
// file bob has locked, a folder that does not exist, and bob's home.
var (
	fuzzMethods = []string{"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK"}
	fuzzTargets = []string{"/dav/", "/dav/doc.txt", "/dav/docs/", "/dav/groups/Eng/plan.txt",
		"/dav/groups/Eng/locked.txt", "/dav/missing/new.txt", "/dav/users/bob/mine.txt", "/dav/new.txt"}
)

// The request bodies of the tests and of RFC 4918's examples.
const (
	lockInfo     = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>alice</D:owner></D:lockinfo>`
	lockInfoHref = `<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D='DAV:'><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>http://example.org/~ejw/contact.html</D:href></D:owner></D:lockinfo>`
	propfindAll  = `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`
	propfindName = `<?xml version="1.0" encoding="utf-8" ?><propfind xmlns="DAV:"><propname/></propfind>`
	propfindSome = `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop xmlns:R="http://ns.example.com/boxschema/"><R:bigbox/><R:author/><D:getcontentlength/><D:resourcetype/></D:prop></D:propfind>`
	proppatch    = `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://ns.example.com/standards/z39.50/"><D:set><D:prop><Z:Authors><Z:Author>Jim Whitehead</Z:Author></Z:Authors></D:prop></D:set><D:remove><D:prop><Z:Copyright-Owner/></D:prop></D:remove></D:propertyupdate>`
)

// FuzzXMLBodies sends arbitrary PROPFIND, PROPPATCH, LOCK and UNLOCK
// requests (XML body, Depth, Timeout and If or Lock-Token headers)
// through the real handler, signed in as alice, over local-disk storage
// and a real SQLite store. The server must answer every one (no fault,
// no dropped connection); a multistatus must be well-formed XML whose
// hrefs stay under /dav/; a refused request must leave every file and
// every lock as it was; a lock granted must be stored under the token
// answered, on a path alice may write (her home or her group's folder),
// never bob's.
func FuzzXMLBodies(f *testing.F) {
	h := transfertest.New(f)
	alice, bob := h.PasswordUser("alice"), h.PasswordUser("bob")
	h.Group("Eng", alice, bob)
	key := h.APIKey(alice)
	base, _ := startDAV(f, h, nil)
	fx := &davFixture{h: h, base: base, key: key}
	for _, put := range []struct{ user, secret, path string }{
		{"alice", key, "/dav/doc.txt"}, {"alice", key, "/dav/docs/a.txt"}, {"alice", key, "/dav/groups/Eng/plan.txt"},
		{"alice", key, "/dav/groups/Eng/locked.txt"}, {"bob", pw, "/dav/mine.txt"},
	} {
		if strings.HasSuffix(put.path, "/a.txt") {
			if resp, _ := do(f, "MKCOL", base+"/dav/docs/", put.user, put.secret, nil); resp.StatusCode != http.StatusCreated {
				f.Fatalf("MKCOL: %d", resp.StatusCode)
			}
		}
		if resp, _ := do(f, "PUT", base+put.path, put.user, put.secret, strings.NewReader("content of "+put.path)); resp.StatusCode != http.StatusCreated {
			f.Fatalf("PUT %s: %d", put.path, resp.StatusCode)
		}
	}
	resp, _ := do(f, "LOCK", base+"/dav/groups/Eng/locked.txt", "bob", pw, strings.NewReader(lockInfo), "Timeout", "Second-86400")
	if resp.StatusCode != http.StatusOK {
		f.Fatalf("bob's LOCK: %d", resp.StatusCode)
	}
	fx.bobsToken = resp.Header.Get("Lock-Token")
	fx.files, fx.locks = fx.state(f)

	type seed struct {
		method, target                  uint8
		depth, timeout, condition, body string
	}
	bobs := strings.Trim(fx.bobsToken, "<>")
	for _, s := range []seed{
		{0, 0, "1", "", "", propfindAll}, {0, 1, "0", "", "", propfindName}, {0, 2, "infinity", "", "", propfindSome},
		{0, 0, "1", "", "", ""}, {0, 0, "1", "", "", "<not xml"}, {0, 6, "0", "", "", propfindAll},
		{0, 0, "1", "", "", `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat("<D:x/>", 100) + `</D:prop></D:propfind>`},
		{1, 1, "", "", "", proppatch}, {1, 3, "", "", "(<" + bobs + ">)", proppatch}, {1, 4, "", "", "", proppatch},
		{2, 4, "0", "Second-60", "", lockInfo}, {2, 1, "0", "Second-x", "", lockInfo},
		{2, 3, "", "Second-60", "(<" + bobs + ">)", ""}, {2, 4, "", "Second-60", "(<" + bobs + ">)", ""},
		{2, 1, "", "", "</dav/doc.txt> (Not <urn:uuid:x> [W/\"etag\"])", ""},
		{3, 4, "", "", "<" + bobs + ">", ""}, {3, 1, "", "", "<urn:uuid:forged>", ""}, {3, 1, "", "", "", ""},
	} {
		f.Add(s.method, s.target, s.depth, s.timeout, s.condition, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target uint8, depth, timeout, condition string, body []byte) {
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		path := fuzzTargets[int(target)%len(fuzzTargets)]
		defer fx.reset(t)
		fx.request(t, m, path, depth, timeout, condition, body)
	})
}

// davFixture is alice's session and the state every iteration starts from.
type davFixture struct {
	h         *transfertest.Harness
	base, key string
	bobsToken string
	files     string
	locks     []store.DAVLock
}

func (fx *davFixture) request(t *testing.T, method, path, depth, timeout, condition string, body []byte) {
	req, err := http.NewRequest(method, fx.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", fx.key)
	for name, v := range map[string]string{"Depth": depth, "Timeout": timeout} {
		if v != "" {
			req.Header.Set(name, v)
		}
	}
	if condition != "" {
		if method == "UNLOCK" {
			req.Header.Set("Lock-Token", condition)
		} else {
			req.Header.Set("If", condition)
		}
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/xml")
	}
	for _, v := range []string{depth, timeout, condition} {
		if !httpguts.ValidHeaderFieldValue(v) {
			return // no client can send this header value
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: no answer: %v", method, path, err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: the answer broke off: %v", method, path, err)
	}
	files, locks := fx.state(t)
	switch code := resp.StatusCode; {
	case code >= 500 && code != http.StatusNotImplemented: // 501: a lock of a kind not served (shared)
		t.Fatalf("%s %s: server fault %d: %s", method, path, code, answer)
	case code == http.StatusMultiStatus:
		checkMultistatus(t, answer)
	case method == "LOCK" && (code == http.StatusOK || code == http.StatusCreated):
		fx.checkGranted(t, resp, answer, locks)
	case code >= 300:
		if files != fx.files || len(locks) != len(fx.locks) {
			t.Fatalf("%s %s refused with %d changed files or locks:\nfiles before %s\nfiles after  %s\nlocks %v -> %v",
				method, path, code, fx.files, files, fx.locks, locks)
		}
	}
	if method == "PROPFIND" && files != fx.files {
		t.Fatalf("PROPFIND changed files:\n%s\n%s", fx.files, files)
	}
}

// checkMultistatus requires well-formed XML whose hrefs stay under /dav/.
func checkMultistatus(t *testing.T, answer []byte) {
	dec := xml.NewDecoder(bytes.NewReader(answer))
	inHref := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("a 207 that is no well-formed XML: %v\n%s", err, answer)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			inHref = x.Name.Local == "href"
		case xml.EndElement:
			inHref = false
		case xml.CharData:
			if inHref && !strings.HasPrefix(string(x), Prefix+"/") {
				t.Fatalf("a 207 names %q, outside %s/:\n%s", x, Prefix, answer)
			}
		}
	}
}

// checkGranted requires a granted lock to be stored under its token, on
// alice's home or her group's folder.
func (fx *davFixture) checkGranted(t *testing.T, resp *http.Response, answer []byte, locks []store.DAVLock) {
	token := strings.Trim(resp.Header.Get("Lock-Token"), "<>")
	refreshed := token == ""
	for _, k := range locks {
		if k.Token == strings.Trim(fx.bobsToken, "<>") {
			continue
		}
		if !refreshed && k.Token != token {
			t.Fatalf("a lock other than the one granted was stored: %+v", k)
		}
		if k.Root != "/users/alice" && !strings.HasPrefix(k.Root, "/users/alice/") && !strings.HasPrefix(k.Root, "/groups/eng/") {
			t.Fatalf("alice was granted a lock on %q", k.Root)
		}
		if k.ExpiresAt.After(time.Now().Add(maxLockDuration + time.Minute)) {
			t.Fatalf("a lock longer than %v: %+v", maxLockDuration, k)
		}
		token = ""
	}
	if token != "" {
		t.Fatalf("the lock granted (%s) is not stored: %v", token, locks)
	}
	var answered struct {
		Root    string `xml:"lockdiscovery>activelock>lockroot>href"`
		Timeout string `xml:"lockdiscovery>activelock>timeout"`
	}
	if err := xml.Unmarshal(answer, &answered); err != nil {
		t.Fatalf("a granted lock's answer is no well-formed XML: %v\n%s", err, answer)
	}
	if !strings.HasPrefix(answered.Root, Prefix+"/") {
		t.Fatalf("a granted lock's root %q is not a URL under %s/:\n%s", answered.Root, Prefix, answer)
	}
	var stored *store.DAVLock
	for i, k := range locks {
		if k.Token == strings.Trim(resp.Header.Get("Lock-Token"), "<>") || refreshed && k.Token == strings.Trim(fx.bobsToken, "<>") {
			stored = &locks[i]
		}
	}
	if stored == nil {
		t.Fatalf("no stored lock for the answer:\n%s", answer)
	}
	seconds, err := strconv.ParseInt(strings.TrimPrefix(answered.Timeout, "Second-"), 10, 64)
	left := time.Until(stored.ExpiresAt)
	if err != nil || (time.Duration(seconds)*time.Second-left).Abs() > time.Minute {
		t.Fatalf("a lock stored to expire in %v was answered with timeout %q", left.Round(time.Second), answered.Timeout)
	}
}

// state is every file of the storage (path, size and content digest) and
// every lock, expired or not.
func (fx *davFixture) state(t testing.TB) (string, []store.DAVLock) {
	var b strings.Builder
	root := fx.h.Storage.Root()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			fmt.Fprintf(&b, "%s/\n", rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %x\n", rel, len(data), sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	locks, err := fx.h.Store.ListDAVLocks(fx.h.Ctx, fx.h.Site.ID, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(locks, func(i, j int) bool { return locks[i].Token < locks[j].Token })
	return b.String(), locks
}

// reset removes what an iteration added: locks other than bob's, and
// files and folders that were not there at the start.
func (fx *davFixture) reset(t *testing.T) {
	locks, err := fx.h.Store.ListDAVLocks(fx.h.Ctx, fx.h.Site.ID, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range locks {
		if k.Token != strings.Trim(fx.bobsToken, "<>") {
			_ = fx.h.Store.DeleteDAVLock(fx.h.Ctx, fx.h.Site.ID, k.Token)
		}
	}
	if len(locks) == 0 || !containsLock(locks, fx.bobsToken) { // alice may unlock a group file
		k := fx.locks[0]
		if err := fx.h.Store.CreateDAVLock(fx.h.Ctx, &k); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := fx.state(t)
	if files == fx.files {
		return
	}
	keep := map[string]bool{}
	for _, line := range strings.Split(fx.files, "\n") {
		keep[firstField(line)] = true
	}
	for _, line := range strings.Split(files, "\n") {
		if rel := firstField(line); rel != "" && !keep[rel] {
			_ = os.RemoveAll(filepath.Join(fx.h.Storage.Root(), strings.TrimSuffix(rel, "/")))
		}
	}
	if files, _ = fx.state(t); files != fx.files {
		t.Fatalf("a granted request changed files it may not:\n%s\n%s", fx.files, files)
	}
}

// firstField is a state line's path.
func firstField(line string) string {
	name, _, _ := strings.Cut(line, " ")
	return name
}

func containsLock(locks []store.DAVLock, token string) bool {
	for _, k := range locks {
		if k.Token == strings.Trim(token, "<>") {
			return true
		}
	}
	return false
}
