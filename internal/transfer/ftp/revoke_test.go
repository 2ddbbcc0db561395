package ftp

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// heldLFTP is one lftp process kept open across a test's steps: it reads
// its commands from a pipe, so its control connection stays signed in
// while the test changes the account between two commands.
type heldLFTP struct {
	t     *testing.T
	stdin io.WriteCloser
	out   *transfertest.Buffer
	done  chan struct{}
	marks int
	seen  int // bytes of out already returned
}

// openLFTP starts lftp signed in to addr as user with secret, over FTPS.
// Listings are not cached, so every cls asks the server.
func openLFTP(t *testing.T, addr, user, secret, dir string) *heldLFTP {
	t.Helper()
	requireClient(t, "lftp")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, "lftp")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	l := &heldLFTP{t: t, stdin: stdin, out: &transfertest.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = l.out, l.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(l.done) }()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-l.done:
		case <-time.After(5 * time.Second):
		}
		cancel()
	})
	_, err = fmt.Fprintf(stdin, "set cmd:fail-exit no\nset net:max-retries 1\nset net:timeout 10\nset net:reconnect-interval-base 1\n"+
		"set cache:enable no\nset xfer:clobber yes\nset ftp:ssl-force yes\nset ftp:ssl-protect-data yes\nset ssl:verify-certificate no\n"+
		"open ftp://%s\nuser %s %s\n", addr, quote(user), quote(secret))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// run sends commands and returns what lftp printed for them, once it has
