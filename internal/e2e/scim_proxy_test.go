package e2e

import (
	"net/http"
	"path/filepath"
	"testing"
)

// TestSCIMMethodNoneBehindAProxy: SCIM authentication method none admits
// a provisioning client on the server's own host only. Behind a reverse
// proxy on that host every request arrives from loopback, so the address
// that decides is the client's as --trusted-proxies finds it, as for every
// other check: a client elsewhere, forwarded by the proxy, is refused, and
// clients on the host (directly, or through the proxy) are not.
func TestSCIMMethodNoneBehindAProxy(t *testing.T) {
	requireTools(t, "curl")
	const proxy = "127.0.0.21"
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--trusted-proxies", proxy)
	key := createAPIKey(t, "--data-dir", dir)
	if code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "saml", "provider": "okta", "label": "Okta", "enabled": true, "provision_users": true,
		"scim_authentication_method": "none"}, nil); code != http.StatusCreated {
		t.Fatalf("create a provider with SCIM method none: %d", code)
	}
	users := s.Base + "/api/scim/v2/Users"

	if code, out := curlFrom(t, proxy, "-H", "X-Forwarded-For: 203.0.113.9", users); code != http.StatusUnauthorized {
		t.Fatalf("a client elsewhere, forwarded by the proxy, without credentials: %d %s", code, out)
	}
	// A client's own claim to be local, left of the proxy's entry, is
	// not believed either.
	if code, out := curlFrom(t, proxy, "-H", "X-Forwarded-For: 127.0.0.1, 203.0.113.9", users); code != http.StatusUnauthorized {
		t.Fatalf("a forwarded client claiming loopback: %d %s", code, out)
	}
	if code, out := curlFrom(t, proxy, "-H", "X-Forwarded-For: 127.0.0.1", users); code != http.StatusOK {
		t.Fatalf("a client on this host through the proxy: %d %s", code, out)
	}
	if code, out := curlFrom(t, "127.0.0.1", users); code != http.StatusOK {
		t.Fatalf("a client on this host: %d %s", code, out)
	}
}
