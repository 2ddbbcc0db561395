package ftp

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// fuzzReplyTimeout is how long the fuzz client waits for a reply; the
// server answers a command on loopback in milliseconds, so a command
// without a reply in this time never gets one.
const fuzzReplyTimeout = 5 * time.Second

// fuzzMaxCommands bounds one session.
const fuzzMaxCommands = 16

// FuzzCommands drives a real FTP server on loopback with a raw control
// connection: after USER and PASS (an API key) when signIn is set, each
// line of script is one command. The client behaves as a real one does:
// it connects to every passive port announced (and at once ends its side,
// so uploads end), and it switches to TLS after 234. Every command must
// get one well-formed final reply (three digits, multi-line replies
// closed), nothing may go unanswered, and the session must still answer
// NOOP at the end unless the client ended it or the server said why it
// closed (221, 421). Whatever the commands, nothing outside alice's home
// changes: not bob's home, not the group folder she only reads, and no
// file outside the storage; and the server logs no crashed handler.
func FuzzCommands(f *testing.F) {
	h := transfertest.New(f)
	alice, bob := h.PasswordUser("alice"), h.PasswordUser("bob")
	g := h.Group("Eng", bob)
	if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: g.ID, UserID: alice.ID}); err != nil {
		f.Fatal(err)
	}
	writeFile(f, h, userFS(f, h, bob), "/mine.txt", []byte("bob's"))
	writeFile(f, h, userFS(f, h, bob), "/groups/Eng/plan.txt", []byte("the plan"))
	outside := filepath.Join(h.Storage.Root(), "..", "outside.txt")
	if err := os.WriteFile(outside, []byte("outside"), 0o600); err != nil {
		f.Fatal(err)
	}
	s := startFTP(f, h, func(c *Options) { c.IdleTimeout = 2 * time.Second })
	fx := &ftpFixture{h: h, alice: alice, addr: s.Addr(), key: h.APIKey(alice)}
	fx.resetHome(f)
	fx.others = fx.othersState(f)

	for _, seed := range []struct {
		signIn bool
		script string
	}{
		{true, "PWD\nCWD docs\nPWD\nCDUP\nLIST\nNLST docs\nMLSD\nMLST doc.txt\nSIZE doc.txt\nMDTM doc.txt\nSTAT"},
		{true, "PASV\nLIST\nEPSV\nRETR doc.txt\nEPSV\nNLST"},
		{true, "EPSV\nSTOR up.txt\nEPSV\nAPPE up.txt\nREST 3\nEPSV\nRETR doc.txt\nREST 999\nEPSV\nRETR doc.txt"},
		{true, "RNFR doc.txt\nRNTO renamed.txt\nMKD new\nRMD new\nDELE renamed.txt\nXMKD x\nXRMD x"},
		{true, "CWD ../../..\nPWD\nRETR ../../outside.txt\nCWD /groups/Eng\nEPSV\nSTOR hack.txt\nDELE plan.txt\nRNFR plan.txt\nRNTO /stolen.txt"},
		{true, "CWD /users/bob\nEPSV\nRETR /users/bob/mine.txt\nDELE /users/bob/mine.txt\nMKD /groups/new\nRNFR /groups/Eng\nRNTO /mine"},
		{true, "PORT 127,0,0,1,4,1\nEPRT |1|127.0.0.1|1025|\nLPRT 4,4,127,0,0,1,2,4,1"},
		{true, "TYPE I\nTYPE A\nMODE S\nSTRU F\nALLO 10\nFEAT\nSYST\nOPTS UTF8 ON\nCLNT lftp\nNOOP\nHELP\nSITE CHMOD 777 doc.txt"},
		{true, "AUTH TLS\nPBSZ 0\nPROT P\nEPSV\nLIST\nPWD"},
		{true, "USER bob\nPASS wrong\nPWD\nLIST"},
		{true, "REST x\nREST -5\nRETR\nSTOR\nCWD\nMKD\nRNTO x\nDELE\nSIZE /\nMDTM nothing"},
		{true, "QUIT"},
		{false, "USER alice\nPASS wrong\nPASS again\nLIST"},
		{false, "PWD\nLIST\nRETR doc.txt\nEPSV\nFEAT\nAUTH SSL\nAUTH TLS\nUSER alice"},
		{false, "USER \nPASS \nUSER alice\n"},
		{true, "CWD " + strings.Repeat("a/", 200) + "\nMKD " + strings.Repeat("n", 300) + "\nCWD \x00\nMKD a\x00b"},
	} {
		f.Add(seed.signIn, []byte(seed.script))
	}
	f.Fuzz(func(t *testing.T, signIn bool, script []byte) {
		defer fx.resetHome(t)
		defer fx.unlock(t, alice, bob) // wrong passwords lock the sign-in of the next session out
		logged := len(h.Logs.String())
		fx.session(t, signIn, script)
		if after := fx.othersState(t); after != fx.others {
			t.Fatalf("the commands changed files outside alice's home:\nbefore %s\nafter  %s", fx.others, after)
		}
		if logs := h.Logs.String()[logged:]; strings.Contains(logs, "crashed") || strings.Contains(logs, "panic") {
			t.Fatalf("the server logged a crash:\n%s", logs)
		}
	})
}

