package storetest

import (
	"context"
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
	{"PartPlacementAndHashState", func(f *fixture) {
		alice := f.user("alice")
		f.must(f.s.CreateFileUpload(f.ctx, &store.FileUpload{Ref: "h1", SiteID: f.site.ID, UserID: alice.ID, Path: "/h",
			DeclaredSize: 30, ExpiresAt: at(time.Hour)}))
		// The lock is taken inside a transaction only, and finds only the
		// site's own upload.
		if _, err := f.s.LockFileUpload(f.ctx, f.site.ID, "h1"); err == nil {
			f.t.Fatal("LockFileUpload outside a transaction succeeded")
		}
		f.must(f.s.Tx(f.ctx, func(ctx context.Context) error {
			u, err := f.s.LockFileUpload(ctx, f.site.ID, "h1")
			if err == nil && u.Path != "/h" {
				f.t.Fatalf("LockFileUpload = %+v", u)
			}
			if _, err := f.s.LockFileUpload(ctx, f.other.ID, "h1"); !errors.Is(err, store.ErrNotFound) {
				f.t.Fatalf("locking another site's upload: %v", err)
			}
			return err
		}))
		start := func(part int, length, offset int64) {
			f.must(f.s.StartFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "h1", Part: part, ReceivedAt: at(time.Minute),
				Placement: &store.PartPlacement{Length: length, Offset: offset}}))
		}
		done := func(part int, size int64, etag string) {
			f.must(f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "h1", Part: part, Size: size, ETag: etag, ReceivedAt: at(time.Minute)}))
		}
		setHash := func(part int, etag string, base, state []byte) bool {
			ok, err := f.s.SetFileUploadPartHash(f.ctx, f.site.ID, "h1", part, etag, base, state)
			f.must(err)
			return ok
		}
		start(1, 10, 0)
		start(2, 10, 10)
		start(3, -1, -1)
		done(1, 10, "a")
		done(2, 10, "b")
		if !setHash(1, "a", nil, []byte("s1")) || !setHash(2, "b", []byte("s1"), []byte("s2")) {
			f.t.Fatal("hash states of current versions were refused")
		}
		if setHash(2, "old", []byte("s1"), []byte("x")) || setHash(2, "b", []byte("other"), []byte("x")) {
			f.t.Fatal("a hash state of a stale version, or from another base, was recorded")
		}
		if ok, err := f.s.SetFileUploadPartHash(f.ctx, f.other.ID, "h1", 1, "a", nil, []byte("x")); ok || err != nil {
			f.t.Fatalf("another site set a hash state: %v %v", ok, err)
		}
		parts, err := f.s.ListFileUploadParts(f.ctx, f.site.ID, "h1")
		f.must(err)
		want := []store.FileUploadPart{
			{Ref: "h1", Part: 1, Size: 10, ETag: "a", ReceivedAt: micro(at(time.Minute)), Placement: &store.PartPlacement{Length: 10, Offset: 0}, HashState: []byte("s1")},
			{Ref: "h1", Part: 2, Size: 10, ETag: "b", ReceivedAt: micro(at(time.Minute)), Placement: &store.PartPlacement{Length: 10, Offset: 10}, HashState: []byte("s2")},
			{Ref: "h1", Part: 3, Size: -1, ReceivedAt: micro(at(time.Minute)), Placement: &store.PartPlacement{Length: -1, Offset: -1}},
		}
		if !reflect.DeepEqual(parts, want) {
			f.t.Fatalf("ListFileUploadParts = %+v, want %+v", parts, want)
		}
		// Part 1 sent again: it is pending again, and the hash states from
		// it on are forgotten; its placement stays as given.
		start(1, 10, 0)
		parts, err = f.s.ListFileUploadParts(f.ctx, f.site.ID, "h1")
		f.must(err)
		if p := parts[0]; p.Size != -1 || p.ETag != "" || p.HashState != nil || parts[1].HashState != nil || parts[1].ETag != "b" {
			f.t.Fatalf("after part 1 began again: %+v", parts)
		}
		// A new version recorded whole forgets its hash state too, and
		// those of the parts after it, computed through the old version.
		done(1, 10, "a2")
		if !setHash(1, "a2", nil, []byte("s1")) || !setHash(2, "b", []byte("s1"), []byte("s2")) {
			f.t.Fatal("hash state of the new version refused")
		}
		done(1, 10, "a3")
		parts, err = f.s.ListFileUploadParts(f.ctx, f.site.ID, "h1")
		f.must(err)
		if parts[0].HashState != nil || parts[1].HashState != nil {
			f.t.Fatalf("a new version kept the old hash states: %+v", parts[:2])
		}
		// A pending part recorded where one exists changes nothing.
		f.must(f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "h1", Part: 1, Size: -1}))
		if !setHash(1, "a3", nil, []byte("s1")) || !setHash(2, "b", []byte("s1"), []byte("s2")) {
			f.t.Fatal("hash states refused")
		}
		f.must(f.s.PutFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "h1", Part: 1, Size: -1}))
		parts, err = f.s.ListFileUploadParts(f.ctx, f.site.ID, "h1")
		f.must(err)
		if parts[0].ETag != "a3" || parts[1].HashState == nil {
			f.t.Fatalf("a pending record changed a part that arrived whole: %+v", parts[:2])
		}
		f.wantErr(f.s.StartFileUploadPart(f.ctx, f.other.ID, &store.FileUploadPart{Ref: "h1", Part: 4, Placement: &store.PartPlacement{Length: 1, Offset: 30}}), store.ErrNotFound)
		if err := f.s.StartFileUploadPart(f.ctx, f.site.ID, &store.FileUploadPart{Ref: "h1", Part: 4}); err == nil {
			f.t.Fatal("a part began without a placement")
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
