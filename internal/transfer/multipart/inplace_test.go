package multipart

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// countingStaging is the local-disk staging area, counting what is read
// back: parts staged on their own opened, and bytes read from assembly
// files.
type countingStaging struct {
	*vfs.Storage
	partsOpened atomic.Int64
	bytesRead   atomic.Int64
}

func (c *countingStaging) OpenPart(ctx context.Context, siteID int64, ref string, part int) (io.ReadCloser, int64, error) {
	c.partsOpened.Add(1)
	return c.Storage.OpenPart(ctx, siteID, ref, part)
}

func (c *countingStaging) OpenAssembly(ctx context.Context, siteID int64, ref string) (vfs.AssemblyFile, error) {
	f, err := c.Storage.OpenAssembly(ctx, siteID, ref)
	if err != nil {
		return nil, err
	}
	return countingFile{f, &c.bytesRead}, nil
}

type countingFile struct {
	vfs.AssemblyFile
	read *atomic.Int64
}

func (c countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.AssemblyFile.ReadAt(p, off)
	c.read.Add(int64(n))
	return n, err
}

func newCountingFixture(t *testing.T) (*fixture, *countingStaging) {
	return newWaitingFixture(t, -1)
}

// newWaitingFixture: parts wait up to wait for the parts before them to
// begin (negative: not at all).
func newWaitingFixture(t *testing.T, wait time.Duration) (*fixture, *countingStaging) {
	f := newFixture(t)
	c := &countingStaging{Storage: f.files}
	f.svc = New(Options{Store: f.st, Staging: c, Clock: f.clock.Now, PlaceWait: wait})
	return f, c
}

// sized sends part n of u with its length announced, as Files.com's
// clients do (Content-Length).
func (f *fixture) sized(u store.FileUpload, n int, data []byte) (store.FileUploadPart, error) {
	return f.svc.ReceivePartOf(f.ctx, u, n, bytes.NewReader(data), int64(len(data)), MaxPartSize)
}

func (f *fixture) parts(u store.FileUpload) []store.FileUploadPart {
	f.t.Helper()
	parts, err := f.st.ListFileUploadParts(f.ctx, f.site.ID, u.Ref)
	if err != nil {
		f.t.Fatal(err)
	}
	return parts
}