// ftpFixture is the server and what every session starts from.
type ftpFixture struct {
	h      *transfertest.Harness
	alice  store.User
	addr   string
	key    string
	others string
}

// ftpClient is one fuzz session's control connection.
type ftpClient struct {
	t    *testing.T
	addr string
	conn net.Conn
	r    *bufio.Reader
	tls  bool
	data sync.WaitGroup
}

// session runs one script; it ends when the script does or when the
// server has rightly closed the connection.
func (fx *ftpFixture) session(t *testing.T, signIn bool, script []byte) {
	conn, err := net.Dial("tcp", fx.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &ftpClient{t: t, addr: fx.addr, conn: conn, r: bufio.NewReader(conn)}
	defer func() {
		_ = c.conn.Close()
		c.data.Wait()
	}()
	if code, reply := c.reply("the greeting"); code != 220 {
		t.Fatalf("greeting %d %q", code, reply)
	}
	if signIn {
		if code, reply := c.command("USER alice"); code != 331 {
			t.Fatalf("USER: %d %q", code, reply)
		}
		if code, reply := c.command("PASS " + fx.key); code != 230 {
			t.Fatalf("PASS: %d %q", code, reply)
		}
	}
	lines := strings.Split(string(script), "\n")
	for i, line := range lines {
		if i == fuzzMaxCommands {
			break
		}
		if i == len(lines)-1 && line == "" {
			break // the script's final newline
		}
		code, reply := c.command(line)
		switch {
		case code == 221 || code == 421:
			return // the server ends the session and says so
		case code == 234:
			c.startTLS()
		case code == 227 || code == 229:
			c.openData(reply)
		}
	}
	if code, reply := c.command("NOOP"); code != 200 {
		t.Fatalf("after the script, NOOP got %d %q: the session is out of step", code, reply)
	}
}

// command sends one line and reads its final reply.
func (c *ftpClient) command(line string) (int, string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("sending %q: the server closed the connection unasked: %v", line, err)
	}
	return c.reply(fmt.Sprintf("%q", line))
}

// reply reads one final reply (after any 1xx preliminary ones) and checks
// its form (RFC 959 §4.2).
func (c *ftpClient) reply(what string) (int, string) {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(fuzzReplyTimeout))
		first, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("no reply to %s (read: %v, got %q)", what, err, first)
		}
		code, sep, ok := replyCode(first)
		if !ok {
			c.t.Fatalf("the reply to %s is not an FTP reply: %q", what, first)
		}
		all := first
		for sep == '-' {
			line, err := c.r.ReadString('\n')
			if err != nil {
				c.t.Fatalf("the multi-line reply to %s never ends: %q (%v)", what, all, err)
			}
			all += line
			if n, s, ok := replyCode(line); ok && n == code && s == ' ' {
				break
			}
		}
		if code >= 200 {
			return code, all
		}
	}
}

