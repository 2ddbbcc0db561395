// Package ldap reads an Active Directory, Entra Domain Services or OpenLDAP
// directory: it checks a person's password by binding as their entry, reads
// every user and group for the sync, and walks an administrator through a
// connection test. It knows nothing of Gatehouse's store: callers turn its
// Entry values into what the provisioning engine reads.
//
// Every connection verifies the server's certificate (LDAPS or StartTLS);
// a self-signed certificate is accepted only by configuring it as the CA.
// Every value placed in a search filter or DN is escaped, and an empty
// password is refused before any bind, because an empty simple bind is an
// anonymous bind that succeeds.
package ldap

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"time"
)

// Dialect is the kind of directory, which decides the attribute and filter
// defaults and how disabled accounts and group membership are read.
type Dialect string

// The dialects, named as the provider's protocol names them.
const (
	DialectActiveDirectory Dialect = "active_directory"
	DialectOpenLDAP        Dialect = "open_ldap"
)

// Defaults of Config.
const (
	DefaultPageSize       = 1000 // Active Directory's MaxPageSize
	DefaultTimeout        = 10 * time.Second
	DefaultConnectTimeout = 3 * time.Second
	DefaultPoolSize       = 8
	MaxPoolSize           = 64
	maxHosts              = 8
)

// Attributes names the directory attributes an Entry is read from. Empty
// fields take the dialect's default.
type Attributes struct {
	Mail        string // mail
	GivenName   string // givenName
	Surname     string // sn
	DisplayName string // displayName
	// ImmutableID is the attribute that never changes for a person or
	// group: objectGUID on AD (msDS-aadObjectId / msDS-AzureADObjectId is
	// preferred when present, on Entra DS), entryUUID on OpenLDAP.
	ImmutableID string
	GroupName   string // cn
	// Member is the group attribute that lists member DNs (member); the
	// OpenLDAP dialect resolves nested groups through it.
	Member string
}

