package web

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSAMLConsume measures POST /saml/consume from a fresh,
// Entra-shaped signed assertion to an issued session on SQLite, with JIT
// updating the returning user's account and groups each time. Run with a
// fixed count, since every operation needs a response signed beforehand:
//
//	go test -run '^$' -bench BenchmarkSAMLConsume -benchtime 3000x ./internal/web
//
// It reports sign-ins per second, the median and 99th percentile latency of
// one sign-in as seen by the client, and the CPU time per sign-in.
func BenchmarkSAMLConsume(b *testing.B) {
	l := newLoadServer(b)
	const users = 200
	responses := make([]string, b.N+users)
	for i := range responses {
		nameID, attrs := entraClaims(i % users)
		responses[i] = l.idp.respond(b, l.spEntityID(), l.acsURL(), nameID, attrs)
	}
	// The first sign-in of each user creates the account: not timed.
	for _, r := range responses[:users] {
		if _, err := l.consume(r); err != nil {
			b.Fatal(err)
		}
	}
	responses = responses[users:]
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	b.SetParallelism(2)
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			t0 := time.Now()
			_, err := l.consume(responses[i])
			latencies[i] = time.Since(t0)
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	slices.Sort(latencies)
	p99 := latencies[min(len(latencies)-1, len(latencies)*99/100)]
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "signins/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// processCPU is the user and system CPU time this process has used. Client
// and server share the process, so CPU per sign-in counts both; it varies
// less than wall time when other work shares the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSAMLConsumeFlood posts 10 MB of garbage to the ACS from eight
// clients at once, 32 posts in all, half with a Content-Length and half
// chunked. The body limit must refuse them without buffering them: the
// heap stays under 100 MB throughout, and a valid sign-in still works.
func TestSAMLConsumeFlood(t *testing.T) {
	l := newLoadServer(t)
	const (
		workers   = 8
		perWorker = 4
		size      = 10 << 20
		limit     = 100 << 20
	)
	runtime.GC()
	var peakHeap, peakSys atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peakHeap.Store(max(peakHeap.Load(), ms.HeapInuse))
			peakSys.Store(max(peakSys.Load(), ms.Sys))
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	var refused, transportErrors atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perWorker {
				body := io.MultiReader(strings.NewReader("SAMLResponse="), io.LimitReader(garbage{}, size))
				req, _ := http.NewRequest("POST", l.acsURL(), body)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if (w+j)%2 == 0 {
					req.ContentLength = size + int64(len("SAMLResponse="))
				} else {
					req.ContentLength = -1 // chunked: the limit must act while reading
				}
				res, err := l.client.Do(req)
				if err != nil {
					// The server may close the connection before the
					// client has finished sending 10 MB.
					transportErrors.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode < 400 {
					t.Errorf("10 MB of garbage answered %d", res.StatusCode)
				}
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("flood: %d refused with 4xx, %d cut off; peak HeapInuse %.1f MB, peak Sys %.1f MB, VmHWM %s",
		refused.Load(), transportErrors.Load(), mb(peakHeap.Load()), mb(peakSys.Load()), procStatus("VmHWM"))
	if peakHeap.Load() > limit || peakSys.Load() > limit {
		t.Fatalf("peak HeapInuse %.1f MB, Sys %.1f MB: want under 100 MB", mb(peakHeap.Load()), mb(peakSys.Load()))
	}
	if refused.Load() == 0 {
		t.Fatal("no garbage post was answered")
	}
	nameID, attrs := entraClaims(1)
	if _, err := l.consume(l.idp.respond(t, l.spEntityID(), l.acsURL(), nameID, attrs)); err != nil {
		t.Fatalf("valid sign-in after the flood: %v", err)
	}
}

// garbage is an endless stream of base64-looking bytes.
type garbage struct{}

func (garbage) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A' + byte(i%26)
	}
	return len(p), nil
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// procStatus reads one field of /proc/self/status, or "n/a".
func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.Atoi(f[0]); err == nil {
					return fmt.Sprintf("%.1f MB", float64(kb)/1024)
				}
			}
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
