package web

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/file"
	"github.com/Files-com/files-sdk-go/v3/folder"
)

func md5Hex(b []byte) string   { m := md5.Sum(b); return hex.EncodeToString(m[:]) }
func crc32Hex(b []byte) string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE(b)) }

// sdkUpload uploads data through begin_upload, the upload_uri and the end
// with Files.com's Go SDK, sending provided_mtime at the end as the SDK's
// uploader does.
func sdkUpload(t *testing.T, h *harness, key, path string, data []byte, mtime time.Time) files_sdk.File {
	t.Helper()
	files := file.Client{Config: sdkConfig(h, key)}
	parts, err := files.BeginUpload(files_sdk.FileBeginUploadParams{Path: path, MkdirParents: ptrBool(true)})
	if err != nil || len(parts) != 1 {
		t.Fatalf("begin_upload %s: %v %+v", path, err, parts)
	}
	req, _ := http.NewRequest(parts[0].HttpMethod, parts[0].UploadUri, bytes.NewReader(data))
	req.Header.Set(apiKeyHeader, key)
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("PUT upload_uri: %v %v", err, res)
	}
	res.Body.Close()
	params := files_sdk.FileCreateParams{Path: path, Action: "end", Ref: parts[0].Ref, Size: int64(len(data))}
	if !mtime.IsZero() {
		params.ProvidedMtime = &mtime
	}
	f, err := files.Create(params)
	if err != nil {
		t.Fatalf("end upload %s: %v", path, err)
	}
	return f
}

// TestSDKFileChecksumsAndModTimes: with Files.com's Go SDK, an upload's
// md5 and crc32 equal a local computation wherever the file object is
// answered (the upload's answer, metadata, GET /files, listings), the
// provided_mtime sent at the end sticks, and PATCH provided_mtime
// round-trips on files and folders and keeps the checksums.
func TestSDKFileChecksumsAndModTimes(t *testing.T) {
	h := newHarness(t)
	alice := h.createUser("alice", false)
	_, key := h.apiKeyFor(alice, time.Time{})
	cfg := sdkConfig(h, key)
	files := file.Client{Config: cfg}
	data := make([]byte, 1<<20+17)
	for i := range data {
		data[i] = byte(rand.Uint32())
	}
	wantMD5, wantCRC := md5Hex(data), crc32Hex(data)
	sent := time.Date(2019, 7, 1, 12, 30, 45, 0, time.FixedZone("CEST", 2*3600))
	before := time.Now().Add(-2 * time.Second)

	ended := sdkUpload(t, h, key, "docs/report.bin", data, sent)
	check := func(what string, f files_sdk.File) {
		t.Helper()
		if f.Md5 != wantMD5 || f.Crc32 != wantCRC {
			t.Errorf("%s: md5 %q crc32 %q, want %q %q", what, f.Md5, f.Crc32, wantMD5, wantCRC)
		}
	}
	check("the upload's answer", ended)
	meta, err := files.Find(files_sdk.FileFindParams{Path: "docs/report.bin"})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	check("metadata", meta)
	if meta.ProvidedMtime == nil || !meta.ProvidedMtime.Equal(sent) || !meta.ModTime().Equal(sent) {
		t.Errorf("provided_mtime %v, want %v", meta.ProvidedMtime, sent)
	}
	if meta.Mtime == nil || meta.Mtime.Before(before) {
		t.Errorf("mtime %v is not when the server stored the file (after %v)", meta.Mtime, before)
	}
	if meta.DownloadUri != "" || meta.Type != "file" || meta.Size != int64(len(data)) {
		t.Errorf("metadata: %+v", meta)
	}
	shown, err := files.DownloadUri(files_sdk.FileDownloadParams{Path: "docs/report.bin"})
	if err != nil {
		t.Fatal(err)
	}
	check("GET /files", shown)
	it, err := (&folder.Client{Config: cfg}).ListFor(files_sdk.FolderListForParams{Path: "docs"})
	if err != nil {
		t.Fatal(err)
	}
	for it.Next() {
		check("listing", it.File())
	}

	// PATCH provided_mtime: rclone's SetModTime.
	later := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	updated, err := files.Update(files_sdk.FileUpdateParams{Path: "docs/report.bin", ProvidedMtime: &later})
	if err != nil {
		t.Fatalf("PATCH: %v", err)
	}
	check("the PATCH answer", updated)
	if !updated.ModTime().Equal(later) {
		t.Errorf("PATCH answered provided_mtime %v, want %v", updated.ProvidedMtime, later)
	}
	if meta, _ = files.Find(files_sdk.FileFindParams{Path: "docs/report.bin"}); !meta.ModTime().Equal(later) {
		t.Errorf("after PATCH, metadata says %v", meta.ProvidedMtime)
	}
	check("metadata after PATCH", meta)

	// Folders: metadata and PATCH (rclone's DirSetModTime).
	dir, err := files.Find(files_sdk.FileFindParams{Path: "docs"})
	if err != nil || dir.Type != "directory" || dir.Md5 != "" {
		t.Fatalf("folder metadata: %v %+v", err, dir)
	}
	if dir, err = files.Update(files_sdk.FileUpdateParams{Path: "docs", ProvidedMtime: &sent}); err != nil || !dir.ModTime().Equal(sent) {
		t.Fatalf("folder PATCH: %v %+v", err, dir)
	}
	if _, err := files.Find(files_sdk.FileFindParams{Path: "docs/none.bin"}); !files_sdk.IsNotExist(err) {
		t.Fatalf("metadata of a missing file: %v", err)
	}
}

