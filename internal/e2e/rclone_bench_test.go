package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
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
// A fourth run, filescom-nocheck, passes --ignore-checksum, so that rclone
// hashes nothing through filescom either: with vendor rclone's WebDAV it
// compares equal client work.
//
// It reports the medians over the iterations: each backend's MB/s up and
// down with the CPU seconds per GiB that rclone and the server spent, the
// ratios filescom/webdav (the goal: at least 0.7 both ways),
// filescom/webdav-md5 and filescom-nocheck/webdav, the server's CPU per
// GiB through filescom-nocheck over WebDAV's, and the seconds each takes
// for the 200 small files (the goal: under 10 s). Both share the machine's
// cores, so a client that spends more CPU per byte lowers the rate the
// server is measured at: the CPU columns tell the two apart.
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
	if err := conf.Close(); err != nil {
		b.Fatal(err)
	}
	// The last runs filescom with --ignore-checksum: rclone then hashes
	// nothing it moves, as through vendor rclone's WebDAV, which has no
	// checksum to compare; the server hashes every byte either way.
	backends := []struct {
		name, remote string
		flags        []string
	}{{"filescom", "gh:", nil}, {"webdav", "dav:", nil}, {"webdav-md5", "davmd5:", nil}, {"filescom-nocheck", "gh:", []string{"--ignore-checksum"}}}
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
		// Per backend and direction: MB/s, and the CPU seconds per GiB
		// that rclone and the server each spent, so that where the time
		// goes (client or server) is measured beside the rate.
		type runs struct{ mbps, client, server []float64 }
		up, down := make([]runs, len(backends)), make([]runs, len(backends))
		gib := float64(size) / (1 << 30)
		record := func(rs *runs, t rcloneTimes) {
			rs.mbps = append(rs.mbps, float64(size)/1e6/t.wall.Seconds())
			rs.client = append(rs.client, t.client.Seconds()/gib)
			rs.server = append(rs.server, t.server.Seconds()/gib)
		}
		for i := 0; i < b.N; i++ {
			for _, k := range inOrder(i) {
				be := backends[k]
				remote := fmt.Sprintf("%sbig/%s-%d.bin", be.remote, be.name, i)
				back := filepath.Join(dir, "back.bin")
				record(&up[k], r.timed(b, s, append([]string{"copyto", big, remote}, be.flags...)...))
				record(&down[k], r.timed(b, s, append([]string{"copyto", remote, back}, be.flags...)...))
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
			for _, d := range []struct {
				way string
				rs  runs
			}{{"up", up[k]}, {"down", down[k]}} {
				b.ReportMetric(median(d.rs.mbps), be.name+"-"+d.way+"-MB/s")
				b.ReportMetric(median(d.rs.client), be.name+"-"+d.way+"-client-cpu-s/GiB")
				b.ReportMetric(median(d.rs.server), be.name+"-"+d.way+"-server-cpu-s/GiB")
			}
		}
		ratio := func(a, b []float64) float64 { return median(a) / median(b) }
		b.ReportMetric(ratio(up[0].mbps, up[1].mbps), "up-filescom/webdav")
		b.ReportMetric(ratio(down[0].mbps, down[1].mbps), "down-filescom/webdav")
		b.ReportMetric(ratio(up[0].mbps, up[2].mbps), "up-filescom/webdav-md5")
		b.ReportMetric(ratio(down[0].mbps, down[2].mbps), "down-filescom/webdav-md5")
		b.ReportMetric(ratio(up[3].mbps, up[1].mbps), "up-filescom-nocheck/webdav")
		b.ReportMetric(ratio(down[3].mbps, down[1].mbps), "down-filescom-nocheck/webdav")
		// The server's own cost, rclone hashing nothing through either.
		b.ReportMetric(ratio(up[3].server, up[1].server), "up-server-cpu-filescom-nocheck/webdav")
		b.ReportMetric(ratio(down[3].server, down[1].server), "down-server-cpu-filescom-nocheck/webdav")
	})

	b.Run("200files", func(b *testing.B) {
		took := make([][]float64, len(backends))
		for i := 0; i < b.N; i++ {
			for _, k := range inOrder(i) {
				be := backends[k]
				remote := fmt.Sprintf("%ssmall/%s-%d", be.remote, be.name, i)
				start := time.Now()
				r.must(b, append([]string{"copy", small, remote}, be.flags...)...)
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

// rcloneTimes is what one rclone command cost: its wall time, rclone's
// CPU time (user and system), and the server's over the same span.
type rcloneTimes struct{ wall, client, server time.Duration }

// timed runs rclone like must, measuring it and the server s.
func (r rcloneRemote) timed(t testing.TB, s *server, args ...string) rcloneTimes {
	t.Helper()
	full := append([]string{"--config", r.config, "--low-level-retries", "1", "--retries", "1"}, args...)
	cmd := exec.Command(r.bin, full...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	before := s.cpuTime(t)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	wall := time.Since(start)
	return rcloneTimes{wall: wall, client: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), server: s.cpuTime(t) - before}
}

// cpuTime is the CPU time (user and system) the server process has used,
// read from /proc (0 where there is none).
func (s *server) cpuTime(t testing.TB) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 12th and 13th of them, in
	// clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("unreadable /proc stat: %q", b)
	}
	return time.Duration(utime+stime) * (time.Second / 100)
}
