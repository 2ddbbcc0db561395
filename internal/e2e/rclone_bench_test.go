package e2e

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRcloneFilescomVsWebDAV: the same rclone, against one real
// gatehouse serve on loopback and one user, through its filescom backend
// (the REST API: begin, parts PUT to presigned URIs, end; downloads from
// the presigned download_uri) and through its webdav backend (/dav/)
// twice: vendor rclone, which sends the file's time as X-OC-Mtime and
// reads no checksums, so rclone checks nothing it moves; and vendor
// owncloud, which also reads the MD5 Gatehouse publishes (oc:checksums),
// so rclone hashes every byte it sends or receives and compares, as it
// does through filescom. The first is the ratio the goal names; the
// second compares equal work (rclone's MD5 runs on the same two cores as
// the server). Each iteration copies one 1 GiB file up and back down
// (checked byte for byte, outside the timer), and 200 files of a few KiB
// up, through each backend, the order turning from one iteration to the
// next so that none always meets a warmer or a busier machine. All run
// with rclone's defaults: the filescom backend has no chunk size or
// concurrency option of its own, rclone's --transfers (4) sets how many
// of the small files go at once, and its multi-thread download (4
// streams above 256 MiB) applies to all.
//
// It reports the medians over the iterations: each backend's MB/s up and
// down, the ratios filescom/webdav (the goal: at least 0.7 both ways) and
// filescom/webdav-md5, and the seconds each takes for the 200 small files
// (the goal: under 10 s).
//
//	go test -run '^$' -bench RcloneFilescomVsWebDAV -benchtime 3x ./internal/e2e/
//
// GATEHOUSE_BENCH_SIZE=bytes takes a smaller big file, for a quicker look.
func BenchmarkRcloneFilescomVsWebDAV(b *testing.B) {
	size := int64(1 << 30)
	if v, err := strconv.ParseInt(os.Getenv("GATEHOUSE_BENCH_SIZE"), 10, 64); err == nil && v > 0 {
		size = v
	}
	s := startServer(b, "--data-dir", filepath.Join(b.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(b)
	r := newRcloneRemote(b, s, s.userAPIKey(b, name, password))
	obscured := strings.TrimSpace(r.must(b, "obscure", password))
	dav := fmt.Sprintf("[dav]\ntype = webdav\nurl = %s/dav/\nvendor = rclone\nuser = %s\npass = %s\n", s.Base, name, obscured) +
		fmt.Sprintf("[davmd5]\ntype = webdav\nurl = %s/dav/\nvendor = owncloud\nuser = %s\npass = %s\n", s.Base, name, obscured)
	conf, err := os.OpenFile(r.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conf.WriteString(dav); err != nil {
		b.Fatal(err)
	}
	conf.Close()
	backends := []struct{ name, remote string }{{"filescom", "gh:"}, {"webdav", "dav:"}, {"webdav-md5", "davmd5:"}}
	// inOrder is the backends, the order turning with i, so that none
	// always meets a warmer or a busier machine.
	inOrder := func(i int) []int {
		n := len(backends)
		out := make([]int, n)
		for k := range out {
			out[k] = (k + i) % n
		}
		return out
	}

	dir := b.TempDir()
	big, sum := randomFile(b, dir, "big.bin", size)
	small := filepath.Join(dir, "small")
	if err := os.Mkdir(small, 0o700); err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		buf := make([]byte, 2048+i*29) // 2 to 7.7 KiB
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(small, fmt.Sprintf("f%03d.bin", i)), buf, 0o600); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("1GiB", func(b *testing.B) {
		up, down := make([][]float64, len(backends)), make([][]float64, len(backends))
		mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
		for i := 0; i < b.N; i++ {
			for _, k := range inOrder(i) {
				be := backends[k]
				remote := fmt.Sprintf("%sbig/%s-%d.bin", be.remote, be.name, i)
				back := filepath.Join(dir, "back.bin")
				start := time.Now()
				r.must(b, "copyto", big, remote)
				up[k] = append(up[k], mbps(time.Since(start)))
				start = time.Now()
				r.must(b, "copyto", remote, back)
				down[k] = append(down[k], mbps(time.Since(start)))
				b.StopTimer()
				if got, n := fileSHA256(b, back); got != sum || n != size {
					b.Fatalf("%s: %d bytes came back that differ from the %d sent", be.name, n, size)
				}
				os.Remove(back)
				r.must(b, "deletefile", remote)
				b.StartTimer()
			}
		}
		for k, be := range backends {
			b.ReportMetric(median(up[k]), be.name+"-up-MB/s")
			b.ReportMetric(median(down[k]), be.name+"-down-MB/s")
		}
		b.ReportMetric(median(up[0])/median(up[1]), "up-filescom/webdav")
		b.ReportMetric(median(down[0])/median(down[1]), "down-filescom/webdav")
		b.ReportMetric(median(up[0])/median(up[2]), "up-filescom/webdav-md5")
		b.ReportMetric(median(down[0])/median(down[2]), "down-filescom/webdav-md5")
	})

	b.Run("200files", func(b *testing.B) {
		took := make([][]float64, len(backends))
		for i := 0; i < b.N; i++ {
			for _, k := range inOrder(i) {
				be := backends[k]
				remote := fmt.Sprintf("%ssmall/%s-%d", be.remote, be.name, i)
				start := time.Now()
				r.must(b, "copy", small, remote)
				took[k] = append(took[k], time.Since(start).Seconds())
				b.StopTimer()
				if listed := strings.Count(r.must(b, "lsf", remote), "\n"); listed != 200 {
					b.Fatalf("%s: %d files listed after the copy, want 200", be.name, listed)
				}
				b.StartTimer()
			}
		}
		for k, be := range backends {
			b.ReportMetric(median(took[k]), be.name+"-200files-s")
		}
	})
}

// median is the middle of xs (the mean of the two middle ones when even).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