// run them all.
func (l *heldLFTP) run(commands ...string) string {
	l.t.Helper()
	l.marks++
	mark := fmt.Sprintf("--- step %d done ---", l.marks)
	if _, err := io.WriteString(l.stdin, strings.Join(commands, "\n")+"\necho '"+mark+"'\n"); err != nil {
		l.t.Fatalf("lftp exited: %v\n%s", err, l.out.String())
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		all := l.out.String()
		if i := strings.Index(all[l.seen:], mark); i >= 0 {
			got := all[l.seen : l.seen+i]
			l.seen += i + len(mark)
			return got
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("lftp did not finish %q:\n%s", commands, all)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signedIn starts a raw control connection signed in as user.
func signedIn(t *testing.T, addr, user, secret string) *rawFTP {
	t.Helper()
	c := dialRaw(t, addr)
	if code, msg := c.login(user, secret); code != 230 {
		t.Fatalf("sign-in of %s: %d %q", user, code, msg)
	}
	return c
}

// expectSignedOut: the connection's next command is answered 421 with
// want in the message, and the connection is closed.
func expectSignedOut(t *testing.T, c *rawFTP, cmd, want string) {
	t.Helper()
	code, msg := c.send(cmd)
	if code != 421 || !strings.Contains(msg, want) {
		t.Fatalf("%s after the change: want 421 naming %q, got %d %q", cmd, want, code, msg)
	}
	if code, msg := c.send("PWD"); code != 0 {
		t.Fatalf("the connection stayed open after 421: %d %q", code, msg)
	}
}

func update(t *testing.T, h *transfertest.Harness, u store.User, c identity.UserChange) {
	t.Helper()
	if _, err := h.Svc.UpdateUser(h.Ctx, identity.SystemActor, h.Site.ID, u.ID, c, true); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// listed reports whether a cls -1 output has an entry named name (cls
// prints the path as given, folders with a trailing slash).
func listed(out, name string) bool {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSuffix(strings.TrimSpace(line), "/")
		if line == name || strings.HasSuffix(line, "/"+name) && !strings.Contains(line, " ") {
			return true
		}
	}
	return false
}

// TestOpenConnectionFollowsAdminRights: a site admin demoted while lftp
// holds a connection open no longer reaches other users' homes at the
// next command, for reading or for writing.
func TestOpenConnectionFollowsAdminRights(t *testing.T) {
	h := transfertest.New(t)
	root, other := h.PasswordUser("root"), h.PasswordUser("other")
	h.PasswordUser("keeper") // another admin, so root may be demoted
	update(t, h, root, identity.UserChange{SiteAdmin: ptr(true)})
	writeFile(t, h, userFS(t, h, other), "/secret.txt", []byte("other's"))
	s := startFTP(t, h, nil)
	local := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "plant.txt"), []byte("planted"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := openLFTP(t, s.Addr(), "root", transfertest.Password, local)
	if out := l.run("cls -1 /users/other"); !listed(out, "secret.txt") {
		t.Fatalf("the admin does not see other's home before the change:\n%s", out)
	}
	raw := signedIn(t, s.Addr(), "root", transfertest.Password)
	raw.must("CWD /users/other", 250)

	update(t, h, root, identity.UserChange{SiteAdmin: ptr(false)})

	out := l.run("cls -1 /users/other", "put plant.txt -o /users/other/plant.txt", "get /users/other/secret.txt -o got.txt", "cls -1 /")
	if listed(out, "secret.txt") || listed(out, "users") {
		t.Errorf("the demoted admin still lists other's home, or /users:\n%s", out)
	}
	if _, err := userFS(t, h, other).Stat(h.Ctx, "/plant.txt"); err == nil {
		t.Error("the demoted admin still wrote into other's home")
	}
	if _, err := os.Stat(filepath.Join(local, "got.txt")); err == nil {
		t.Error("the demoted admin still downloaded from other's home")
	}
	raw.must("PASV", 227) // so that RETR is refused for what it asks, not for want of a data connection
	if code, msg := raw.send("RETR secret.txt"); code < 500 {
		t.Errorf("RETR in other's home (the working folder from before the change): %d %q", code, msg)
	}
	if code, msg := raw.send("SIZE /users/other/secret.txt"); code < 400 {
		t.Errorf("SIZE in other's home: want a refusal, got %d %q", code, msg)
	}
}

// TestOpenConnectionFollowsGroups: taking a member out of a group makes
// /groups/<name> disappear at the next command, and taking away group
// admin makes the folder read-only at the next command.
func TestOpenConnectionFollowsGroups(t *testing.T) {
	h := transfertest.New(t)
	alice, admin := h.PasswordUser("alice"), h.PasswordUser("admin")
	update(t, h, admin, identity.UserChange{SiteAdmin: ptr(true)})
	eng, ops := h.Group("eng", alice), h.Group("ops", alice)
	s := startFTP(t, h, nil)
	local := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "note.txt"), []byte("note"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := openLFTP(t, s.Addr(), "alice", transfertest.Password, local)
	if out := l.run("cls -1 /groups", "put note.txt -o /groups/ops/before.txt"); !listed(out, "eng") || !listed(out, "ops") {
		t.Fatalf("alice does not see her groups before the change:\n%s", out)
	}

	if err := h.Svc.RemoveGroupUser(h.Ctx, identity.SystemActor, h.Site.ID, eng.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Svc.UpdateGroupUser(h.Ctx, identity.SystemActor, h.Site.ID, ops.ID, alice.ID, false); err != nil {
		t.Fatal(err)
	}

	out := l.run("cls -1 /groups", "cls -1 /groups/eng", "put note.txt -o /groups/ops/after.txt", "cls -1 /groups/ops")
	if listed(out, "eng") || !strings.Contains(out, "Access failed") {
		t.Errorf("/groups/eng is still there after alice left eng:\n%s", out)
	}
	if !listed(out, "before.txt") {
		t.Errorf("ops is no longer readable to its member:\n%s", out)
	}
	if _, err := userFS(t, h, admin).Stat(h.Ctx, "/groups/ops/after.txt"); err == nil {
		t.Error("alice still wrote to ops after losing group admin")
	}
}

// TestOpenConnectionEndsWithChannelPermission: ftp_permission taken away
// (from the user, or from the group that granted it) ends the connection
// at its next command, naming the permission.
func TestOpenConnectionEndsWithChannelPermission(t *testing.T) {
	h := transfertest.New(t)
	alice, bob := h.PasswordUser("alice"), h.PasswordUser("bob")
	update(t, h, bob, identity.UserChange{FTPPermission: ptr(false)})
	g := store.Group{SiteID: h.Site.ID, Name: "ftp-users", FTPPermission: true}
	if err := h.Store.CreateGroup(h.Ctx, &g); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: g.ID, UserID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	s := startFTP(t, h, nil)
	a, b := signedIn(t, s.Addr(), "alice", transfertest.Password), signedIn(t, s.Addr(), "bob", transfertest.Password)

	update(t, h, alice, identity.UserChange{FTPPermission: ptr(false)})
	if _, err := h.Store.UpdateGroup(h.Ctx, h.Site.ID, g.ID, func(g *store.Group) error { g.FTPPermission = false; return nil }); err != nil {
		t.Fatal(err)
	}

	expectSignedOut(t, a, "PWD", "ftp_permission")
	expectSignedOut(t, b, "NOOP", "ftp_permission")
}

// TestPasswordChangeEndsPasswordConnections: a password changed after a
// connection signed in with the old one ends it at its next command (with
// lftp and a raw connection); a connection that signed in with an API key
// goes on, and so does one whose user a wrong-password lockout hits.
func TestPasswordChangeEndsPasswordConnections(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	key := h.APIKey(alice)
	bob := h.PasswordUser("bob")
	s := startFTP(t, h, nil)
	local := t.TempDir()
	withPassword := openLFTP(t, s.Addr(), "alice", transfertest.Password, local)
	withKey := openLFTP(t, s.Addr(), "alice", key, local)
	for i, l := range []*heldLFTP{withPassword, withKey} {
		if out := l.run(fmt.Sprint("mkdir before-", i)); strings.Contains(out, "Fatal") || strings.Contains(out, "fail") {
			t.Fatalf("before the change:\n%s", out)
		}
	}
	raw := signedIn(t, s.Addr(), "alice", transfertest.Password)
	locked := signedIn(t, s.Addr(), "bob", transfertest.Password)

	update(t, h, alice, identity.UserChange{Password: ptr("a brand new password 42")})
	if _, err := h.Store.UpdateUser(h.Ctx, h.Site.ID, bob.ID, func(u *store.User) error {
		u.LockoutExpires = time.Now().Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	expectSignedOut(t, raw, "PWD", "password was changed")
	out := withPassword.run("mkdir after-password")
	if _, err := userFS(t, h, alice).Stat(h.Ctx, "/after-password"); err == nil {
		t.Fatalf("lftp's password connection still worked after the password changed:\n%s", out)
	}
	if out := withKey.run("mkdir after-key", "cls -1 /"); !strings.Contains(out, "after-key") {
		t.Fatalf("the API-key connection did not survive the password change:\n%s", out)
	}
	locked.must("MKD still-here", 257)
}

// TestExpiredAPIKeyEndsConnection: the key a connection signed in with is
// checked at every command, so its expiry ends the connection.
func TestExpiredAPIKeyEndsConnection(t *testing.T) {
	h := transfertest.New(t)
	bob := h.SSOUser("bob")
	key := h.APIKey(bob)
	s := startFTP(t, h, nil)
	c := signedIn(t, s.Addr(), "bob", key)
	c.must("MKD before", 257)
	keys, err := h.Store.ListAPIKeys(h.Ctx, h.Site.ID, store.KeyQuery{UserID: bob.ID, ListOptions: store.ListOptions{Limit: 10}})
	if err != nil || len(keys) != 1 {
		t.Fatalf("list keys: %v %v", keys, err)
	}
	if _, err := h.Store.UpdateAPIKey(h.Ctx, h.Site.ID, keys[0].ID, func(k *store.APIKey) error {
		k.ExpiresAt = time.Now().Add(-time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	expectSignedOut(t, c, "MKD after", "expired")
}
