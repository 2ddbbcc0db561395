package ldaptest

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
)

// Config is a connector configuration for this server: LDAPS with the
// test CA, the read-only service account and the whole tree as base.
func (s *Server) Config() ldap.Config {
	return ldap.Config{
		Hosts:        []string{s.Host()},
		Port:         s.LDAPSPort,
		Secure:       true,
		RootCAs:      s.CAPool(),
		BindDN:       ServiceDN,
		BindPassword: ServicePassword,
		BaseDN:       BaseDN,
		Dialect:      ldap.DialectOpenLDAP,
		Timeout:      5 * time.Second,
	}
}
