package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheckRanges(t *testing.T) {
	for _, tc := range []struct {
		addr string
		// what the default policy and AllowPrivate answer: "" allowed,
		// else a word the refusal contains.
		strict, private string
	}{
		{"8.8.8.8", "", ""},
		{"20.190.128.1", "", ""}, // login.microsoftonline.com's range
		{"2620:1ec:21::14", "", ""},
		{"127.0.0.1", "loopback", ""},
		{"127.255.0.9", "loopback", ""},
		{"::1", "loopback", ""},
		{"::ffff:127.0.0.1", "loopback", ""},
		{"10.0.0.5", "private", ""},
		{"172.16.3.4", "private", ""},
		{"172.31.255.255", "private", ""},
		{"172.32.0.1", "", ""},
		{"192.168.1.1", "private", ""},
		{"fd00:ec2::254", "private", ""}, // AWS instance metadata over IPv6
		{"169.254.169.254", "link-local", ""},
		{"fe80::1", "link-local", ""},
		{"100.64.0.1", "carrier-grade NAT", ""},
		{"100.100.100.200", "carrier-grade NAT", ""}, // Alibaba Cloud metadata
		{"192.0.0.170", "IETF", ""},
		{"198.18.0.1", "benchmarking", ""},
		{"64:ff9b::a00:5", "private", ""},  // NAT64 of 10.0.0.5
		{"64:ff9b::808:808", "", ""},       // NAT64 of 8.8.8.8
		{"2002:7f00:1::1", "loopback", ""}, // 6to4 of 127.0.0.1
		{"0.0.0.0", "unspecified", "unspecified"},
		{"::", "unspecified", "unspecified"},
		{"224.0.0.1", "multicast", "multicast"},
		{"ff02::1", "multicast", "multicast"},
		{"255.255.255.255", "reserved", "reserved"},
	} {
		addr := netip.MustParseAddr(tc.addr)
		for _, c := range []struct {
			p    Policy
			want string
		}{{Policy{}, tc.strict}, {AllowPrivate(), tc.private}} {
			err := c.p.Check(addr)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s with %+v: refused: %v", tc.addr, c.p, err)
			case c.want != "" && (err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.want)):
				t.Errorf("%s with %+v: %v, want a refusal saying %q", tc.addr, c.p, err, c.want)
			}
		}
	}
}

func TestRefusalNamesTheFlag(t *testing.T) {
	err := Policy{}.Check(netip.MustParseAddr("10.0.0.5"))
	want := "10.0.0.5 is a private address (RFC 1918); if the identity provider or directory is on your own network, start gatehouse with --allow-private-outbound"
	if err == nil || err.Error() != want {
		t.Fatalf("refusal %q, want %q", err, want)
	}
	// An address no setting allows says so instead of naming the flag.
	if err := AllowPrivate().Check(netip.MustParseAddr("0.0.0.0")); err == nil || strings.Contains(err.Error(), Flag) {
		t.Fatalf("0.0.0.0: %v", err)
	}
}

// listener accepts connections on loopback and counts them.
func listener(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().String(), &n
}

// TestDialRefusesBeforeConnecting: the refused address never sees a
// connection, and a host name is refused for what it resolves to.
func TestDialRefusesBeforeConnecting(t *testing.T) {
	addr, accepted := listener(t)
	_, port, _ := net.SplitHostPort(addr)
	ctx := context.Background()
	for _, target := range []string{addr, net.JoinHostPort("localhost", port)} {
		c, err := Policy{}.DialContext(ctx, "tcp", target)
		if err == nil {
			c.Close()
			t.Fatalf("dial %s: allowed", target)
		}
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), Flag) {
			t.Fatalf("dial %s: %v", target, err)
		}
		if strings.HasPrefix(target, "localhost") && !strings.HasPrefix(err.Error(), "localhost resolves to ") {
			t.Fatalf("dial %s: the refusal does not name the host: %v", target, err)
		}
	}
	if accepted.Load() != 0 {
		t.Fatalf("%d connections reached the refused listener", accepted.Load())
	}
	c, err := AllowPrivate().DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial with AllowPrivate: %v", err)
	}
	c.Close()
}

// TestClientChecksEveryConnection: an HTTP client made by the policy is
// refused a loopback server, through its own transport or a copy of the
// caller's.
func TestClientChecksEveryConnection(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	for _, base := range []*http.Client{nil, srv.Client()} {
		res, err := Policy{}.Client(base).Get(srv.URL)
		if err == nil {
			res.Body.Close()
			t.Fatal("a loopback server was reached")
		}
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), Flag) {
			t.Fatalf("refusal: %v", err)
		}
		res, err = AllowPrivate().Client(base).Get(srv.URL)
		if err != nil {
			t.Fatalf("AllowPrivate: %v", err)
		}
		res.Body.Close()
	}
	if hits.Load() != 2 {
		t.Fatalf("%d requests reached the server, want the 2 allowed ones", hits.Load())
	}
}
