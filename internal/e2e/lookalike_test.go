package e2e

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLookAlikeUsernamesRefused: on the real server, "ａdmin" (full-width
// a) next to the first admin is refused over REST (curl, 422 naming admin)
// and at the command line; an ordinary name is created as before.
func TestLookAlikeUsernamesRefused(t *testing.T) {
	requireTools(t, "curl")
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	code, out := withKey(t, s, key, "POST", "/users", `{"username":"ａdmin"}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(out, "processing-failure/duplicate") ||
		!strings.Contains(out, `looks the same as that of the existing user \"admin\"`) {
		t.Fatalf("REST create ａdmin: %d %s", code, out)
	}
	cliOut, err := exec.Command(binary, "users", "create", "--data-dir", dir, "--username", "аdmin").CombinedOutput()
	if err == nil || !strings.Contains(string(cliOut), "looks the same as") || !strings.Contains(string(cliOut), "processing-failure/duplicate") {
		t.Fatalf("CLI create of a Cyrillic аdmin: %v\n%s", err, cliOut)
	}
	if code, out := withKey(t, s, key, "POST", "/users", `{"username":"alice"}`); code != http.StatusCreated {
		t.Fatalf("create alice: %d %s", code, out)
	}
}
