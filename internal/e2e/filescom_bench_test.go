package e2e

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/file"
)

// procUserSys is the user and system CPU time of a process, in seconds.
func procUserSys(tb testing.TB, pid int) (float64, float64) {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which ends with ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return utime / 100, stime / 100 // USER_HZ is 100 on Linux
}

// procPeakMiB is the process's peak resident memory since the last
// resetPeak, in MiB.
func procPeakMiB(tb testing.TB, pid int) float64 {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// resetPeak starts a new peak-memory measurement (clear_refs 5).
func resetPeak(pid int) { _ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) }

// BenchmarkFilesComGoSDK1GiB: a 1 GiB file up with the Go SDK's
// UploadFile (begin, parts PUT in parallel to presigned URIs, end) and
// down with DownloadToFile, through a real gatehouse serve on loopback,
// beside the same bytes sent in one raw POST /files/{path} (the REST
// path without parts: what the multi-part flow costs). It reports MB/s,
// the server's CPU seconds per operation and its peak resident memory.
// Every upload's md5, as the server computed it, must be that of the
// bytes sent, and every download's SHA-256 that of the bytes uploaded
// (both checked outside the timer); a mismatch fails the benchmark. make
// bench runs it.
//
//	go test -run '^$' -bench FilesComGoSDK1GiB -benchtime 3x ./internal/e2e/
//
// GATEHOUSE_BENCH_SIZE=bytes takes a smaller file, for a quicker look.
func BenchmarkFilesComGoSDK1GiB(b *testing.B) {
	size := int64(1 << 30)
	if v, err := strconv.ParseInt(os.Getenv("GATEHOUSE_BENCH_SIZE"), 10, 64); err == nil && v > 0 {
		size = v // a quicker look
	}
	s := startServer(b, "--data-dir", filepath.Join(b.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(b)
	key := s.userAPIKey(b, name, password)
	client := &file.Client{Config: files_sdk.Config{APIKey: key, EndpointOverride: s.Base}.Init()}
	dir := b.TempDir()
	local, sum := randomFile(b, dir, "one-gib.bin", size)
	md5sum := fileMD5(b, local)
	// stored fails the benchmark unless the server holds size bytes at
	// remote whose md5 (computed as they arrived) is md5sum.
	stored := func(b *testing.B, remote string) {
		b.StopTimer()
		defer b.StartTimer()
		info, err := client.DownloadUri(files_sdk.FileDownloadParams{Path: remote})
		if err != nil || info.Size != size || info.Md5 != md5sum {
			b.Fatalf("%s: the server holds %d bytes with md5 %q (%v), want %d with md5 %s", remote, info.Size, info.Md5, err, size, md5sum)
		}
	}
	pid := s.cmd.Process.Pid
	measure := func(b *testing.B, op func(i int)) {
		b.SetBytes(size)
		resetPeak(pid)
		user, sys := procUserSys(b, pid)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			op(i)
		}
		b.StopTimer()
		user2, sys2 := procUserSys(b, pid)
		b.ReportMetric((user2-user)/float64(b.N), "server-user-s/op")
		b.ReportMetric((sys2-sys)/float64(b.N), "server-sys-s/op")
		b.ReportMetric(procPeakMiB(b, pid), "server-peak-MiB")
	}
	b.Run("upload", func(b *testing.B) {
		measure(b, func(i int) {
			remote := fmt.Sprintf("bench/sdk-%d.bin", i)
			if err := client.UploadFile(local, remote); err != nil {
				b.Fatal(err)
			}
			stored(b, remote)
		})
	})
	b.Run("download", func(b *testing.B) {
		back := filepath.Join(dir, "back.bin")
		measure(b, func(int) {
			if _, err := client.DownloadToFile(files_sdk.FileDownloadParams{Path: "bench/sdk-0.bin"}, back); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if got, n := fileSHA256(b, back); got != sum || n != size {
				b.Fatalf("downloaded %d bytes that differ from those uploaded", n)
			}
			os.Remove(back)
			b.StartTimer()
		})
	})
	b.Run("oneshot-upload", func(b *testing.B) {
		measure(b, func(i int) {
			f, err := os.Open(local)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			remote := fmt.Sprintf("bench/raw-%d.bin", i)
			req, _ := http.NewRequest("POST", s.Base+"/api/rest/v1/files/"+remote, f)
			req.ContentLength = size
			req.Header.Set("X-FilesAPI-Key", key)
			req.Header.Set("Content-Type", "application/octet-stream")
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusCreated {
				b.Fatalf("one-shot upload: %v %v", err, res)
			}
			res.Body.Close()
			stored(b, remote)
		})
	})
}

// fileMD5 is the hex MD5 of the file at p, as Files.com's file object
// carries it.
func fileMD5(tb testing.TB, p string) string {
	tb.Helper()
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
