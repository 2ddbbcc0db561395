package clientaddr

import (
	"net/http"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	behindProxy, err := New([]string{"10.0.0.0/8", " 192.0.2.7 ", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		r        Resolver
		peer     string
		forwards []string
		want     string
	}{
		{"no proxy trusted: the peer, whatever it claims", Resolver{}, "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"an untrusted peer's header is ignored", behindProxy, "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"a trusted proxy forwards the client", behindProxy, "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a single trusted address", behindProxy, "192.0.2.7:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"the client's own claims left of it are not believed", behindProxy, "10.1.2.3:4000",
			[]string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", behindProxy, "10.1.2.3:4000", []string{"198.51.100.1, 10.9.9.9", "10.8.8.8"}, "198.51.100.1"},
		{"a trusted proxy without the header: the proxy", behindProxy, "10.1.2.3:4000", nil, "10.1.2.3"},
		{"a malformed hop: the last proxy", behindProxy, "10.1.2.3:4000", []string{"198.51.100.1, not-an-address"}, "10.1.2.3"},
		{"everything trusted: the peer", behindProxy, "10.1.2.3:4000", []string{"10.4.4.4"}, "10.1.2.3"},
		{"IPv6", behindProxy, "[fd00::1]:4000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped IPv6 peer", behindProxy, "[::ffff:10.1.2.3]:4000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"a header longer than anyone needs", behindProxy, "10.1.2.3:4000", []string{strings.Repeat("10.0.0.1,", 100) + "198.51.100.1"}, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "http://example.test/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.forwards {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.r.Of(r); got != tc.want {
				t.Errorf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewRefusesWhatIsNotAnAddress(t *testing.T) {
	for _, s := range []string{"proxy.example.com", "10.0.0.0/33", "10.0.0"} {
		if _, err := New([]string{s}); err == nil || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("New(%q): %v", s, err)
		}
	}
}
