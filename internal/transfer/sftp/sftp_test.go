package sftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

func writeRandom(t *testing.T, path string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeyAuthUploadDownloadListRenameDelete(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	alice := h.passwordUser("alice")
	key := h.addKey(alice)
	work := t.TempDir()
	data := writeRandom(t, filepath.Join(work, "report.bin"), 300<<10)
	out, err := h.run("alice", auth{key: key}, work, `mkdir docs
put report.bin docs/report.bin
ls -l docs
rename docs/report.bin docs/final.bin
get docs/final.bin copy.bin
ls docs
`)
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	if !strings.Contains(out, "final.bin") || !strings.Contains(out, "report.bin") {
		t.Fatalf("listing missing files:\n%s", out)
	}
	got, _ := os.ReadFile(filepath.Join(work, "copy.bin"))
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded file differs from the uploaded one")
	}
	stored, _ := os.ReadFile(filepath.Join(h.home(alice), "docs", "final.bin"))
	if !bytes.Equal(stored, data) {
		t.Fatal("stored file differs")
	}
	out, err = h.run("alice", auth{key: key}, work, "rm docs/final.bin\nrmdir docs\nls\n")
	if err != nil {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(h.home(alice), "docs")); !os.IsNotExist(err) {
		t.Fatalf("folder still there: %v", err)
	}
	u, _ := h.st.GetUser(context.Background(), h.site.ID, alice.ID)
	if u.LastSFTPLoginAt.IsZero() {
		t.Fatal("last_sftp_login_at not set")
	}
	events, _ := h.st.ListExternalEvents(context.Background(), h.site.ID, store.EventQuery{})
	if !hasEvent(events, store.EventSuccess, `sftp sign-in of "alice" with ssh_key`) {
		t.Fatalf("no sign-in event: %+v", events)
	}
}

func hasEvent(events []store.ExternalEvent, status, body string) bool {
	for _, e := range events {
		if e.EventType == identity.EventTypeTransferLogin && e.Status == status && strings.Contains(e.Body, body) {
			return true
		}
	}
	return false
}

func TestPasswordAndKeyboardInteractive(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.passwordUser("bob")
	work := t.TempDir()
	for _, method := range []string{"password", "keyboard-interactive"} {
		out, err := h.run("bob", auth{password: testPassword, method: method}, work, "put /etc/hostname "+method+".txt\nls\n")
		if err != nil || !strings.Contains(out, method+".txt") {
			t.Fatalf("%s: %v\n%s", method, err, out)
		}
	}
	out, err := h.run("bob", auth{password: "wrong password!!"}, work, "ls\n")
	if err == nil {
		t.Fatalf("wrong password accepted:\n%s", out)
	}
	events, _ := h.st.ListExternalEvents(context.Background(), h.site.ID, store.EventQuery{})
	if !hasEvent(events, store.EventFailure, "invalid-username-or-password") {
		t.Fatalf("no refusal event: %+v", events)
	}
	for _, e := range events {
		if strings.Contains(e.Body, testPassword) || strings.Contains(e.Body, "wrong password") {
			t.Fatal("an event contains a password")
		}
	}
}

