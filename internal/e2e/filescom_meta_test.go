package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/file"
	"github.com/Files-com/files-sdk-go/v3/folder"
)

// Checksums and modification times through Files.com's clients and the
// other channels, against the real server. Every client here reads md5,
// crc32 and provided_mtime from Files.com's file object.

// fileObject is the part of Files.com's file object these tests read.
type fileObject struct {
	Path          string `json:"path"`
	Type          string `json:"type"`
	Size          int64  `json:"size"`
	MD5           string `json:"md5"`
	CRC32         string `json:"crc32"`
	Mtime         string `json:"mtime"`
	ProvidedMtime string `json:"provided_mtime"`
}

func checksumsOf(b []byte) (string, string) {
	m := md5.Sum(b)
	return hex.EncodeToString(m[:]), fmt.Sprintf("%08x", crc32.ChecksumIEEE(b))
}

// metadata reads a file's object with GET /file_actions/metadata/{path}.
func (s *server) metadata(t *testing.T, key, path string) fileObject {
	t.Helper()
	var f fileObject
	if code := s.api(t, http.MethodGet, "/file_actions/metadata/"+path, key, nil, &f); code != http.StatusOK {
		t.Fatalf("metadata of %s: %d", path, code)
	}
	return f
}

// uploadURINeedsKey reports whether a begun upload's upload_uri refuses a
// PUT without the API key. Files.com's clients send none (its upload URIs
// are presigned); until Gatehouse's are too, the tests hand rclone and the
// Go SDK the key for those PUTs, so what they test here (checksums,
// times) is tested on its own.
func (s *server) uploadURINeedsKey(t *testing.T, key string) bool {
	t.Helper()
	var parts []struct {
		UploadURI string `json:"upload_uri"`
	}
	if code := s.api(t, http.MethodPost, "/file_actions/begin_upload/.upload-probe", key, map[string]any{}, &parts); code != http.StatusOK || len(parts) == 0 {
		t.Fatalf("begin_upload: %d %v", code, parts)
	}
	req, err := http.NewRequest(http.MethodPut, parts[0].UploadURI, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusUnauthorized
}

// rcloneWithUploads is rclone's remote gh:, with the key on every request
// when upload_uri needs it (see uploadURINeedsKey).
type rcloneWithUploads struct {
	rcloneRemote
	extra []string
}

func newRcloneForUploads(t *testing.T, s *server, key string) rcloneWithUploads {
	r := rcloneWithUploads{rcloneRemote: newRcloneRemote(t, s, key)}
	if s.uploadURINeedsKey(t, key) {
		r.extra = []string{"--header", "X-FilesAPI-Key: " + key}
	}
	return r
}

func (r rcloneWithUploads) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return r.rcloneRemote.run(t, append(append([]string{}, r.extra...), args...)...)
}

func (r rcloneWithUploads) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := r.run(t, args...)
	if err != nil {
		t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, withoutKeys(out))
	}
	return out
}

var keyInOutput = regexp.MustCompile(`ghk_[A-Za-z0-9_-]+`)

// withoutKeys keeps API keys out of what a failing test prints.
func withoutKeys(s string) string { return keyInOutput.ReplaceAllString(s, "ghk_…") }

// lsjson is rclone's listing with hashes.
type lsjsonEntry struct {
	Path    string
	Size    int64
	ModTime time.Time
	IsDir   bool
	Hashes  map[string]string
}

func (r rcloneWithUploads) lsjson(t *testing.T, remote string) map[string]lsjsonEntry {
	t.Helper()
	out := r.must(t, "lsjson", "--hash", "-R", "--files-only", remote)
	var entries []lsjsonEntry
	if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &entries); err != nil {
		t.Fatalf("lsjson: %v\n%s", err, out)
	}
	m := map[string]lsjsonEntry{}
	for _, e := range entries {
		m[e.Path] = e
	}
	return m
}

// findOnDisk finds a user's stored file under the data directory, to
// change it behind Gatehouse's back.
func findOnDisk(t *testing.T, dataDir, rel string) string {
	t.Helper()
	var found string
	must(t, filepath.WalkDir(filepath.Join(dataDir, "files"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, string(filepath.Separator)+filepath.FromSlash(rel)) {
			found = p
		}
		return nil
	}))
	if found == "" {
		t.Fatalf("%s is not under %s", rel, dataDir)
	}
	return found
}

