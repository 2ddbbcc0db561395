package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// lockedBuffer lets a test read what a running command has written so far.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runCLI runs the gatehouse command in this process and returns its output.
func runCLI(ctx context.Context, out *lockedBuffer, args ...string) error {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(out)
	return root.ExecuteContext(ctx)
}

// eventsWorld is a data directory with a default site and its store.
func eventsWorld(t *testing.T) (dataDir string, st store.Store, site store.Site) {
	t.Helper()
	t.Setenv("GATEHOUSE_DATABASE_URL", "")
	dataDir = t.TempDir()
	if err := runCLI(context.Background(), &lockedBuffer{}, "init", "--data-dir", dataDir); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dataDir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if site, err = st.DefaultSite(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dataDir, st, site
}

func TestEventsList(t *testing.T) {
	dir, st, site := eventsWorld(t)
	ctx := context.Background()
	p := store.SSOStrategy{SiteID: site.ID, Protocol: "active_directory", Provider: "ldap", Label: "Corp AD"}
	must(t, st.CreateSSOStrategy(ctx, &p))
	now := time.Now()
	for _, e := range []store.SSOEvent{
		{EventType: "ldap_sync", Status: "failure", Body: "LDAP sync stopped at the safety limit", SSOStrategyID: p.ID,
			EventErrors: []string{"412 of 500 users"}, CreatedAt: now.Add(-time.Hour)},
		{EventType: "saml_login", Status: "success", Body: "signed in\x1b[2J\x1b]0;pwned\a", Username: "ann", CreatedAt: now.Add(-2 * time.Hour)},
		{EventType: "saml_login", Status: "failure", Body: "old", Username: "bob", CreatedAt: now.Add(-48 * time.Hour)},
	} {
		e.SiteID = site.ID
		must(t, st.CreateSSOEvent(ctx, &e))
	}
	must(t, st.CreateExternalEvent(ctx, &store.ExternalEvent{SiteID: site.ID, EventType: "alert", Status: "failure",
		Body: "Alert safety_limit to 2 recipient(s) not sent", SSOStrategyID: p.ID}))
	must(t, st.CreateScimLog(ctx, &store.ScimLog{SiteID: site.ID, SSOStrategyID: p.ID, RequestMethod: "PATCH",
		RequestPath: "/api/scim/Users/7", HTTPResponseCode: 204, UserAgent: "Azure AD SCIM Client"}))

	list := func(args ...string) string {
		t.Helper()
		out := &lockedBuffer{}
		if err := runCLI(ctx, out, append([]string{"events", "list", "--data-dir", dir}, args...)...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out.String()
	}
	got := list("--log", "sso")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "SUMMARY") {
		t.Fatalf("the SSO log (last 24 hours):\n%s", got)
	}
	if !strings.Contains(lines[1], "ldap_sync") || !strings.Contains(lines[1], "Corp AD (#") ||
		!strings.Contains(lines[1], "safety limit [412 of 500 users]") || !strings.Contains(lines[2], "ann") {
		t.Fatalf("rows:\n%s", got)
	}
	if strings.ContainsAny(got, "\x1b\a") {
		t.Fatalf("control characters reached the terminal: %q", got)
	}
	// By default the three logs, merged by time, each row naming its
	// log: the SCIM request and the alert (written now) come last.
	got = list()
	lines = strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], "LOG") || !strings.Contains(lines[1], " sso ") || !strings.Contains(lines[1], "ldap_sync") ||
		!strings.Contains(got, "PATCH /api/scim/Users/7") || !strings.Contains(got, " scim ") || !strings.Contains(got, " external ") ||
		strings.Contains(lines[1], "ann") || !strings.Contains(lines[2], "ann") {
		t.Fatalf("default list (every log, last 24 hours):\n%s", got)
	}
	if got := list("--status", "failure"); strings.Count(got, "\n") != 3 || !strings.Contains(got, "not sent") || strings.Contains(got, "scim") {
		t.Fatalf("every log with --status failure (the logs that have a status):\n%s", got)
	}
	if got := list("--since", "72h", "--status", "failure", "--log", "sso"); strings.Count(got, "\n") != 3 || !strings.Contains(got, "bob") {
		t.Fatalf("--since 72h --status failure:\n%s", got)
	}
	if got := list("--since", "3d", "--limit", "1", "--log", "sso"); strings.Count(got, "\n") != 2 || !strings.Contains(got, "bob") {
		t.Fatalf("--limit 1 shows the entry written last:\n%s", got)
	}
	if got := list("--username", "ann", "--since", ""); strings.Count(got, "\n") != 2 {
		t.Fatalf("--username ann:\n%s", got)
	}
	if got := list("--log", "external", "--type", "alert"); !strings.Contains(got, "not sent") || !strings.Contains(got, "Corp AD") {
		t.Fatalf("external log:\n%s", got)
	}
	if got := list("--log", "scim", "--provider", "999"); strings.Count(got, "\n") != 1 {
		t.Fatalf("scim log of another provider:\n%s", got)
	}
	if got := list("--log", "scim"); !strings.Contains(got, "PATCH /api/scim/Users/7") || !strings.Contains(got, "204") {
		t.Fatalf("scim log:\n%s", got)
	}
	for _, bad := range [][]string{{"--log", "audit"}, {"--since", "yesterday"}, {"--since", "-5h"},
		{"--log", "scim", "--status", "failure"}, {"--log", "external", "--username", "ann"}} {
		if err := runCLI(ctx, &lockedBuffer{}, append([]string{"events", "list", "--data-dir", dir}, bad...)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestEventsTail(t *testing.T) {
	dir, st, site := eventsWorld(t)
	bg := context.Background()
	must(t, st.CreateExternalEvent(bg, &store.ExternalEvent{SiteID: site.ID, EventType: "ldap_sync", Status: "success", Body: "before the tail"}))
	ctx, cancel := context.WithCancel(bg)
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runCLI(ctx, out, "events", "tail", "--log", "external", "--every", "50ms", "--data-dir", dir)
	}()
	waitFor(t, out, "before the tail")
	must(t, st.CreateExternalEvent(bg, &store.ExternalEvent{SiteID: site.ID, EventType: "alert", Status: "failure", Body: "arrived later"}))
	waitFor(t, out, "arrived later")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tail did not stop")
	}
	if n := strings.Count(out.String(), "before the tail"); n != 1 {
		t.Fatalf("an entry printed %d times:\n%s", n, out)
	}

	// By default every log: new entries of each arrive once.
	ctx, cancel = context.WithCancel(bg)
	defer cancel()
	out = &lockedBuffer{}
	go func() { done <- runCLI(ctx, out, "events", "tail", "--every", "50ms", "--data-dir", dir) }()
	waitFor(t, out, "arrived later")
	must(t, st.CreateSSOEvent(bg, &store.SSOEvent{SiteID: site.ID, EventType: "saml_login", Status: "success", Body: "an sso entry", CreatedAt: time.Now()}))
	must(t, st.CreateScimLog(bg, &store.ScimLog{SiteID: site.ID, RequestMethod: "DELETE", RequestPath: "/api/scim/Users/9", HTTPResponseCode: 204}))
	waitFor(t, out, "an sso entry")
	waitFor(t, out, "DELETE /api/scim/Users/9")
	// One more entry, arriving at a later look than those: any entry that
	// looked new twice would be printed again by then.
	must(t, st.CreateExternalEvent(bg, &store.ExternalEvent{SiteID: site.ID, EventType: "alert", Status: "success", Body: "the last one"}))
	waitFor(t, out, "the last one")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"before the tail", "arrived later", "an sso entry", "DELETE /api/scim/Users/9"} {
		if n := strings.Count(out.String(), text); n != 1 {
			t.Fatalf("%q printed %d times:\n%s", text, n, out)
		}
	}
}

func waitFor(t *testing.T, out *lockedBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", text, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
