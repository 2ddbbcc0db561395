package postgres_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The environment a helper process gets from TestTwoProcesses.
const (
	envRole   = "GATEHOUSE_HELPER_ROLE"
	envDB     = "GATEHOUSE_HELPER_DB"
	envSite   = "GATEHOUSE_HELPER_SITE"
	envAdmins = "GATEHOUSE_HELPER_ADMINS"
	envOut    = "GATEHOUSE_HELPER_OUT"
)

// helperRounds is how many guard/promote/create steps each process takes.
const helperRounds = 120

// helperResult is what a helper process reports back.
type helperResult struct {
	Won      []int // indexes of the contested usernames this process created
	Lost     []int // indexes it was refused with ErrConflict
	Demoted  int   // demotions the guard allowed
	Refusals int   // demotions the guard refused to keep an admin
}

// TestTwoProcesses runs two Gatehouse processes against one PostgreSQL
// database at the same time. Both demote and promote the same site's
// admins under the LockSite guard, and both create the same usernames (one
// in upper case). The site must never be left without an enabled password
// admin, and each username must have exactly one winner.
func TestTwoProcesses(t *testing.T) {
	url := pgDatabase(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	site := store.DefaultSiteSettings()
	site.Name, site.IsDefault = "Shared", true
	if err := s.CreateSite(ctx, &site); err != nil {
		t.Fatal(err)
	}
	var admins []string
	for i := range 3 {
		u := store.User{SiteID: site.ID, Username: fmt.Sprintf("admin%d", i), AuthenticationMethod: store.AuthPassword, SiteAdmin: true}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		admins = append(admins, strconv.FormatInt(u.ID, 10))
	}

	dir := t.TempDir()
	roles := []string{"lower", "upper"}
	cmds := make([]*exec.Cmd, len(roles))
	stdins := make([]io.WriteCloser, len(roles))
	outputs := make([]*syncBuffer, len(roles))
	ready := make(chan error, len(roles))
	for i, role := range roles {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envRole+"="+role, envDB+"="+url, envSite+"="+strconv.FormatInt(site.ID, 10),
			envAdmins+"="+strings.Join(admins, ","), envOut+"="+filepath.Join(dir, role+".json"))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		outputs[i] = &syncBuffer{}
		cmd.Stderr = outputs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i], stdins[i] = cmd, stdin
		go func(out *syncBuffer) {
			sc := bufio.NewScanner(stdout)
			signalled := false
			for sc.Scan() {
				_, _ = fmt.Fprintln(out, sc.Text())
				if sc.Text() == "READY" && !signalled {
					signalled = true
					ready <- nil
				}
			}
			if !signalled {
				ready <- errors.New("helper exited before it was ready")
			}
		}(outputs[i])
	}
	// Start both at once, so that their steps interleave.
	for range roles {
		select {
		case err := <-ready:
			if err != nil {
				for i, c := range cmds {
					_ = c.Wait()
					t.Logf("%s: %s", roles[i], outputs[i])
				}
				t.Fatal(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("helper processes did not start within 60s")
		}
	}
	for _, in := range stdins {
		_, _ = io.WriteString(in, "GO\n")
		_ = in.Close()
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper %s failed: %v\n%s", roles[i], err, outputs[i])
		}
	}

	results := make([]helperResult, len(roles))
	for i, role := range roles {
		b, err := os.ReadFile(filepath.Join(dir, role+".json"))
		if err != nil {
			t.Fatalf("helper %s wrote no result: %v\n%s", role, err, outputs[i])
		}
		if err := json.Unmarshal(b, &results[i]); err != nil {
			t.Fatal(err)
		}
	}
	winners := make([]int, helperRounds)
	demoted := 0
	for _, r := range results {
		for _, n := range r.Won {
			winners[n]++
		}
		if len(r.Won)+len(r.Lost) != helperRounds {
			t.Fatalf("a helper reports %d wins and %d conflicts for %d names", len(r.Won), len(r.Lost), helperRounds)
		}
		demoted += r.Demoted
	}
	for n, w := range winners {
		if w != 1 {
			t.Fatalf("username %d was created %d times, want exactly once", n, w)
		}
	}
	if demoted == 0 {
		t.Fatal("no demotion happened; the guard was never exercised")
	}
	count, err := s.CountUsers(ctx, site.ID, store.UserQuery{Search: "shared-"})
	if err != nil {
		t.Fatal(err)
	}
	if count != helperRounds {
		t.Fatalf("%d contested users exist, want %d", count, helperRounds)
	}
	admins2, err := s.CountEnabledPasswordAdmins(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	if admins2 < 1 {
		t.Fatal("the site was left without a password admin")
	}
	t.Logf("results: %d demotions; %+v / %+v refusals", demoted, results[0].Refusals, results[1].Refusals)
}

// syncBuffer collects a helper's output from two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHelperProcess is one of the two processes of TestTwoProcesses; run
// on its own it does nothing.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(envRole)
	if role == "" {
		t.Skip("helper process for TestTwoProcesses")
	}
	ctx := context.Background()
	s, err := postgres.Open(ctx, os.Getenv(envDB))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	siteID, err := strconv.ParseInt(os.Getenv(envSite), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var admins []int64
	for _, a := range strings.Split(os.Getenv(envAdmins), ",") {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		admins = append(admins, id)
	}
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal("no start signal:", err)
	}

	seed := uint64(1)
	if role == "upper" {
		seed = 2
	}
	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	var res helperResult
	check := func(step string) {
		n, err := s.CountEnabledPasswordAdmins(ctx, siteID)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if n < 1 {
			t.Fatalf("after %s the site has no enabled password admin", step)
		}
	}
	for i := range helperRounds {
		demoted, err := storetest.DemoteIfOthersRemain(ctx, s, siteID, admins[rng.IntN(len(admins))])
		if err != nil {
			t.Fatal(err)
		}
		if demoted {
			res.Demoted++
		} else {
			res.Refusals++
		}
		check("a demotion")
		if rng.IntN(2) == 0 {
			if err := storetest.SetAdmin(ctx, s, siteID, admins[rng.IntN(len(admins))], true); err != nil {
				t.Fatal(err)
			}
		}
		username := fmt.Sprintf("shared-%03d", i)
		if role == "upper" {
			username = strings.ToUpper(username)
		}
		u := store.User{SiteID: siteID, Username: username, AuthenticationMethod: store.AuthPassword}
		switch err := s.CreateUser(ctx, &u); {
		case err == nil:
			res.Won = append(res.Won, i)
		case errors.Is(err, store.ErrConflict):
			res.Lost = append(res.Lost, i)
		default:
			t.Fatalf("creating %s: %v", username, err)
		}
		check("a create")
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv(envOut), b, 0o600); err != nil {
		t.Fatal(err)
	}
}
