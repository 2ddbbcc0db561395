package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// clockTicks is Linux's USER_HZ, the unit of the CPU times in
// /proc/<pid>/stat: 100 on every architecture Go supports.
const clockTicks = 100

// idleSettle is how long the sessions sit before the window is measured,
// so the sign-ins' own work (and the garbage it left) is not counted.
const idleSettle = 5 * time.Second

// idleSFTP opens o.idleSessions signed-in SFTP sessions to a server child
// process (SQLite, one user with an SSH key), sends nothing on them for
// o.idleWindow, and reports the server's CPU time over that window, as a
// share of one core, and its resident memory. The clients run in this
// process; only the server's CPU is counted.
func idleSFTP(ctx context.Context, o options) ([]result, error) {
	dir, err := os.MkdirTemp("", "gatehouse-bench-idle-sftp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// The base URL only satisfies the sign-in core while seeding; the
	// server records its own.
	c := config.Config{DataDir: dir, MasterKeyFile: filepath.Join(dir, "master.key"), LogLevel: "warn", LogFormat: "text",
		BaseURL: "http://127.0.0.1"}
	signer, err := seedSFTPUser(ctx, c, "idle")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := startServer(ctx, o.binary, "--data-dir", dir, "--sftp-listen", addr)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	if err := waitListening(addr); err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "sqlite: opening %d SFTP sessions…\n", o.idleSessions)
	clients, err := openSFTPSessions(addr, "idle", signer, o.idleSessions)
	defer func() {
		for _, cl := range clients {
			cl.close()
		}
	}()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "sqlite: %d sessions open; measuring the server for %s…\n", len(clients), o.idleWindow)
	time.Sleep(idleSettle)
	before, err := srv.cpuTicks()
	if err != nil {
		return nil, err
	}
	time.Sleep(o.idleWindow)
	after, err := srv.cpuTicks()
	if err != nil {
		return nil, err
	}
	rss, _, err := srv.memory()
	if err != nil {
		return nil, err
	}
	// Every session must still answer: an idle session that was closed
	// would cost nothing, and prove nothing.
	for _, cl := range clients {
		if _, err := cl.sftp.Getwd(); err != nil {
			return nil, fmt.Errorf("a session ended while idle: %w", err)
		}
	}
	share := float64(after-before) / clockTicks / o.idleWindow.Seconds() * 100
	label := fmt.Sprintf("%d idle SFTP sessions", o.idleSessions)
	return []result{
		{"sqlite", label + fmt.Sprintf(": server CPU over %s", o.idleWindow), fmt.Sprintf("%.2f %% of a core", share), "< 0.5 %"},
		{"sqlite", label + ": server resident memory", mib(rss), "< 300 MB"},
	}, nil
}

// seedSFTPUser creates a user who may use SFTP, with a new SSH key, and
// returns the key.
func seedSFTPUser(ctx context.Context, c config.Config, username string) (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	a, err := app.Open(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	defer a.Close()
	yes, method, password := true, store.AuthPassword, "an idle benchmark password 1"
	u, err := a.Identity.CreateUser(ctx, identity.SystemActor, a.Site.ID, identity.UserChange{Username: &username,
		AuthenticationMethod: &method, Password: &password, SFTPPermission: &yes})
	if err != nil {
		return nil, err
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	title := "bench"
	if _, err := a.Identity.CreatePublicKey(ctx, identity.SystemActor, a.Site.ID, identity.PublicKeyChange{
		UserID: &u.ID, Title: &title, PublicKey: &pub}); err != nil {
		return nil, err
	}
	return signer, nil
}

// waitListening waits until the SFTP listener accepts.
func waitListening(addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the SFTP listener on %s did not answer: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type sftpSession struct {
	ssh  *ssh.Client
	sftp *pkgsftp.Client
}

func (s sftpSession) close() {
	s.sftp.Close()
	s.ssh.Close()
}

// openSFTPSessions signs n sessions in, a few at a time, each with its
// sftp subsystem started and one request answered.
func openSFTPSessions(addr, user string, signer ssh.Signer, n int) ([]sftpSession, error) {
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second}
	var (
		mu       sync.Mutex
		out      []sftpSession
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for range next {
				s, err := openSFTPSession(addr, cfg)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					out = append(out, s)
				}
				mu.Unlock()
			}
		})
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	return out, firstErr
}

func openSFTPSession(addr string, cfg *ssh.ClientConfig) (sftpSession, error) {
	conn, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return sftpSession{}, err
	}
	cl, err := pkgsftp.NewClient(conn)
	if err != nil {
		conn.Close()
		return sftpSession{}, err
	}
	if _, err := cl.ReadDir("/"); err != nil {
		cl.Close()
		conn.Close()
		return sftpSession{}, err
	}
	return sftpSession{ssh: conn, sftp: cl}, nil
}

// cpuTicks is the server's user and system CPU time so far, in
// clockTicks.
func (s *server) cpuTicks() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// from after it. utime and stime are fields 14 and 15.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat: %q", b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc stat: %q", b)
	}
	return utime + stime, nil
}
