package webdav

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
	"github.com/gatehouse/gatehouse/internal/web"
)

// benchServer serves WebDAV the way serve does: mounted in the web front
// end, behind its request id, access log, panic recovery and security
// headers.
func benchServer(b *testing.B) (*transfertest.Harness, string) {
	b.Helper()
	h := transfertest.New(b)
	h.PasswordUser("bench")
	dav, err := New(Options{Identity: h.Svc, Locks: h.Store, Files: h.Storage.View, Logger: h.Logger})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	front, err := web.New(web.Options{Service: h.Svc, BaseURL: "http://" + srv.Listener.Addr().String(), Logger: h.Logger, WebDAV: dav})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = front
	srv.Start()
	b.Cleanup(srv.Close)
	return h, srv.URL
}

// patternReader yields n bytes cycling through a random megabyte, so a
// gigabyte upload costs no gigabyte of memory.
type patternReader struct {
	pattern []byte
	left    int64
	off     int
}

func newPatternReader(n int64) *patternReader {
	p := make([]byte, 1<<20)
	_, _ = rand.Read(p)
	return &patternReader{pattern: p, left: n}
}

// sharedPattern is one random megabyte all concurrent uploads cycle
// through, so the clients add no memory of their own.
var sharedPattern = func() []byte {
	p := make([]byte, 1<<20)
	_, _ = rand.Read(p)
	return p
}()

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := copy(p, r.pattern[r.off:])
	r.off = (r.off + n) % len(r.pattern)
	r.left -= int64(n)
	return n, nil
}

const gib = 1 << 30

func put(b *testing.B, client *http.Client, url string, body io.Reader, size int64) {
	if err := putOnce(client, url, body, size); err != nil {
		b.Fatal(err)
	}
}

// putOnce uploads body; it is safe to call from any goroutine.
func putOnce(client *http.Client, url string, body io.Reader, size int64) error {
	req, err := http.NewRequest("PUT", url, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.SetBasicAuth("bench", pw)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("PUT %s: %d", url, resp.StatusCode)
	}
	return nil
}

// BenchmarkPut1GiB uploads one 1 GiB file per iteration (MB/s is the
// throughput; the goal is at least 300).
func BenchmarkPut1GiB(b *testing.B) {
	_, base := benchServer(b)
	client := &http.Client{}
	b.SetBytes(gib)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		put(b, client, base+"/dav/big.bin", newPatternReader(gib), gib)
	}
}

// BenchmarkGet1GiB downloads one 1 GiB file per iteration.
func BenchmarkGet1GiB(b *testing.B) {
	_, base := benchServer(b)
	client := &http.Client{}
	put(b, client, base+"/dav/big.bin", newPatternReader(gib), gib)
	b.SetBytes(gib)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("GET", base+"/dav/big.bin", nil)
		req.SetBasicAuth("bench", pw)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if err != nil || n != gib || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET: %d, %d bytes, %v", resp.StatusCode, n, err)
		}
	}
}

// BenchmarkPutSmallFiles uploads 4 KiB files, one request each, over one
// keep-alive connection; files/s is the figure (the goal is at least 500).
// Run it with -benchtime=10000x for the 10,000 files of the goal.
func BenchmarkPutSmallFiles(b *testing.B) {
	_, base := benchServer(b)
	client := &http.Client{}
	body := make([]byte, 4<<10)
	_, _ = rand.Read(body)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		put(b, client, fmt.Sprintf("%s/dav/small-%06d.bin", base, i), bytes.NewReader(body), int64(len(body)))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkConcurrentTransfersMemory runs 50 PUTs of 64 MiB at once, then
// 50 GETs of them, and reports the peak memory the Go runtime held from
// the system (server and clients together, so an upper bound for the
// server; the goal for the server is under 150 MB).
func BenchmarkConcurrentTransfersMemory(b *testing.B) {
	_, base := benchServer(b)
	const n, size = 50, 64 << 20
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if v := ms.Sys - ms.HeapReleased; v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	b.SetBytes(2 * n * size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				if err := putOnce(client, fmt.Sprintf("%s/dav/c%02d.bin", base, j), &patternReader{pattern: sharedPattern, left: size}, size); err != nil {
					b.Error(err)
				}
			}(j)
		}
		wg.Wait()
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/dav/c%02d.bin", base, j), nil)
				req.SetBasicAuth("bench", pw)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}(j)
		}
		wg.Wait()
	}
	b.StopTimer()
	close(stop)
	<-sampled
	b.ReportMetric(float64(peak.Load())/1e6, "peak-MB")
}
