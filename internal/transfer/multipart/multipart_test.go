package multipart

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// TestLimitsAdmit: the limits in order, with their advice.
func TestLimitsAdmit(t *testing.T) {
	l := Limits{PerUser: 2, PerSite: 3, Total: 4, TTL: time.Minute}
	now := time.Now()
	for _, c := range []struct {
		counts store.FileUploadCounts
		want   string
	}{
		{store.FileUploadCounts{User: 1, Site: 2, Total: 3}, ""},
		{store.FileUploadCounts{User: 2, Site: 2, Total: 2, UserExpires: now.Add(30 * time.Second)}, "action=end"},
		{store.FileUploadCounts{User: 0, Site: 3, Total: 3}, "POST /files/{path}"},
		{store.FileUploadCounts{User: 0, Site: 0, Total: 4}, "the most it keeps"},
	} {
		tm := l.admit(c.counts, now)
		switch {
		case c.want == "" && tm != nil:
			t.Errorf("%+v refused: %v", c.counts, tm)
		case c.want != "" && (tm == nil || !strings.Contains(tm.Error(), c.want) || tm.Wait < time.Second):
			t.Errorf("%+v: %v", c.counts, tm)
		}
	}
}

// TestCheckParts: the end is refused, saying why, unless the parts make
// up the file.
func TestCheckParts(t *testing.T) {
	parts := func(sizes ...int64) []store.FileUploadPart {
		var out []store.FileUploadPart
		for i, s := range sizes {
			out = append(out, store.FileUploadPart{Part: i + 1, Size: s, ETag: "e" + string(rune('a'+i))})
		}
		return out
	}
	gap := append(parts(5, 5), store.FileUploadPart{Part: 4, Size: 5, ETag: "x"})
	for _, c := range []struct {
		name     string
		parts    []store.FileUploadPart
		declared int64
		end      EndParams
		want     string // "" for accepted
	}{
		{"whole", parts(5, 5, 2), 12, EndParams{Size: 12}, ""},
		{"unannounced", parts(5, 5, 2), -1, EndParams{Size: -1}, ""},
		{"empty file, no parts", nil, -1, EndParams{Size: -1}, ""},
		{"empty announced, no parts", nil, 0, EndParams{Size: -1}, ""},
		{"missing part", gap, -1, EndParams{Size: -1}, "part 3 is missing (received parts 1-2, 4)"},
		{"short part against begin", parts(5, 4, 2), 12, EndParams{Size: -1}, "begun for 12 bytes"},
		{"short part against end", parts(5, 4, 2), -1, EndParams{Size: 12}, "the end says 12 bytes"},
		{"nothing sent", nil, 10, EndParams{Size: -1}, "begun for 10 bytes"},
		{"etags agree", parts(5, 2), -1, EndParams{Size: 7, ETags: map[int]string{1: "ea", 2: "eb"}}, ""},
		{"stale etag", parts(5, 2), -1, EndParams{Size: 7, ETags: map[int]string{1: "ea", 2: "old"}}, "another version"},
		{"unlisted part", parts(5, 2), -1, EndParams{Size: 7, ETags: map[int]string{1: "ea"}}, "does not list it"},
		{"part never received", parts(5, 2), -1, EndParams{Size: 7, ETags: map[int]string{1: "ea", 2: "eb", 3: "ec"}}, "never received"},
		{"part broke off", append(parts(5), store.FileUploadPart{Part: 2, Size: -1}), -1, EndParams{Size: -1}, "part 2 began to arrive but never arrived whole"},
	} {
		err := checkParts(c.parts, c.declared, c.end)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrPartsMismatch)):
			t.Errorf("%s: got %v, want a mismatch saying %q", c.name, err, c.want)
		}
	}
}

// fixture is the service over a real SQLite store and a local-disk
// storage, with one user's view.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	svc   *Service
	st    store.Store
	files *vfs.Storage
	fs    vfs.FS
	site  store.Site
	user  store.User
	clock *testclock.Clock
}

func newFixture(t *testing.T) *fixture {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, ctx: context.Background(), st: st, clock: testclock.New(time.Now().UTC().Truncate(time.Second))}
	f.site = store.DefaultSiteSettings()
	f.site.Name, f.site.IsDefault = "Main", true
	if err := st.CreateSite(f.ctx, &f.site); err != nil {
		t.Fatal(err)
	}
	f.user = store.User{SiteID: f.site.ID, Username: "alice", AuthenticationMethod: store.AuthPassword}
	if err := st.CreateUser(f.ctx, &f.user); err != nil {
		t.Fatal(err)
	}
	if f.files, err = vfs.New(filepath.Join(t.TempDir(), "files"), st); err != nil {
		t.Fatal(err)
	}
	f.fs = f.files.View(f.site, f.user, nil)
	f.svc = New(Options{Store: st, Staging: f.files, Clock: f.clock.Now})
	return f
}

func (f *fixture) begin(path string, size int64) store.FileUpload {
	f.t.Helper()
	u, err := f.svc.Begin(f.ctx, BeginParams{SiteID: f.site.ID, UserID: f.user.ID, APIKeyID: 1, Path: path, Size: size})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) part(u store.FileUpload, n int, data string) store.FileUploadPart {
	f.t.Helper()
	p, err := f.svc.ReceivePart(f.ctx, u, n, strings.NewReader(data), MaxPartSize)
	if err != nil {
		f.t.Fatalf("part %d: %v", n, err)
	}
	return p
}