// TestRcloneFilescomChecksumsAndTimes: rclone's filescom backend against
// the real server. Its copy of 50 small files reads each file's metadata
// once (the md5 it waits for is there at the first read, so no file waits
// ~4.5 s for it); check compares hashes and finds a changed file whose
// size and time are the same; sync run twice transfers nothing the second
// time; touch sets a time lsl shows; and a file changed on the disk behind
// Gatehouse's back shows no stale hash.
func TestRcloneFilescomChecksumsAndTimes(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dataDir)
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	r := newRcloneForUploads(t, s, key)

	src := t.TempDir()
	when := time.Date(2021, 4, 5, 6, 7, 8, 0, time.UTC)
	contents := map[string][]byte{}
	for i := range 50 {
		n := fmt.Sprintf("f%02d.txt", i)
		contents[n] = bytes.Repeat([]byte(fmt.Sprintf("file %d of gatehouse\n", i)), 1+i*37)
		p := filepath.Join(src, n)
		if err := os.WriteFile(p, contents[n], 0o600); err != nil {
			t.Fatal(err)
		}
		must(t, os.Chtimes(p, when, when))
	}

	start := time.Now()
	out := r.must(t, "copy", "-vv", "--dump", "headers", src, "gh:small")
	t.Logf("rclone copy of 50 small files: %.1f s", time.Since(start).Seconds())
	for n := range contents {
		if reads := strings.Count(out, "GET /api/rest/v1/file_actions/metadata/small/"+n+" "); reads != 1 {
			t.Errorf("%s: rclone read its metadata %d times after the upload, want once (it waits for the md5)", n, reads)
		}
	}
	listed := r.lsjson(t, "gh:small")
	for n, data := range contents {
		md5sum, crc := checksumsOf(data)
		e := listed[n]
		if e.Hashes["md5"] != md5sum || e.Hashes["crc32"] != crc || e.Size != int64(len(data)) || !e.ModTime.Equal(when) {
			t.Errorf("%s: %+v, want md5 %s crc32 %s size %d time %v", n, e, md5sum, crc, len(data), when)
		}
	}

	check := r.must(t, "check", src, "gh:small")
	if !strings.Contains(check, "50 matching files") || strings.Contains(check, "could not be checked") {
		t.Fatalf("check did not compare hashes:\n%s", check)
	}
	// Same size, same time, other bytes: only a hash tells them apart.
	changed := bytes.ToUpper(contents["f07.txt"])
	must(t, os.WriteFile(filepath.Join(src, "f07.txt"), changed, 0o600))
	must(t, os.Chtimes(filepath.Join(src, "f07.txt"), when, when))
	if out, err := r.run(t, "check", src, "gh:small"); err == nil || !strings.Contains(out, "1 differences found") {
		t.Fatalf("check missed a changed file: %v\n%s", err, withoutKeys(out))
	}

	// sync twice: the first sends the changed and the new files (by
	// checksum: the changed one has the same size and time), the second
	// finds everything the same.
	must(t, os.WriteFile(filepath.Join(src, "new.txt"), []byte("a new file"), 0o600))
	first := r.must(t, "sync", "-v", "--checksum", src, "gh:small")
	if !strings.Contains(first, "f07.txt: Copied") || !strings.Contains(first, "new.txt: Copied") {
		t.Fatalf("first sync:\n%s", withoutKeys(first))
	}
	for _, flags := range [][]string{{"-v"}, {"-v", "--checksum"}} {
		second := r.must(t, append(append([]string{"sync"}, flags...), src, "gh:small")...)
		if strings.Contains(second, "Copied") || strings.Contains(second, "Updated") {
			t.Fatalf("sync %v transferred again:\n%s", flags, withoutKeys(second))
		}
	}

	// touch sets a time that lsl shows (PATCH provided_mtime).
	r.must(t, "touch", "-t", "2020-01-02T03:04:05", "gh:small/f01.txt")
	if lsl := r.must(t, "lsl", "gh:small/f01.txt"); !strings.Contains(lsl, "2020-01-02 03:04:05") {
		t.Fatalf("lsl after touch:\n%s", lsl)
	}
	if f := s.metadata(t, key, "small/f01.txt"); f.MD5 == "" {
		t.Fatalf("touch lost the checksums: %+v", f)
	}

	// A file changed behind Gatehouse's back has no checksums any more:
	// check cannot compare it, and says so, rather than trust a stale one.
	disk := findOnDisk(t, dataDir, "small/f02.txt")
	must(t, os.WriteFile(disk, bytes.ToUpper(contents["f02.txt"]), 0o640))
	if f := s.metadata(t, key, "small/f02.txt"); f.MD5 != "" || f.CRC32 != "" {
		t.Fatalf("stale checksums after a change on disk: %+v", f)
	}
	if e := r.lsjson(t, "gh:small")["f02.txt"]; e.Hashes["md5"] != "" {
		t.Fatalf("rclone sees a stale md5: %+v", e)
	}
}

