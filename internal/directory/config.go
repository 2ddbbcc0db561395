package directory

import (
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ssosettings"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that the LDAP connector reads, beside
// the provider's ldap_* fields; package ssosettings owns them and says
// what each holds.
const (
	OptionCABundle       = ssosettings.KeyLDAPCABundle
	OptionStartTLS       = ssosettings.KeyLDAPStartTLS
	OptionUserFilter     = ssosettings.KeyLDAPUserFilter
	OptionGroupFilter    = ssosettings.KeyLDAPGroupFilter
	OptionAttributes     = ssosettings.KeyLDAPAttributes
	OptionPageSize       = ssosettings.KeyLDAPPageSize
	OptionTimeoutSeconds = ssosettings.KeyLDAPTimeoutSeconds
	OptionPoolSize       = ssosettings.KeyLDAPPoolSize
)

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
// options (read and checked by ssosettings, as saving the provider did)
// to a connector Config; defaults are the connector's. The result is
// checked by ldap.New.
func ConfigFrom(p store.SSOStrategy, bindPassword string) (ldap.Config, error) {
	o, err := ssosettings.ParseLDAP(p)
	if err != nil {
		return ldap.Config{}, fmt.Errorf("provider %d options: %w", p.ID, err)
	}
	a := o.Attributes
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
		Timeout:      o.Timeout,
		PoolSize:     o.PoolSize,
		RootCAs:      o.RootCAs,
		Attributes: ldap.Attributes{Mail: a.Mail, GivenName: a.GivenName, Surname: a.Surname, DisplayName: a.DisplayName,
			ImmutableID: a.ImmutableID, GroupName: a.GroupName, Member: a.Member},
	}
	for _, h := range []string{p.LDAPHost, p.LDAPHost2, p.LDAPHost3} {
		if h = strings.TrimSpace(h); h != "" {
			cfg.Hosts = append(cfg.Hosts, h)
		}
	}
	return cfg, nil
}
