package ftp

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

func userFS(t testing.TB, h *transfertest.Harness, u store.User) vfs.FS {
	t.Helper()
	fsys, err := h.Files(h.Ctx, h.Site, u)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func readAll(t testing.TB, h *transfertest.Harness, fsys vfs.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(h.Ctx, name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, h *transfertest.Harness, fsys vfs.FS, name string, data []byte) {
	t.Helper()
	up, err := fsys.Create(h.Ctx, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestLFTPRoundTrip uploads, lists, downloads, renames and deletes with
// lftp, over plain FTP and over explicit FTPS.
func TestLFTPRoundTrip(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		name := "ftp"
		if useTLS {
			name = "ftps"
		}
		t.Run(name, func(t *testing.T) {
			h := transfertest.New(t)
			alice := h.PasswordUser("alice")
			s := startFTP(t, h, nil)
			local := t.TempDir()
			payload := randomBytes(300 << 10)
			if err := os.WriteFile(filepath.Join(local, "report.bin"), payload, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := lftp(t, s.Addr(), "alice", transfertest.Password, useTLS, local,
				"mkdir docs", "put report.bin -o docs/report.bin", "cls -1 docs",
				"get docs/report.bin -o back.bin", "mv docs/report.bin docs/renamed.bin", "cls -1 docs")
			if err != nil {
				t.Fatalf("lftp: %v\n%s", err, out)
			}
			if !strings.Contains(out, "report.bin") || !strings.Contains(out, "renamed.bin") {
				t.Errorf("listings do not show the upload and the rename:\n%s", out)
			}
			back, err := os.ReadFile(filepath.Join(local, "back.bin"))
			if err != nil || !bytes.Equal(back, payload) {
				t.Fatalf("downloaded file differs from the upload (err %v)", err)
			}
			fsys := userFS(t, h, alice)
			if got := readAll(t, h, fsys, "/docs/renamed.bin"); !bytes.Equal(got, payload) {
				t.Fatal("stored file differs from the upload")
			}
			if out, err := lftp(t, s.Addr(), "alice", transfertest.Password, useTLS, local, "rm docs/renamed.bin", "rmdir docs"); err != nil {
				t.Fatalf("lftp rm: %v\n%s", err, out)
			}
			if _, err := fsys.Stat(h.Ctx, "/docs"); err == nil {
				t.Fatal("docs still exists after rm and rmdir")
			}
			if got := h.User(alice); got.LastFTPLoginAt.IsZero() {
				t.Error("last_ftp_login_at was not recorded")
			}
		})
	}
}

// TestLFTPResume continues an upload with "put -c" and a download with
// "get -c" (lftp's reget), each from the half already transferred.
func TestLFTPResume(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	s := startFTP(t, h, nil)
	fsys := userFS(t, h, alice)
	local := t.TempDir()
	payload := randomBytes(1 << 20)
	half := len(payload) / 2

	if err := os.WriteFile(filepath.Join(local, "up.bin"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	// The halves already transferred are marked (zeros), so a client that
	// started over instead of resuming would be seen.
	zeros := make([]byte, half)
	want := append(append([]byte{}, zeros...), payload[half:]...)
	writeFile(t, h, fsys, "/up.bin", zeros)
	writeFile(t, h, fsys, "/down.bin", payload)
	if err := os.WriteFile(filepath.Join(local, "down.bin"), zeros, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := lftp(t, s.Addr(), "alice", transfertest.Password, true, local, "put -c up.bin", "reget down.bin")
	if err != nil {
		t.Fatalf("lftp: %v\n%s", err, out)
	}
	if got := readAll(t, h, fsys, "/up.bin"); !bytes.Equal(got, want) {
		t.Errorf("upload with put -c: got %d bytes, not the kept half followed by the rest", len(got))
	}
	got, err := os.ReadFile(filepath.Join(local, "down.bin"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("download with reget: got %d bytes, not the kept half followed by the rest (err %v)", len(got), err)
	}
}

// TestSSOUserCredentials: an SSO user's password is refused with the
// policy's advice, and their API key signs them in.
func TestSSOUserCredentials(t *testing.T) {
	h := transfertest.New(t)
	bob := h.SSOUser("bob")
	key := h.APIKey(bob)
	s := startFTP(t, h, nil)

	c := dialRaw(t, s.Addr())
	code, msg := c.login("bob", transfertest.Password)
	if code != 530 || !strings.Contains(msg, "API key") {
		t.Fatalf("SSO user's password: want 530 advising an API key, got %d %q", code, msg)
	}
	if !h.User(bob).LastFTPLoginAt.IsZero() {
		t.Fatal("a refused sign-in was recorded as a sign-in")
	}
	local := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "a.txt"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := lftp(t, s.Addr(), "bob", key, true, local, "put a.txt", "cls -1"); err != nil || !strings.Contains(out, "a.txt") {
		t.Fatalf("SSO user with API key: %v\n%s", err, out)
	}
	if h.User(bob).LastFTPLoginAt.IsZero() {
		t.Error("an API-key sign-in did not record last_ftp_login_at")
	}
	// Someone else's key is no way to become bob.
	carol := h.PasswordUser("carol")
	c2 := dialRaw(t, s.Addr())
	if code, msg := c2.login("bob", h.APIKey(carol)); code != 530 {
		t.Fatalf("bob with carol's key: want 530, got %d %q", code, msg)
	}
	if !strings.Contains(h.Logs.String(), `"ftp sign-in refused"`) {
		t.Error("refusals are not logged")
	}
	if refused := strings.Join(h.SignInEvents(store.EventFailure), "\n"); !strings.Contains(refused, `ftp sign-in of "bob" with password`) || !strings.Contains(refused, "api-key") {
		t.Errorf("the refusal's event is missing or has no reason:\n%s", refused)
	}
	if ok := strings.Join(h.SignInEvents(store.EventSuccess), "\n"); !strings.Contains(ok, `ftp sign-in of "bob" with api_key`) {
		t.Errorf("the API-key sign-in's event is missing:\n%s", ok)
	}
	if strings.Contains(h.Logs.String(), key) || strings.Contains(h.Logs.String(), transfertest.Password) {
		t.Error("a secret reached the log")
	}
}

// TestPathTraversal: "..", encoded dots and absolute paths stay inside the
// user's root, whatever the client sends.
func TestPathTraversal(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	h.PasswordUser("mallory")
	writeFile(t, h, userFS(t, h, alice), "/secret.txt", []byte("alice's"))
	s := startFTP(t, h, nil)
	outside := filepath.Join(h.Storage.Root(), "..", "outside.txt")
	if err := os.WriteFile(outside, []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("mallory", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	for _, p := range []string{"../outside.txt", "../../../../outside.txt", "/../outside.txt", "%2e%2e/outside.txt",
		"/etc/passwd", "../../1/secret.txt", "..%2fsecret.txt", "/users/alice/secret.txt", strings.Repeat("a", 300)} {
		if code, msg := c.send("SIZE " + p); code == 213 {
			t.Errorf("SIZE %s answered %q: a file outside mallory's root was reached", p, msg)
		}
	}
	c.must("CWD /", 250)
	if code, _ := c.send("CWD ../../.."); code == 250 {
		if msg := c.must("PWD", 257); !strings.Contains(msg, `"/"`) {
			t.Errorf("CWD ../../.. left the root: %q", msg)
		}
	}
	// Uploads to traversing names land inside the root, or nowhere.
	data := c.pasv()
	c.must("STOR ../../escape.txt", 150)
	_, _ = data.Write([]byte("x"))
	_ = data.Close()
	c.reply()
	matches, _ := filepath.Glob(filepath.Join(h.Storage.Root(), "..", "escape.txt"))
	matches2, _ := filepath.Glob(filepath.Join(h.Storage.Root(), "escape.txt"))
	if len(matches)+len(matches2) > 0 {
		t.Fatal("an upload escaped the user's root")
	}
}

// TestStalledUploadLeavesNoFile: a client that stops sending mid-upload
// is cut off after the idle timeout and nothing is stored.
func TestStalledUploadLeavesNoFile(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	s := startFTP(t, h, func(c *Options) { c.IdleTimeout = 500 * time.Millisecond })
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	data := c.pasv()
	c.must("STOR half.bin", 150)
	if _, err := data.Write(randomBytes(64 << 10)); err != nil {
		t.Fatal(err)
	}
	// Stall with the data connection open.
	code, msg := c.reply()
	if code == 226 {
		t.Fatalf("a stalled upload was accepted: %q", msg)
	}
	fsys := userFS(t, h, alice)
	if _, err := fsys.Stat(h.Ctx, "/half.bin"); err == nil {
		t.Fatal("a half file was stored")
	}
	entries, err := fsys.ReadDir(h.Ctx, "/")
	if err != nil || len(entries) != 0 {
		t.Fatalf("home holds %d entries after a stalled upload, want none (err %v)", len(entries), err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(h.Storage.Root(), "*", "*", "*", ".gatehouse-upload-*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary upload files were left behind: %v", leftovers)
	}
}

// TestWrongPasswordsThrottleTheAddress: a locked account is answered
// exactly as an unknown username, and wrong FTP passwords from one address
// are throttled before they could lock an account (tries-1 are checked),
// with an answer that says when to try again.
func TestWrongPasswordsThrottleTheAddress(t *testing.T) {
	h := transfertest.New(t)
	h.SetLockout(3)
	alice := h.PasswordUser("alice")
	h.PasswordUser("bob")
	s := startFTP(t, h, nil)
	login := func(user, password string) (int, string) {
		return dialRaw(t, s.Addr()).login(user, password)
	}
	h.LockOut(alice)
	lockedCode, lockedMsg := login("alice", transfertest.Password)
	unknownCode, unknownMsg := login("nobody", transfertest.Password)
	if lockedCode != 530 || lockedCode != unknownCode || lockedMsg != unknownMsg {
		t.Fatalf("locked user answered %d %q, unknown user %d %q: want the same 530", lockedCode, lockedMsg, unknownCode, unknownMsg)
	}
	// Those were two failures from this address: the third try is refused
	// unchecked, even with bob's right password, and counts against no one.
	code, msg := login("bob", transfertest.Password)
	if code != 530 || !strings.Contains(msg, "too many failed sign-ins from your address; try again in") {
		t.Fatalf("throttled address: want 530 saying when to try again, got %d %q", code, msg)
	}
	if got := h.User(alice); got.FailedLogins != 0 {
		t.Fatalf("throttled attempts counted against alice: %d", got.FailedLogins)
	}
}

// TestDisabledUserCutOff: a user disabled while connected is refused at
// their next command and the connection is closed.
func TestDisabledUserCutOff(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	c.must("MKD before", 257)
	h.Disable(alice)
	code, msg := c.send("MKD after")
	if code != 421 && code != 550 {
		t.Fatalf("disabled user's next command: want 421, got %d %q", code, msg)
	}
	if _, err := userFS(t, h, alice).Stat(h.Ctx, "/after"); err == nil {
		t.Fatal("a disabled user's command still ran")
	}
}

// TestRequireTLS: with TLS required, nothing but AUTH TLS works in clear
// text, and lftp with FTPS still works.
func TestRequireTLS(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	s := startFTP(t, h, func(c *Options) { c.RequireTLS = true })
	c := dialRaw(t, s.Addr())
	if code, msg := c.send("USER alice"); code != 534 {
		t.Fatalf("USER in clear text with TLS required: want 534, got %d %q", code, msg)
	}
	if out, err := lftp(t, s.Addr(), "alice", transfertest.Password, true, t.TempDir(), "cls -1"); err != nil {
		t.Fatalf("lftp over FTPS with TLS required: %v\n%s", err, out)
	}
}

// TestConcurrentFailedSignIns: 200 connections guessing at once from one
// address are all refused, only the site's tries-1 of them are checked (so
// one address cannot lock the account), and the server still answers
// another address promptly.
func TestConcurrentFailedSignIns(t *testing.T) {
	h := transfertest.New(t)
	h.SetLockout(5)
	alice := h.PasswordUser("alice")
	h.PasswordUser("carol")
	s := startFTP(t, h, nil)
	const n = 200
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes <- guess(s.Addr(), "alice", fmt.Sprintf("guess %d", i))
		}(i)
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 530 {
			t.Fatalf("a wrong password was answered %d, want 530", code)
		}
	}
	if got := h.User(alice); !got.LockoutExpires.IsZero() || got.FailedLogins != 4 {
		t.Errorf("200 wrong passwords from one address: lockout %v, %d counted; want none and 4", got.LockoutExpires, got.FailedLogins)
	}
	start := time.Now()
	c := dialRawFrom(t, s.Addr(), "127.0.0.2")
	if code, msg := c.login("carol", transfertest.Password); code != 230 {
		t.Fatalf("another user after the flood: %d %q", code, msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("sign-in after the flood took %s", d)
	}
}

// guess signs in once with a wrong password and returns the PASS reply code.
func guess(addr, user, password string) int {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return -1
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	read := func() int {
		line, err := r.ReadString('\n')
		if err != nil || len(line) < 3 {
			return -1
		}
		code, _ := strconv.Atoi(line[:3])
		return code
	}
	if read() != 220 {
		return -1
	}
	if _, err := fmt.Fprintf(c, "USER %s\r\n", user); err != nil || read() != 331 {
		return -1
	}
	if _, err := fmt.Fprintf(c, "PASS %s\r\n", password); err != nil {
		return -1
	}
	return read()
}

// TestDataConnectionGuards: the passive port listens only where the client
// connected and serves only the client's own address; active mode, which
// would connect wherever the client says, is refused.
func TestDataConnectionGuards(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	writeFile(t, h, userFS(t, h, alice), "/secret.txt", []byte("alice's secret"))
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	msg := c.must("EPSV", 229)
	port := strings.Trim(msg[strings.Index(msg, "(|||")+4:], "|)\r\n")
	// Another loopback address is another host as far as the check goes.
	thief := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	stolen, err := thief.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatalf("dial as another address: %v", err)
	}
	defer stolen.Close()
	if _, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.2", port), time.Second); err == nil {
		t.Error("the passive port answers on an address the client did not connect to")
	}
	data, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	c.must("RETR secret.txt", 150)
	got, _ := io.ReadAll(data)
	c.expect(226)
	if string(got) != "alice's secret" {
		t.Fatalf("the client's own data connection got %q", got)
	}
	_ = stolen.SetReadDeadline(time.Now().Add(time.Second))
	if leaked, _ := io.ReadAll(stolen); len(leaked) > 0 {
		t.Fatalf("a connection from another address received %q", leaked)
	}
	for _, cmd := range []string{"PORT 127,0,0,1,4,1", "EPRT |1|127.0.0.1|1025|"} {
		if code, msg := c.send(cmd); code != 502 {
			t.Errorf("%s: want 502, got %d %q", cmd, code, msg)
		}
	}
}

// TestControlConnectionGuards: an endless command line and an idle
// connection are closed, and the server keeps serving.
func TestControlConnectionGuards(t *testing.T) {
	h := transfertest.New(t)
	h.PasswordUser("alice")
	s := startFTP(t, h, func(c *Options) { c.SessionIdleTimeout = 300 * time.Millisecond })
	patient := startFTP(t, h, nil) // the default idle timeout cannot end the flood

	flood := dialRaw(t, patient.Addr())
	chunk := bytes.Repeat([]byte("A"), 16<<10)
	var werr error
	for i := 0; i < 64 && werr == nil; i++ { // up to 1 MiB without a newline
		_, werr = flood.conn.Write(chunk)
	}
	_ = flood.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := flood.r.ReadString('\n')
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("an endless line did not close the connection (read: %v)", err)
	}

	idle := dialRaw(t, s.Addr())
	// The server ends the idle connection by itself: wait for it to hang
	// up (it may say why first) rather than for a fixed time.
	_ = idle.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, idle.r); errors.As(err, &ne) && ne.Timeout() {
		t.Error("an idle connection was still open 10s after the idle timeout")
	}
	if code, _ := idle.send("NOOP"); code == 200 {
		t.Error("an idle connection was still open after the idle timeout")
	}

	c := dialRaw(t, s.Addr())
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("a sign-in after the floods: %d %q", code, msg)
	}
}

// TestDeletedAPIKeyEndsSession: a session signed in with an API key ends
// at the next command once the key is deleted.
func TestDeletedAPIKeyEndsSession(t *testing.T) {
	h := transfertest.New(t)
	bob := h.SSOUser("bob")
	key := h.APIKey(bob)
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("bob", key); code != 230 {
		t.Fatalf("login with the API key: %d %q", code, msg)
	}
	c.must("MKD before", 257)
	keys, err := h.Store.ListAPIKeys(h.Ctx, h.Site.ID, store.KeyQuery{UserID: bob.ID, ListOptions: store.ListOptions{Limit: 10}})
	if err != nil || len(keys) != 1 {
		t.Fatalf("list keys: %v %v", keys, err)
	}
	if err := h.Store.DeleteAPIKey(h.Ctx, h.Site.ID, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if code, msg := c.send("MKD after"); code != 421 {
		t.Fatalf("command after the key was deleted: want 421, got %d %q", code, msg)
	}
}

// TestLDAPUserDirectoryPassword: an LDAP user signs in over FTPS with the
// directory password, which the directory checks; a wrong one is refused.
func TestLDAPUserDirectoryPassword(t *testing.T) {
	h := transfertest.NewLDAP(t)
	s := startFTP(t, h, nil)
	if out, err := lftp(t, s.Addr(), transfertest.LDAPUser, transfertest.LDAPPassword, true, t.TempDir(), "mkdir from-ldap", "cls -1"); err != nil || !strings.Contains(out, "from-ldap") {
		t.Fatalf("LDAP user over FTPS: %v\n%s", err, out)
	}
	c := dialRaw(t, s.Addr())
	if code, msg := c.login(transfertest.LDAPUser, "not the directory password"); code != 530 {
		t.Fatalf("wrong directory password: %d %q", code, msg)
	}
}

// TestChannelPermission: a user without ftp_permission (on them or a
// group) is refused, and told which permission is missing.
func TestChannelPermission(t *testing.T) {
	h := transfertest.New(t)
	dave := h.PasswordUser("dave")
	no := false
	if _, err := h.Svc.UpdateUser(h.Ctx, identity.SystemActor, h.Site.ID, dave.ID, identity.UserChange{FTPPermission: &no}, true); err != nil {
		t.Fatal(err)
	}
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("dave", transfertest.Password); code != 530 || !strings.Contains(msg, "ftp_permission") {
		t.Fatalf("user without ftp_permission: want 530 naming it, got %d %q", code, msg)
	}
}
