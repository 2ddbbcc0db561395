package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
)

// ldapStep is one line of the Test connection page.
type ldapStep struct {
	OK   bool   `json:"ok"`
	Text string `json:"text"`
}

type ldapTestRun struct {
	Status  int        `json:"status"`
	Steps   []ldapStep `json:"steps"`
	Summary string     `json:"summary"`
}

// consoleLDAPRun is what console-ldap.mjs saw.
type consoleLDAPRun struct {
	Dialogs       []string    `json:"dialogs"`
	ProviderURL   string      `json:"providerURL"`
	CASaved       string      `json:"caSaved"`
	TestOK        ldapTestRun `json:"testOK"`
	TestBadBind   ldapTestRun `json:"testBadBind"`
	PreviewStatus int         `json:"previewStatus"`
	Preview       struct {
		Notice  string            `json:"notice"`
		Counts  map[string]string `json:"counts"`
		Caption string            `json:"caption"`
		Rows    []string          `json:"rows"`
	} `json:"preview"`
	SyncStatus   int    `json:"syncStatus"`
	SyncURL      string `json:"syncURL"`
	SyncProgress string `json:"syncProgress"`
	Sync         struct {
		Notice    string            `json:"notice"`
		Counts    map[string]string `json:"counts"`
		Refreshes bool              `json:"refreshes"`
	} `json:"sync"`
	SyncReloaded string   `json:"syncReloaded"`
	LogRows      []string `json:"logRows"`
	LogEntry     string   `json:"logEntry"`
	ProvidersRow string   `json:"providersRow"`
	Live         struct {
		Before   int  `json:"before"`
		After    int  `json:"after"`
		Reloaded bool `json:"reloaded"`
	} `json:"live"`
}

// ldapBulkUsers is how many people the directory holds: enough that the
// counts of a preview and a sync mean something.
const ldapBulkUsers = 50

