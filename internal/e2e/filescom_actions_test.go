package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/file"
	file_migration "github.com/Files-com/files-sdk-go/v3/filemigration"
	"github.com/Files-com/files-sdk-go/v3/folder"
)

// Files.com's clients making folders, copying, moving and deleting on a
// real server: rclone's filescom backend, Files.com's Go SDK and the
// files.com npm SDK.

// putFile stores content at p over the REST API in one request, making
// its folder first.
func (s *server) putFile(t *testing.T, key, p, content string) {
	t.Helper()
	if dir := path.Dir(p); dir != "." {
		s.api(t, http.MethodPost, "/folders/"+dir+"?mkdir_parents=true", key, nil, nil)
	}
	req, _ := http.NewRequest(http.MethodPost, s.Base+"/api/rest/v1/files/"+p, strings.NewReader(content))
	req.Header.Set("X-FilesAPI-Key", key)
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload %s: %d", p, res.StatusCode)
	}
}

// fileAt reads p over the REST API; ok is false when it is not there.
func (s *server) fileAt(t *testing.T, key, p string) (content string, ok bool) {
	t.Helper()
	res := s.fileContents(t, key, p)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b), res.StatusCode == http.StatusOK
}

// fileContents asks the REST API for the bytes of p with key; the caller
// reads and closes the answer.
func (s *server) fileContents(t *testing.T, key, p string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.Base+"/api/rest/v1/file_contents/"+p, nil)
	req.Header.Set("X-FilesAPI-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// tree lists every file ("path=content") and folder ("path/") under dir
// over the REST API, sorted; the layout's /groups and /users are left out
// at the top.
func (s *server) tree(t *testing.T, key, dir string) []string {
	t.Helper()
	var out []string
	var walk func(string)
	walk = func(d string) {
		var entries []struct {
			Path string `json:"path"`
			Type string `json:"type"`
		}
		if code := s.api(t, http.MethodGet, "/folders/"+d, key, nil, &entries); code != http.StatusOK {
			t.Fatalf("list %s: %d", d, code)
		}
		for _, e := range entries {
			if d == "" && (e.Path == "groups" || e.Path == "users") {
				continue
			}
			if e.Type == "directory" {
				out = append(out, e.Path+"/")
				walk(e.Path)
			} else {
				c, _ := s.fileAt(t, key, e.Path)
				out = append(out, e.Path+"="+c)
			}
		}
	}
	walk(dir)
	slices.Sort(out)
	return out
}

func expectTree(t *testing.T, got []string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("files are\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestRcloneFolders: rclone's mkdir of a nested path (mkdir_parents), its
// rmdir (which must leave a folder that is not empty, told apart by
// Files.com's folder-not-empty type) and its purge (a recursive delete).
func TestRcloneFolders(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	r := newRcloneRemote(t, s, key)

	r.must(t, "mkdir", "gh:a/b/c")
	r.must(t, "mkdir", "gh:a/b/c") // again: already there is fine
	expectTree(t, s.tree(t, key, ""), "a/", "a/b/", "a/b/c/")
	s.putFile(t, key, "a/b/c/kept.txt", "kept")
	out, _ := r.run(t, "rmdir", "gh:a/b/c")
	if !strings.Contains(out, "directory not empty") {
		t.Fatalf("rmdir of a folder with a file in it: %s", out)
	}
	r.must(t, "mkdir", "gh:a/empty")
	r.must(t, "rmdir", "gh:a/empty")
	expectTree(t, s.tree(t, key, ""), "a/", "a/b/", "a/b/c/", "a/b/c/kept.txt=kept")
	r.must(t, "purge", "gh:a/b")
	expectTree(t, s.tree(t, key, ""), "a/")
	if out, err := r.run(t, "purge", "gh:nothing"); err == nil {
		t.Fatalf("purge of a folder that does not exist succeeded: %s", out)
	}
}

// serverSideOnly fails the test when rclone's dumped requests show it
// moved bytes (an upload or a download) rather than asking the server to.
func serverSideOnly(t *testing.T, what, out string) {
	t.Helper()
	for _, transfer := range []string{"begin_upload", "/file_uploads/", "/file_contents/", "/file_downloads/"} {
		if strings.Contains(out, transfer) {
			t.Fatalf("%s sent %s: not server-side\n%s", what, transfer, out)
		}
	}
}

// TestRcloneServerSideCopyMove: rclone's copyto and moveto of a file and
// its copy and move of a folder, on one remote, use Files.com's copy and
// move actions (rclone logs them as server-side, and its dumped requests
// hold no upload or download), and leave the files where they belong.
func TestRcloneServerSideCopyMove(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	if code := s.api(t, http.MethodGet, "/file_actions/metadata/", key, nil, nil); code == http.StatusNotFound {
		// rclone reads every object through this endpoint and sets the
		// copy's modification time with PATCH /files; both come with the
		// metadata and modification time work.
		t.Skip("this server has no GET /file_actions/metadata, which rclone needs for every object")
	}
	r := newRcloneRemote(t, s, key)
	s.putFile(t, key, "f.txt", "one")
	s.putFile(t, key, "dir/x.txt", "x")
	s.putFile(t, key, "dir/sub/y.txt", "y")
	run := func(want string, args ...string) {
		t.Helper()
		out := r.must(t, append([]string{"-vv", "--dump", "headers"}, args...)...)
		serverSideOnly(t, "rclone "+strings.Join(args, " "), out)
		if !strings.Contains(out, want) {
			t.Fatalf("rclone %s did not log %q:\n%s", strings.Join(args, " "), want, out)
		}
	}
	run("Copied (server-side copy)", "copyto", "gh:f.txt", "gh:copies/f2.txt")
	run("Moved (server-side)", "moveto", "gh:copies/f2.txt", "gh:moved/f3.txt")
	run("Copied (server-side copy)", "copy", "gh:dir", "gh:dircopy")
	run("Server side directory move succeeded", "move", "gh:dir", "gh:dirmoved")
	expectTree(t, s.tree(t, key, ""), "f.txt=one", "copies/", "moved/", "moved/f3.txt=one",
		"dircopy/", "dircopy/x.txt=x", "dircopy/sub/", "dircopy/sub/y.txt=y",
		"dirmoved/", "dirmoved/x.txt=x", "dirmoved/sub/", "dirmoved/sub/y.txt=y")
	// A copy keeps the source's modification time, which rclone sets on it.
	out := r.must(t, "lsl", "gh:f.txt")
	if again := r.must(t, "lsl", "gh:moved/f3.txt"); strings.Fields(out)[1] != strings.Fields(again)[1] {
		t.Fatalf("the copy's time differs from the source's:\n%s%s", out, again)
	}
}

// TestGoSDKCopyMove: Files.com's Go SDK copies and moves files and folders
// on a real server, within the home and into a group folder, makes nested
// folders with mkdir_parents and deletes a folder recursively.
func TestGoSDKCopyMove(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	if code := s.api(t, http.MethodPost, "/groups", key, map[string]string{"name": "team"}, nil); code != http.StatusCreated {
		t.Fatalf("create group: %d", code)
	}
	cfg := files_sdk.Config{APIKey: key, EndpointOverride: s.Base}.Init()
	files, folders := file.Client{Config: cfg}, folder.Client{Config: cfg}
	migrations := file_migration.Client{Config: cfg}
	yes := true

	if _, err := folders.Create(files_sdk.FolderCreateParams{Path: "docs/2026/q1", MkdirParents: &yes}); err != nil {
		t.Fatalf("folder with mkdir_parents: %v", err)
	}
	s.putFile(t, key, "docs/2026/q1/plan.txt", "plan")
	s.putFile(t, key, "docs/readme.txt", "readme")
	done := func(what string, a files_sdk.FileAction, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if m, err := migrations.Wait(a, func(files_sdk.FileMigration) {}); err != nil || m.Status != "completed" {
			t.Fatalf("%s: %+v %v", what, m, err)
		}
	}
	a, err := files.Copy(files_sdk.FileCopyParams{Path: "docs/readme.txt", Destination: "readme-copy.txt"})
	done("copy a file", a, err)
	a, err = files.Copy(files_sdk.FileCopyParams{Path: "docs", Destination: "groups/team/docs"})
	done("copy a folder into a group folder", a, err)
	a, err = files.Move(files_sdk.FileMoveParams{Path: "docs/2026", Destination: "archive-2026"})
	done("move a folder", a, err)
	a, err = files.Move(files_sdk.FileMoveParams{Path: "readme-copy.txt", Destination: "groups/team/readme.txt"})
	done("move a file into a group folder", a, err)
	a, err = files.Copy(files_sdk.FileCopyParams{Path: "docs/readme.txt", Destination: "groups/team/readme.txt", Overwrite: &yes})
	done("copy over a file", a, err)
	if _, err := files.Copy(files_sdk.FileCopyParams{Path: "docs/readme.txt", Destination: "groups/team/readme.txt"}); !files_sdk.IsExist(err) {
		t.Fatalf("copy over a file without overwrite: %v", err)
	}
	expectTree(t, s.tree(t, key, ""),
		"archive-2026/", "archive-2026/q1/", "archive-2026/q1/plan.txt=plan",
		"docs/", "docs/readme.txt=readme")
	expectTree(t, s.tree(t, key, "groups/team"),
		"groups/team/docs/", "groups/team/docs/2026/", "groups/team/docs/2026/q1/", "groups/team/docs/2026/q1/plan.txt=plan",
		"groups/team/docs/readme.txt=readme", "groups/team/readme.txt=readme")

	if err := files.Delete(files_sdk.FileDeleteParams{Path: "groups/team/docs", Recursive: &yes}); err != nil {
		t.Fatalf("recursive delete: %v", err)
	}
	expectTree(t, s.tree(t, key, "groups/team"), "groups/team/readme.txt=readme")
}

// TestNpmSDKCopyMove: the files.com npm SDK's folder creation with
// mkdir_parents, copy and move of a file and a folder, and recursive
// delete (which it sends as a JSON body) on a real server.
func TestNpmSDKCopyMove(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	s.putFile(t, key, "in/a.txt", "alpha")
	out, err := filescomJS(t, s, key, `
import Files from "files.com/lib/Files.js";
import File from "files.com/lib/models/File.js";
import Folder from "files.com/lib/models/Folder.js";
Files.setBaseUrl(process.env.GATEHOUSE_URL);
Files.setApiKey(process.env.GATEHOUSE_API_KEY);
const made = await Folder.create("deep/er/still", { mkdir_parents: true });
const copied = await new File({ path: "in/a.txt" }).copy({ destination: "deep/er/a.txt" });
const folderCopy = await new File({ path: "in" }).copy({ destination: "in-copy" });
const moved = await new File({ path: "in-copy" }).move({ destination: "deep/moved" });
await new File({ path: "in/a.txt" }).copyTo("b.txt");
await new File({ path: "b.txt" }).moveTo("deep/b.txt");
let refused = "";
try {
  await new File({ path: "in/a.txt" }).copy({ destination: "deep/b.txt" });
} catch (e) {
  refused = e.constructor.name;
}
await new File({ path: "in" }).delete({ recursive: true });
console.log(JSON.stringify({ made: made.path, copied: copied.status, folderCopy: folderCopy.status, moved: moved.status, refused }));
`)
	if err != nil {
		t.Fatalf("files.com npm SDK: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var got map[string]string
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("script printed %s", out)
	}
	if got["made"] != "deep/er/still" || got["copied"] != "completed" || got["folderCopy"] != "completed" ||
		got["moved"] != "completed" || got["refused"] != "ProcessingFailure_DestinationExistsError" {
		t.Fatalf("npm SDK saw %v", got)
	}
	expectTree(t, s.tree(t, key, ""),
		"deep/", "deep/b.txt=alpha", "deep/er/", "deep/er/a.txt=alpha", "deep/er/still/",
		"deep/moved/", "deep/moved/a.txt=alpha")
}
