package sftp

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// heldSFTP is one OpenSSH sftp process kept open across a test's steps:
// it reads its commands from a pipe, so its SSH connection stays signed in
// while the test changes the account between two commands.
type heldSFTP struct {
	t     testing.TB
	stdin io.WriteCloser
	out   *transfertest.Buffer
	done  chan struct{}
	marks int
	seen  int
}

func (h *harness) openSFTP(user string, a auth) *heldSFTP {
	h.t.Helper()
	cmd := h.sftpCommand(user, a)
	cmd.Dir = h.t.TempDir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	s := &heldSFTP{t: h.t, stdin: stdin, out: &transfertest.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	h.t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return s
}

// run sends commands and returns what sftp printed for them once it ran
// them all, and whether sftp has exited (its connection closed).
func (s *heldSFTP) run(commands ...string) (string, bool) {
	s.t.Helper()
	s.marks++
	mark := fmt.Sprintf("--- step %d done ---", s.marks)
	_, _ = io.WriteString(s.stdin, strings.Join(commands, "\n")+"\n!echo '"+mark+"'\n")
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := s.out.String()
		if i := strings.Index(all[s.seen:], mark+"\n"); i >= 0 {
			got := all[s.seen : s.seen+i]
			s.seen += i + len(mark)
			return got, false
		}
		select {
		case <-s.done:
			got := s.out.String()[s.seen:]
			s.seen = len(s.out.String())
			return got, true
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("sftp did not finish %q:\n%s", commands, all)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hasLine reports whether out has a line that is exactly line.
func hasLine(out, line string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

func (h *harness) update(u store.User, c identity.UserChange) {
	h.t.Helper()
	if _, err := h.id.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, u.ID, c, true); err != nil {
		h.t.Fatal(err)
	}
}

// TestOpenSessionFollowsAdminRights: a site admin demoted while OpenSSH's
// sftp holds a session open no longer reaches other users' homes at the
// next request, for reading or writing.
func TestOpenSessionFollowsAdminRights(t *testing.T) {
	h := newHarness(t, harnessOptions{noWatch: true})
	root, other := h.passwordUser("root"), h.passwordUser("other")
	h.passwordUser("keeper")
	h.update(root, identity.UserChange{SiteAdmin: ptr(true)})
	must(t, os.MkdirAll(h.home(other), 0o750))
	must(t, os.WriteFile(filepath.Join(h.home(other), "secret.txt"), []byte("other's"), 0o640))
	s := h.openSFTP("root", auth{key: h.addKey(root)})
	if out, _ := s.run("ls -1 /users/other", "ls -1 /"); !hasLine(out, "/users/other/secret.txt") || !hasLine(out, "/users") {
		t.Fatalf("the admin does not see other's home before the change:\n%s", out)
	}

	h.update(root, identity.UserChange{SiteAdmin: ptr(false)})

	out, exited := s.run("ls -1 /users/other", "put /etc/hostname /users/other/plant.txt", "ls -1 /")
	if exited {
		t.Fatalf("the demoted admin's session ended; it should go on with fewer rights:\n%s", out)
	}
	if hasLine(out, "/users/other/secret.txt") || hasLine(out, "/users") {
		t.Errorf("the demoted admin still lists other's home, or /users:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(h.home(other), "plant.txt")); err == nil {
		t.Error("the demoted admin still wrote into other's home")
	}
}

// TestOpenSessionFollowsGroups: leaving a group makes /groups/<name>
// disappear at the next request.
func TestOpenSessionFollowsGroups(t *testing.T) {
	h := newHarness(t, harnessOptions{noWatch: true})
	alice := h.passwordUser("alice")
	groups := h.joinGroups(alice, "eng", "ops")
	s := h.openSFTP("alice", auth{key: h.addKey(alice)})
	if out, _ := s.run("ls -1 /groups"); !hasLine(out, "/groups/eng") || !hasLine(out, "/groups/ops") {
		t.Fatalf("alice does not see her groups before the change:\n%s", out)
	}
	if err := h.id.RemoveGroupUser(h.ctx, identity.SystemActor, h.site.ID, groups[0].ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	out, _ := s.run("ls -1 /groups", "cd /groups/eng")
	if hasLine(out, "/groups/eng") || !hasLine(out, "/groups/ops") {
		t.Errorf("/groups does not follow the membership:\n%s", out)
	}
	if !strings.Contains(out, "No such file") {
		t.Errorf("cd into the group alice left did not fail as missing:\n%s", out)
	}
}

// TestOpenSessionEndsWithChannelPermission: sftp_permission taken away
// from the user, or from the group that granted it, refuses the next
// request and closes the session, telling the client why.
func TestOpenSessionEndsWithChannelPermission(t *testing.T) {
	h := newHarness(t, harnessOptions{noWatch: true})
	alice, bob := h.passwordUser("alice"), h.passwordUser("bob")
	h.update(bob, identity.UserChange{SFTPPermission: ptr(false)})
	g := store.Group{SiteID: h.site.ID, Name: "sftp-users", SFTPPermission: true}
	if err := h.st.CreateGroup(h.ctx, &g); err != nil {
		t.Fatal(err)
	}
	if err := h.st.AddGroupUser(h.ctx, &store.GroupUser{SiteID: h.site.ID, GroupID: g.ID, UserID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	sa, sb := h.openSFTP("alice", auth{key: h.addKey(alice)}), h.openSFTP("bob", auth{password: testPassword})
	for _, s := range []*heldSFTP{sa, sb} {
		if out, exited := s.run("mkdir before"); exited {
			t.Fatalf("before the change:\n%s", out)
		}
	}

	h.update(alice, identity.UserChange{SFTPPermission: ptr(false)})
	if _, err := h.st.UpdateGroup(h.ctx, h.site.ID, g.ID, func(g *store.Group) error { g.SFTPPermission = false; return nil }); err != nil {
		t.Fatal(err)
	}

	for name, s := range map[string]*heldSFTP{"alice": sa, "bob": sb} {
		out, exited := s.run("mkdir after", "ls")
		if !exited {
			t.Errorf("%s's session is still open without sftp_permission:\n%s", name, out)
		}
		if !strings.Contains(out, "sftp_permission") {
			t.Errorf("%s was not told which permission is missing:\n%s", name, out)
		}
	}
	for _, u := range []store.User{alice, bob} {
		if _, err := os.Stat(filepath.Join(h.home(u), "after")); err == nil {
			t.Errorf("%s still changed files without sftp_permission", u.Username)
		}
	}
}

// TestPasswordChangeEndsPasswordSessions: a password changed after a
// session signed in with the old one ends it at its next request; a
// session that signed in with an SSH key goes on, and so does a password
// session whose user a wrong-password lockout hits. Removing the SSH key
// then ends the key's session.
func TestPasswordChangeEndsPasswordSessions(t *testing.T) {
	h := newHarness(t, harnessOptions{noWatch: true})
	alice, bob := h.passwordUser("alice"), h.passwordUser("bob")
	withPassword := h.openSFTP("alice", auth{password: testPassword})
	withKey := h.openSFTP("alice", auth{key: h.addKey(alice)})
	lockedOut := h.openSFTP("bob", auth{password: testPassword, method: "keyboard-interactive"})
	for i, s := range []*heldSFTP{withPassword, withKey, lockedOut} {
		if out, exited := s.run(fmt.Sprint("mkdir before-", i)); exited {
			t.Fatalf("before the change:\n%s", out)
		}
	}

	h.update(alice, identity.UserChange{Password: ptr("a brand new password 42")})
	if _, err := h.st.UpdateUser(h.ctx, h.site.ID, bob.ID, func(u *store.User) error {
		u.LockoutExpires = time.Now().Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	out, exited := withPassword.run("mkdir after-password")
	if !exited || !strings.Contains(out, "password was changed") {
		t.Errorf("the password session did not end, saying why:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(h.home(alice), "after-password")); err == nil {
		t.Error("the password session still changed files after the password changed")
	}
	if out, exited := withKey.run("mkdir after-key"); exited {
		t.Fatalf("the SSH-key session did not survive the password change:\n%s", out)
	}
	if out, exited := lockedOut.run("mkdir after-lockout"); exited {
		t.Fatalf("a lockout ended an open session:\n%s", out)
	}
	for _, dir := range []string{filepath.Join(h.home(alice), "after-key"), filepath.Join(h.home(bob), "after-lockout")} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was not made: %v", dir, err)
		}
	}

	keys, err := h.st.ListPublicKeys(h.ctx, h.site.ID, store.KeyQuery{UserID: alice.ID, ListOptions: store.ListOptions{Limit: 10}})
	if err != nil || len(keys) != 1 {
		t.Fatalf("list keys: %v %v", keys, err)
	}
	if err := h.id.DeletePublicKey(h.ctx, identity.SystemActor, h.site.ID, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if out, exited := withKey.run("ls"); !exited || !strings.Contains(out, "SSH key") {
		t.Errorf("the session of a removed SSH key did not end, saying why:\n%s", out)
	}
}