// TestBrowserConsoleLDAP connects an OpenLDAP directory entirely in the
// console, in a real Chromium against the real binary and a real slapd
// holding 50 people in 5 groups: LDAPS with the CA bundle uploaded as a
// file; Test connection showing each step passed, then the failing step
// in plain words after a wrong bind password; Preview sync listing the
// planned changes and changing nothing; Sync now (through its
// confirmation) running in the background and its page ending on the
// counts, every person created and then in the REST API; the sync in the
// external events log; and a second sync, started in another tab,
// appearing in the log's live tail without a reload. Every page passes
// axe-core with no serious or critical violation.
func TestBrowserConsoleLDAP(t *testing.T) {
	node, chromium := requireBrowser(t)
	slapd := ldaptest.Start(t, ldaptest.Options{NoSeed: true, BulkUsers: ldapBulkUsers, BulkGroups: 5})
	dir := filepath.Join(t.TempDir(), "data")
	// slapd runs on loopback; the hourly schedule is off, since it syncs a
	// new provider at its next minute and would leave Sync now nothing to
	// create.
	s := startServer(t, "--data-dir", dir, "--allow-private-outbound", "--ldap-sync-interval", "off")
	admin, password := s.firstAdminSignedIn(t)
	key := createAPIKey(t, "--data-dir", dir)
	ca := filepath.Join(t.TempDir(), "directory-ca.pem")
	writeFile(t, ca, []byte(slapd.CAPEM()))
	const label = "Example OpenLDAP"
	sample := ldaptest.BulkUID(7)

	var run consoleLDAPRun
	runBrowserScript(t, node, chromium, &run, 9, "console-ldap.mjs", s.Base, admin, password, label, slapd.Host(), strconv.Itoa(slapd.LDAPSPort), ca,
		ldaptest.ServiceDN, ldaptest.ServicePassword, ldaptest.BaseDN, sample, screenshotDir(t))
	if !strings.HasPrefix(run.CASaved, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("the uploaded CA file was not saved as the CA bundle: %q", run.CASaved)
	}
	// Test connection: connect, TLS, bind, search and the sample user, each ok.
	wantSteps := []string{"connect " + slapd.TLSAddr(), "tls", "service bind", "base search", "user lookup"}
	if run.TestOK.Status != http.StatusOK || !strings.Contains(run.TestOK.Summary, "Every step passed") {
		t.Errorf("Test connection: %d %q", run.TestOK.Status, run.TestOK.Summary)
	}
	for _, name := range wantSteps {
		if st, ok := findStep(run.TestOK.Steps, name); !ok || !st.OK {
			t.Errorf("Test connection step %q: %+v (all: %+v)", name, st, run.TestOK.Steps)
		}
	}
	if st, _ := findStep(run.TestOK.Steps, "user lookup"); !strings.Contains(st.Text, "uid="+sample+","+ldaptest.PeopleDN) {
		t.Errorf("the sample user's step does not name its entry: %q", st.Text)
	}
	// A wrong bind password: the bind step fails, in words, and the steps
	// after it are not shown as passed.
	bind, ok := findStep(run.TestBadBind.Steps, "service bind")
	if !ok || bind.OK || !strings.Contains(strings.ToLower(bind.Text), "password") {
		t.Errorf("with a wrong bind password the bind step shows %+v (all: %+v)", bind, run.TestBadBind.Steps)
	}
	if !strings.Contains(run.TestBadBind.Summary, "A step failed") {
		t.Errorf("with a wrong bind password the page says %q", run.TestBadBind.Summary)
	}
	if st, ok := findStep(run.TestBadBind.Steps, "base search"); ok {
		t.Errorf("the search ran after a failed bind: %+v", st)
	}
	// Preview: every person planned, nothing written.
	n := strconv.Itoa(ldapBulkUsers)
	if run.PreviewStatus != http.StatusOK || !strings.Contains(run.Preview.Notice, "nothing was changed") ||
		!strings.HasPrefix(run.Preview.Counts["In the directory"], n+" users") || run.Preview.Caption != "Planned changes" {
		t.Errorf("Preview sync: %d %+v", run.PreviewStatus, run.Preview)
	}
	created := 0
	for _, row := range run.Preview.Rows {
		if strings.HasPrefix(row, "create"+ldaptest.BulkUID(0)[:4]) {
			created++
		}
	}
	if created != ldapBulkUsers {
		t.Errorf("the preview plans %d users created, want %d; rows: %q", created, ldapBulkUsers, run.Preview.Rows)
	}
	// Sync now: confirmed, every person created.
	if len(run.Dialogs) != 1 || !strings.HasPrefix(run.Dialogs[0], "Sync now?") {
		t.Errorf("confirmations asked: %q; want Sync now's", run.Dialogs)
	}
	if run.SyncStatus != http.StatusOK || !strings.Contains(run.Sync.Notice, "Sync finished: success") ||
		run.Sync.Counts["Created"] != n || run.Sync.Refreshes {
		t.Errorf("Sync now: %d %+v", run.SyncStatus, run.Sync)
	}
	// It ran in the background: its page is the provider's sync page,
	// which showed the progress while it ran and keeps the result.
	if run.SyncURL != run.ProviderURL+"/sync" || run.SyncReloaded != run.Sync.Notice {
		t.Errorf("Sync now ended on %s, and after a reload shows %q", run.SyncURL, run.SyncReloaded)
	}
	if run.SyncProgress != "" && !strings.Contains(run.SyncProgress, "users") {
		t.Errorf("the progress page says %q", run.SyncProgress)
	}
	var users []struct {
		Username             string `json:"username"`
		AuthenticationMethod string `json:"authentication_method"`
	}
	if code := s.api(t, http.MethodGet, "/users?per_page=10000", key, nil, &users); code != http.StatusOK {
		t.Fatalf("list users: %d", code)
	}
	have := map[string]bool{}
	for _, u := range users {
		have[u.Username] = true
	}
	for i := 0; i < ldapBulkUsers; i++ {
		if !have[ldaptest.BulkUID(i)] {
			t.Errorf("%s is not a user after the sync (users: %d)", ldaptest.BulkUID(i), len(users))
			break
		}
	}
	// The run is in the external events log, as the provider's.
	created50 := fmt.Sprintf(`"created":%d`, ldapBulkUsers)
	if len(run.LogRows) == 0 || !strings.Contains(run.LogRows[0], "sync") || !strings.Contains(run.LogRows[0], "success") ||
		!strings.Contains(run.LogRows[0], created50) {
		t.Errorf("the external events log shows %q; want the sync", run.LogRows)
	}
	if !strings.Contains(run.LogEntry, label) || !strings.Contains(run.LogEntry, created50) {
		t.Errorf("the sync's log entry: %q", run.LogEntry)
	}
	if !strings.Contains(run.ProvidersRow, label) || !strings.Contains(run.ProvidersRow, n) {
		t.Errorf("the providers list shows %q; want %s with its %d users", run.ProvidersRow, label, ldapBulkUsers)
	}
	// The live tail followed the log without reloading the page.
	if run.Live.After != run.Live.Before+1 || run.Live.Reloaded {
		t.Errorf("the live tail: %+v; want one more entry, without a reload", run.Live)
	}
}

// findStep finds the Test connection step whose line starts with name.
func findStep(steps []ldapStep, name string) (ldapStep, bool) {
	for _, st := range steps {
		if strings.HasPrefix(st.Text, name+":") {
			return st, true
		}
	}
	return ldapStep{}, false
}
