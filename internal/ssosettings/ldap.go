package ssosettings

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"sort"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that the LDAP connector reads, beside
// the provider's ldap_* fields. They live in Options, as the SAML
// attribute names do, so that the directory can grow settings without a
// column per setting.
const (
	// KeyLDAPCABundle is the PEM certificates that verify the directory's
	// certificate chain. Empty trusts the system roots. A self-signed
	// directory certificate works only when it is given here.
	KeyLDAPCABundle = "ldap_ca_bundle"
	// KeyLDAPStartTLS upgrades a plain ldap:// connection with StartTLS
	// (instead of LDAPS, ldap_secure).
	KeyLDAPStartTLS = "ldap_start_tls"
	// KeyLDAPUserFilter and KeyLDAPGroupFilter select the users and groups
	// (defaults: every person / group of the dialect, see package ldap).
	KeyLDAPUserFilter  = "ldap_user_filter"
	KeyLDAPGroupFilter = "ldap_group_filter"
	// KeyLDAPAttributes maps identity fields to directory attributes:
	// {"ldap_attributes": {"mail": "mail", "immutable_id": "objectGUID"}}.
	// Fields: mail, given_name, surname, display_name, immutable_id,
	// group_name, member.
	KeyLDAPAttributes = "ldap_attributes"
	// KeyLDAPPageSize, KeyLDAPTimeoutSeconds and KeyLDAPPoolSize tune the
	// paged searches (1000), each request (10 s) and the connection pool (8).
	KeyLDAPPageSize       = "ldap_page_size"
	KeyLDAPTimeoutSeconds = "ldap_timeout_seconds"
	KeyLDAPPoolSize       = "ldap_pool_size"
)

var ldapKeys = []string{KeyLDAPCABundle, KeyLDAPStartTLS, KeyLDAPUserFilter, KeyLDAPGroupFilter, KeyLDAPAttributes,
	KeyLDAPPageSize, KeyLDAPTimeoutSeconds, KeyLDAPPoolSize}

// Bounds of the LDAP tuning keys; 0 (or leaving the key out) keeps the
// connector's default. The page size bound is the connector's; the pool
// bound is its MaxPoolSize.
const (
	maxLDAPPageSize       = 100000
	maxLDAPTimeoutSeconds = 300
	maxLDAPPoolSize       = 64
	maxLDAPFilterLen      = 4096
	maxCABundleLen        = 60 << 10
)

// LDAPAttributes are the directory attribute names of the identity
// fields; "" keeps the connector's default for the dialect.
type LDAPAttributes struct {
	Mail, GivenName, Surname, DisplayName, ImmutableID, GroupName, Member string
}

func (a *LDAPAttributes) field(name string) *string {
	switch name {
	case "mail":
		return &a.Mail
	case "given_name":
		return &a.GivenName
	case "surname":
		return &a.Surname
	case "display_name":
		return &a.DisplayName
	case "immutable_id":
		return &a.ImmutableID
	case "group_name":
		return &a.GroupName
	case "member":
		return &a.Member
	}
	return nil
}

const ldapAttributeFields = "mail, given_name, surname, display_name, immutable_id, group_name, member"

// LDAP is what a provider's options say about its directory. Zero values
// keep the connector's defaults.
type LDAP struct {
	// RootCAs verify the directory's certificate; nil trusts the system
	// roots.
	RootCAs                 *x509.CertPool
	StartTLS                bool
	UserFilter, GroupFilter string
	Attributes              LDAPAttributes
	PageSize                int
	Timeout                 time.Duration
	PoolSize                int
}

// ParseLDAP reads and checks the LDAP keys of p's options.
func ParseLDAP(p store.SSOStrategy) (LDAP, error) {
	obj, err := readObject(p.Options)
	if err != nil {
		return LDAP{}, err
	}
	var c collector
	l := parseLDAP(&c, obj)
	return l, c.err()
}

