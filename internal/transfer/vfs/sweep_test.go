package vfs

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRemoveStaleUploads(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	put(t, v, "keep.txt", "kept")
	stale, err := v.Create(f.ctx, "crashed.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Abort()
	_, err = stale.Write([]byte("half"))
	must(t, err)
	fresh, err := v.Create(f.ctx, "running.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Abort()
	home := f.s.userDir(f.site.ID, f.alice.ID)
	entries, _ := os.ReadDir(home)
	var tmps []string
	for _, e := range entries {
		if e.Name() != "keep.txt" {
			tmps = append(tmps, filepath.Join(home, e.Name()))
		}
	}
	if len(tmps) != 2 {
		t.Fatalf("want two temporary files, got %v", tmps)
	}
	old := time.Now().Add(-48 * time.Hour)
	// The crashed upload's file is old; the running one was just written.
	staleFile := stale.(*upload).root.Name() + "/" + stale.(*upload).tmp
	if err := os.Chtimes(staleFile, old, old); err != nil {
		t.Fatal(err)
	}
	n, err := f.s.RemoveStaleUploads(24*time.Hour, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("removed %d: %v", n, err)
	}
	if _, err := os.Stat(staleFile); !os.IsNotExist(err) {
		t.Fatal("the stale upload is still there")
	}
	if got := get(t, v, "keep.txt"); got != "kept" {
		t.Fatal("a real file was touched")
	}
	_, err = fresh.Write([]byte("still going"))
	must(t, err)
	if err := fresh.Commit(); err != nil {
		t.Fatalf("the running upload broke: %v", err)
	}
}
