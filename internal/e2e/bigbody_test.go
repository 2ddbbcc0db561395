package e2e

import (
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
)

// TestOversizedBodiesAnsweredToAClientThatReadsLast: Python's http.client
// sends a 12 MiB body whole before it reads, to the SCIM endpoint and the
// REST API of a real gatehouse serve, on SQLite and on PostgreSQL: it
// reads the 413 in each one's format instead of a connection reset.
// The body is larger than the socket buffers take in before the server
// reads (a 3 MiB one fits in loopback's and hides the reset), and smaller
// than httpbody.MaxDrain.
func TestOversizedBodiesAnsweredToAClientThatReadsLast(t *testing.T) {
	requireTools(t, "python3")
	const size = 12 << 20
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			args := []string{"--data-dir", dir}
			if db == "postgres" {
				args = append(args, "--database-url", pgtest.Database(t))
			}
			s := startServer(t, args...)
			key := createAPIKey(t, args...)
			var p struct{ ID int64 }
			if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
				"protocol": "saml", "provider": "azure", "label": "Entra ID", "enabled": true}, &p); code != http.StatusCreated {
				t.Fatalf("create provider: %d", code)
			}
			out := cli(t, append([]string{"providers", "scim-token", "generate", strconv.FormatInt(p.ID, 10)}, args...)...)
			token := regexp.MustCompile(`Secret Token\s+(\S+)`).FindStringSubmatch(out)
			if token == nil {
				t.Fatalf("no token printed:\n%s", out)
			}
			host, port, _ := net.SplitHostPort(strings.TrimPrefix(s.Base, "http://"))
			for _, c := range []struct {
				path, format string
				headers      []string
			}{
				{"/api/scim/v2/Users", `"urn:ietf:params:scim:api:messages:2.0:Error"`,
					[]string{"Authorization: Bearer " + token[1], "Content-Type: application/scim+json"}},
				{"/api/rest/v1/users", `"type":"bad-request/request-body-too-large"`,
					[]string{"X-FilesAPI-Key: " + key, "Content-Type: application/json"}},
			} {
				cmd := exec.Command("python3", append([]string{"testdata/python/send_then_read.py", host, port, c.path, strconv.Itoa(size)}, c.headers...)...)
				got, err := cmd.CombinedOutput()
				if err != nil || !strings.HasPrefix(string(got), "413\n") || !strings.Contains(string(got), c.format) {
					t.Errorf("%s: %v\n%s", c.path, err, got)
				}
			}
		})
	}
}