func parseLDAP(c *collector, obj object) LDAP {
	var l LDAP
	l.StartTLS, _ = obj.boolean(c, KeyLDAPStartTLS)
	l.PageSize, _ = obj.integer(c, KeyLDAPPageSize, 0, maxLDAPPageSize, "entries per page of a search, 1000 by default (Active Directory's MaxPageSize); 0 keeps the default")
	secs, _ := obj.integer(c, KeyLDAPTimeoutSeconds, 0, maxLDAPTimeoutSeconds, "seconds each directory request may take, 10 by default; 0 keeps the default")
	l.Timeout = time.Duration(secs) * time.Second
	l.PoolSize, _ = obj.integer(c, KeyLDAPPoolSize, 0, maxLDAPPoolSize, "connections the service account keeps open, 8 by default; 0 keeps the default")
	for _, f := range []struct {
		key, example string
		dst          *string
	}{
		{KeyLDAPUserFilter, "(&(objectCategory=person)(objectClass=user))", &l.UserFilter},
		{KeyLDAPGroupFilter, "(objectClass=group)", &l.GroupFilter},
	} {
		v := obj.str(c, f.key, "an LDAP search filter such as "+f.example)
		if v == "" {
			continue
		}
		if len(v) > maxLDAPFilterLen {
			c.add(field(f.key), "options.%s must be at most %d bytes: an LDAP search filter such as %s", f.key, maxLDAPFilterLen, f.example)
			continue
		}
		if _, err := goldap.CompileFilter(v); err != nil {
			c.add(field(f.key), "options.%s %q is not a valid LDAP search filter (%s); write one such as %s, or leave it out for the default",
				f.key, clip(v), clip(err.Error()), f.example)
			continue
		}
		*f.dst = v
	}
	parseLDAPAttributes(c, obj, &l.Attributes)
	if bundle := obj.str(c, KeyLDAPCABundle, "the directory CA's PEM certificate(s), -----BEGIN CERTIFICATE----- …"); len(bytes.TrimSpace([]byte(bundle))) > 0 {
		if len(bundle) > maxCABundleLen {
			c.add(field(KeyLDAPCABundle), "options.%s must be at most %d bytes of PEM certificates", KeyLDAPCABundle, maxCABundleLen)
		} else if pool, msg := parseCABundle(bundle); msg != "" {
			c.add(field(KeyLDAPCABundle), "%s", msg)
		} else {
			l.RootCAs = pool
		}
	}
	return l
}

func parseLDAPAttributes(c *collector, obj object, dst *LDAPAttributes) {
	raw, ok := obj.raw(KeyLDAPAttributes)
	if !ok {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		c.add(field(KeyLDAPAttributes), `options.%s must be an object of identity field to attribute name, such as {"mail": "mail", "immutable_id": "objectGUID"}`,
			KeyLDAPAttributes)
		return
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		key := KeyLDAPAttributes + "." + clip(name)
		f := dst.field(name)
		if f == nil {
			c.add(field(key), "options.%s is not an identity field; use one of %s", key, ldapAttributeFields)
			continue
		}
		var v string
		if err := json.Unmarshal(m[name], &v); err != nil {
			c.add(field(key), "options.%s must be one attribute name as a string, such as \"mail\"", key)
			continue
		}
		v = string(bytes.TrimSpace([]byte(v)))
		if v != "" && !ldap.IsAttributeName(v) {
			c.add(field(key), "options.%s %q is not an LDAP attribute name; give one such as mail, objectGUID or entryUUID (letters, digits and hyphens, or an OID)",
				key, clip(v))
			continue
		}
		*f = v
	}
}

// parseCABundle reads PEM certificates, refusing a bundle with anything
// that is not one: a mangled paste must not silently trust nothing. It
// returns the message when the bundle is refused.
func parseCABundle(bundle string) (*x509.CertPool, string) {
	pool := x509.NewCertPool()
	rest := []byte(bundle)
	n := 0
	for len(bytes.TrimSpace(rest)) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, "options." + KeyLDAPCABundle + " is not PEM certificates: paste the CA's certificate, -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----"
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, sprintf("options.%s: certificate %d cannot be read (%s); paste the CA's certificate again, whole", KeyLDAPCABundle, n+1, clip(err.Error()))
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, "options." + KeyLDAPCABundle + " holds no certificate: paste the CA's certificate, -----BEGIN CERTIFICATE----- …, not a key"
	}
	return pool, ""
}