// TestChannelUploadsShowChecksumsOverREST: files uploaded over SFTP
// (OpenSSH's put -p) and WebDAV (curl, and rclone's webdav backend) show
// checksums and the client's time in Files.com's file object, and rclone's
// filescom backend lists them with the same hashes and times.
func TestChannelUploadsShowChecksumsOverREST(t *testing.T) {
	requireTools(t, "sftp", "ssh-keygen", "curl")
	dataDir := filepath.Join(t.TempDir(), "data")
	sftpAddr := freeAddr(t)
	s := startServer(t, "--data-dir", dataDir, "--sftp-listen", sftpAddr)
	adminKey := createAPIKey(t, "--data-dir", dataDir)
	const password = "channels test password 1"
	var carol struct{ ID int64 }
	if code := s.api(t, http.MethodPost, "/users", adminKey, map[string]any{"username": "carol", "password": password,
		"sftp_permission": true, "dav_permission": true}, &carol); code != http.StatusCreated {
		t.Fatalf("create user: %d", code)
	}
	key := s.userAPIKey(t, "carol", password)
	work := t.TempDir()
	data := bytes.Repeat([]byte("channels "), 200_000)
	md5sum, crc := checksumsOf(data)
	when := time.Date(2019, 9, 9, 9, 9, 9, 0, time.UTC)
	local := filepath.Join(work, "data.bin")
	must(t, os.WriteFile(local, data, 0o600))
	must(t, os.Chtimes(local, when, when))

	// SFTP with OpenSSH, put -p.
	keyFile := filepath.Join(work, "id_carol")
	if out, err := runCmd(work, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(keyFile + ".pub")
	must(t, err)
	if code := s.api(t, http.MethodPost, "/public_keys", adminKey, map[string]any{"user_id": carol.ID, "title": "laptop",
		"public_key": strings.TrimSpace(string(pub))}, nil); code != http.StatusCreated {
		t.Fatalf("add key: %d", code)
	}
	must(t, os.WriteFile(filepath.Join(work, "batch"), []byte("put -p data.bin via-sftp.bin\n"), 0o600))
	_, port, _ := strings.Cut(sftpAddr, ":")
	if out, err := runCmd(work, "sftp", "-P", port, "-F", "/dev/null", "-o", "StrictHostKeyChecking=accept-new",
		"-o", "UserKnownHostsFile="+filepath.Join(work, "known_hosts"), "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "IdentityFile="+keyFile, "-o", "IdentitiesOnly=yes", "-b", filepath.Join(work, "batch"), "carol@127.0.0.1"); err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	// WebDAV with curl, which sends no time.
	if out, err := runCmd(work, "curl", "-sS", "--noproxy", "*", "-u", "carol:"+password, "-T", local, "-w", "%{http_code}",
		s.Base+"/dav/via-curl.bin"); err != nil || !strings.HasSuffix(out, "201") {
		t.Fatalf("WebDAV PUT: %v %s", err, out)
	}
	// WebDAV with rclone: the rclone vendor sends X-OC-Mtime; owncloud's
	// touch sends PROPPATCH lastmodified.
	rc := filescomRclone(t)
	obscured, err := runCmd(work, rc, "obscure", password)
	if err != nil {
		t.Fatal(err)
	}
	davConf := filepath.Join(work, "dav.conf")
	must(t, os.WriteFile(davConf, []byte(fmt.Sprintf("[dav]\ntype = webdav\nurl = %s/dav/\nvendor = rclone\nuser = carol\npass = %s\n"+
		"[oc]\ntype = webdav\nurl = %s/dav/\nvendor = owncloud\nuser = carol\npass = %s\n",
		s.Base, strings.TrimSpace(obscured), s.Base, strings.TrimSpace(obscured))), 0o600))
	must(t, os.Mkdir(filepath.Join(work, "tree"), 0o700))
	must(t, os.Link(local, filepath.Join(work, "tree", "via-rclone.bin")))
	if out, err := runCmd(work, rc, "--config", davConf, "copy", filepath.Join(work, "tree"), "dav:"); err != nil {
		t.Fatalf("rclone webdav copy: %v\n%s", err, out)
	}
	touched := time.Date(2014, 4, 14, 14, 14, 14, 0, time.UTC)
	if out, err := runCmd(work, rc, "--config", davConf, "copy", local, "oc:"); err != nil {
		t.Fatalf("rclone owncloud copy: %v\n%s", err, out)
	}
	if out, err := runCmd(work, rc, "--config", davConf, "touch", "-t", "2014-04-14T14:14:14", "oc:data.bin"); err != nil {
		t.Fatalf("rclone owncloud touch: %v\n%s", err, out)
	}

	for name, mtime := range map[string]time.Time{"via-sftp.bin": when, "via-curl.bin": {}, "via-rclone.bin": when, "data.bin": touched} {
		f := s.metadata(t, key, name)
		if f.MD5 != md5sum || f.CRC32 != crc || f.Size != int64(len(data)) {
			t.Errorf("%s over REST: %+v, want md5 %s crc32 %s", name, f, md5sum, crc)
		}
		provided, _ := time.Parse(time.RFC3339, f.ProvidedMtime)
		if !mtime.IsZero() && !provided.Equal(mtime) {
			t.Errorf("%s: provided_mtime %s, want %v", name, f.ProvidedMtime, mtime)
		}
		if mtime.IsZero() && time.Since(provided) > time.Hour {
			t.Errorf("%s: a file uploaded without a time has provided_mtime %s", name, f.ProvidedMtime)
		}
	}
	listed := newRcloneForUploads(t, s, key).lsjson(t, "gh:")
	for _, name := range []string{"via-sftp.bin", "via-curl.bin", "via-rclone.bin", "data.bin"} {
		if e := listed[name]; e.Hashes["md5"] != md5sum || e.Hashes["crc32"] != crc {
			t.Errorf("rclone filescom lists %s as %+v", name, e)
		}
	}
}

// runCmd runs a client program in dir and returns what it printed.
func runCmd(dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// keyForUploads adds the API key to requests that carry none (the SDK's
// PUTs to upload_uri), for servers whose upload_uri needs it (see
// uploadURINeedsKey).
type keyForUploads struct {
	key  string
	next http.RoundTripper
}

func (k keyForUploads) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-FilesAPI-Key") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("X-FilesAPI-Key", k.key)
	}
	return k.next.RoundTrip(req)
}

// TestGoSDKChecksumsAndTimes: Files.com's Go SDK uploads a file with its
// modification time (UploadFile, which sends provided_mtime with the
// upload's end), reads md5 and crc32 equal to a local computation in the
// metadata and the folder listing, and PATCHes provided_mtime back and
// forth.
func TestGoSDKChecksumsAndTimes(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	cfg := files_sdk.Config{APIKey: key, EndpointOverride: s.Base}.Init()
	if s.uploadURINeedsKey(t, key) {
		cfg = cfg.SetCustomClient(&http.Client{Transport: keyForUploads{key: key, next: http.DefaultTransport}})
	}
	files := file.Client{Config: cfg}
	for _, size := range []int{1, 4<<20 + 1} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + i/1000)
		}
		local := filepath.Join(t.TempDir(), "local.bin")
		must(t, os.WriteFile(local, data, 0o600))
		when := time.Date(2018, 8, 18, 18, 18, 18, 0, time.UTC)
		remote := fmt.Sprintf("sdk/%d.bin", size)
		if err := files.UploadFile(local, remote, file.UploadWithProvidedMtime(when)); err != nil {
			t.Fatalf("UploadFile of %d bytes: %v", size, err)
		}
		md5sum, crc := checksumsOf(data)
		f, err := files.Find(files_sdk.FileFindParams{Path: remote})
		if err != nil {
			t.Fatal(err)
		}
		if f.Md5 != md5sum || f.Crc32 != crc || f.Size != int64(size) || !f.ModTime().Equal(when) {
			t.Fatalf("%d bytes: md5 %s crc32 %s size %d time %v, want %s %s %d %v", size, f.Md5, f.Crc32, f.Size, f.ModTime(), md5sum, crc, size, when)
		}
		later := when.Add(1000 * time.Hour)
		if f, err = files.Update(files_sdk.FileUpdateParams{Path: remote, ProvidedMtime: &later}); err != nil || !f.ModTime().Equal(later) {
			t.Fatalf("PATCH provided_mtime: %v %v", err, f.ProvidedMtime)
		}
		if f, _ = files.Find(files_sdk.FileFindParams{Path: remote}); !f.ModTime().Equal(later) || f.Md5 != md5sum {
			t.Fatalf("after PATCH: %v %s", f.ProvidedMtime, f.Md5)
		}
	}
	it, err := (&folder.Client{Config: cfg}).ListFor(files_sdk.FolderListForParams{Path: "sdk"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		if it.File().Md5 == "" || it.File().Crc32 == "" {
			t.Errorf("listing without checksums: %+v", it.File())
		}
		n++
	}
	if it.Err() != nil || n != 2 {
		t.Fatalf("listing: %d entries, %v", n, it.Err())
	}
}
