package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// envSyncHelperArgs carries the CLI arguments of a helper process (JSON).
const envSyncHelperArgs = "GATEHOUSE_SYNC_HELPER_ARGS"

// TestSyncLockAcrossTwoProcesses runs "gatehouse providers sync ID" in two
// processes at once against one PostgreSQL database, as two Gatehouse
// nodes would: exactly one runs the sync, the other says it is running
// elsewhere, and the directory is applied once.
func TestSyncLockAcrossTwoProcesses(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{NoSeed: true, BulkUsers: 3000, BulkGroups: 30})
	url := pgtest.Database(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	site, err := identity.New(st, identity.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).EnsureDefaultSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	p := ldapProvider(t, st, site, keyFile, srv)

	type helper struct {
		cmd   *exec.Cmd
		stdin interface{ Write([]byte) (int, error) }
		out   *lockedBuffer
		ready chan bool
	}
	helpers := make([]*helper, 2)
	for i := range helpers {
		args, _ := json.Marshal([]string{"providers", "sync", strconv.FormatInt(p.ID, 10), "--database-url", url,
			"--master-key-file", keyFile, "--data-dir", filepath.Join(dir, fmt.Sprintf("node%d", i)),
			"--allow-private-outbound"}) // the test directory is on loopback
		cmd := exec.Command(os.Args[0], "-test.run=^TestSyncHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envSyncHelperArgs+"="+string(args))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		h := &helper{cmd: cmd, stdin: stdin, out: &lockedBuffer{}, ready: make(chan bool, 1)}
		cmd.Stderr = h.out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			sc := bufio.NewScanner(stdout)
			signalled := false
			for sc.Scan() {
				fmt.Fprintln(h.out, sc.Text())
				if sc.Text() == "READY" && !signalled {
					signalled = true
					h.ready <- true
				}
			}
			if !signalled {
				h.ready <- false
			}
		}()
		helpers[i] = h
	}
	for i, h := range helpers {
		select {
		case ok := <-h.ready:
			if !ok {
				_ = h.cmd.Wait()
				t.Fatalf("helper %d exited before it was ready:\n%s", i, h.out)
			}
		case <-time.After(time.Minute):
			t.Fatalf("helper %d never got ready:\n%s", i, h.out)
		}
	}
	// Both go at once.
	for _, h := range helpers {
		if _, err := h.stdin.Write([]byte("GO\n")); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, h := range helpers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = h.cmd.Wait() }()
	}
	wg.Wait()

	ran, refused := 0, 0
	for i, h := range helpers {
		out := h.out.String()
		t.Logf("process %d:\n%s", i, out)
		switch {
		case strings.Contains(out, ": success in ") && strings.Contains(out, "EXIT ok"):
			ran++
		case strings.Contains(out, "running elsewhere") && strings.Contains(out, "EXIT error"):
			refused++
		}
	}
	if ran != 1 || refused != 1 {
		t.Fatalf("%d processes ran the sync and %d were refused; want exactly one of each", ran, refused)
	}
	runs, err := st.ListExternalEvents(ctx, site.ID, store.EventQuery{EventType: provision.EventSync, SSOStrategyID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != store.EventSuccess {
		t.Fatalf("sync runs recorded: %+v", runs)
	}
	if n, err := st.CountUsers(ctx, site.ID, store.UserQuery{SSOStrategyID: p.ID}); err != nil || n != 3000 {
		t.Fatalf("%d accounts (%v), want 3000", n, err)
	}
}

// TestSyncHelperProcess is one Gatehouse node of
// TestSyncLockAcrossTwoProcesses; it does nothing when run on its own. It
// prints READY, waits for a line on stdin, runs the CLI with the arguments
// it was given and prints its output and "EXIT ok" or "EXIT error: …".
func TestSyncHelperProcess(t *testing.T) {
	raw := os.Getenv(envSyncHelperArgs)
	if raw == "" {
		t.Skip("helper process of TestSyncLockAcrossTwoProcesses")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	err := runCLI(context.Background(), &out, args...)
	fmt.Print(out.String())
	if err != nil {
		fmt.Println("EXIT error:", err)
		return
	}
	fmt.Println("EXIT ok")
}
