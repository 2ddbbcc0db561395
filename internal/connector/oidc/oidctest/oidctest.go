// Package oidctest runs the OpenID provider the tests sign in against: the
// npm oidc-provider package (a certified OpenID Connect implementation)
// driven by ../testdata/provider/server.js, on a loopback port, with an
// issuer shaped like Microsoft Entra ID's (http://127.0.0.1:PORT/{tenant}/v2.0)
// and Entra-like claims. Tests drive the real authorization-code flow over
// HTTP with Login, and forge tokens with the provider's own signing key to
// test refusals. A missing peer skips the test, or fails it when
// GATEHOUSE_REQUIRE_PEERS=1.
package oidctest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/testpeer"
)

var (
	peerOnce    sync.Once
	peerMissing string
)

// Dir is the folder of server.js and its node_modules, next to this
// package's source.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "provider")
}

// RequirePeer skips the test when node or the npm oidc-provider package is
// missing, or fails it when GATEHOUSE_REQUIRE_PEERS=1.
func RequirePeer(t testing.TB) {
	t.Helper()
	peerOnce.Do(func() {
		if _, err := exec.LookPath("node"); err != nil {
			peerMissing = "node not installed"
			return
		}
		if _, err := os.Stat(filepath.Join(Dir(), "node_modules", "oidc-provider", "package.json")); err != nil {
			peerMissing = "npm oidc-provider not installed (npm ci in internal/connector/oidc/testdata/provider)"
		}
	})
	if peerMissing != "" {
		testpeer.Missing(t, "OpenID provider: %s", peerMissing)
	}
}

