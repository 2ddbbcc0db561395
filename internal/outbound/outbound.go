// Package outbound decides which network addresses Gatehouse may connect
// to when a site admin chose the destination: a SAML metadata URL, an
// OpenID Connect issuer (its discovery document, keys and token endpoint),
// an LDAP host. Without a policy such a setting reaches whatever the server
// can reach — its own loopback services, the cloud's instance metadata at
// 169.254.169.254, the private network behind it — and connection tests
// and error messages read the answers back to the admin.
//
// The check runs at dial time, on the address actually being connected to
// after DNS resolution (net.Dialer.Control), so a name that resolves to a
// private address is refused as the address itself is, including a name
// whose answer changes between a first lookup and the connection (DNS
// rebinding).
//
// By default only public unicast addresses are allowed. Directories and
// identity providers on the organisation's own network are common, so
// Policy.AllowPrivate (the server's --allow-private-outbound) lifts the
// refusal for loopback, private, link-local and the other special-purpose
// unicast ranges; addresses no server can live at (unspecified, multicast,
// broadcast and reserved) stay refused.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Flag is the server setting that allows private destinations; every
// refusal names it.
const Flag = "--allow-private-outbound"

// DialTimeout bounds a connection attempt made through Policy.DialContext.
const DialTimeout = 30 * time.Second

// Policy is what outbound connections may reach. The zero value allows
// public addresses only.
type Policy struct {
	// AllowPrivate allows loopback, private (RFC 1918, fc00::/7),
	// link-local, carrier-grade NAT and the other special-purpose unicast
	// ranges: on-premises directories and identity providers.
	AllowPrivate bool
}

// AllowPrivate is the policy of a server started with
// --allow-private-outbound, and of tests whose peers run on loopback. A
// function, not a variable, so that no code can change what it allows
// for every caller.
func AllowPrivate() Policy { return Policy{AllowPrivate: true} }

// ErrRefused matches every refusal of a policy with errors.Is.
var ErrRefused = errors.New("outbound: destination address not allowed")

// RefusedError is a connection the policy refused, saying why and which
// setting would allow it.
type RefusedError struct {
	// Host is the name that was dialled, when it was a name rather than
	// the address itself.
	Host string
	Addr netip.Addr
	// What names the address's range, e.g. "a private address (RFC 1918)".
	What string
	// Never is true for ranges no setting allows.
	Never bool
}

func (e *RefusedError) Error() string {
	subject := e.Addr.String() + " is "
	if e.Host != "" {
		subject = e.Host + " resolves to " + e.Addr.String() + ", "
	}
	if e.Never {
		return subject + e.What + ", which no identity provider or directory can be at; check the host name or address"
	}
	return subject + e.What + "; if the identity provider or directory is on your own network, start gatehouse with " + Flag
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// addressRange is one range of addresses that are not public.
type addressRange struct {
	prefix netip.Prefix
	what   string
	never  bool // refused even with AllowPrivate
}

const (
	private     = "a private address (RFC 1918)"
	loopback    = "a loopback address"
	linkLocal   = "a link-local address (where cloud instance metadata answers)"
	unspecified = "an unspecified address"
	multicast   = "a multicast address"
	reserved    = "a reserved address"
	docs        = "an address reserved for documentation"
)

// ranges are the IANA special-purpose ranges (RFC 6890 and its updates)
// that are not globally reachable, IPv4 and IPv6.
var ranges = func() []addressRange {
	var out []addressRange
	for _, r := range []struct {
		cidr, what string
		never      bool
	}{
		{"0.0.0.0/8", unspecified, true},
		{"10.0.0.0/8", private, false},
		{"100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)", false},
		{"127.0.0.0/8", loopback, false},
		{"169.254.0.0/16", linkLocal, false},
		{"172.16.0.0/12", private, false},
		{"192.0.0.0/24", "an IETF protocol assignment address", false},
		{"192.0.2.0/24", docs, false},
		{"192.88.99.0/24", "a 6to4 relay address", false},
		{"192.168.0.0/16", private, false},
		{"198.18.0.0/15", "a benchmarking address", false},
		{"198.51.100.0/24", docs, false},
		{"203.0.113.0/24", docs, false},
		{"224.0.0.0/4", multicast, true},
		{"240.0.0.0/4", reserved, true}, // 255.255.255.255 included
		{"::/128", unspecified, true},
		{"::1/128", loopback, false},
		{"64:ff9b:1::/48", "a local-use NAT64 address", false},
		{"100::/64", "a discard-only address", false},
		{"2001::/23", "an IETF protocol assignment address (Teredo, ORCHID, …)", false},
		{"2001:db8::/32", docs, false},
		{"fc00::/7", "a private address (unique local, fc00::/7)", false},
		{"fe80::/10", linkLocal, false},
		{"fec0::/10", "a site-local address", false},
		{"ff00::/8", multicast, true},
	} {
		out = append(out, addressRange{prefix: netip.MustParsePrefix(r.cidr), what: r.what, never: r.never})
	}
	return out
}()

// embedding prefixes carry an IPv4 address in an IPv6 one: the IPv4
// address is what the connection really reaches, so it is checked too.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Check says whether the policy allows connecting to addr: nil, or a
// *RefusedError.
func (p Policy) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return &RefusedError{Addr: addr, What: "not an IP address", Never: true}
	}
	addr = addr.WithZone("")
	if embedded, ok := embeddedIPv4(addr); ok {
		if err := p.Check(embedded); err != nil {
			re := err.(*RefusedError)
			re.Addr, re.What = addr, "an IPv6 address embedding "+embedded.String()+", "+re.What
			return re
		}
	}
	for _, r := range ranges {
		if !r.prefix.Contains(addr) {
			continue
		}
		if p.AllowPrivate && !r.never {
			return nil
		}
		return &RefusedError{Addr: addr, What: r.what, Never: r.never}
	}
	return nil
}

// embeddedIPv4 returns the IPv4 address a NAT64 (64:ff9b::/96) or 6to4
// (2002::/16) address stands for.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	b := addr.As16()
	switch {
	case !addr.Is6():
		return netip.Addr{}, false
	case nat64.Contains(addr):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// control is net.Dialer.Control: it sees the resolved address of every
// connection attempt, just before the connect.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{What: fmt.Sprintf("an address %q that cannot be checked", address), Never: true}
	}
	return p.Check(ap.Addr())
}

// Dialer returns a net.Dialer that refuses what the policy does not allow.
func (p Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control}
}

// DialContext connects like net.Dialer.DialContext (with DialTimeout)
// unless the policy refuses the address; the refusal is the
// *RefusedError itself, naming the host that was dialled.
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := p.Dialer(DialTimeout).DialContext(ctx, network, address)
	var re *RefusedError
	if errors.As(err, &re) {
		refused := *re
		if host, _, splitErr := net.SplitHostPort(address); splitErr == nil {
			if _, parseErr := netip.ParseAddr(host); parseErr != nil {
				refused.Host = host
			}
		}
		return nil, &refused
	}
	return c, err
}

// Client returns a copy of base (nil: a client like http.DefaultClient)
// whose connections the policy checks. Proxies named by HTTP_PROXY and
// HTTPS_PROXY are not used: through a proxy the policy would see only the
// proxy's address while the proxy reached any destination. A base whose
// Transport is not an *http.Transport dials by its own rules and is
// returned unchanged; only tests make such clients.
func (p Policy) Client(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	var t *http.Transport
	switch rt := c.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		return c
	}
	t.Proxy = nil
	t.DialContext = p.DialContext
	t.DialTLSContext = nil // TLS then runs over DialContext's connection
	c.Transport = t
	return c
}