// checkFile checks the file's content and that its md5 is the content's.
func (f *fixture) checkFile(path string, want []byte) {
	f.t.Helper()
	got, ok := f.content(path)
	if !ok || got != string(want) {
		f.t.Fatalf("%s holds %d bytes, want %d (equal: %v)", path, len(got), len(want), got == string(want))
	}
	if f.files.ChecksumProblem() != nil {
		return
	}
	fi, err := f.fs.Stat(f.ctx, path)
	if err != nil {
		f.t.Fatal(err)
	}
	sum := md5.Sum(want)
	if sums := vfs.ChecksumsOf(f.ctx, fi); sums.MD5 != hex.EncodeToString(sum[:]) {
		f.t.Fatalf("%s has md5 %q, want %x", path, sums.MD5, sum)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestPartsInOrderWrittenInPlace: parts sent in order with their lengths
// are written straight into the assembly file and hashed as they stream
// in; the end reads nothing back (no part opened, no byte read) and puts
// the file in place with its md5 and modification time.
func TestPartsInOrderWrittenInPlace(t *testing.T) {
	f, c := newCountingFixture(t)
	data := randomBytes(3*1000 + 17)
	u := f.begin("/inorder.bin", int64(len(data)))
	for i := range 4 {
		end := min((i+1)*1000, len(data))
		if _, err := f.sized(u, i+1, data[i*1000:end]); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range f.parts(u) {
		if p.Placement == nil || p.Placement.Offset != int64((p.Part-1)*1000) || p.HashState == nil {
			t.Fatalf("part %d not written in place and hashed: %+v", p.Part, p)
		}
	}
	mtime := time.Date(2021, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: int64(len(data)), ModTime: mtime}, f.fs); err != nil {
		t.Fatal(err)
	}
	if n, r := c.partsOpened.Load(), c.bytesRead.Load(); n != 0 || r != 0 {
		t.Fatalf("the upload read back %d staged parts and %d bytes of its assembly file; want none", n, r)
	}
	f.checkFile("/inorder.bin", data)
	if fi, _ := f.fs.Stat(f.ctx, "/inorder.bin"); !fi.ModTime().Equal(mtime) {
		t.Fatalf("modification time %v, want %v", fi.ModTime(), mtime)
	}
}

// TestPartsOutOfOrderAndParallel: parts that begin before the parts
// before them are staged on their own, hashed once the parts before them
// are, and copied in at the end; parts
// sent all at once land wherever their place is known; either way the
// file and its md5 are right.
func TestPartsOutOfOrderAndParallel(t *testing.T) {
	f, c := newCountingFixture(t)
	sizes := []int{700, 1300, 1, 2048, 999, 3000, 5}
	var data []byte
	chunks := make([][]byte, len(sizes))
	for i, n := range sizes {
		chunks[i] = randomBytes(n)
		data = append(data, chunks[i]...)
	}
	// Out of order: 3, 1, 2, 5, 4, 7, 6.
	u := f.begin("/shuffled.bin", int64(len(data)))
	for _, n := range []int{3, 1, 2, 5, 4, 7, 6} {
		if _, err := f.sized(u, n, chunks[n-1]); err != nil {
			t.Fatal(err)
		}
	}
	staged := 0
	for _, p := range f.parts(u) {
		if p.Placement.Offset < 0 {
			staged++
		}
	}
	if staged == 0 || staged == len(sizes) {
		t.Fatalf("%d of %d parts staged on their own; want some (those sent before the parts before them)", staged, len(sizes))
	}
	// Each part was hashed as soon as the parts before it had arrived,
	// the staged ones from their staged files: the end copies the staged
	// parts in and hashes nothing.
	for _, p := range f.parts(u) {
		if p.HashState == nil {
			t.Fatalf("part %d not hashed once every part had arrived: %+v", p.Part, p)
		}
	}
	c.partsOpened.Store(0)
	c.bytesRead.Store(0)
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: int64(len(data))}, f.fs); err != nil {
		t.Fatal(err)
	}
	f.checkFile("/shuffled.bin", data)
	if c.partsOpened.Load() != int64(staged) || c.bytesRead.Load() != 0 {
		t.Fatalf("the end opened %d staged parts and read %d bytes of its assembly file, want the %d staged on their own and none",
			c.partsOpened.Load(), c.bytesRead.Load(), staged)
	}

	// All at once, several times over, parts waiting for the ones before
	// them to begin.
	f.svc = New(Options{Store: f.st, Staging: c, Clock: f.clock.Now})
	for round := range 3 {
		u := f.begin("/parallel.bin", int64(len(data)))
		var wg sync.WaitGroup
		errs := make(chan error, len(sizes))
		for i := range sizes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.sized(u, i+1, chunks[i])
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.Finish(f.ctx, u, EndParams{Size: int64(len(data))}, f.fs); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		f.checkFile("/parallel.bin", data)
	}
}

// TestPartWaitsForThePartBefore: a part that begins just before the part
// before it waits for it, and is then written in place.
func TestPartWaitsForThePartBefore(t *testing.T) {
	f, c := newWaitingFixture(t, 5*time.Second)
	a, b := randomBytes(300), randomBytes(200)
	u := f.begin("/wait.bin", 500)
	done := make(chan error, 1)
	go func() {
		_, err := f.sized(u, 2, b)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := f.sized(u, 1, a); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p := f.parts(u)[1]; p.Placement == nil || p.Placement.Offset != 300 {
		t.Fatalf("part 2 was not written in place: %+v", p.Placement)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 500}, f.fs); err != nil {
		t.Fatal(err)
	}
	if c.partsOpened.Load() != 0 {
		t.Fatal("the end copied a part")
	}
	f.checkFile("/wait.bin", append(append([]byte{}, a...), b...))
}

