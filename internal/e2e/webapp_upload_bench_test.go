package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkBrowserUploadVsCurlWebDAV uploads one 2 GiB file through the
// web app's file page in Chromium (the page's script: parts through the
// REST API's begin_upload flow) and the same file with `curl -T` to
// WebDAV on the same server, in turns whose order alternates, and reports
// each one's MB/s, the browser's share of curl's, and the server's CPU
// seconds per GiB on each path (medians of the runs). It also measures
// the browser's own ceiling in the same run: the whole file in one
// XMLHttpRequest PUT to WebDAV from the same page.
// The goal is at least 0.70.
//
//	go test -run '^$' -bench BrowserUploadVsCurlWebDAV -benchtime 3x -timeout 60m ./internal/e2e/
//
// GATEHOUSE_BENCH_SIZE=bytes takes a smaller file, for a quicker look.
func BenchmarkBrowserUploadVsCurlWebDAV(b *testing.B) {
	node, chromium := requireBrowser(b)
	requireTools(b, "curl")
	size := int64(2 << 30)
	if v, err := strconv.ParseInt(os.Getenv("GATEHOUSE_BENCH_SIZE"), 10, 64); err == nil && v > 0 {
		size = v
	}
	s := startServer(b, "--data-dir", filepath.Join(b.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(b)
	key := s.userAPIKey(b, name, password)
	big, _ := randomFile(b, b.TempDir(), "big.bin", size)
	mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }

	gib := float64(size) / (1 << 30)
	var ourCPU, theirCPU []float64
	run := func(mode, remove string) float64 {
		cmd := exec.Command(node, "webapp-upload.mjs", s.Base, name, password, big, mode)
		cmd.Dir = browserDir
		cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
		out, err := cmd.Output()
		var got struct{ MS int64 }
		if jerr := json.Unmarshal(out, &got); err != nil || jerr != nil || got.MS <= 0 {
			b.Fatalf("browser upload (%s): %v %s", mode, err, out)
		}
		s.api(b, http.MethodDelete, "/files/"+remove, key, nil, nil)
		return mbps(time.Duration(got.MS) * time.Millisecond)
	}
	browser := func(i int) float64 {
		cpu0 := s.cpuTime(b)
		defer func() { ourCPU = append(ourCPU, (s.cpuTime(b)-cpu0).Seconds()/gib) }()
		return run("app", "big.bin")
	}
	curl := func(i int) float64 {
		cpu0 := s.cpuTime(b)
		defer func() { theirCPU = append(theirCPU, (s.cpuTime(b)-cpu0).Seconds()/gib) }()
		start := time.Now()
		out, err := exec.Command("curl", "-sS", "-f", "-u", name+":"+password, "-T", big, s.Base+"/dav/curl.bin").CombinedOutput()
		d := time.Since(start)
		if err != nil {
			b.Fatalf("curl -T: %v %s", err, out)
		}
		s.api(b, http.MethodDelete, "/files/curl.bin", key, nil, nil)
		return mbps(d)
	}
	var ours, theirs, ceilings, ratios []float64
	for i := range b.N {
		var o, c, one float64
		if i%2 == 0 {
			o, c, one = browser(i), curl(i), run("one-put", "one-put.bin")
		} else {
			one, c, o = run("one-put", "one-put.bin"), curl(i), browser(i)
		}
		ours, theirs, ceilings, ratios = append(ours, o), append(theirs, c), append(ceilings, one), append(ratios, o/c)
		b.Logf("run %d: browser %.0f MB/s, curl -T WebDAV %.0f MB/s (%.2f); the browser's one PUT to WebDAV %.0f MB/s", i+1, o, c, o/c, one)
	}
	b.ReportMetric(median(ours), "browser-MB/s")
	b.ReportMetric(median(theirs), "curl-webdav-MB/s")
	b.ReportMetric(median(ceilings), "browser-one-put-MB/s")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(ourCPU), "browser-server-cpu-s/GiB")
	b.ReportMetric(median(theirCPU), "webdav-server-cpu-s/GiB")
	fmt.Fprintf(os.Stderr, "browser upload of %d bytes: %.2f of curl -T to WebDAV (median of %d)\n", size, median(ratios), b.N)
}
