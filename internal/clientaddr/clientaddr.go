// Package clientaddr finds the address an HTTP request came from, which
// the per-address sign-in throttle, the sign-in start limit and every
// event's "from" are keyed by. Behind a reverse proxy or load balancer
// every request arrives from the proxy; counting them all as one address
// would let one person's wrong passwords throttle everyone's sign-ins. So
// the address a proxy forwards in X-Forwarded-For is believed, but only
// from proxies the operator named (--trusted-proxies): a header from
// anyone else is the client's own claim, and taking it would let a client
// choose a new address for every guess.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds how much of X-Forwarded-For is read.
const maxForwardedHops = 32

// Resolver finds a request's client address. The zero Resolver trusts no
// proxy and answers the TCP peer.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that believes X-Forwarded-For from peers in
// trusted, a list of addresses and CIDR prefixes ("10.0.0.0/8",
// "192.0.2.7", "fd00::/8").
func New(trusted []string) (Resolver, error) {
	var r Resolver
	for _, s := range trusted {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := parsePrefix(s)
		if err != nil {
			return Resolver{}, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix such as 10.0.0.0/8", s)
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Of returns the client address of r: the TCP peer, or, when the peer is
// a trusted proxy, the nearest address in X-Forwarded-For that is not
// itself a trusted proxy (proxies append the address they received from,
// so the entries left of the first untrusted one are the client's claims).
func (c Resolver) Of(r *http.Request) string {
	peer := peerAddr(r.RemoteAddr)
	if len(c.trusted) == 0 || !c.isTrusted(peer) {
		return peer
	}
	hops := forwarded(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			// A malformed hop ends what can be believed; the last
			// proxy's own peer is what is known for sure.
			return peer
		}
		if !c.isTrusted(a.Unmap().String()) {
			return a.Unmap().String()
		}
	}
	return peer
}

// forwarded splits the X-Forwarded-For values into hops, keeping at most
// the last maxForwardedHops.
func forwarded(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	if len(hops) > maxForwardedHops {
		hops = hops[len(hops)-maxForwardedHops:]
	}
	return hops
}

func (c Resolver) isTrusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the host part of a RemoteAddr.
func peerAddr(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}
