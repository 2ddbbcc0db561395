package ftp

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// feat sends FEAT and answers the advertised feature lines.
func (f *rawFTP) feat() []string {
	f.t.Helper()
	code, msg := f.send("FEAT")
	if code != 211 {
		f.t.Fatalf("FEAT: %d %q", code, msg)
	}
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, " ") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) == 0 {
		f.t.Fatalf("FEAT lists no feature: %q", msg)
	}
	return lines
}

// TestFEATAdvertisesOnlyWhatIsServed: FEAT lists no active mode (EPRT,
// LPRT), which is refused, and every feature it lists is answered as
// served, tried one by one on a raw control connection.
func TestFEATAdvertisesOnlyWhatIsServed(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	writeFile(t, h, userFS(t, h, alice), "/a.txt", []byte("hello"))
	s := startFTP(t, h, nil)
	c := dialRaw(t, s.Addr())
	advertised := c.feat()
	if code, msg := c.login("alice", transfertest.Password); code != 230 {
		t.Fatalf("login: %d %q", code, msg)
	}
	if again := c.feat(); strings.Join(again, ",") != strings.Join(advertised, ",") {
		t.Errorf("FEAT changed with sign-in: %q then %q", advertised, again)
	}
	tries := map[string]struct {
		cmd  string
		want int
	}{
		"EPSV":                      {"EPSV", 229},
		"MDTM":                      {"MDTM a.txt", 213},
		"MFMT":                      {"MFMT 20200102030405 a.txt", 213},
		"SIZE":                      {"SIZE a.txt", 213},
		"REST STREAM":               {"REST 0", 350},
		"MLST Type*;Modify*;Size*;": {"MLST a.txt", 250},
		"UTF8":                      {"OPTS UTF8 ON", 200},
		"CLNT":                      {"CLNT test client", 200},
		"AUTH TLS":                  {"", 0}, // tried on a fresh connection below
		"PBSZ":                      {"", 0},
		"PROT":                      {"", 0},
	}
	for _, feature := range advertised {
		try, known := tries[feature]
		switch {
		case !known:
			t.Errorf("FEAT advertises %q, which this test does not know how to try", feature)
		case try.cmd != "":
			if code, msg := c.send(try.cmd); code != try.want {
				t.Errorf("advertised %q: %s answered %d %q, want %d", feature, try.cmd, code, msg, try.want)
			}
		}
	}
	for _, active := range []string{"EPRT", "LPRT", "PORT"} {
		for _, feature := range advertised {
			if strings.HasPrefix(feature, active) {
				t.Errorf("FEAT advertises %s, which is refused", feature)
			}
		}
	}
	if code, _ := c.send("EPRT |1|127.0.0.1|2000|"); code != 502 {
		t.Errorf("EPRT: want 502, got %d", code)
	}
	if code, msg := dialRaw(t, s.Addr()).send("AUTH TLS"); code != 234 {
		t.Errorf("advertised AUTH TLS: %d %q", code, msg)
	}
}

// TestRenameRepliesNameTheCause: a refused RNFR or RNTO says what is
// wrong with which path (missing source, missing target folder, target in
// the way, read-only folder, two folders, a folder into itself, no RNFR),
// with 550 for what is missing or out of reach and 553 for a name the
// rename may not take. Other file commands answer the same way.
func TestRenameRepliesNameTheCause(t *testing.T) {
	h := transfertest.New(t)
	alice := h.PasswordUser("alice")
	h.Group("eng", alice)
	readers := h.Group("readers")
	if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: readers.ID, UserID: alice.ID}); err != nil {
		t.Fatal(err)
	}
	fsys := userFS(t, h, alice)
	writeFile(t, h, fsys, "/a.txt", []byte("a"))
	for _, d := range []string{"/dir", "/full"} {
		if err := fsys.Mkdir(h.Ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	s := startFTP(t, h, nil)
	c := signedIn(t, s.Addr(), "alice", transfertest.Password)

	if code, msg := c.send("RNTO b.txt"); code != 503 || !strings.Contains(msg, "RNFR") {
		t.Errorf("RNTO without RNFR: want 503 asking for RNFR, got %d %q", code, msg)
	}
	if code, msg := c.send("RNFR missing.txt"); code != 550 || !strings.Contains(msg, "/missing.txt") || !strings.Contains(msg, "not exist") {
		t.Errorf("RNFR of a missing file: want 550 naming it, got %d %q", code, msg)
	}
	for _, tc := range []struct {
		from, to string
		code     int
		says     string
	}{
		{"a.txt", "/nowhere/b.txt", 550, "the folder /nowhere does not exist"},
		{"a.txt", "dir", 553, "/dir already exists and is a folder"},
		{"dir", "a.txt", 553, "/a.txt already exists and is a file"},
		{"dir", "dir/sub", 553, "into itself"},
		{"a.txt", "/groups/readers/a.txt", 550, "/groups/readers is read-only"},
		{"a.txt", "/groups/eng/a.txt", 553, "your home folder and /groups/eng are different folders"},
		{"a.txt", "/groups", 550, "part of the layout"},
	} {
		c.must("RNFR "+tc.from, 350)
		if code, msg := c.send("RNTO " + tc.to); code != tc.code || !strings.Contains(msg, tc.says) {
			t.Errorf("rename %s to %s: want %d saying %q, got %d %q", tc.from, tc.to, tc.code, tc.says, code, msg)
		}
	}
	c.must("RNFR a.txt", 350)
	c.must("PWD", 257)
	if code, msg := c.send("RNTO b.txt"); code != 503 {
		t.Errorf("RNTO after another command: want 503, got %d %q", code, msg)
	}
	c.must("RNFR a.txt", 350)
	c.must("RNTO renamed.txt", 250)
	if _, err := fsys.Stat(h.Ctx, "/renamed.txt"); err != nil {
		t.Errorf("the rename did not happen: %v", err)
	}

	for _, tc := range []struct {
		cmd  string
		code int
		says string
	}{
		{"SIZE /users/bob/x.txt", 550, "only site admins"},
		{"SIZE dir", 550, "is a folder"},
		{"MDTM nothing.txt", 550, "does not exist"},
		{"DELE dir", 550, "RMD"},
		{"DELE /groups/readers/x.txt", 550, "does not exist"},
	} {
		if code, msg := c.send(tc.cmd); code != tc.code || !strings.Contains(msg, tc.says) {
			t.Errorf("%s: want %d saying %q, got %d %q", tc.cmd, tc.code, tc.says, code, msg)
		}
	}
	c.must("SIZE renamed.txt", 213)
}
