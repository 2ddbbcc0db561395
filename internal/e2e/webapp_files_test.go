package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBrowserFiles drives the web app's file pages in a real Chromium
// (testdata/browser/webapp-files.mjs): uploads by button, by folder and
// 201 files by drag and drop; a part that meets a connection reset, and a
// 2 GiB file whose part half-way fails as a dropped connection does (each
// part is sent again and the file arrives whole, SHA-256 equal); a
// cancelled upload that leaves nothing behind; folder, rename, move; the
// refusals of a read-only group folder and of another user's folder shown
// as messages; a zip of a selection; delete after confirmation; a preview.
// The bytes that arrived are compared with the ones sent through the REST
// API. Every page must have no serious or critical axe-core violation and
// fit 375 px.
func TestBrowserFiles(t *testing.T) {
	node, chromium := requireBrowser(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	const password = "alice's long passphrase 1"
	var alice struct{ ID int64 }
	if code := s.api(t, http.MethodPost, "/users", key, map[string]any{"username": "alice", "authentication_method": "password",
		"password": password}, &alice); code != http.StatusCreated {
		t.Fatalf("create alice: %d", code)
	}
	if code := s.api(t, http.MethodPost, "/users", key, map[string]any{"username": "bob", "authentication_method": "password",
		"password": password}, nil); code != http.StatusCreated {
		t.Fatalf("create bob: %d", code)
	}
	// alice reads Finance's folder and may not write to it.
	if code := s.api(t, http.MethodPost, "/groups", key, map[string]any{"name": "Finance", "user_ids": fmt.Sprint(alice.ID)}, nil); code != http.StatusCreated {
		t.Fatalf("create group: %d", code)
	}

	files := t.TempDir()
	big := make([]byte, 40<<20+12345) // three 16 MiB parts
	_, _ = rand.Read(big)
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(files, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("small.txt", []byte("hello from the browser\n"))
	write("notes.md", []byte("# Notes\n<script>alert(1)</script>\n"))
	write("big.bin", big)
	write("resumed.bin", big)
	// A 2 GiB file meets a dropped connection half-way (part 64 of 128).
	const hugeSize = 2 << 30
	_, hugeSum := randomFile(t, files, "huge.bin", hugeSize)
	write("slow.bin", big[:20<<20])
	write("project/src/main.go", []byte("package main\n"))
	write("project/README", []byte("read me\n"))

	var seen struct {
		EmptyTitle   string              `json:"emptyTitle"`
		AfterUpload  []string            `json:"afterUpload"`
		AfterFolder  []string            `json:"afterFolder"`
		AfterDrop    []string            `json:"afterDrop"`
		DropCount    int                 `json:"dropCount"`
		HugeSeconds  float64             `json:"hugeSeconds"`
		HugeDropped  bool                `json:"hugeDropped"`
		ReadOnly     string              `json:"readOnlyRefusal"`
		ReadOnlyUp   bool                `json:"readOnlyOffersUpload"`
		OtherUser    string              `json:"otherUserRefusal"`
		Dropped      int                 `json:"dropped"`
		CancelState  string              `json:"cancelState"`
		AfterCancel  []string            `json:"afterCancel"`
		MkdirNotice  string              `json:"mkdirNotice"`
		Reports      []string            `json:"reports"`
		Crumbs       string              `json:"crumbs"`
		ZipName      string              `json:"zipName"`
		ZipPath      string              `json:"zipPath"`
		ConfirmTitle string              `json:"confirmTitle"`
		AfterDelete  []string            `json:"afterDelete"`
		PreviewText  string              `json:"previewText"`
		Axe          map[string][]string `json:"axe"`
		Widths       map[string]int      `json:"widths"`
	}
	runBrowserScript(t, node, chromium, &seen, 5, "webapp-files.mjs", s.Base, "alice", password, files, screenshotDir(t), fmt.Sprint(hugeSize/(16<<20)/2))
	if seen.EmptyTitle != "My files" {
		t.Errorf("files page title %q", seen.EmptyTitle)
	}
	if !slices.Equal(seen.AfterUpload, []string{"groups/", "big.bin", "notes.md", "small.txt"}) {
		t.Errorf("after upload: %q", seen.AfterUpload)
	}
	if !slices.Equal(seen.AfterFolder, []string{"groups/", "project/", "big.bin", "notes.md", "small.txt"}) {
		t.Errorf("after the folder upload: %q", seen.AfterFolder)
	}
	if seen.DropCount != 201 || len(seen.AfterDrop) != 100 || seen.AfterDrop[0] != "drop-000.txt" {
		t.Errorf("after the drop: %d entries, first page %q", seen.DropCount, seen.AfterDrop)
	}
	if !strings.Contains(seen.ReadOnly, "permission") || seen.ReadOnlyUp {
		t.Errorf("a read-only group folder: refusal %q, upload offered %v", seen.ReadOnly, seen.ReadOnlyUp)
	}
	if !strings.Contains(seen.OtherUser, "only site admins can reach other users' folders") {
		t.Errorf("another user's folder: %q", seen.OtherUser)
	}
	t.Logf("the 2 GiB upload took %.1f s in the browser", seen.HugeSeconds)
	if seen.Dropped != 1 || !seen.HugeDropped {
		t.Errorf("the dropped parts were not tried: reset %d, half-way %v", seen.Dropped, seen.HugeDropped)
	}
	if seen.CancelState != "cancelled" || slices.Contains(seen.AfterCancel, "slow.bin") {
		t.Errorf("cancel: state %q, folder %q", seen.CancelState, seen.AfterCancel)
	}
	if seen.MkdirNotice != "The folder was created." || !slices.Equal(seen.Reports, []string{"summary.txt"}) || !strings.Contains(seen.Crumbs, "Reports") {
		t.Errorf("mkdir %q, Reports %q, crumbs %q", seen.MkdirNotice, seen.Reports, seen.Crumbs)
	}
	if seen.ConfirmTitle != "Delete?" || slices.Contains(seen.AfterDelete, "big.bin") {
		t.Errorf("delete: %q, then %q", seen.ConfirmTitle, seen.AfterDelete)
	}
	if !strings.Contains(seen.PreviewText, "<script>alert(1)</script>") {
		t.Errorf("preview shows %q", seen.PreviewText)
	}
	for _, name := range []string{"files-empty", "files", "confirm-delete", "preview", "refused"} {
		if _, ok := seen.Axe[name]; !ok {
			t.Errorf("axe did not run on %s", name)
		}
		if w := seen.Widths[name]; w == 0 || w > 375 {
			t.Errorf("%s is %d px wide at 375 px", name, w)
		}
	}

	// The bytes that arrived are the bytes sent, the resumed file's too,
	// read back over the API.
	aliceKey := s.userAPIKey(t, "alice", password)
	if got := s.downloadSHA256(t, aliceKey, "huge.bin"); got != hugeSum {
		t.Errorf("huge.bin arrived with sha256 %x, sent %x", got, hugeSum)
	}
	for path, want := range map[string][]byte{"Reports/summary.txt": []byte("hello from the browser\n"), "resumed.bin": big, "project/src/main.go": []byte("package main\n")} {
		if got, _ := s.fileAt(t, aliceKey, path); !bytes.Equal([]byte(got), want) {
			t.Errorf("%s: %d bytes arrived, want %d", path, len(got), len(want))
		}
	}
	zr, err := zip.OpenReader(seen.ZipPath)
	if err != nil {
		t.Fatalf("the zip %s: %v", seen.ZipName, err)
	}
	defer zr.Close()
	var inZip []string
	for _, f := range zr.File {
		inZip = append(inZip, f.Name)
		if f.Name == "project/src/main.go" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != "package main\n" {
				t.Errorf("main.go in the zip: %q", b)
			}
		}
	}
	slices.Sort(inZip)
	if seen.ZipName != "files.zip" || !slices.Equal(inZip, []string{"notes.md", "project/", "project/README", "project/src/", "project/src/main.go"}) {
		t.Errorf("zip %s holds %q", seen.ZipName, inZip)
	}
}

// downloadSHA256 streams file p over the REST API and answers its
// SHA-256.
func (s *server) downloadSHA256(t *testing.T, key, p string) [32]byte {
	t.Helper()
	res := s.fileContents(t, key, p)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", p, res.StatusCode)
	}
	h := sha256.New()
	if _, err := io.Copy(h, res.Body); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