// TestRetriedPart: a part sent again over its place replaces it (a new
// etag; the md5 is of the new bytes); one that breaks off leaves the part
// pending, so the end is refused until it is sent whole; one sent again
// with another length after a later part was placed by its first length
// is refused and changes nothing.
func TestRetriedPart(t *testing.T) {
	f, _ := newCountingFixture(t)
	a, b, c := randomBytes(100), randomBytes(50), randomBytes(30)
	u := f.begin("/retry.bin", 180)
	f.sized(u, 1, a)
	first, err := f.sized(u, 2, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sized(u, 3, c); err != nil {
		t.Fatal(err)
	}
	b2 := randomBytes(50)
	second, err := f.sized(u, 2, b2)
	if err != nil || second.ETag == first.ETag {
		t.Fatalf("part 2 sent again: %+v %v", second, err)
	}
	before := f.parts(u)
	if _, err := f.sized(u, 2, randomBytes(49)); !errors.Is(err, ErrPartLengthChanged) {
		t.Fatalf("part 2 sent again shorter: %v", err)
	}
	if _, err := f.svc.ReceivePart(f.ctx, u, 2, bytes.NewReader(randomBytes(51)), MaxPartSize); !errors.Is(err, ErrPartLengthChanged) {
		t.Fatalf("part 2 sent again longer, its length not announced: %v", err)
	}
	if _, err := f.sized(u, 2, randomBytes(51)); !errors.Is(err, ErrPartLengthChanged) {
		t.Fatalf("part 2 sent again longer: %v", err)
	}
	// The refusals changed nothing; a part that breaks off leaves it
	// pending, and an end is refused until it is sent whole.
	if after := f.parts(u); !reflect.DeepEqual(before, after) {
		t.Fatalf("after the refused retries: %+v", after)
	}
	if _, err := f.svc.ReceivePartOf(f.ctx, u, 2, io.MultiReader(bytes.NewReader(b2[:10]), failing{}), 50, MaxPartSize); err == nil {
		t.Fatal("a broken part was recorded")
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 180}, f.fs); !errors.Is(err, ErrPartsMismatch) {
		t.Fatalf("an end while part 2 is pending: %v", err)
	}
	if _, err := f.sized(u, 2, b2); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 180}, f.fs); err != nil {
		t.Fatal(err)
	}
	f.checkFile("/retry.bin", append(append(append([]byte{}, a...), b2...), c...))
}

// TestRetriedPartNewLength: while no part after it is written in place,
// a part may be sent again with another length (a short part sent whole),
// in place or staged, announced or not, and the end takes the new one.
func TestRetriedPartNewLength(t *testing.T) {
	f, _ := newCountingFixture(t)
	a, b := randomBytes(100), randomBytes(50)
	u := f.begin("/grow.bin", 150)
	if _, err := f.sized(u, 2, b); err != nil { // staged: part 1 has not begun
		t.Fatal(err)
	}
	if _, err := f.sized(u, 1, a[:60]); err != nil { // in place, short
		t.Fatal(err)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 150}, f.fs); !errors.Is(err, ErrPartsMismatch) {
		t.Fatalf("an end with a short part: %v", err)
	}
	if _, err := f.sized(u, 1, a); err != nil {
		t.Fatalf("part 1 sent whole: %v", err)
	}
	if _, err := f.svc.ReceivePart(f.ctx, u, 2, bytes.NewReader(b[:20]), MaxPartSize); err != nil {
		t.Fatalf("part 2 sent shorter, its length not announced: %v", err)
	}
	if _, err := f.svc.ReceivePart(f.ctx, u, 2, bytes.NewReader(b), MaxPartSize); err != nil {
		t.Fatalf("part 2 sent whole, its length not announced: %v", err)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 150}, f.fs); err != nil {
		t.Fatal(err)
	}
	f.checkFile("/grow.bin", append(append([]byte{}, a...), b...))
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestHostileParts: a part claiming more than a part may have, more than
// its URI allows, or a place past the size the upload was begun for is
// refused before anything is recorded; another user's upload is not
// found.
func TestHostileParts(t *testing.T) {
	f, _ := newCountingFixture(t)
	u := f.begin("/hostile.bin", 100)
	f.sized(u, 1, randomBytes(60))
	before := f.parts(u)
	for _, c := range []struct {
		name   string
		part   int
		length int64
		limit  int64
		want   error
	}{
		{"huge Content-Length", 3, MaxPartSize + 1, MaxPartSize + 10, ErrPartBeyondSize},
		{"over its URI's limit", 2, 1 << 40, 1 << 20, vfs.ErrPartTooLarge},
		{"past the declared size", 2, 41, MaxPartSize, ErrPartBeyondSize},
	} {
		_, err := f.svc.ReceivePartOf(f.ctx, u, c.part, strings.NewReader("x"), c.length, c.limit)
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
		if after := f.parts(u); !reflect.DeepEqual(before, after) {
			t.Fatalf("%s changed the parts: %+v", c.name, after)
		}
	}
	// More bytes than announced: refused, never beyond its place.
	if _, err := f.svc.ReceivePartOf(f.ctx, u, 2, bytes.NewReader(randomBytes(41)), 40, MaxPartSize); !errors.Is(err, ErrPartLengthChanged) {
		t.Fatalf("more bytes than announced: %v", err)
	}
	bob := store.User{SiteID: f.site.ID, Username: "bob", AuthenticationMethod: store.AuthPassword}
	if err := f.st.CreateUser(f.ctx, &bob); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(f.ctx, f.site.ID, bob.ID, u.Ref); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("another user's upload: %v", err)
	}
}

