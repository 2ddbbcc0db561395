package directory

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that the LDAP connector reads, beside
// the provider's ldap_* fields. They live in Options, as the SAML
// attribute names do, so that the directory can grow settings without a
// column per setting.
const (
	// OptionCABundle is the PEM certificates that verify the directory's
	// certificate chain. Empty trusts the system roots. A self-signed
	// directory certificate works only when it is given here.
	OptionCABundle = "ldap_ca_bundle"
	// OptionStartTLS upgrades a plain ldap:// connection with StartTLS
	// (instead of LDAPS, ldap_secure).
	OptionStartTLS = "ldap_start_tls"
	// OptionUserFilter and OptionGroupFilter select the users and groups
	// (defaults: every person / group of the dialect, see package ldap).
	OptionUserFilter  = "ldap_user_filter"
	OptionGroupFilter = "ldap_group_filter"
	// OptionAttributes maps identity fields to directory attributes:
	// {"ldap_attributes": {"mail": "mail", "immutable_id": "objectGUID"}}.
	// Fields: mail, given_name, surname, display_name, immutable_id,
	// group_name, member.
	OptionAttributes = "ldap_attributes"
	// OptionPageSize, OptionTimeoutSeconds and OptionPoolSize tune the
	// paged searches (1000), each request (10 s) and the connection pool (8).
	OptionPageSize       = "ldap_page_size"
	OptionTimeoutSeconds = "ldap_timeout_seconds"
	OptionPoolSize       = "ldap_pool_size"
)

// ldapOptions is what a provider's Options say about LDAP.
type ldapOptions struct {
	CABundle       string            `json:"ldap_ca_bundle"`
	StartTLS       bool              `json:"ldap_start_tls"`
	UserFilter     string            `json:"ldap_user_filter"`
	GroupFilter    string            `json:"ldap_group_filter"`
	Attributes     map[string]string `json:"ldap_attributes"`
	PageSize       int               `json:"ldap_page_size"`
	TimeoutSeconds int               `json:"ldap_timeout_seconds"`
	PoolSize       int               `json:"ldap_pool_size"`
}

// DialectOf is the directory dialect of a provider: its protocol when that
// is active_directory or open_ldap, else its ldap_type (an SSO provider
// that syncs from LDAP), else Active Directory.
func DialectOf(p store.SSOStrategy) ldap.Dialect {
	switch {
	case p.Protocol == identity.ProtocolActiveDirectory || p.Protocol == identity.ProtocolOpenLDAP:
		return ldap.Dialect(p.Protocol)
	case p.LDAPType != "":
		return ldap.Dialect(p.LDAPType)
	}
	return ldap.DialectActiveDirectory
}

// UsesLDAP says whether a provider reads a directory: an LDAP protocol,
// or LDAP provisioning on another protocol.
func UsesLDAP(p store.SSOStrategy) bool {
	return p.Protocol == identity.ProtocolActiveDirectory || p.Protocol == identity.ProtocolOpenLDAP || p.LDAPProvisioningEnabled
}

// ConfigFrom is the one mapping from a provider's ldap_* fields and LDAP
// options to a connector Config; defaults are the connector's. The result
// is checked by ldap.New.
func ConfigFrom(p store.SSOStrategy, bindPassword string) (ldap.Config, error) {
	var o ldapOptions
	if strings.TrimSpace(p.Options) != "" {
		if err := json.Unmarshal([]byte(p.Options), &o); err != nil {
			return ldap.Config{}, fmt.Errorf("provider %d options: the LDAP keys cannot be read (%w); fix them with the options field", p.ID, err)
		}
	}
	cfg := ldap.Config{
		Port:         p.LDAPPort,
		Secure:       p.LDAPSecure,
		StartTLS:     o.StartTLS,
		BindDN:       p.LDAPUsername,
		BindPassword: bindPassword,
		BaseDN:       p.LDAPBaseDN,
		Domain:       p.LDAPDomain,
		UsernameAttr: p.LDAPUsernameField,
		UserFilter:   o.UserFilter,
		GroupFilter:  o.GroupFilter,
		Dialect:      DialectOf(p),
		PageSize:     o.PageSize,
		Timeout:      time.Duration(o.TimeoutSeconds) * time.Second,
		PoolSize:     o.PoolSize,
	}
	for _, h := range []string{p.LDAPHost, p.LDAPHost2, p.LDAPHost3} {
		if h = strings.TrimSpace(h); h != "" {
			cfg.Hosts = append(cfg.Hosts, h)
		}
	}
	for field, name := range o.Attributes {
		dst := attributeField(&cfg.Attributes, field)
		if dst == nil {
			return ldap.Config{}, fmt.Errorf("provider option %s: unknown field %q (known: mail, given_name, surname, display_name, immutable_id, group_name, member)", OptionAttributes, field)
		}
		*dst = strings.TrimSpace(name)
	}
	if o.TimeoutSeconds < 0 || o.TimeoutSeconds > 300 {
		return ldap.Config{}, fmt.Errorf("provider option %s must be between 1 and 300 seconds", OptionTimeoutSeconds)
	}
	if strings.TrimSpace(o.CABundle) != "" {
		pool, err := parseCABundle(o.CABundle)
		if err != nil {
			return ldap.Config{}, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// parseCABundle reads PEM certificates, refusing a bundle with anything
// that is not one: a mangled paste must not silently trust nothing.
func parseCABundle(bundle string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	rest := []byte(bundle)
	n := 0
	for len(bytes.TrimSpace(rest)) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("provider option %s: not PEM certificates (paste the CA's certificate, -----BEGIN CERTIFICATE----- …)", OptionCABundle)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("provider option %s: certificate %d cannot be read: %w", OptionCABundle, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("provider option %s holds no certificate", OptionCABundle)
	}
	return pool, nil
}

func attributeField(a *ldap.Attributes, field string) *string {
	switch field {
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
