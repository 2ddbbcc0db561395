package config

import (
	"fmt"
	"strings"
)

// OutboundConfig is what the connections a site admin points somewhere
// may reach: SAML metadata URLs, OpenID issuers, LDAP hosts (see package
// outbound).
type OutboundConfig struct {
	// AllowPrivate lets them reach loopback, private, link-local and the
	// other non-public addresses: directories and identity providers on
	// the organisation's own network. Off, only public addresses are
	// reached, so a tenant admin cannot turn them against the server's
	// own network.
	AllowPrivate bool
	raw          string
}

func init() {
	settings = append(settings,
		setting{"allow-private-outbound", "let SAML metadata, OpenID Connect and LDAP connections reach loopback, private and link-local addresses (an identity provider or directory on your own network)", "false",
			func(c *Config) *string { return &c.Outbound.raw }, false},
	)
	// A bare --allow-private-outbound means true.
	flagWithoutValue["allow-private-outbound"] = "true"
}

// completeOutbound parses --allow-private-outbound.
func (c *Config) completeOutbound() error {
	switch strings.ToLower(strings.TrimSpace(c.Outbound.raw)) {
	case "", "false", "no", "0":
		c.Outbound.AllowPrivate = false
	case "true", "yes", "1":
		c.Outbound.AllowPrivate = true
	default:
		return fmt.Errorf("config: --allow-private-outbound %q: want true or false", c.Outbound.raw)
	}
	return nil
}