// TestPartOffsetHint: parts sent in reverse order with the offsets their
// sender says (part_offset) are written in place, so the end copies
// nothing; a said offset that does not fit is not used; one that fits
// but is wrong costs the upload its end, never a wrong file.
func TestPartOffsetHint(t *testing.T) {
	f, c := newCountingFixture(t)
	sizes := []int{400, 400, 400, 123}
	var data []byte
	chunks := make([][]byte, len(sizes))
	for i, n := range sizes {
		chunks[i] = randomBytes(n)
		data = append(data, chunks[i]...)
	}
	at := func(u store.FileUpload, n int, off int64) error {
		_, err := f.svc.ReceivePartAt(f.ctx, u, n, bytes.NewReader(chunks[n-1]), int64(len(chunks[n-1])), off, MaxPartSize)
		return err
	}
	u := f.begin("/hinted.bin", int64(len(data)))
	for n := len(sizes); n >= 1; n-- {
		if err := at(u, n, int64((n-1)*400)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range f.parts(u) {
		if p.Placement.Offset != int64((p.Part-1)*400) {
			t.Fatalf("part %d placed at %d", p.Part, p.Placement.Offset)
		}
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: int64(len(data))}, f.fs); err != nil {
		t.Fatal(err)
	}
	if c.partsOpened.Load() != 0 {
		t.Fatal("the end copied a part")
	}
	f.checkFile("/hinted.bin", data)

	// Offsets that do not fit: over part 1's place, past the size, below
	// the parts before it; and an upload begun without a size.
	u = f.begin("/unfit.bin", int64(len(data)))
	if err := at(u, 1, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		part int
		off  int64
	}{{3, 100}, {4, 300}, {4, int64(len(data))}} {
		if err := at(u, c.part, c.off); err != nil {
			t.Fatal(err)
		}
		if p := f.parts(u)[len(f.parts(u))-1]; p.Part == c.part && p.Placement.Offset >= 0 {
			t.Fatalf("part %d placed at the unfitting offset %d", c.part, c.off)
		}
	}
	if err := at(u, 2, 400); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: int64(len(data))}, f.fs); err != nil {
		t.Fatal(err)
	}
	f.checkFile("/unfit.bin", data)
	unsized := f.begin("/unsized.bin", -1)
	if err := at(unsized, 2, 400); err != nil {
		t.Fatal(err)
	}
	if p := f.parts(unsized)[0]; p.Placement.Offset >= 0 {
		t.Fatal("a said offset was used in an upload begun without a size")
	}

	// A wrong offset that fits: the end is refused and writes nothing.
	u = f.begin("/lied.bin", int64(len(data)))
	if err := at(u, 3, 500); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 4} {
		if err := at(u, n, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: int64(len(data))}, f.fs); !errors.Is(err, ErrPartsMismatch) {
		t.Fatalf("an end with a part at a wrong offset: %v", err)
	}
	if _, ok := f.content("/lied.bin"); ok {
		t.Fatal("a refused end wrote the file")
	}
}

// TestStagedPartHashedThenSentAgain: parts of an upload of undeclared
// size (rclone's), sent out of order, are hashed as the gaps before them
// fill, the staged ones from their staged files; a staged part sent again
// with other bytes of the same length after that replaces its own hash
// state and those after it, so the md5 is the new file's.
func TestStagedPartHashedThenSentAgain(t *testing.T) {
	f, c := newCountingFixture(t)
	a, b, d := randomBytes(100), randomBytes(100), randomBytes(50)
	u := f.begin("/again.bin", -1)
	for _, p := range []struct {
		n    int
		data []byte
	}{{2, b}, {3, d}, {1, a}} {
		if _, err := f.sized(u, p.n, p.data); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range f.parts(u) {
		if p.HashState == nil {
			t.Fatalf("part %d not hashed once every part had arrived: %+v", p.Part, p)
		}
	}
	b2 := randomBytes(100)
	if _, err := f.sized(u, 2, b2); err != nil {
		t.Fatal(err)
	}
	c.bytesRead.Store(0)
	if err := f.svc.Finish(f.ctx, u, EndParams{Size: 250}, f.fs); err != nil {
		t.Fatal(err)
	}
	f.checkFile("/again.bin", append(append(append([]byte{}, a...), b2...), d...))
	if c.bytesRead.Load() != 0 {
		t.Fatalf("the end read %d bytes of its assembly file; every part was hashed before", c.bytesRead.Load())
	}
}
