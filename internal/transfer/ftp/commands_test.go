package ftp

import (
	"context"
	"strings"
	"testing"
	"time"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// TestDataCommandsNeedADataConnection: a transfer or listing sent before
// PASV or EPSV is answered 425 with what to send first; before, RETR left
// the client without any reply and LIST claimed a listing it never sent.
func TestDataCommandsNeedADataConnection(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	writeFile(t, h, userFS(t, h, alice), "/doc.txt", []byte("alice's"))
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	for _, cmd := range []string{"RETR doc.txt", "STOR new.txt", "APPE doc.txt", "LIST", "NLST", "MLSD"} {
		if code, msg := c.send(cmd); code != 425 || !strings.Contains(msg, "PASV") {
			t.Errorf("%s before PASV: %d %q, want 425 naming PASV", cmd, code, msg)
		}
	}
	if _, err := userFS(t, h, alice).Stat(h.Ctx, "/new.txt"); err == nil {
		t.Error("STOR without a data connection made a file")
	}
	c.must("NOOP", 200)
}

// TestPanickingCommandIsAnswered: a command that panics is answered 451
// and logged as an error, and the session goes on.
func TestPanickingCommandIsAnswered(t *testing.T) {
	h := transfertest.New(t)
	s, err := New(Options{Identity: h.Svc, Files: h.Storage.View, Listen: transfertest.FreePort(t), Logger: h.Logger})
	if err != nil {
		t.Fatal(err)
	}
	s.srv.Commands = guardCommands(map[string]goftp.Command{"XBUG": panicking{}, "NOOP": s.srv.Commands["NOOP"]}, h.Logger, s.conns.draining)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	waitListening(t, s.Addr())
	c := dialRaw(t, s.Addr())
	if code, msg := c.send("XBUG"); code != 451 {
		t.Fatalf("a panicking command: %d %q, want 451", code, msg)
	}
	c.must("NOOP", 200)
	if logs := h.Logs.String(); !strings.Contains(logs, `"level":"ERROR","msg":"ftp command panicked","command":"XBUG"`) {
		t.Fatalf("the panic is not logged as an error:\n%s", logs)
	}
}

type panicking struct{}

func (panicking) IsExtend() bool                 { return false }
func (panicking) RequireParam() bool             { return false }
func (panicking) RequireAuth() bool              { return false }
func (panicking) Execute(*goftp.Session, string) { panic("a bug") }
