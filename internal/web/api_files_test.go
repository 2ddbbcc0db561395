package web

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/file"
	"github.com/Files-com/files-sdk-go/v3/folder"
	"github.com/Files-com/files-sdk-go/v3/session"
)

// TestSDKFilesUploadDownloadListDelete drives the files API with Files.com's
// own Go SDK: begin_upload, PUT to the upload_uri, end; show with
// download_uri; list; delete.
func TestSDKFilesUploadDownloadListDelete(t *testing.T) {
	h := newHarness(t)
	alice := h.createUser("alice", false)
	_, key := h.apiKeyFor(alice, time.Time{})
	cfg := sdkConfig(h, key)
	files := file.Client{Config: cfg}
	data := make([]byte, 3<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}

	parts, err := files.BeginUpload(files_sdk.FileBeginUploadParams{Path: "reports/q1.bin", MkdirParents: ptrBool(true)})
	if err != nil || len(parts) != 1 || parts[0].UploadUri == "" || parts[0].Ref == "" {
		t.Fatalf("begin_upload: %v %+v", err, parts)
	}
	req, _ := http.NewRequest(parts[0].HttpMethod, parts[0].UploadUri, bytes.NewReader(data))
	req.Header.Set("X-FilesAPI-Key", key)
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("PUT upload_uri: %v %v", err, res)
	}
	res.Body.Close()
	// Before the end, nothing is there.
	early, _ := http.NewRequest("GET", h.srv.URL+apiPrefix+"/files/reports/q1.bin", nil)
	early.Header.Set("X-FilesAPI-Key", key)
	if res, err := http.DefaultClient.Do(early); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("the file appeared before the upload ended: %v %v", err, res)
	}
	f, err := files.Create(files_sdk.FileCreateParams{Path: "reports/q1.bin", Action: "end", Ref: parts[0].Ref})
	if err != nil || f.Size != int64(len(data)) || f.Type != "file" {
		t.Fatalf("end upload: %v %+v", err, f)
	}

	got, err := files.DownloadUri(files_sdk.FileDownloadParams{Path: "reports/q1.bin"})
	if err != nil || got.DownloadUri == "" || got.Size != int64(len(data)) {
		t.Fatalf("get: %v %+v", err, got)
	}
	req, _ = http.NewRequest("GET", got.DownloadUri, nil)
	req.Header.Set("X-FilesAPI-Key", key)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(body, data) {
		t.Fatalf("downloaded %d bytes, status %d", len(body), res.StatusCode)
	}
	req.Header.Set("Range", "bytes=1000-")
	res, _ = http.DefaultClient.Do(req)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:]) {
		t.Fatalf("resumed download: %d, %d bytes", res.StatusCode, len(body))
	}

	it, err := (&folder.Client{Config: cfg}).ListFor(files_sdk.FolderListForParams{Path: "reports"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for it.Next() {
		names = append(names, it.File().Path)
	}
	if it.Err() != nil || strings.Join(names, ",") != "reports/q1.bin" {
		t.Fatalf("list: %v %v", it.Err(), names)
	}

	if err := files.Delete(files_sdk.FileDeleteParams{Path: "reports/q1.bin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := files.DownloadUri(files_sdk.FileDownloadParams{Path: "reports/q1.bin"}); err == nil || !strings.Contains(err.Error(), "File Not Found") {
		t.Fatalf("deleted file still shown: %v", err)
	}
}

func ptrBool(b bool) *bool { return &b }

func TestFilesOneShotUploadAndConfinement(t *testing.T) {
	h := newHarness(t)
	bob := h.createUser("bob", false)
	_, bobKey := h.apiKeyFor(bob, time.Time{})
	carol := h.createUser("carol", false)
	_, carolKey := h.apiKeyFor(carol, time.Time{})
	do := func(method, path, key string, body io.Reader, ct string) (int, string) {
		req, _ := http.NewRequest(method, h.srv.URL+path, body)
		req.Header.Set("X-FilesAPI-Key", key)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// Larger than the API's 1 MiB body limit: file bytes are not held to it.
	big := bytes.Repeat([]byte("x"), 2<<20)
	if code, body := do("POST", apiPrefix+"/files/notes.txt", bobKey, bytes.NewReader(big), "application/octet-stream"); code != http.StatusCreated {
		t.Fatalf("one-shot upload: %d %s", code, body)
	}
	// Carol has her own home: bob's file does not exist for her.
	if code, _ := do("GET", apiPrefix+"/files/notes.txt", carolKey, nil, ""); code != http.StatusNotFound {
		t.Fatalf("carol sees bob's file: %d", code)
	}
	if code, _ := do("GET", apiPrefix+"/folders/users", carolKey, nil, ""); code != http.StatusForbidden {
		t.Fatalf("non-admin listed users: %d", code)
	}
	for _, p := range []string{"/files/%2e%2e/%2e%2e/etc/passwd", "/files/a%2f..%2f..%2fsecret", "/file_contents/%2e%2e/x"} {
		code, body := do("GET", apiPrefix+p, bobKey, nil, "")
		if code != http.StatusBadRequest || !strings.Contains(body, "bad-request/invalid-path") {
			t.Errorf("GET %s: %d %s", p, code, body)
		}
	}
	// A ref is bound to its user.
	req, _ := http.NewRequest("POST", h.srv.URL+apiPrefix+"/file_actions/begin_upload/x.bin", nil)
	req.Header.Set("X-FilesAPI-Key", bobKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("begin: %v %v", err, res)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	ref := strings.SplitN(strings.SplitN(string(raw), `"ref":"`, 2)[1], `"`, 2)[0]
	// The part URI is presigned: a ref alone, with any API key, is not.
	if code, _ := do("PUT", apiPrefix+"/file_uploads/"+ref, carolKey, strings.NewReader("hijack"), "application/octet-stream"); code != http.StatusUnauthorized {
		t.Fatalf("another user used bob's ref: %d", code)
	}
	if code, _ := do("POST", apiPrefix+"/files/x.bin", carolKey, strings.NewReader(`{"action":"end","ref":"`+ref+`"}`), "application/json"); code != http.StatusNotFound {
		t.Fatalf("another user ended bob's upload: %d", code)
	}
}

// TestFilesWithSession: a session from POST /sessions reaches the same
// files as the user's API key, through the SDK's session header.
func TestFilesWithSession(t *testing.T) {
	h := newHarness(t)
	dora := h.createUser("dora", false)
	_, key := h.apiKeyFor(dora, time.Time{})
	sess, err := (&session.Client{Config: sdkConfig(h, "")}).Create(files_sdk.SessionCreateParams{Username: "dora", Password: strongPassword})
	if err != nil || sess.Id == "" {
		t.Fatalf("sign in: %v %+v", err, sess)
	}
	req, _ := http.NewRequest("POST", h.srv.URL+apiPrefix+"/files/from-session.txt", strings.NewReader("hi"))
	req.Header.Set(sessionHeader, sess.Id)
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("upload with a session: %v %v", err, res)
	}
	res.Body.Close()
	it, err := (&folder.Client{Config: sdkConfig(h, key)}).ListFor(files_sdk.FolderListForParams{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for it.Next() {
		names = append(names, it.File().Path)
	}
	if strings.Join(names, ",") != "from-session.txt" {
		t.Fatalf("the API key sees %v", names)
	}
}

// TestFolderListingPages: the SDK follows X-Files-Cursor through a folder
// longer than one page.
func TestFolderListingPages(t *testing.T) {
	h := newHarness(t)
	eve := h.createUser("eve", false)
	_, key := h.apiKeyFor(eve, time.Time{})
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		req, _ := http.NewRequest("POST", h.srv.URL+apiPrefix+"/files/"+n+".txt", strings.NewReader(n))
		req.Header.Set("X-FilesAPI-Key", key)
		req.Header.Set("Content-Type", "text/plain")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("upload %s: %v %v", n, err, res)
		}
		res.Body.Close()
	}
	it, err := (&folder.Client{Config: sdkConfig(h, key)}).ListFor(files_sdk.FolderListForParams{ListParams: files_sdk.ListParams{PerPage: 2}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for it.Next() {
		names = append(names, it.File().Path)
	}
	if it.Err() != nil || strings.Join(names, ",") != "a.txt,b.txt,c.txt,d.txt,e.txt" {
		t.Fatalf("pages gave %v (%v)", names, it.Err())
	}
	if n := h.requestCount("GET "+apiPrefix+"/folders") + h.requestCount("GET "+apiPrefix+"/folders/"); n != 3 {
		t.Fatalf("%d page requests, want 3", n)
	}
}
