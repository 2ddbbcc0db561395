package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestNpmSDKReadsEveryObject: the files.com npm SDK turns every object
// Gatehouse answers into its model without error, and no field of ours
// lands on one of the model's own properties (its constructor defines
// each field as a read-only property of the model, so a field named like
// one of them, as options was, throws or shadows a method).
func TestNpmSDKReadsEveryObject(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t)
	key := s.userAPIKey(t, name, password)
	var group struct{ ID int64 }
	if code := s.api(t, http.MethodPost, "/groups", key, map[string]string{"name": "team"}, &group); code != http.StatusCreated {
		t.Fatalf("group: %d", code)
	}
	var me struct{ ID int64 }
	s.api(t, http.MethodGet, "/me", key, nil, &me)
	if code := s.api(t, http.MethodPost, "/group_users", key, map[string]any{"group_id": group.ID, "user_id": me.ID}, nil); code != http.StatusCreated {
		t.Fatalf("membership: %d", code)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	if code := s.api(t, http.MethodPost, "/public_keys", key, map[string]string{"title": "laptop",
		"public_key": strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))}, nil); code != http.StatusCreated {
		t.Fatalf("public key: %d", code)
	}
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{"protocol": "saml", "provider": "okta",
		"label": "Okta", "options": map[string]any{"deprovision_limit_users": 25}}, nil); code != http.StatusCreated {
		t.Fatalf("provider: %d", code)
	}
	if code := s.api(t, http.MethodPost, "/external_events", key, map[string]string{"status": "success", "body": "hello"}, nil); code != http.StatusCreated {
		t.Fatalf("external event: %d", code)
	}
	s.putFile(t, key, "docs/a.txt", "a")

	out, err := filescomJS(t, s, key, `
import Files from "files.com/lib/Files.js";
const model = async name => (await import("files.com/lib/models/" + name + ".js")).default;
Files.setBaseUrl(process.env.GATEHOUSE_URL);
Files.setApiKey(process.env.GATEHOUSE_API_KEY);
const report = {};
const check = async (label, modelName, fetch) => {
  try {
    const Model = await model(modelName);
    const own = new Set(Object.getOwnPropertyNames(new Model({}, {})));
    let got = await fetch(await model(label.split(".")[0]));
    if (!Array.isArray(got)) got = [got];
    const clashes = [];
    for (const o of got) for (const k of Object.keys(o.attributes)) if (own.has(k)) clashes.push(k);
    report[label] = { n: got.length, clashes };
  } catch (e) {
    report[label] = { error: e.constructor.name + ": " + e.message };
  }
};
await check("SsoStrategy.list", "SsoStrategy", M => M.list());
const sso = await (await model("SsoStrategy")).list().catch(() => []);
if (sso.length) await check("SsoStrategy.find", "SsoStrategy", M => M.find(sso[0].id));
await check("User.list", "User", M => M.list());
await check("Group.list", "Group", M => M.list());
await check("GroupUser.list", "GroupUser", M => M.list({ user_id: 1 }));
await check("ApiKey.list", "ApiKey", M => M.list());
await check("ApiKey.findCurrent", "ApiKey", M => M.findCurrent());
await check("PublicKey.list", "PublicKey", M => M.list());
await check("ExternalEvent.list", "ExternalEvent", M => M.list());
await check("Site.get", "Site", M => M.get());
await check("Folder.listFor", "File", M => M.listFor("docs"));
await check("Folder.create", "File", M => M.create("made"));
const File = await model("File");
await check("File.copy", "FileAction", () => new File({ path: "docs/a.txt" }).copy({ destination: "b.txt" }));
await check("Session.create", "Session", M => M.create({ username: `+jsString(name)+`, password: `+jsString(password)+` }));
console.log(JSON.stringify(report));
`)
	if err != nil {
		t.Fatalf("files.com npm SDK: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var report map[string]struct {
		N       int      `json:"n"`
		Clashes []string `json:"clashes"`
		Error   string   `json:"error"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &report); err != nil {
		t.Fatalf("script printed %s", out)
	}
	for _, label := range []string{"SsoStrategy.list", "SsoStrategy.find", "User.list", "Group.list", "GroupUser.list",
		"ApiKey.list", "ApiKey.findCurrent", "PublicKey.list", "ExternalEvent.list", "Site.get", "Folder.listFor",
		"Folder.create", "File.copy", "Session.create"} {
		got, ok := report[label]
		switch {
		case !ok:
			t.Errorf("%s did not run", label)
		case got.Error != "":
			t.Errorf("%s: %s", label, got.Error)
		case got.N == 0:
			t.Errorf("%s: nothing returned", label)
		case len(got.Clashes) > 0:
			t.Errorf("%s: fields %v land on the model's own properties", label, got.Clashes)
		}
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// readmeExamples are the titles of the sort and filter examples in the
// files.com npm SDK's README, each of which lists users.
var readmeExamples = []string{"Sort Example", "Exact Filter Example", "Range Filter Example", "Pattern Filter Example",
	"Combination Filter with Sort Example"}

// readmeExample returns the code of the README example with title, with
// the two changes Node needs to run it as an ES module: the file
// extension on the SDK's modules (which the README leaves to a bundler),
// and the SDK's configuration before it.
func readmeExample(t *testing.T, title string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("testdata", "filescom-js", "node_modules", "files.com", "README.md"))
	if err != nil {
		skipOrFail(t, "the files.com npm SDK is not installed; run scripts/install-test-peers.sh")
	}
	start := "```javascript title=\"" + title + "\"\n"
	_, rest, ok := strings.Cut(string(readme), start)
	if !ok {
		t.Fatalf("the README has no example %q", title)
	}
	code, _, _ := strings.Cut(rest, "```")
	code = regexp.MustCompile(`from '(files\.com/lib/[A-Za-z/]+)'`).ReplaceAllString(code, "from '$1.js'")
	return `import Files from "files.com/lib/Files.js";
Files.setBaseUrl(process.env.GATEHOUSE_URL);
Files.setApiKey(process.env.GATEHOUSE_API_KEY);
` + code
}

// TestNpmSDKReadmeSortAndFilter runs each sort and filter example of the
// files.com npm SDK's README as written, against users whose names,
// admin flags and sign-ins make each example's answer tell.
func TestNpmSDKReadmeSortAndFilter(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password := s.firstAdminSignedIn(t) // signs in now: last_login_at is set
	key := s.userAPIKey(t, name, password)
	const pw = "a long enough password"
	for _, u := range []struct {
		name    string
		admin   bool
		signsIn bool
	}{{"test-one", false, true}, {"test-two", false, false}, {"alice", false, true}, {"test-admin", true, false}} {
		if code := s.api(t, http.MethodPost, "/users", key, map[string]any{"username": u.name, "password": pw,
			"site_admin": u.admin, "restapi_permission": true}, nil); code != http.StatusCreated {
			t.Fatalf("create %s: %d", u.name, code)
		}
		if u.signsIn {
			if code := s.api(t, http.MethodPost, "/sessions", "", map[string]string{"username": u.name, "password": pw}, nil); code != http.StatusCreated {
				t.Fatalf("sign in %s: %d", u.name, code)
			}
		}
	}
	want := map[string][]string{
		"Sort Example":           {name, "alice", "test-admin", "test-one", "test-two"},
		"Exact Filter Example":   {"test-one", "test-two", "alice"},
		"Range Filter Example":   {name, "test-one", "alice"},
		"Pattern Filter Example": {"test-one", "test-two", "test-admin"},
		// test-two has never signed in, so comes first.
		"Combination Filter with Sort Example": {"test-two", "test-one"},
	}
	for _, title := range readmeExamples {
		out, err := filescomJS(t, s, key, readmeExample(t, title))
		got := strings.Fields(out)
		if err != nil || strings.Contains(out, "Error Occurred") || !slices.Equal(got, want[title]) {
			t.Errorf("%s printed %q (%v), want %q", title, out, err, want[title])
		}
	}
}
