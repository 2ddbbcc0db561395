package vfs

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// expected is what the checksums of data must be: computed here with the
// standard library, independently of the summer.
func expected(data []byte) Checksums {
	m := md5.Sum(data)
	return Checksums{MD5: hex.EncodeToString(m[:]), CRC32: fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))}
}

func statSums(t *testing.T, v FS, name string) Checksums {
	t.Helper()
	fi, err := v.Stat(context.Background(), name)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	return ChecksumsOf(context.Background(), fi)
}

func randomBytes(n int, seed uint64) []byte {
	r := mathrand.New(mathrand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestChecksumsOfUploads(t *testing.T) {
	f := newFixture(t)
	if err := f.s.ChecksumProblem(); err != nil {
		t.Fatalf("the test's temporary folder keeps no extended attributes: %v", err)
	}
	v := f.view(t, f.alice)
	for _, n := range []int{0, 1, 5, 4 << 10, 1<<20 + 3} {
		data := randomBytes(n, uint64(n))
		name := fmt.Sprintf("/f%d.bin", n)
		put(t, v, name, string(data))
		if got, want := statSums(t, v, name), expected(data); got != want {
			t.Errorf("%d bytes: stat answers %+v, want %+v", n, got, want)
		}
	}
	if got := expected(nil); got.MD5 != "d41d8cd98f00b204e9800998ecf8427e" || got.CRC32 != "00000000" {
		t.Fatalf("the test's own reference is wrong: %+v", got)
	}
	// A CRC-32 with leading zero digits keeps them: rclone compares 8 digits.
	small := []byte("gatehouse 2")
	for i := 0; ; i++ {
		small = fmt.Appendf(small[:0], "gatehouse %d", i)
		if crc32.ChecksumIEEE(small) < 1<<28 {
			break
		}
	}
	put(t, v, "/small.txt", string(small))
	if got := statSums(t, v, "/small.txt"); got != expected(small) || len(got.CRC32) != 8 || got.CRC32[0] != '0' {
		t.Errorf("leading zero: %+v", got)
	}
	// Listings answer them too, and folders have none.
	if err := v.Mkdir(f.ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	infos, err := v.ReadDir(f.ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	each := ChecksumsOfEach(f.ctx, infos)
	for i, fi := range infos {
		sums := ChecksumsOf(f.ctx, fi)
		if fi.IsDir() != !sums.Known() {
			t.Errorf("listing: %s (folder %v) has checksums %+v", fi.Name(), fi.IsDir(), sums)
		}
		if each[i] != sums {
			t.Errorf("listing: %s: ChecksumsOfEach says %+v, ChecksumsOf %+v", fi.Name(), each[i], sums)
		}
	}
	// A rename keeps them; so does a group folder.
	if err := v.Rename(f.ctx, "/f5.bin", "/docs/moved.bin"); err != nil {
		t.Fatal(err)
	}
	if got := statSums(t, v, "/docs/moved.bin"); got != expected(randomBytes(5, 5)) {
		t.Errorf("after rename: %+v", got)
	}
	put(t, v, "/groups/Writers/g.txt", "group file")
	if got := statSums(t, v, "/groups/Writers/g.txt"); got != expected([]byte("group file")) {
		t.Errorf("group folder: %+v", got)
	}
}

// TestChecksumsOfConcurrentWriteAt writes a file the way SFTP servers do:
// chunks at their offsets from several goroutines, in any order, some
// leaving holes filled later or never (zeros).
func TestChecksumsOfConcurrentWriteAt(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	for round := range 6 {
		const chunk = 32 << 10
		data := randomBytes(chunk*(13+round*9)+1234, uint64(round))
		// A hole at the end of chunk 5 stays zeros: the file is what is hashed.
		copy(data[5*chunk+100:6*chunk], make([]byte, chunk-100))
		var offs []int
		for off := 0; off < len(data); off += chunk {
			offs = append(offs, off)
		}
		r := mathrand.New(mathrand.NewPCG(uint64(round), 9))
		r.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
		up, err := v.Create(f.ctx, "/sftp.bin", 0)
		if err != nil {
			t.Fatal(err)
		}
		work := make(chan int)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for off := range work {
					end := min(off+chunk, len(data))
					if off == 5*chunk {
						end = off + 100
					}
					if _, err := up.WriteAt(data[off:end], int64(off)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		for _, off := range offs {
			work <- off
		}
		close(work)
		wg.Wait()
		if err := up.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := get(t, v, "/sftp.bin"); got != string(data) {
			t.Fatalf("round %d: the file is not what was written", round)
		}
		if got := statSums(t, v, "/sftp.bin"); got != expected(data) {
			t.Fatalf("round %d: %+v, want %+v", round, got, expected(data))
		}
	}
}

// TestChecksumsOfOverwritesAreUnknown: bytes written over bytes already
// hashed leave the checksums unknown, never wrong.
func TestChecksumsOfOverwritesAreUnknown(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	up, err := v.Create(f.ctx, "/over.txt", 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(up, "hello world")
	up.WriteAt([]byte("HELLO"), 0)
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
	if get(t, v, "/over.txt") != "HELLO world" {
		t.Fatal("content")
	}
	if got := statSums(t, v, "/over.txt"); got.Known() {
		t.Fatalf("checksums of an overwritten upload: %+v", got)
	}
}

// TestChecksumsOfResumedUploads: an upload that continues an existing file
// (SFTP reput, FTP REST+STOR, APPE) is checksummed whole, not only the
// part sent.
func TestChecksumsOfResumedUploads(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	full := randomBytes(300<<10, 7)
	put(t, v, "/r.bin", string(full[:100<<10]))
	// Resume at an offset (REST n + STOR), sequential writes.
	up, err := v.Create(f.ctx, "/r.bin", 60<<10)
	if err != nil {
		t.Fatal(err)
	}
	up.Write(full[60<<10:])
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := statSums(t, v, "/r.bin"); got != expected(full) {
		t.Fatalf("REST+STOR resume: %+v, want %+v", got, expected(full))
	}
	// Keep everything and write at the end (SFTP reput, APPE).
	more := append(bytes.Clone(full), randomBytes(50<<10, 8)...)
	up, err = v.Create(f.ctx, "/r.bin", KeepExisting)
	if err != nil {
		t.Fatal(err)
	}
	up.WriteAt(more[len(full):], int64(len(full)))
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := statSums(t, v, "/r.bin"); got != expected(more) {
		t.Fatalf("append: %+v, want %+v", got, expected(more))
	}
}

// TestChecksumsOfFilesChangedBehindTheStorage: a file written on the disk
// directly (not through Gatehouse) reports no checksums, even when its
// size stays the same and its time is then set back to the recorded one.
func TestChecksumsOfFilesChangedBehindTheStorage(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	put(t, v, "/doc.txt", "original content")
	fi, _ := v.Stat(f.ctx, "/doc.txt")
	recorded := fi.ModTime()
	if !statSums(t, v, "/doc.txt").Known() {
		t.Fatal("no checksums after the upload")
	}
	disk := filepath.Join(f.s.userDir(f.site.ID, f.alice.ID), "doc.txt")
	time.Sleep(10 * time.Millisecond) // a later modification time than the upload's
	if err := os.WriteFile(disk, []byte("changed content!"), 0o640); err != nil {
		t.Fatal(err)
	}
	if got := statSums(t, v, "/doc.txt"); got.Known() {
		t.Fatalf("stale checksums after a change on disk: %+v", got)
	}
	put(t, v, "/other.txt", "other")
	infos, _ := v.ReadDir(f.ctx, "/")
	for i, sums := range ChecksumsOfEach(f.ctx, infos) {
		if name := infos[i].Name(); !infos[i].IsDir() && (name == "doc.txt") == sums.Known() {
			t.Fatalf("listing after a change on disk: %s has %+v", name, sums)
		}
	}
	if err := v.SetModTime(f.ctx, "/doc.txt", recorded); err != nil {
		t.Fatal(err)
	}
	if got := statSums(t, v, "/doc.txt"); got.Known() {
		t.Fatalf("the stale record came back when the time it names was set again: %+v", got)
	}
	// A listing taken before a change does not pair the new checksums
	// with its old description either.
	put(t, v, "/doc2.txt", "one")
	old, _ := v.Stat(f.ctx, "/doc2.txt")
	time.Sleep(10 * time.Millisecond)
	put(t, v, "/doc2.txt", "two")
	if got := ChecksumsOf(f.ctx, old); got.Known() {
		t.Fatalf("checksums of the new content for the old description: %+v", got)
	}
}

func TestSetModTime(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	when := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	put(t, v, "/a.txt", "alpha")
	if err := v.SetModTime(f.ctx, "/a.txt", when); err != nil {
		t.Fatal(err)
	}
	fi, _ := v.Stat(f.ctx, "/a.txt")
	if !fi.ModTime().Equal(when) {
		t.Fatalf("mtime %v, want %v", fi.ModTime(), when)
	}
	if got := statSums(t, v, "/a.txt"); got != expected([]byte("alpha")) {
		t.Fatalf("checksums after setting the time: %+v", got)
	}
	if changed := ChangedAt(fi); changed.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("ChangedAt %v is not when the storage changed the file", changed)
	}
	// At upload, before the file appears.
	up, _ := v.Create(f.ctx, "/b.txt", 0)
	io.WriteString(up, "beta")
	up.SetModTime(when)
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, _ = v.Stat(f.ctx, "/b.txt")
	if !fi.ModTime().Equal(when) || statSums(t, v, "/b.txt") != expected([]byte("beta")) {
		t.Fatalf("uploaded with a time: %v %+v", fi.ModTime(), statSums(t, v, "/b.txt"))
	}
	// Folders, the home's top, not the layout or a read-only group.
	v.Mkdir(f.ctx, "/dir")
	for _, name := range []string{"/dir", "/", "/groups/Writers"} {
		if err := v.SetModTime(f.ctx, name, when); err != nil {
			t.Errorf("%s: %v", name, err)
		} else if fi, _ := v.Stat(f.ctx, name); !fi.ModTime().Equal(when) && name != "/" {
			t.Errorf("%s: mtime %v", name, fi.ModTime())
		}
	}
	for name, want := range map[string]error{"/groups": ErrPermission, "/groups/Readers": ErrPermission,
		"/nothing": ErrNotExist, "/groups/Unknown/x": ErrNotExist, "/../x": ErrInvalidName} {
		if err := v.SetModTime(f.ctx, name, when); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
}

// TestChecksumsOffWithoutAttributes: a storage that keeps no attributes
// answers no checksums and computes none.
func TestChecksumsOffWithoutAttributes(t *testing.T) {
	f := newFixture(t)
	f.s.sums, f.s.noSums = false, fs.ErrInvalid
	v := f.view(t, f.alice)
	put(t, v, "/x.txt", "x")
	if got := statSums(t, v, "/x.txt"); got.Known() {
		t.Fatalf("%+v", got)
	}
}

func TestParseRecordRefusesWhatItDidNotWrite(t *testing.T) {
	good := checksumRecord{size: 5, mtime: time.Unix(1, 2), sums: expected([]byte("alpha"))}
	if r, ok := parseRecord(good.encode()); !ok || r != good {
		t.Fatalf("round trip: %+v %v", r, ok)
	}
	for _, bad := range []string{"", "v1", "v2 5 1000000002 " + good.sums.MD5 + " " + good.sums.CRC32,
		"v1 -5 1 " + good.sums.MD5 + " " + good.sums.CRC32, "v1 5 x " + good.sums.MD5 + " " + good.sums.CRC32,
		"v1 5 1 " + good.sums.MD5[1:] + " " + good.sums.CRC32, "v1 5 1 " + good.sums.MD5 + " ABCDEF01",
		"v1 5 1 " + good.sums.MD5 + " " + good.sums.CRC32 + " extra"} {
		if _, ok := parseRecord([]byte(bad)); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}
