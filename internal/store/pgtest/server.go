// Package pgtest runs a real PostgreSQL server for tests: initdb into a
// temporary directory, postgres on a loopback port, one fresh database per
// test, and everything removed at the end.
//
// A test package shares one server:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.Database(t) // a new, empty database
//		…
//	}
//
// When PostgreSQL is not installed the test is skipped, or fails when the
// environment sets GATEHOUSE_REQUIRE_PEERS=1 (see package testpeer).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// ErrNotInstalled says the PostgreSQL server binaries were not found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin or on PATH; install the Debian package postgresql")

// Server is one running PostgreSQL server owned by the test process.
type Server struct {
	dir   string // temporary directory: data/, the socket, the log
	port  int
	proc  *testpeer.Process
	admin *sql.DB // connection to the postgres database, for CREATE DATABASE
}

// StartServer initialises and starts a server. Stop it with Stop.
func StartServer() (*Server, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gatehouse-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if cred != nil {
		// The server runs as the postgres user, which must own its files;
		// the directory sits directly under the system temp directory so
		// that every path above it is traversable by that user.
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	s := &Server{dir: dir}
	if err := s.initdb(bin, cred); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	var lastErr error
	for range 3 { // a free port may be taken between choosing and binding it
		if lastErr = s.start(bin, cred); lastErr == nil {
			return s, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

// findBinaries returns the directory holding initdb and postgres, the
// newest Debian version first, else whatever PATH offers.
func findBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	initdb, err1 := exec.LookPath("initdb")
	_, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return filepath.Dir(initdb), nil
	}
	return "", ErrNotInstalled
}

// version reads the major version out of /usr/lib/postgresql/<v>/bin.
func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// serverCredential is who the server runs as: the postgres user when we
// are root (initdb and postgres refuse to run as root), else ourselves.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs a postgres user to run the server as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: postgres user has ids %q/%q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// command prepares a server binary to run as cred.
func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	cmd.Dir = os.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

func (s *Server) initdb(bin string, cred *syscall.Credential) error {
	cmd := command(cred, filepath.Join(bin, "initdb"), "-D", filepath.Join(s.dir, "data"),
		"-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	return nil
}

// start runs postgres on a free loopback port and waits until it answers.
func (s *Server) start(bin string, cred *syscall.Credential) error {
	port, err := testpeer.FreePort()
	if err != nil {
		return err
	}
	cmd := command(cred, filepath.Join(bin, "postgres"), "-D", filepath.Join(s.dir, "data"),
		"-k", s.dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=64MB")
	proc, err := testpeer.Start("postgres", cmd, filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	s.port, s.proc = port, proc
	admin, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		proc.Kill()
		return fmt.Errorf("pgtest: %w", err)
	}
	err = proc.WaitReady(30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return admin.PingContext(ctx) == nil
	})
	if err != nil {
		_ = admin.Close()
		return fmt.Errorf("pgtest: %w", err)
	}
	s.admin = admin
	return nil
}

// URL is the connection URL of a database on the server.
func (s *Server) URL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

// CreateDatabase creates a new, empty database with a random name and
// returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	name := "gatehouse_test_" + hex.EncodeToString(b[:])
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY"); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return s.URL(name), nil
}

// Stop shuts the server down (fast shutdown, then a kill if it lingers)
// and removes its directory.
func (s *Server) Stop() {
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if s.proc != nil {
		s.proc.Stop(syscall.SIGINT, 10*time.Second)
	}
	_ = os.RemoveAll(s.dir)
}