func TestResume(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	carol := h.passwordUser("carol")
	key := h.addKey(carol)
	work := t.TempDir()
	full := writeRandom(t, filepath.Join(work, "big.bin"), 2<<20)
	// An earlier transfer got half way.
	must(t, os.MkdirAll(h.home(carol), 0o750))
	must(t, os.WriteFile(filepath.Join(h.home(carol), "big.bin"), full[:1<<20], 0o640))
	out, err := h.run("carol", auth{key: key}, work, "reput big.bin big.bin\n")
	if err != nil {
		t.Fatalf("reput: %v\n%s", err, out)
	}
	stored, _ := os.ReadFile(filepath.Join(h.home(carol), "big.bin"))
	if !bytes.Equal(stored, full) {
		t.Fatalf("reput result differs (%d bytes)", len(stored))
	}
	must(t, os.WriteFile(filepath.Join(work, "down.bin"), full[:700<<10], 0o600))
	out, err = h.run("carol", auth{key: key}, work, "reget big.bin down.bin\n")
	if err != nil {
		t.Fatalf("reget: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(filepath.Join(work, "down.bin"))
	if !bytes.Equal(got, full) {
		t.Fatal("reget result differs")
	}
}

func TestSSOUserPasswordRefusedWithBannerKeyAccepted(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	dave := h.ssoUser("dave")
	work := t.TempDir()
	out, err := h.run("dave", auth{password: testPassword}, work, "ls\n")
	if err == nil {
		t.Fatalf("SSO password accepted:\n%s", out)
	}
	if !strings.Contains(out, "single sign-on") || !strings.Contains(out, "Use an SSH key") || !strings.Contains(out, "API key") {
		t.Fatalf("no banner telling what to use:\n%s", out)
	}
	// Only the password dave kept gets the banner: a wrong one is told
	// nothing about the account.
	out, err = h.run("dave", auth{password: "whatever password"}, work, "ls\n")
	if err == nil || strings.Contains(out, "single sign-on") || strings.Contains(out, "Gatehouse") {
		t.Fatalf("a wrong password for an SSO user: %v\n%s", err, out)
	}
	key := h.addKey(dave)
	if out, err := h.run("dave", auth{key: key}, work, "ls\n"); err != nil {
		t.Fatalf("SSO user's key refused: %v\n%s", err, out)
	}
}

func TestTraversalIsRefused(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	eve := h.passwordUser("eve")
	key := h.addKey(eve)
	work := t.TempDir()
	outside := t.TempDir()
	must(t, os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("top secret"), 0o600))
	must(t, os.MkdirAll(h.home(eve), 0o750))
	must(t, os.Symlink(outside, filepath.Join(h.home(eve), "planted")))
	must(t, os.WriteFile(filepath.Join(work, "x.txt"), []byte("x"), 0o600))
	for _, cmd := range []string{
		"get ../../../../etc/passwd p1",
		"get /../../etc/hostname p2",
		"get %2e%2e/%2e%2e/etc/hostname p3",
		"get planted/secret.txt p4",
		"put x.txt planted/x.txt",
		"ls planted",
	} {
		out, err := h.run("eve", auth{key: key}, work, cmd+"\n")
		if err == nil {
			t.Errorf("%q succeeded:\n%s", cmd, out)
		}
	}
	for _, f := range []string{"p1", "p2", "p3", "p4"} {
		if _, err := os.Stat(filepath.Join(work, f)); err == nil {
			t.Errorf("%s was downloaded", f)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "x.txt")); err == nil {
		t.Error("a file was written outside the home through a planted link")
	}
	// ".." at the top stays at the top: the home is the whole world.
	out, err := h.run("eve", auth{key: key}, work, "put x.txt ../../x.txt\ncd ../../..\npwd\n")
	if err != nil || !strings.Contains(out, "Remote working directory: /") {
		t.Fatalf("cd ..: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(h.home(eve), "x.txt")); err != nil {
		t.Fatalf("put ../../x.txt did not land in the home: %v", err)
	}
}

func TestDisabledUserIsCutOffMidSession(t *testing.T) {
	for _, tc := range []struct {
		name  string
		watch bool
	}{
		{"at the next request", false},
		{"by the watch while idle", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{noWatch: !tc.watch})
			frank := h.passwordUser("frank")
			key := h.addKey(frank)
			cmd := h.sftpCommand("frank", auth{key: key})
			cmd.Dir = t.TempDir()
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var out transfertest.Buffer // read while the client writes
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			if _, err := stdin.Write([]byte("mkdir before\n")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { _, err := os.Stat(filepath.Join(h.home(frank), "before")); return err == nil })
			if _, err := h.st.UpdateUser(context.Background(), h.site.ID, frank.ID, func(u *store.User) error {
				u.Disabled = true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if tc.watch {
				// The watch ends the idle session by itself (the client
				// prints the server's reason): wait for that, not for a
				// fixed time, before trying a request.
				for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "Gatehouse closed this session"); time.Sleep(20 * time.Millisecond) {
					if time.Now().After(deadline) {
						_ = cmd.Process.Kill()
						t.Fatalf("idle session still open after the user was disabled:\n%s", out.String())
					}
				}
			}
			_, _ = stdin.Write([]byte("mkdir after\n")) // fails once the session is gone
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("session still open after the user was disabled:\n%s", out.String())
			}
			if _, err := os.Stat(filepath.Join(h.home(frank), "after")); err == nil {
				t.Fatal("a disabled user changed files")
			}
		})
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if ok() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("timed out")
}

// must fails the test on a setup step's error, where it happened rather
// than as a confusing failure further on.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
