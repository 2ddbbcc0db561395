package ldapsync

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// Sizes of the sync benchmark: 20,000 users in 1,000 groups.
const (
	benchUsers  = 20000
	benchGroups = 1000
)

// BenchmarkSync20kUsers syncs 20,000 users in 1,000 groups from slapd
// into an empty store, SQLite and PostgreSQL (the first run), then again with nothing
// changed (the second run), and times a raw paged ldapsearch of the same
// users and groups as the floor. Each op is one first run plus one second
// run; the metrics are seconds per run, the peak resident memory of the
// process during the runs, and the ratios of each run to the floor.
//
//	go test -run '^$' -bench Sync20k -benchtime 1x -count 5 ./internal/ldapsync/
func BenchmarkSync20kUsers(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchSync(b, openSQLite) })
	b.Run("postgres", func(b *testing.B) { benchSync(b, openPostgres) })
}

func benchSync(b *testing.B, open func(testing.TB) store.Store) {
	srv := ldaptest.Start(b, ldaptest.Options{NoSeed: true, BulkUsers: benchUsers, BulkGroups: benchGroups})
	floor := ldapsearchFloor(b, srv)
	var first, second time.Duration
	var peakMB float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		w := newWorld(b, open(b))
		p := w.slapdProvider(srv, nil)
		runtime.GC()
		resetPeakRSS()
		b.StartTimer()

		t0 := time.Now()
		res := w.sync(p)
		first += time.Since(t0)
		if res.Status != store.EventSuccess || res.Counts.Created != benchUsers {
			b.Fatalf("first run: %s %+v %v", res.Status, res.Counts, res.Errors)
		}
		t0 = time.Now()
		res = w.sync(p)
		second += time.Since(t0)
		if res.Status != store.EventSuccess || res.Counts.Unchanged != benchUsers {
			b.Fatalf("second run: %s %+v", res.Status, res.Counts)
		}
		b.StopTimer()
		peakMB = max(peakMB, peakRSSMB())
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(first.Seconds()/n, "first-s")
	b.ReportMetric(second.Seconds()/n, "second-s")
	b.ReportMetric(floor.Seconds(), "ldapsearch-s")
	b.ReportMetric(first.Seconds()/n/floor.Seconds(), "first/floor")
	b.ReportMetric(second.Seconds()/n/floor.Seconds(), "second/floor")
	b.ReportMetric(peakMB, "peak-RSS-MB")
}

// ldapsearchFloor times OpenLDAP's own client reading what a sync reads:
// every user and every group with its members, in pages of 1,000, over
// LDAPS, written to a discarded output. It is the best of three runs.
func ldapsearchFloor(b *testing.B, srv *ldaptest.Server) time.Duration {
	b.Helper()
	bin := testpeer.LookPath(b, "Debian ldap-utils", "ldapsearch")[0]
	ca := filepath.Join(b.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte(srv.CAPEM()), 0o600); err != nil {
		b.Fatal(err)
	}
	search := func(filter string, attrs ...string) {
		args := append([]string{"-LLL", "-x", "-H", "ldaps://" + srv.TLSAddr(), "-D", ldaptest.ServiceDN, "-w", ldaptest.ServicePassword,
			"-b", ldaptest.BaseDN, "-E", "pr=1000/noprompt", filter}, attrs...)
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+ca)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("ldapsearch %s: %v: %s", filter, err, stderr.String())
		}
	}
	best := time.Duration(0)
	for range 3 {
		t0 := time.Now()
		search("(objectClass=inetOrgPerson)", "uid", "mail", "givenName", "sn", "displayName", "entryUUID", "pwdAccountLockedTime")
		search("(objectClass=groupOfNames)", "cn", "entryUUID", "member")
		if d := time.Since(t0); best == 0 || d < best {
			best = d
		}
	}
	return best
}

// resetPeakRSS resets the kernel's record of this process's peak resident
// memory (Linux: writing 5 to clear_refs), so peakRSSMB measures from now.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB is the process's peak resident memory (VmHWM) in MB, 0 when
// unknown.
func peakRSSMB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
