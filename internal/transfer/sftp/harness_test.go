package sftp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testpeer"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

const testPassword = "correct horse battery"

// harness is a real SFTP server over a real identity core and SQLite store,
// with OpenSSH's sftp as the client.
type harness struct {
	t          testing.TB
	ctx        context.Context
	st         store.Store
	id         *identity.Service
	site       store.Site
	storage    *vfs.Storage
	srv        *Server
	addr       *net.TCPAddr
	knownHosts string
	dir        string
}

type harnessOptions struct {
	idleTimeout time.Duration
	// noWatch leaves the server's watch of account changes off, so that
	// a test proves what the next request alone does.
	noWatch bool
	// directory, when set, makes the identity core check LDAP users'
	// passwords with it.
	directory func(store.Store, *identity.Options)
}

func requireOpenSSH(t testing.TB) {
	t.Helper()
	testpeer.LookPath(t, "Debian openssh-client", "sftp", "ssh-keygen")
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	requireOpenSSH(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dir := t.TempDir()
	st := teststore.Open(t)
	sealer := identitytest.Sealer(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	idOpts := identity.Options{Sealer: sealer, Logger: logger,
		PasswordHashing: identitytest.CheapHashing()}
	if o.directory != nil {
		o.directory(st, &idOpts)
	}
	id := identity.New(st, idOpts)
	site, err := id.EnsureDefaultSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storage, err := vfs.New(filepath.Join(dir, "files"), st)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Listen: "127.0.0.1:0", HostKeyDir: filepath.Join(dir, "keys"), SiteID: site.ID,
		Identity: id, Storage: storage, Logger: logger, IdleTimeout: o.idleTimeout})
	if err != nil {
		t.Fatal(err)
	}
	srv.noWatch = o.noWatch
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	// Serve returns nil once the test's context ends; anything else (a
	// listener that failed) would have refused the test's connections.
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("sftp server: %v", err)
		}
	})
	h := &harness{t: t, ctx: ctx, st: st, id: id, site: site, storage: storage, srv: srv,
		addr: ln.Addr().(*net.TCPAddr), dir: dir}
	var kh bytes.Buffer
	for _, k := range srv.HostKeys() {
		kh.WriteString("[127.0.0.1]:" + strconv.Itoa(h.addr.Port) + " " + string(ssh.MarshalAuthorizedKey(k)))
	}
	h.knownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(h.knownHosts, kh.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

func ptr[T any](v T) *T { return &v }

// passwordUser creates a password user who may use SFTP.
func (h *harness) passwordUser(name string) store.User {
	h.t.Helper()
	u, err := h.id.CreateUser(h.ctx, identity.SystemActor, h.site.ID, identity.UserChange{
		Username: ptr(name), AuthenticationMethod: ptr(store.AuthPassword), Password: ptr(testPassword),
		SFTPPermission: ptr(true)})
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// ssoUser creates a user signing in through a SAML provider.
func (h *harness) ssoUser(name string) store.User {
	return h.federatedUser(name, identity.ProtocolSAML, "okta")
}

// federatedUser creates a user of a new provider speaking protocol, who
// kept a password (testPassword) from before single sign-on.
func (h *harness) federatedUser(name, protocol, provider string) store.User {
	h.t.Helper()
	p := store.SSOStrategy{SiteID: h.site.ID, Protocol: protocol, Provider: provider, Enabled: true}
	if err := h.st.CreateSSOStrategy(h.ctx, &p); err != nil {
		h.t.Fatal(err)
	}
	u := store.User{SiteID: h.site.ID, Username: name, AuthenticationMethod: store.AuthSSO, SSOStrategyID: p.ID, SFTPPermission: true}
	if err := h.st.CreateUser(h.ctx, &u); err != nil {
		h.t.Fatal(err)
	}
	// The account keeps testPassword, as one moved to single sign-on keeps
	// the password it had: only a password that verifies is told that
	// this account signs in otherwise.
	u, err := h.id.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, u.ID, identity.UserChange{Password: ptr(testPassword)}, true)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// apiKey creates an API key for u and returns its secret.
func (h *harness) apiKey(u store.User) string {
	h.t.Helper()
	_, key, err := h.id.CreateAPIKey(h.ctx, identity.SystemActor, h.site.ID, identity.APIKeyChange{UserID: ptr(u.ID), Name: ptr("test")})
	if err != nil {
		h.t.Fatal(err)
	}
	return key
}

// addKey generates an ed25519 key with ssh-keygen, registers its public
// half for u and returns the private key file.
func (h *harness) addKey(u store.User) string {
	h.t.Helper()
	file := filepath.Join(h.dir, "id_"+u.Username)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file).CombinedOutput(); err != nil {
		h.t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(file + ".pub")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.id.CreatePublicKey(h.ctx, identity.SystemActor, h.site.ID, identity.PublicKeyChange{
		UserID: ptr(u.ID), Title: ptr("test"), PublicKey: ptr(strings.TrimSpace(string(pub)))}); err != nil {
		h.t.Fatal(err)
	}
	return file
}

// joinGroups makes u a plain member (reading, not writing) of new groups
// with these names.
func (h *harness) joinGroups(u store.User, names ...string) []store.Group {
	h.t.Helper()
	var out []store.Group
	for _, name := range names {
		g := store.Group{SiteID: h.site.ID, Name: name}
		if err := h.st.CreateGroup(h.ctx, &g); err != nil {
			h.t.Fatal(err)
		}
		if err := h.st.AddGroupUser(h.ctx, &store.GroupUser{SiteID: h.site.ID, GroupID: g.ID, UserID: u.ID}); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// auth says how sftp signs in.
type auth struct {
	key      string // private key file; empty for password
	password string
	method   string // "password" or "keyboard-interactive" when password is set
}

// sftpCommand builds an OpenSSH sftp invocation in batch mode.
func (h *harness) sftpCommand(user string, a auth, extra ...string) *exec.Cmd {
	args := []string{"-P", strconv.Itoa(h.addr.Port),
		"-o", "UserKnownHostsFile=" + h.knownHosts, "-o", "StrictHostKeyChecking=yes",
		"-o", "GlobalKnownHostsFile=/dev/null", "-F", "/dev/null", "-o", "ConnectTimeout=10"}
	env := os.Environ()
	if a.key != "" {
		args = append(args, "-o", "IdentityFile="+a.key, "-o", "IdentitiesOnly=yes", "-o", "PreferredAuthentications=publickey")
	} else {
		askpass := filepath.Join(h.dir, "askpass-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		if err := os.WriteFile(askpass, []byte("#!/bin/sh\nprintf '%s\\n' '"+a.password+"'\n"), 0o700); err != nil {
			h.t.Fatal(err)
		}
		method := a.method
		if method == "" {
			method = "password"
		}
		args = append(args, "-o", "BatchMode=no", "-o", "PreferredAuthentications="+method,
			"-o", "NumberOfPasswordPrompts=1", "-o", "IdentityFile=/dev/null")
		env = append(env, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	}
	args = append(args, extra...)
	args = append(args, user+"@127.0.0.1")
	cmd := exec.Command("sftp", args...)
	cmd.Env = env
	return cmd
}

// run runs a batch of sftp commands in dir and returns the combined output.
func (h *harness) run(user string, a auth, workDir, batch string) (string, error) {
	h.t.Helper()
	bf := filepath.Join(h.dir, "batch-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := os.WriteFile(bf, []byte(batch), 0o600); err != nil {
		h.t.Fatal(err)
	}
	cmd := h.sftpCommand(user, a, "-b", bf)
	cmd.Dir = workDir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// home is where u's files are on disk, for checks only.
func (h *harness) home(u store.User) string {
	return filepath.Join(h.storage.Root(), "site-"+strconv.FormatInt(h.site.ID, 10), "users", strconv.FormatInt(u.ID, 10))
}