// Account is one person the provider can sign in, with Entra-like claims.
// The map key of Options.Accounts is the login (and sub unless Sub is set).
type Account struct {
	Sub               string   `json:"sub,omitempty"`
	OID               string   `json:"oid,omitempty"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	UPN               string   `json:"upn,omitempty"`
	Email             string   `json:"email,omitempty"`
	Name              string   `json:"name,omitempty"`
	GivenName         string   `json:"given_name,omitempty"`
	FamilyName        string   `json:"family_name,omitempty"`
	Groups            []string `json:"groups,omitempty"`
	// Overage sends Entra's groups overage form (_claim_names/_claim_sources)
	// instead of groups.
	Overage bool `json:"overage,omitempty"`
}

// Client is an application registered at the provider.
type Client struct {
	ID           string   `json:"client_id"`
	Secret       string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
}

// Options configure a provider.
type Options struct {
	// TenantID is the tid of every token and the issuer's path; a fresh
	// GUID when empty.
	TenantID string
	Clients  []Client
	Accounts map[string]Account
}

// Server is a running provider.
type Server struct {
	// Issuer is http://127.0.0.1:PORT/{tenant}/v2.0.
	Issuer string
	// TenantID is the tid the provider's tokens carry.
	TenantID string
	// BaseURL is http://127.0.0.1:PORT, the authority for an Entra provider setting.
	BaseURL string

	t       testing.TB
	port    int
	dir     string
	opts    Options
	mu      sync.Mutex
	keys    []*Key
	proc    *testpeer.Process
	stdin   io.WriteCloser
	control *http.Client
}

// Key is a signing key of the provider, private half included so tests can
// forge tokens the provider would have signed.
type Key struct {
	ID      string
	Private *rsa.PrivateKey
}

// NewKey makes a 2048-bit RSA signing key with a random kid.
func NewKey(t testing.TB) *Key {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{ID: "k-" + rand.Text()[:12], Private: priv}
}

// NewGUID returns a random GUID, as Entra's tenant and object ids are.
func NewGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Start runs a provider for the test and stops it on cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	RequirePeer(t)
	if opts.TenantID == "" {
		opts.TenantID = NewGUID()
	}
	s := &Server{t: t, TenantID: opts.TenantID, dir: t.TempDir(), opts: opts, keys: []*Key{NewKey(t)},
		control: &http.Client{Timeout: 10 * time.Second}}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// SigningKey is the key the provider signs with now.
func (s *Server) SigningKey() *Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[0]
}

// RotateKeys restarts the provider on the same port signing with keys[0]
// and publishing all of keys in its JWKS. Sessions and codes are lost.
func (s *Server) RotateKeys(keys ...*Key) {
	s.t.Helper()
	s.stop()
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
	s.start()
}

// SetAccounts replaces the accounts the provider can sign in.
func (s *Server) SetAccounts(accounts map[string]Account) {
	s.t.Helper()
	s.opts.Accounts = accounts
	s.post("/control/accounts", accounts)
}

// NextIDToken makes the next token response carry raw instead of the ID
// token the provider issued, so a forged token goes through a real
// code redemption.
func (s *Server) NextIDToken(raw string) {
	s.t.Helper()
	s.post("/control/next-id-token", map[string]string{"id_token": raw})
}

func (s *Server) post(path string, body any) {
	s.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := s.control.Post(s.BaseURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatalf("oidc provider %s: %v", path, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		s.t.Fatalf("oidc provider %s: %s", path, resp.Status)
	}
}

// start runs server.js and waits for the line naming its port.
func (s *Server) start() {
	s.t.Helper()
	s.mu.Lock()
	keys := make([]json.RawMessage, 0, len(s.keys))
	for _, k := range s.keys {
		b, err := jose.JSONWebKey{Key: k.Private, KeyID: k.ID, Algorithm: "RS256", Use: "sig"}.MarshalJSON()
		if err != nil {
			s.mu.Unlock()
			s.t.Fatal(err)
		}
		keys = append(keys, b)
	}
	s.mu.Unlock()
	clients := s.opts.Clients
	if clients == nil {
		clients = []Client{}
	}
	accounts := s.opts.Accounts
	if accounts == nil {
		accounts = map[string]Account{}
	}
	cfg, err := json.Marshal(map[string]any{
		"tenant": s.TenantID, "port": s.port, "keys": keys, "clients": clients, "accounts": accounts,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	cfgPath := filepath.Join(s.dir, "provider.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		s.t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ { // a restart may find the port still closing
		if lastErr = s.spawn(cfgPath); lastErr == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("oidc provider did not start: %v", lastErr)
}

func (s *Server) spawn(cfgPath string) error {
	cmd := exec.Command("node", "--no-deprecation", filepath.Join(Dir(), "server.js"), cfgPath)
	cmd.Dir = Dir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	// stderr goes to the log, whose end the test shows when it fails.
	proc, err := testpeer.Start("oidc provider", cmd, filepath.Join(s.dir, "provider.log"))
	if err != nil {
		return err
	}
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		l, _ := r.ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, r)
	}()
	var ready struct {
		Port   int    `json:"port"`
		Issuer string `json:"issuer"`
	}
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), &ready); err != nil || ready.Port == 0 {
			proc.Kill()
			return fmt.Errorf("server.js: %q: %s", l, proc.Tail())
		}
	case <-time.After(30 * time.Second):
		proc.Kill()
		return fmt.Errorf("server.js did not start in 30s: %s", proc.Tail())
	}
	s.mu.Lock()
	s.proc, s.stdin = proc, stdin
	s.port = ready.Port
	s.Issuer = ready.Issuer
	s.BaseURL = fmt.Sprintf("http://127.0.0.1:%d", ready.Port)
	s.mu.Unlock()
	return nil
}

// stop ends the provider and waits for it; the end of its log goes to the
// test log when the test failed.
func (s *Server) stop() {
	s.mu.Lock()
	proc, stdin := s.proc, s.stdin
	s.proc = nil
	s.mu.Unlock()
	if proc == nil {
		return
	}
	_ = stdin.Close()
	proc.Stop(syscall.SIGINT, 5*time.Second)
	if tail := proc.Tail(); s.t.Failed() && tail != "" {
		s.t.Logf("oidc provider log (end):\n%s", tail)
	}
}