// TestPatchFileRefusals: a PATCH that Gatehouse cannot honour is refused
// in the API's error format and changes nothing.
func TestPatchFileRefusals(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("root", true)
	_, adminKey := h.apiKeyFor(admin, time.Time{})
	bob := h.createUser("bob", false)
	_, key := h.apiKeyFor(bob, time.Time{})
	var g struct{ ID int64 }
	h.callJSON("POST", apiPrefix+"/groups", adminKey, `{"name":"Readers"}`).decode(t, &g)
	if r := h.callJSON("POST", apiPrefix+"/group_users", adminKey, fmt.Sprintf(`{"group_id":%d,"user_id":%d}`, g.ID, bob.ID)); r.status != http.StatusCreated {
		t.Fatalf("membership: %d %s", r.status, r.body)
	}
	sent := time.Date(2020, 2, 2, 2, 2, 2, 0, time.UTC)
	sdkUpload(t, h, key, "mine.txt", []byte("mine"), sent)
	sdkUpload(t, h, adminKey, "groups/Readers/theirs.txt", []byte("theirs"), sent)
	unchanged := func(key, p string) {
		t.Helper()
		var f fileJSON
		h.callJSON("GET", apiPrefix+"/file_actions/metadata/"+p, key, "").decode(t, &f)
		if !time.Time(f.ProvidedMtime).Equal(sent) || f.MD5 != md5Hex([]byte(strings.TrimSuffix(strings.TrimPrefix(p, "groups/Readers/"), ".txt"))) {
			t.Fatalf("%s changed: %+v", p, f)
		}
	}
	for _, c := range []struct {
		path, body, header string
		status             int
		typ                string
	}{
		{"mine.txt", `{"provided_mtime":"yesterday"}`, "", 422, "bad-request/request-params-invalid"},
		{"mine.txt", `{"provided_mtime":1700000000}`, "", 422, "bad-request/request-params-invalid"},
		{"mine.txt", `{"provided_mtime":"0001-01-01T00:00:00Z"}`, "", 422, "bad-request/request-params-invalid"},
		{"mine.txt", `{"provided_mtime":"9999-12-31T23:59:59Z"}`, "", 422, "bad-request/request-params-invalid"},
		{"mine.txt", `{"provided_mtime":"2021-01-01T00:00:00Z","priority_color":"red"}`, "", 422, "bad-request/request-params-invalid"},
		{"mine.txt", `{"custom_metadata":{"a":"b"}}`, "", 422, "bad-request/request-params-invalid"},
		{"mine.txt", `[1,2]`, "", 400, "bad-request/invalid-body"},
		{"mine.txt", `{"provided_mtime":"2021-01-01T00:00:00Z"`, "", 400, "bad-request/invalid-body"},
		{"mine.txt", `{"provided_mtime":"2021-01-01T00:00:00Z"}`, "none", 401, "not-authenticated/authentication-required"},
		{"none.txt", `{"provided_mtime":"2021-01-01T00:00:00Z"}`, "", 404, "not-found/file-not-found"},
		{"groups/Readers/theirs.txt", `{"provided_mtime":"2021-01-01T00:00:00Z"}`, "", 403, "not-authorized/not-authorized"},
		{"groups", `{"provided_mtime":"2021-01-01T00:00:00Z"}`, "", 403, "not-authorized/not-authorized"},
		{"%2e%2e/x", `{"provided_mtime":"2021-01-01T00:00:00Z"}`, "", 400, "bad-request/invalid-path"},
		{"mine.txt", `{"provided_mtime":"` + strings.Repeat("2", 2<<20) + `"}`, "", 413, "bad-request/request-body-too-large"},
	} {
		k := key
		if c.header == "none" {
			k = ""
		}
		r := h.callJSON("PATCH", apiPrefix+"/files/"+c.path, k, c.body)
		t.Run(fmt.Sprintf("%s %.40s", c.path, c.body), func(t *testing.T) { expectError(t, r, c.status, c.typ) })
	}
	unchanged(key, "mine.txt")
	unchanged(key, "groups/Readers/theirs.txt")
	// A malformed time with an upload's end is refused before the upload
	// is ended, which then ends with a good one.
	var parts []fileUploadPartJSON
	h.callJSON("POST", apiPrefix+"/file_actions/begin_upload/timed.txt", key, `{}`).decode(t, &parts)
	if r := h.call("PUT", strings.TrimPrefix(parts[0].UploadURI, h.srv.URL), key, strings.NewReader("timed"), "Content-Type", "application/octet-stream"); r.status != http.StatusOK {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	r := h.callJSON("POST", apiPrefix+"/files/timed.txt", key, `{"action":"end","ref":"`+parts[0].Ref+`","provided_mtime":"1850-01-01T00:00:00Z"}`)
	expectError(t, r, 422, "bad-request/request-params-invalid")
	if r := h.callJSON("GET", apiPrefix+"/file_actions/metadata/timed.txt", key, ""); r.status != http.StatusNotFound {
		t.Fatalf("a refused end put the file in place: %d", r.status)
	}
	r = h.callJSON("POST", apiPrefix+"/files/timed.txt", key, `{"action":"end","ref":"`+parts[0].Ref+`","provided_mtime":"2020-02-02T02:02:02Z"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("end: %d %s", r.status, r.body)
	}
	unchanged(key, "timed.txt")
	// An empty PATCH changes nothing and answers the file.
	if r := h.callJSON("PATCH", apiPrefix+"/files/mine.txt", key, `{}`); r.status != http.StatusOK {
		t.Fatalf("empty PATCH: %d %s", r.status, r.body)
	}
	unchanged(key, "mine.txt")
}