// replyCode reads "ddd " or "ddd-" at the start of a reply line. A
// single-line reply, and the last line of a multi-line one, ends in CRLF;
// the library ends the other lines of its multi-line replies (FEAT, MLST,
// STAT) with a bare LF, which every client reads, so that is let pass.
func replyCode(line string) (int, byte, bool) {
	if len(line) < 5 || (line[3] != ' ' && line[3] != '-') || (line[3] == ' ' && !strings.HasSuffix(line, "\r\n")) {
		return 0, 0, false
	}
	n, err := strconv.Atoi(line[:3])
	if err != nil || n < 100 || n > 599 {
		return 0, 0, false
	}
	return n, line[3], true
}

// startTLS switches the control connection to TLS after 234.
func (c *ftpClient) startTLS() {
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true}) // the test's self-signed certificate
	_ = tc.SetDeadline(time.Now().Add(fuzzReplyTimeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS after 234: %v", err)
	}
	_ = tc.SetDeadline(time.Time{})
	c.conn, c.r, c.tls = tc, bufio.NewReader(tc), true
}

// openData connects to the passive port a 227 or 229 reply announces,
// ends its own side at once and reads what the server sends.
func (c *ftpClient) openData(reply string) {
	host, _, _ := net.SplitHostPort(c.addr)
	var port int
	if i := strings.Index(reply, "(|||"); i >= 0 {
		port, _ = strconv.Atoi(strings.TrimRight(reply[i+4:], "|)\r\n. "))
	} else if i := strings.Index(reply, "("); i >= 0 {
		parts := strings.Split(strings.TrimRight(reply[i+1:], ")\r\n. "), ",")
		if len(parts) == 6 {
			p1, _ := strconv.Atoi(parts[4])
			p2, _ := strconv.Atoi(parts[5])
			port = p1*256 + p2
		}
	}
	if port <= 0 || port > 65535 {
		c.t.Fatalf("a passive reply without a port: %q", reply)
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), fuzzReplyTimeout)
	if err != nil {
		c.t.Fatalf("the announced passive port does not answer: %v", err)
	}
	useTLS := c.tls
	c.data.Add(1)
	go func() {
		defer c.data.Done()
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * fuzzReplyTimeout))
		var data io.ReadWriter = conn
		if useTLS {
			tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
			if tc.Handshake() != nil {
				return
			}
			_ = tc.CloseWrite()
			data = tc
		} else {
			_ = conn.(*net.TCPConn).CloseWrite()
		}
		_, _ = io.Copy(io.Discard, data)
	}()
}

// unlock clears the users' failed sign-ins.
func (fx *ftpFixture) unlock(t *testing.T, users ...store.User) {
	for _, u := range users {
		if _, err := fx.h.Store.UpdateUser(fx.h.Ctx, fx.h.Site.ID, u.ID, func(u *store.User) error {
			u.FailedLogins, u.FailedLoginsSince, u.LockoutExpires = 0, time.Time{}, time.Time{}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// resetHome puts alice's home back as every session starts with it.
func (fx *ftpFixture) resetHome(t testing.TB) {
	home := fx.home()
	if _, err := os.Stat(home); err == nil {
		entries, err := os.ReadDir(home)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(home, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	fsys := userFS(t, fx.h, fx.alice)
	if err := fsys.Mkdir(fx.h.Ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, fx.h, fsys, "/doc.txt", []byte("alice's document"))
	writeFile(t, fx.h, fsys, "/docs/a.txt", []byte("a"))
}

// home is alice's home folder on disk.
func (fx *ftpFixture) home() string {
	return filepath.Join(fx.h.Storage.Root(), "site-"+strconv.FormatInt(fx.h.Site.ID, 10), "users", strconv.FormatInt(fx.alice.ID, 10))
}

// othersState is every file outside alice's home: the rest of the
// storage and the folder around it.
func (fx *ftpFixture) othersState(t testing.TB) string {
	var b strings.Builder
	root := filepath.Dir(fx.h.Storage.Root())
	home := fx.home()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == home {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(p) == ".db" || strings.Contains(p, ".db-") || strings.HasSuffix(p, ".crt") || strings.HasSuffix(p, ".key") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(&b, "%s %x\n", rel, sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
