package sftp

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ops"
	"github.com/gatehouse/gatehouse/internal/testpeer"
	"github.com/gatehouse/gatehouse/internal/transfer/access"
)

// The SFTP benchmarks move one large file with OpenSSH's sftp, against
// Gatehouse and, in the same run with the same client, against OpenSSH's
// own sftp-server under an sshd the benchmark starts on another loopback
// port. Run:
//
//	go test ./internal/transfer/sftp -run '^$' -bench SFTPTransfer -benchtime 1x -count 5
//
// GATEHOUSE_BENCH_FILE_MIB sets the file size (default 1024).

func benchFileSize() int64 {
	if v, err := strconv.Atoi(os.Getenv("GATEHOUSE_BENCH_FILE_MIB")); err == nil && v > 0 {
		return int64(v) << 20
	}
	return 1 << 30
}

// writeBigFile writes size bytes of incompressible data.
func writeBigFile(b *testing.B, path string, size int64) {
	b.Helper()
	chunk := make([]byte, 1<<20)
	if _, err := rand.Read(chunk); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for n := int64(0); n < size; n += int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(int64(len(chunk)), size-n)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// openSSHServer is a system sshd serving sftp-server on a loopback port.
type openSSHServer struct {
	port       int
	knownHosts string
	key        string
	home       string
}

func startOpenSSH(b *testing.B, clientKey string) *openSSHServer {
	b.Helper()
	sshd, sftpServer := "/usr/sbin/sshd", "/usr/lib/openssh/sftp-server"
	for _, p := range []string{sshd, sftpServer} {
		if _, err := os.Stat(p); err != nil {
			testpeer.Missing(b, "%s is not installed (Debian openssh-server)", p)
		}
	}
	dir := b.TempDir()
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		b.Skipf("sshd needs /run/sshd: %v", err)
	}
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		b.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		b.Fatal(err)
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	writeFile(b, authKeys, pub)
	port, err := testpeer.FreePort()
	if err != nil {
		b.Fatal(err)
	}
	cfg := filepath.Join(dir, "sshd_config")
	writeFile(b, cfg, []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin yes
PidFile none
Subsystem sftp %s
`, port, hostKey, authKeys, sftpServer)))
	proc, err := testpeer.Start("sshd", exec.Command(sshd, "-D", "-e", "-f", cfg), filepath.Join(dir, "sshd.log"))
	if err != nil {
		b.Fatal(err)
	}
	proc.StopAtCleanup(b, syscall.SIGTERM, 5*time.Second)
	if err := proc.WaitReady(10*time.Second, testpeer.Listening(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))); err != nil {
		b.Fatal(err)
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		b.Fatal(err)
	}
	kh := filepath.Join(dir, "known_hosts")
	writeFile(b, kh, []byte("[127.0.0.1]:"+strconv.Itoa(port)+" "+string(hostPub)))
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		b.Fatal(err)
	}
	return &openSSHServer{port: port, knownHosts: kh, key: clientKey, home: home}
}

// writeFile writes a file the benchmark needs, mode 0600.
func writeFile(tb testing.TB, name string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func runSFTPBatch(b *testing.B, port int, knownHosts, key, user, workDir, batch string) {
	b.Helper()
	bf := filepath.Join(workDir, "batch")
	writeFile(b, bf, []byte(batch))
	cmd := exec.Command("sftp", "-q", "-P", strconv.Itoa(port), "-F", "/dev/null",
		"-o", "UserKnownHostsFile="+knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "IdentityFile="+key, "-o", "IdentitiesOnly=yes", "-b", bf, user+"@127.0.0.1")
	cmd.Dir = workDir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("sftp: %v\n%s", err, out)
	}
}

func BenchmarkSFTPTransfer(b *testing.B) {
	requireOpenSSH(b)
	size := benchFileSize()
	h := newHarness(b, harnessOptions{})
	u := h.passwordUser("bench")
	key := h.addKey(u)
	work := b.TempDir()
	writeBigFile(b, filepath.Join(work, "big.bin"), size)
	ossh := startOpenSSH(b, key)
	servers := []struct {
		name             string
		port             int
		knownHosts, user string
		remote           string
	}{
		{"gatehouse", h.addr.Port, h.knownHosts, "bench", "big.bin"},
		{"openssh", ossh.port, ossh.knownHosts, currentUser(), filepath.Join(ossh.home, "big.bin")},
	}
	for _, s := range servers {
		b.Run(s.name+"/upload", func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				runSFTPBatch(b, s.port, s.knownHosts, key, s.user, work, "put big.bin "+s.remote+"\n")
			}
		})
		b.Run(s.name+"/download", func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				runSFTPBatch(b, s.port, s.knownHosts, key, s.user, work, "get "+s.remote+" down.bin\n")
			}
			if err := os.Remove(filepath.Join(work, "down.bin")); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

// BenchmarkSFTPConcurrentMemory runs 50 downloads and 50 uploads at once
// and reports the test process's peak resident memory (the server runs in
// it; the clients are separate processes).
//
//	go test ./internal/transfer/sftp -run '^$' -bench SFTPConcurrentMemory -benchtime 1x -count 5
func BenchmarkSFTPConcurrentMemory(b *testing.B) {
	requireOpenSSH(b)
	ops.TuneGC() // the collector settings gatehouse serve runs with
	const transfers = 50
	size := benchFileSize() / 16 // 64 MiB each by default
	h := newHarness(b, harnessOptions{})
	u := h.passwordUser("bench")
	key := h.addKey(u)
	work := b.TempDir()
	writeBigFile(b, filepath.Join(work, "src.bin"), size)
	runSFTPBatch(b, h.addr.Port, h.knownHosts, key, "bench", work, "put src.bin src.bin\n")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for j := 0; j < transfers; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dir := filepath.Join(work, strconv.Itoa(j))
				if err := os.MkdirAll(dir, 0o700); err != nil {
					b.Error(err)
					return
				}
				batch := "get src.bin down.bin\n"
				if j%2 == 1 {
					batch = "put ../src.bin up" + strconv.Itoa(j) + ".bin\n"
				}
				runSFTPBatch(b, h.addr.Port, h.knownHosts, key, "bench", dir, batch)
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	b.SetBytes(size * transfers)
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
}

// peakRSS is the process's high-water resident set (VmHWM) in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkAccountCheck measures the per-request account re-check: the
// policy, the credential, the admin flag and the memberships of a password
// user in three groups (package access over identity.Readmit).
func BenchmarkAccountCheck(b *testing.B) {
	requireOpenSSH(b)
	h := newHarness(b, harnessOptions{})
	u := h.passwordUser("checked")
	h.joinGroups(u, "eng", "ops", "sales")
	watch, _, err := access.Open(h.ctx, h.id, h.storage.View, h.site, identity.TransferSignIn{SiteID: h.site.ID, UserID: u.ID,
		Channel: identity.ChannelSFTP, Credential: identity.CredentialPassword, At: time.Now()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	sess := &session{s: h.srv, userID: u.ID, access: watch, ctx: h.ctx}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sess.check(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSFTPRequests measures what a small SFTP request costs end to
// end, account re-check included: one Stat, one ReadDir and one Open and
// Close of a small file per iteration, from Go's SSH and SFTP clients on
// loopback. A member of three groups, so the re-check has memberships to
// read.
//
//	go test ./internal/transfer/sftp -run '^$' -bench SFTPRequests -count 5
func BenchmarkSFTPRequests(b *testing.B) {
	h := newHarness(b, harnessOptions{})
	u := h.passwordUser("requests")
	h.joinGroups(u, "eng", "ops", "sales")
	conn, err := ssh.Dial("tcp", h.addr.String(), &ssh.ClientConfig{User: u.Username,
		Auth: []ssh.AuthMethod{ssh.Password(testPassword)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client, err := pkgsftp.NewClient(conn)
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	f, err := client.Create("small.txt")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write([]byte("small")); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := client.Stat("small.txt"); err != nil {
			b.Fatal(err)
		}
		if _, err := client.ReadDir("/groups"); err != nil {
			b.Fatal(err)
		}
		r, err := client.Open("small.txt")
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
