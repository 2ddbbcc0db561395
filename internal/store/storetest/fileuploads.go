package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var fileUploadTests = []test{
	{"CreateGetPartsDelete", func(f *fixture) {
		alice := f.user("alice")
		u := store.FileUpload{Ref: "put-1", SiteID: f.site.ID, UserID: alice.ID, APIKeyID: 7, Path: "/reports/q1.bin",
			DeclaredSize: -1, ExpiresAt: at(15 * time.Minute), CreatedAt: at(0)}
		f.must(f.s.CreateFileUpload(f.ctx, &u))
		got, err := f.s.GetFileUpload(f.ctx, f.site.ID, "put-1")
		f.must(err)
		if got != u {
			f.t.Fatalf("GetFileUpload = %+v, want %+v", got, u)
		}
		f.wantErr(f.s.CreateFileUpload(f.ctx, &u), store.ErrConflict)
		if _, err := f.s.GetFileUpload(f.ctx, f.other.ID, "put-1"); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("another site's upload by ref: %v", err)
		}
		// Parts are recorded, replaced when sent again, listed by number.
		for _, p := range []store.FileUploadPart{{Ref: "put-1", Part: 2, Size: 10, ETag: "b", ReceivedAt: at(time.Minute)},
			{Ref: "put-1", Part: 1, Size: 5, ETag: "a", ReceivedAt: at(time.Minute)},
			{Ref: "put-1", Part: 2, Size: 7, ETag: "c", ReceivedAt: at(2 * time.Minute)}} {
			f.must(f.s.PutFileUploadPart(f.ctx, f.site.ID, &p))
		}
		parts, err := f.s.ListFileUploadParts(f.ctx, f.site.ID, "put-1")
		f.must(err)
		want := []store.FileUploadPart{{Ref: "put-1", Part: 1, Size: 5, ETag: "a", ReceivedAt: micro(at(time.Minute))},
			{Ref: "put-1", Part: 2, Size: 7, ETag: "c", ReceivedAt: micro(at(2 * time.Minute))}}
		if !reflect.DeepEqual(parts, want) {
			f.t.Fatalf("ListFileUploadParts = %+v, want %+v", parts, want)
		}
		// A pending part never hides one that arrived; it marks one that
		// never did.
		f.must(f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "put-1", Part: 1, Size: -1, ReceivedAt: at(time.Hour)}))
		f.must(f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "put-1", Part: 3, Size: -1, ReceivedAt: at(time.Hour)}))
		parts, err = f.s.ListFileUploadParts(f.ctx, f.site.ID, "put-1")
		f.must(err)
		want = append(want, store.FileUploadPart{Ref: "put-1", Part: 3, Size: -1, ReceivedAt: micro(at(time.Hour))})
		if !reflect.DeepEqual(parts, want) {
			f.t.Fatalf("after pending parts: %+v, want %+v", parts, want)
		}
		if err := f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "put-1", Part: 4, Size: 1}); err == nil {
			f.t.Fatal("a part without an etag that is not pending was recorded")
		}
		f.wantErr(f.s.PutFileUploadPart(f.ctx, f.other.ID, &store.FileUploadPart{Ref: "put-1", Part: 3, Size: 1, ETag: "x"}), store.ErrNotFound)
		f.wantErr(f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "put-none", Part: 1, Size: 1, ETag: "x"}), store.ErrNotFound)
		if parts, err := f.s.ListFileUploadParts(f.ctx, f.other.ID, "put-1"); err != nil || len(parts) != 0 {
			f.t.Fatalf("another site listed the parts: %+v %v", parts, err)
		}
		f.wantErr(f.s.DeleteFileUpload(f.ctx, f.other.ID, "put-1"), store.ErrNotFound)
		f.must(f.s.DeleteFileUpload(f.ctx, f.site.ID, "put-1"))
		f.wantErr(f.s.DeleteFileUpload(f.ctx, f.site.ID, "put-1"), store.ErrNotFound)
		if parts, err := f.s.ListFileUploadParts(f.ctx, f.site.ID, "put-1"); err != nil || len(parts) != 0 {
			f.t.Fatalf("a deleted upload's parts remain: %+v %v", parts, err)
		}
		// Deleting the user removes their uploads.
		f.must(f.s.CreateFileUpload(f.ctx, &store.FileUpload{Ref: "put-2", SiteID: f.site.ID, UserID: alice.ID, Path: "/x",
			DeclaredSize: 3, ExpiresAt: at(time.Minute)}))
		f.must(f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "put-2", Part: 1, Size: 3, ETag: "e"}))
		f.must(f.s.DeleteUser(f.ctx, f.site.ID, alice.ID))
		f.wantErr(f.s.DeleteFileUpload(f.ctx, f.site.ID, "put-2"), store.ErrNotFound)
	}},
	{"CountsAndExpiry", func(f *fixture) {
		alice, bob := f.user("alice"), f.user("bob")
		carol := f.userOn(f.other.ID, "carol")
		mk := func(ref string, site, user int64, expires time.Duration) {
			f.must(f.s.CreateFileUpload(f.ctx, &store.FileUpload{Ref: ref, SiteID: site, UserID: user, Path: "/" + ref,
				DeclaredSize: -1, ExpiresAt: at(expires), CreatedAt: at(0)}))
		}
		mk("a1", f.site.ID, alice.ID, 10*time.Minute)
		mk("a2", f.site.ID, alice.ID, 5*time.Minute)
		mk("a3", f.site.ID, alice.ID, time.Minute) // expired at the count's time
		mk("b1", f.site.ID, bob.ID, 3*time.Minute)
		mk("c1", f.other.ID, carol.ID, 20*time.Minute)
		c, err := f.s.CountFileUploads(f.ctx, f.site.ID, alice.ID, at(2*time.Minute))
		f.must(err)
		if c.User != 2 || c.Site != 3 || c.Total != 4 || !c.UserExpires.Equal(micro(at(5*time.Minute))) || !c.SiteExpires.Equal(micro(at(3*time.Minute))) {
			f.t.Fatalf("CountFileUploads = %+v", c)
		}
		c, err = f.s.CountFileUploads(f.ctx, f.site.ID, 99999, at(30*time.Minute))
		f.must(err)
		if c.User != 0 || c.Site != 0 || c.Total != 0 || !c.UserExpires.IsZero() || !c.SiteExpires.IsZero() {
			f.t.Fatalf("CountFileUploads when all expired = %+v", c)
		}
		f.must(f.s.SetFileUploadExpiry(f.ctx, f.site.ID, "a3", at(time.Hour)))
		f.wantErr(f.s.SetFileUploadExpiry(f.ctx, f.other.ID, "a3", at(time.Hour)), store.ErrNotFound)
		expired, err := f.s.ListExpiredFileUploads(f.ctx, at(10*time.Minute), 0)
		f.must(err)
		var refs []string
		for _, u := range expired {
			refs = append(refs, u.Ref)
		}
		if fmt.Sprint(refs) != "[b1 a2 a1]" {
			f.t.Fatalf("ListExpiredFileUploads = %v, want b1 a2 a1 (by expiry)", refs)
		}
		if expired, err := f.s.ListExpiredFileUploads(f.ctx, at(10*time.Minute), 1); err != nil || len(expired) != 1 {
			f.t.Fatalf("ListExpiredFileUploads with a limit of 1: %d %v", len(expired), err)
		}
	}},
	{"EndingIsClaimedOnce", func(f *fixture) {
		alice := f.user("alice")
		f.must(f.s.CreateFileUpload(f.ctx, &store.FileUpload{Ref: "e1", SiteID: f.site.ID, UserID: alice.ID, Path: "/e",
			DeclaredSize: -1, ExpiresAt: at(time.Minute)}))
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := f.s.SetFileUploadEnding(f.ctx, f.site.ID, "e1", true, at(time.Hour))
				if err != nil {
					f.t.Errorf("SetFileUploadEnding: %v", err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			f.t.Fatalf("%d concurrent claims of the end succeeded, want 1", won)
		}
		u, err := f.s.GetFileUpload(f.ctx, f.site.ID, "e1")
		f.must(err)
		if !u.Ending || !u.ExpiresAt.Equal(micro(at(time.Hour))) {
			f.t.Fatalf("claimed upload %+v", u)
		}
		if ok, err := f.s.SetFileUploadEnding(f.ctx, f.site.ID, "e1", false, at(2*time.Hour)); err != nil || !ok {
			f.t.Fatalf("releasing the claim: %v %v", ok, err)
		}
		if _, err := f.s.SetFileUploadEnding(f.ctx, f.other.ID, "e1", true, at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("claiming another site's upload: %v", err)
		}
		if _, err := f.s.SetFileUploadEnding(f.ctx, f.site.ID, "nope", true, at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("claiming a missing upload: %v", err)
		}
	}},
	{"GetSessionByID", func(f *fixture) {
		alice := f.user("alice")
		se := store.Session{SiteID: f.site.ID, UserID: alice.ID, TokenHash: []byte("hash-1"), Channel: "api", ExpiresAt: at(time.Hour), CreatedAt: at(0)}
		f.must(f.s.CreateSession(f.ctx, &se))
		got, err := f.s.GetSession(f.ctx, f.site.ID, se.ID, at(time.Minute))
		f.must(err)
		if got.ID != se.ID || got.UserID != alice.ID {
			f.t.Fatalf("GetSession = %+v", got)
		}
		if _, err := f.s.GetSession(f.ctx, f.site.ID, se.ID, at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("an expired session by id: %v", err)
		}
		if _, err := f.s.GetSession(f.ctx, f.other.ID, se.ID, at(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("another site's session by id: %v", err)
		}
	}},
}