// Config describes one directory. New checks it; nothing is dialled until
// the first request.
type Config struct {
	// Hosts are tried in order; the first that answers is kept until it
	// stops answering. A host may carry its own port ("dc2.example.com:3269").
	Hosts []string
	// Port defaults to 636 with Secure, else 389.
	Port int
	// Secure dials LDAPS. StartTLS upgrades a plain connection instead.
	// With neither, passwords cross the network in clear; Test says so.
	Secure   bool
	StartTLS bool
	// RootCAs verifies the server certificate; nil means the system roots.
	RootCAs *x509.CertPool

	BindDN       string // the service account (a DN, a UPN or DOMAIN\name on AD)
	BindPassword string
	BaseDN       string
	// Domain is appended to a bare username ("jdoe" -> "jdoe@example.com")
	// when UsernameAttr holds user@domain names (userPrincipalName, mail),
	// and stripped from "jdoe@example.com" when it holds bare names
	// (sAMAccountName, uid). A "DOMAIN\jdoe" form loses its prefix on AD.
	Domain string
	// UsernameAttr is the attribute a typed username is matched against:
	// sAMAccountName (AD default), userPrincipalName, or uid (OpenLDAP).
	UsernameAttr string
	// UserFilter and GroupFilter select the directory's users and groups;
	// the dialect's defaults select every person and every group.
	UserFilter  string
	GroupFilter string
	Attributes  Attributes

	Dialect Dialect
	// PageSize is the paged-search page (default 1000, AD's MaxPageSize).
	PageSize int
	// Timeout bounds each request and the wait for a pooled connection
	// (default 10 s); the connect timeout per host is the smaller of it
	// and 3 s, so that a dead first host does not hold every sign-in.
	Timeout time.Duration
	// PoolSize is how many connections the service account keeps open at
	// most (default 8): a slow directory then holds at most that many
	// requests, and the rest wait at most Timeout.
	PoolSize int
	// Dial opens the TCP connection to a host; nil uses a net.Dialer.
	// The caller's dialer decides which addresses may be reached (see
	// package outbound), on the address each host name resolves to.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// withDefaults returns c with the dialect's defaults filled in.
func (c Config) withDefaults() Config {
	d := dialectFor(c.Dialect)
	if c.Port == 0 {
		c.Port = 389
		if c.Secure {
			c.Port = 636
		}
	}
	if c.UsernameAttr == "" {
		c.UsernameAttr = d.usernameAttr
	}
	if c.UserFilter == "" {
		c.UserFilter = d.userFilter
	}
	if c.GroupFilter == "" {
		c.GroupFilter = d.groupFilter
	}
	a := &c.Attributes
	fill := func(dst *string, def string) {
		if *dst == "" {
			*dst = def
		}
	}
	fill(&a.Mail, "mail")
	fill(&a.GivenName, "givenName")
	fill(&a.Surname, "sn")
	fill(&a.DisplayName, "displayName")
	fill(&a.ImmutableID, d.immutableID)
	fill(&a.GroupName, "cn")
	fill(&a.Member, "member")
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PoolSize <= 0 {
		c.PoolSize = DefaultPoolSize
	}
	return c
}

// connectTimeout is the time one host gets to accept a connection.
func (c Config) connectTimeout() time.Duration {
	return min(c.Timeout, DefaultConnectTimeout)
}

// validate says what is wrong with a filled-in Config, in terms an admin
// can act on.
func (c Config) validate() error {
	switch c.Dialect {
	case DialectActiveDirectory, DialectOpenLDAP:
	default:
		return configErrorf("the directory type %q is unknown: use active_directory or open_ldap", c.Dialect)
	}
	if len(c.Hosts) == 0 {
		return configErrorf("no directory host is set: set ldap_host")
	}
	if len(c.Hosts) > maxHosts {
		return configErrorf("at most %d directory hosts may be set", maxHosts)
	}
	for _, h := range c.Hosts {
		if h == "" || strings.ContainsAny(h, "/ \t\r\n@?#") {
			return configErrorf("directory host %q is not a host name (give a name or address, no ldap:// prefix)", h)
		}
	}
	if c.Port < 1 || c.Port > 65535 {
		return configErrorf("directory port %d is out of range", c.Port)
	}
	if c.Secure && c.StartTLS {
		return configErrorf("choose LDAPS (ldap_secure) or StartTLS, not both")
	}
	if c.BindDN == "" || c.BindPassword == "" {
		return configErrorf("the service account (ldap_username and ldap_password) is not set; it is needed to find users before their password is checked")
	}
	if c.BaseDN == "" {
		return configErrorf("the search base (ldap_base_dn) is not set")
	}
	if _, err := parseDN(c.BaseDN); err != nil {
		return configErrorf("the search base %q is not a valid DN: %v", c.BaseDN, err)
	}
	for name, v := range map[string]string{"username attribute": c.UsernameAttr, "mail attribute": c.Attributes.Mail,
		"given name attribute": c.Attributes.GivenName, "surname attribute": c.Attributes.Surname,
		"display name attribute": c.Attributes.DisplayName, "immutable id attribute": c.Attributes.ImmutableID,
		"group name attribute": c.Attributes.GroupName, "member attribute": c.Attributes.Member} {
		if !IsAttributeName(v) {
			return configErrorf("the %s %q is not an LDAP attribute name", name, v)
		}
	}
	for name, f := range map[string]string{"user filter": c.UserFilter, "group filter": c.GroupFilter} {
		if err := checkFilter(f); err != nil {
			return configErrorf("the %s %q is not a valid LDAP filter: %v", name, f, err)
		}
	}
	if c.PageSize > 100000 {
		return configErrorf("page size %d is too large (AD serves at most 1000 per page)", c.PageSize)
	}
	if c.PoolSize > MaxPoolSize {
		return configErrorf("pool size %d is too large (at most %d)", c.PoolSize, MaxPoolSize)
	}
	return nil
}

// IsAttributeName accepts an RFC 4512 descr (sAMAccountName, mail) or
// numeric OID, at most 128 characters, with options after ';' refused:
// attribute names come from settings, not from users. Saving a provider
// checks its attribute names with it too (package ssosettings).
func IsAttributeName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case (r >= '0' && r <= '9') || r == '-' || r == '.':
			if i == 0 && r == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func configErrorf(format string, args ...any) error {
	return &Error{Kind: KindConfig, Detail: fmt.Sprintf(format, args...)}
}