func (f *fixture) content(path string) (string, bool) {
	r, err := f.fs.Open(f.ctx, path)
	if err != nil {
		return "", false
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	return string(b), true
}

// TestPartsInAnyOrder: parts sent out of order, one sent twice, make the
// file in part order, which appears only at the end; the upload is then
// gone, so a replayed end finds nothing.
func TestPartsInAnyOrder(t *testing.T) {
	f := newFixture(t)
	u := f.begin("/big.bin", 11)
	f.part(u, 3, "9")
	f.part(u, 1, "01234")
	first := f.part(u, 2, "xxxxx")
	second := f.part(u, 2, "5678x")
	if first.ETag == second.ETag {
		t.Fatal("a part sent again kept its etag")
	}
	if _, ok := f.content("/big.bin"); ok {
		t.Fatal("the file appeared before the end")
	}
	u, _ = f.svc.Get(f.ctx, f.site.ID, f.user.ID, u.Ref)
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 11, ETags: map[int]string{2: first.ETag, 1: "", 3: ""}}, f.fs); !errors.Is(err, ErrPartsMismatch) {
		t.Fatalf("an end naming the replaced version of part 2: %v", err)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 11}, f.fs); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.content("/big.bin"); got != "012345678x9" {
		t.Fatalf("assembled %q", got)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 11}, f.fs); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("a replayed end: %v", err)
	}
	if _, _, err := f.files.OpenPart(f.ctx, f.site.ID, u.Ref, 1); err == nil {
		t.Fatal("the staged parts outlived the upload")
	}
}

// TestRefusedEndWritesNothing: an end with a missing or short part is
// refused, nothing appears (an older file stays as it was), and the
// client may send what is missing and end again.
func TestRefusedEndWritesNothing(t *testing.T) {
	f := newFixture(t)
	up, _ := f.fs.Create(f.ctx, "/doc.txt", 0)
	up.Write([]byte("old"))
	up.Commit()
	u := f.begin("/doc.txt", -1)
	f.part(u, 1, "aaaa")
	f.part(u, 3, "cc")
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: -1}, f.fs); !errors.Is(err, ErrPartsMismatch) || !strings.Contains(err.Error(), "part 2 is missing") {
		t.Fatalf("end with part 2 missing: %v", err)
	}
	f.part(u, 2, "b")
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 10}, f.fs); !errors.Is(err, ErrPartsMismatch) {
		t.Fatalf("end claiming more bytes than arrived: %v", err)
	}
	if got, _ := f.content("/doc.txt"); got != "old" {
		t.Fatalf("a refused end changed the file: %q", got)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 7}, f.fs); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.content("/doc.txt"); got != "aaaabcc" {
		t.Fatalf("assembled %q", got)
	}
}

// TestPartLimitAndBusyEnd: a part over its limit keeps nothing; while an
// end holds the upload, a second end and new parts are refused.
func TestPartLimitAndBusyEnd(t *testing.T) {
	f := newFixture(t)
	u := f.begin("/p.bin", -1)
	if _, err := f.svc.ReceivePart(f.ctx, u, 1, bytes.NewReader(make([]byte, 11)), 10); !errors.Is(err, vfs.ErrPartTooLarge) {
		t.Fatalf("a part over its limit: %v", err)
	}
	if parts, _ := f.st.ListFileUploadParts(f.ctx, f.site.ID, u.Ref); len(parts) != 1 || parts[0].Size != -1 {
		t.Fatalf("a refused part was recorded as received: %+v", parts)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: -1}, f.fs); !errors.Is(err, ErrPartsMismatch) {
		t.Fatalf("an end after the only part was refused: %v", err)
	}
	for _, n := range []int{0, MaxParts + 1} {
		if _, err := f.svc.ReceivePart(f.ctx, u, n, strings.NewReader("x"), 10); !errors.Is(err, ErrBadPart) {
			t.Fatalf("part %d: %v", n, err)
		}
	}
	f.part(u, 1, "x")
	if ok, err := f.st.SetFileUploadEnding(f.ctx, f.site.ID, u.Ref, true, f.clock.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: -1}, f.fs); !errors.Is(err, ErrUploadBusy) {
		t.Fatalf("a second end: %v", err)
	}
	u, _ = f.svc.Get(f.ctx, f.site.ID, f.user.ID, u.Ref)
	if _, err := f.svc.ReceivePart(f.ctx, u, 2, strings.NewReader("y"), 10); !errors.Is(err, ErrUploadBusy) {
		t.Fatalf("a part during the end: %v", err)
	}
}

// TestExpiryAndSweep: an upload not touched for the TTL is gone for its
// user and swept with its parts; one whose parts keep arriving is not.
func TestExpiryAndSweep(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLimits(Limits{PerUser: 2, PerSite: 10, Total: 10, TTL: time.Minute})
	old := f.begin("/old.bin", -1)
	f.part(old, 1, "abc")
	busy := f.begin("/busy.bin", -1)
	f.clock.Advance(50 * time.Second)
	if _, err := f.svc.Begin(f.ctx, BeginParams{SiteID: f.site.ID, UserID: f.user.ID, Path: "/third", Size: -1}); err == nil {
		t.Fatal("a third upload over a limit of two began")
	}
	f.part(busy, 1, "x") // keeps busy alive
	f.clock.Advance(20 * time.Second)
	if _, err := f.svc.Get(f.ctx, f.site.ID, f.user.ID, old.Ref); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("an expired upload: %v", err)
	}
	n, err := f.svc.Sweep(f.ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if _, _, err := f.files.OpenPart(f.ctx, f.site.ID, old.Ref, 1); err == nil {
		t.Fatal("a swept upload's part remains")
	}
	if _, err := f.svc.Get(f.ctx, f.site.ID, f.user.ID, busy.Ref); err != nil {
		t.Fatalf("the upload whose part arrived was swept: %v", err)
	}
	f.begin("/third", -1) // the expired one freed a place
}
