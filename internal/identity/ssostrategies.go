package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/fingerprint"
	"github.com/gatehouse/gatehouse/internal/ssosettings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The write-only provider secrets, as named in their seal labels.
const (
	SecretClientSecret = "client_secret"
	SecretLDAPPassword = "ldap_password"
	SecretSCIMPassword = "scim_password"
)

const maxSecretLen = 4096

// ProviderSecretLabel is the label a provider secret is sealed with: it
// binds the ciphertext to its site and field, so a value copied into
// another site's row or another field does not decrypt there.
func ProviderSecretLabel(siteID int64, field string) string {
	return fmt.Sprintf("site:%d:sso_strategy:%s", siteID, field)
}

// OpenProviderSecret decrypts one of a provider's write-only secrets for
// the connector that must replay it; "" when none is set.
func (s *Service) OpenProviderSecret(p store.SSOStrategy, field string) (string, error) {
	var sealed []byte
	switch field {
	case SecretClientSecret:
		sealed = p.ClientSecretEnc
	case SecretLDAPPassword:
		sealed = p.LDAPPasswordEnc
	case SecretSCIMPassword:
		sealed = p.SCIMPasswordEnc
	default:
		return "", fmt.Errorf("identity: %q is not a provider secret", field)
	}
	if len(sealed) == 0 {
		return "", nil
	}
	if s.opts.Sealer == nil {
		return "", fmt.Errorf("identity: no master key configured to open provider secrets")
	}
	plain, err := s.opts.Sealer.Open(sealed, ProviderSecretLabel(p.SiteID, field))
	if err != nil {
		return "", fmt.Errorf("identity: open %s of sso_strategy %d: %w", field, p.ID, err)
	}
	return string(plain), nil
}

// GetSSOStrategy returns a provider of the site.
func (s *Service) GetSSOStrategy(ctx context.Context, siteID, id int64) (store.SSOStrategy, error) {
	p, err := s.st.GetSSOStrategy(ctx, siteID, id)
	return p, mapStoreErr(err, "get sso strategy", ErrSSOStrategyNotFound, nil)
}

// ListSSOStrategies returns one page of the site's providers.
func (s *Service) ListSSOStrategies(ctx context.Context, siteID int64, o store.ListOptions) ([]store.SSOStrategy, error) {
	ps, err := s.st.ListSSOStrategies(ctx, siteID, o)
	return ps, mapStoreErr(err, "list sso strategies", nil, nil)
}

// CreateSSOStrategy adds a provider. New providers are enabled, shown on
// the login page and disable (rather than delete) deprovisioned users,
// the choice that loses nothing when a directory misbehaves.
func (s *Service) CreateSSOStrategy(ctx context.Context, a Actor, siteID int64, c SSOStrategyChange) (store.SSOStrategy, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.SSOStrategy{}, err
	}
	if c.Protocol == nil || *c.Protocol == "" {
		return store.SSOStrategy{}, ErrParamsRequired.With("protocol is required (one of %s)", strings.Join(ssoProtocols, ", "))
	}
	p := store.SSOStrategy{
		SiteID:              siteID,
		Enabled:             true,
		DisplayOnLoginPage:  true,
		DeprovisionBehavior: "disable",
		CreatedAt:           s.now(),
	}
	if c.Provider == nil || *c.Provider == "" {
		def, ok := defaultProviderFor[*c.Protocol]
		if !ok && checkEnum("protocol", *c.Protocol, ssoProtocols, false) == nil {
			return store.SSOStrategy{}, ErrParamsRequired.With("provider is required for protocol %s (for example okta, azure, auth0 or google)", *c.Protocol)
		}
		p.Provider = def
	}
	if err := s.applySSOStrategyChange(&p, c); err != nil {
		return store.SSOStrategy{}, err
	}
	trust, err := s.checkTrust(ctx, store.SSOStrategy{}, p)
	if err != nil {
		return store.SSOStrategy{}, err
	}
	err = s.st.Tx(ctx, func(ctx context.Context) error {
		if err := s.st.CreateSSOStrategy(ctx, &p); err != nil {
			return mapStoreErr(err, "create sso strategy", nil, ErrDuplicate.With("an SSO provider with these settings already exists"))
		}
		if err := s.recordSettingsChange(ctx, siteID, a, "SSO provider "+describeProvider(p)+" created", c, p.ID); err != nil {
			return err
		}
		if trust.record == nil {
			return nil // nothing was cached for a new provider
		}
		return mapStoreErr(trust.record(ctx, p), "cache sso strategy trust", nil, nil)
	})
	if err != nil {
		return store.SSOStrategy{}, err
	}
	s.log.Info("SSO provider created", "site_id", siteID, "sso_strategy_id", p.ID, "protocol", p.Protocol, "by", a.Username)
	return p, nil
}

// UpdateSSOStrategy changes a provider. The change is validated as a whole
// against the provider it produces. A change of whom the provider trusts
// (its metadata URL or XML, certificate fingerprint, issuer, sign-on URL;
// an OpenID issuer, tenant, authority or client) is checked first (see
// TrustChecker) and replaces the trust cached for the old settings in the
// same transaction, so the old identity provider is not believed for one
// more sign-in.
func (s *Service) UpdateSSOStrategy(ctx context.Context, a Actor, siteID, id int64, c SSOStrategyChange) (store.SSOStrategy, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.SSOStrategy{}, err
	}
	cur, err := s.st.GetSSOStrategy(ctx, siteID, id)
	if err != nil {
		return store.SSOStrategy{}, mapStoreErr(err, "read sso strategy", ErrSSOStrategyNotFound, nil)
	}
	next := cur
	if err := s.applySSOStrategyChange(&next, c); err != nil {
		return store.SSOStrategy{}, err
	}
	trust, err := s.checkTrust(ctx, cur, next)
	if err != nil {
		return store.SSOStrategy{}, err
	}
	var p store.SSOStrategy
	err = s.st.Tx(ctx, func(ctx context.Context) error {
		var before store.SSOStrategy
		var err error
		p, err = s.st.UpdateSSOStrategy(ctx, siteID, id, func(p *store.SSOStrategy) error {
			before = *p
			if err := s.applySSOStrategyChange(p, c); err != nil {
				return err
			}
			// Another request changed the provider since it was read: the
			// trust this change would put in place was not checked.
			if after := trustSettings(*p); after != trustSettings(before) && (!trust.changed || after != trust.settings) {
				return ErrProviderChanged
			}
			return nil
		})
		if err != nil {
			return mapStoreErr(err, "update sso strategy", ErrSSOStrategyNotFound, ErrDuplicate.With("an SSO provider with these settings already exists"))
		}
		if trustSettings(before) != trustSettings(p) {
			if err := s.saveTrust(ctx, p, trust); err != nil {
				return mapStoreErr(err, "cache sso strategy trust", nil, nil)
			}
		}
		if err := s.recordSettingsChange(ctx, siteID, a, "SSO provider "+describeProvider(p)+" changed", c, p.ID); err != nil {
			return err
		}
		return s.recordSCIMExpiryChange(ctx, a, before, p)
	})
	if err != nil {
		return store.SSOStrategy{}, err
	}
	return p, nil
}

// DeleteSSOStrategy removes a provider that no user signs in through any
// more; with users left it answers ErrProviderInUse, telling the admin to
// move them first (deleting it would leave them unable to sign in).
func (s *Service) DeleteSSOStrategy(ctx context.Context, a Actor, siteID, id int64) error {
	if err := requireSiteAdmin(a); err != nil {
		return err
	}
	return s.st.Tx(ctx, func(ctx context.Context) error {
		p, err := s.st.GetSSOStrategy(ctx, siteID, id)
		if err != nil {
			return mapStoreErr(err, "read sso strategy", ErrSSOStrategyNotFound, nil)
		}
		n, err := s.st.CountUsers(ctx, siteID, store.UserQuery{SSOStrategyID: id})
		if err != nil {
			return mapStoreErr(err, "count provider users", nil, nil)
		}
		if n > 0 {
			return ErrProviderInUse.With("%d user(s) still sign in through this SSO provider; move them to another provider "+
				"or authentication method (or delete them) first", n)
		}
		if err := s.st.DeleteSSOStrategy(ctx, siteID, id); err != nil {
			return mapStoreErr(err, "delete sso strategy", ErrSSOStrategyNotFound, nil)
		}
		// The event outlives the provider: it names it, but is not tied to
		// its id.
		return s.recordSettingsChange(ctx, siteID, a, "SSO provider "+describeProvider(p)+" deleted", nil, 0)
	})
}

// SSOStrategyAsChanged returns provider id as change c would leave it,
// checked as an update is, without saving it: a preview of what its
// provisioning rules would do asks for the provider as the admin is
// about to save it. Its trust is not checked (that fetches from the
// identity provider); saving it checks it.
func (s *Service) SSOStrategyAsChanged(ctx context.Context, a Actor, siteID, id int64, c SSOStrategyChange) (store.SSOStrategy, error) {
	if err := requireSiteAdmin(a); err != nil {
		return store.SSOStrategy{}, err
	}
	p, err := s.st.GetSSOStrategy(ctx, siteID, id)
	if err != nil {
		return store.SSOStrategy{}, mapStoreErr(err, "read sso strategy", ErrSSOStrategyNotFound, nil)
	}
	if err := s.applySSOStrategyChange(&p, c); err != nil {
		return store.SSOStrategy{}, err
	}
	return p, nil
}

// CountProviderUsers is an sso_strategy's user_count.
func (s *Service) CountProviderUsers(ctx context.Context, siteID, id int64) (int, error) {
	n, err := s.st.CountUsers(ctx, siteID, store.UserQuery{SSOStrategyID: id})
	return n, mapStoreErr(err, "count provider users", nil, nil)
}

// applySSOStrategyChange validates c, copies it onto p, seals the secrets
// it carries, and checks the result as a whole.
func (s *Service) applySSOStrategyChange(p *store.SSOStrategy, c SSOStrategyChange) error {
	if err := validateSSOStrategyChange(c); err != nil {
		return err
	}
	if err := checkSCIMTokenExpiry(c.SCIMOAuthAccessTokenExpiresAt, s.now()); err != nil {
		return err
	}
	set(&p.Protocol, c.Protocol)
	set(&p.Provider, c.Provider)
	set(&p.Label, c.Label)
	set(&p.LogoURL, c.LogoURL)
	set(&p.Enabled, c.Enabled)
	set(&p.DisplayOnLoginPage, c.DisplayOnLoginPage)
	set(&p.ProviderIdentifier, c.ProviderIdentifier)
	set(&p.Subdomain, c.Subdomain)
	set(&p.ClientID, c.ClientID)
	set(&p.SAMLProviderCertFingerprint, c.SAMLProviderCertFingerprint)
	set(&p.SAMLProviderIssuerURL, c.SAMLProviderIssuerURL)
	set(&p.SAMLProviderMetadataContent, c.SAMLProviderMetadataContent)
	set(&p.SAMLProviderMetadataURL, c.SAMLProviderMetadataURL)
	set(&p.SAMLProviderSLOTargetURL, c.SAMLProviderSLOTargetURL)
	set(&p.SAMLProviderSSOTargetURL, c.SAMLProviderSSOTargetURL)
	set(&p.SCIMAuthenticationMethod, c.SCIMAuthenticationMethod)
	set(&p.SCIMUsername, c.SCIMUsername)
	set(&p.SCIMTokenExpiresAt, c.SCIMOAuthAccessTokenExpiresAt)
	set(&p.ProvisionUsers, c.ProvisionUsers)
	set(&p.ProvisionGroups, c.ProvisionGroups)
	set(&p.DeprovisionUsers, c.DeprovisionUsers)
	set(&p.DeprovisionGroups, c.DeprovisionGroups)
	set(&p.DeprovisionBehavior, c.DeprovisionBehavior)
	set(&p.ProvisionGroupDefault, c.ProvisionGroupDefault)
	set(&p.ProvisionGroupExclusion, c.ProvisionGroupExclusion)
	set(&p.ProvisionGroupInclusion, c.ProvisionGroupInclusion)
	set(&p.ProvisionGroupRequired, c.ProvisionGroupRequired)
	set(&p.ProvisionEmailSignupGroups, c.ProvisionEmailSignupGroups)
	set(&p.ProvisionReadonlySiteAdminGroups, c.ProvisionReadonlySiteAdminGroups)
	set(&p.ProvisionSiteAdminGroups, c.ProvisionSiteAdminGroups)
	set(&p.ProvisionGroupAdminGroups, c.ProvisionGroupAdminGroups)
	set(&p.ProvisionDAVPermission, c.ProvisionDAVPermission)
	set(&p.ProvisionFTPPermission, c.ProvisionFTPPermission)
	set(&p.ProvisionSFTPPermission, c.ProvisionSFTPPermission)
	set(&p.ProvisionTimeZone, c.ProvisionTimeZone)
	set(&p.ProvisionCompany, c.ProvisionCompany)
	set(&p.ProvisionRequire2FA, c.ProvisionRequire2FA)
	set(&p.ProvisionFilesystemLayout, c.ProvisionFilesystemLayout)
	set(&p.LDAPBaseDN, c.LDAPBaseDN)
	set(&p.LDAPDomain, c.LDAPDomain)
	set(&p.LDAPHost, c.LDAPHost)
	set(&p.LDAPHost2, c.LDAPHost2)
	set(&p.LDAPHost3, c.LDAPHost3)
	set(&p.LDAPPort, c.LDAPPort)
	set(&p.LDAPSecure, c.LDAPSecure)
	set(&p.LDAPType, c.LDAPType)
	set(&p.LDAPUsername, c.LDAPUsername)
	set(&p.LDAPUsernameField, c.LDAPUsernameField)
	set(&p.LDAPProvisioningEnabled, c.LDAPProvisioningEnabled)
	if c.Options != nil {
		// Keys nothing reads are refused when options are written (a
		// misspelt key would do nothing), except keys the provider already
		// had: a stored key a later version stopped reading must not block
		// rewriting the others.
		if err := ssosettings.CheckKnownKeys(string(*c.Options), p.Options); err != nil {
			return SettingsError(err)
		}
		p.Options = string(*c.Options)
	}
	for field, v := range map[string]struct {
		value *string
		dst   *[]byte
	}{
		SecretClientSecret: {c.ClientSecret, &p.ClientSecretEnc},
		SecretLDAPPassword: {c.LDAPPassword, &p.LDAPPasswordEnc},
		SecretSCIMPassword: {c.SCIMPassword, &p.SCIMPasswordEnc},
	} {
		if err := s.sealProviderSecret(p.SiteID, field, v.value, v.dst); err != nil {
			return err
		}
	}
	return checkSSOStrategy(*p)
}

// sealProviderSecret stores a write-only secret encrypted; "" clears it.
func (s *Service) sealProviderSecret(siteID int64, field string, value *string, dst *[]byte) error {
	switch {
	case value == nil:
		return nil
	case *value == "":
		*dst = nil
		return nil
	case len(*value) > maxSecretLen:
		return ErrInvalidParams.With("%s must be at most %d bytes", field, maxSecretLen)
	case s.opts.Sealer == nil:
		return ErrInternal.With("the server has no master key configured, so it cannot store %s", field)
	}
	*dst = s.opts.Sealer.Seal([]byte(*value), ProviderSecretLabel(siteID, field))
	return nil
}

func validateSSOStrategyChange(c SSOStrategyChange) error {
	var errs []error
	enum := func(field string, v *string, values []string, allowEmpty bool) {
		if v != nil {
			errs = append(errs, checkEnum(field, *v, values, allowEmpty))
		}
	}
	enum("protocol", c.Protocol, ssoProtocols, false)
	enum("provider", c.Provider, ssoProviders, false)
	enum("deprovision_behavior", c.DeprovisionBehavior, deprovisionBehaviors, false)
	enum("scim_authentication_method", c.SCIMAuthenticationMethod, scimAuthMethods, true)
	enum("provision_require_2fa", c.ProvisionRequire2FA, provisionRequire2FAs, true)
	enum("provision_filesystem_layout", c.ProvisionFilesystemLayout, filesystemLayouts, true)
	enum("ldap_type", c.LDAPType, ldapTypes, true)
	for field, v := range map[string]*string{
		"logo_url":                     c.LogoURL,
		"saml_provider_issuer_url":     c.SAMLProviderIssuerURL,
		"saml_provider_slo_target_url": c.SAMLProviderSLOTargetURL,
		"saml_provider_sso_target_url": c.SAMLProviderSSOTargetURL,
	} {
		if v != nil {
			errs = append(errs, checkURL(field, *v))
		}
	}
	if c.SAMLProviderMetadataURL != nil {
		errs = append(errs, checkFetchURL("saml_provider_metadata_url", *c.SAMLProviderMetadataURL,
			"https://login.microsoftonline.com/<tenant-id>/federationmetadata/2007-06/federationmetadata.xml?appid=<app-id>", true))
	}
	for field, v := range map[string]*string{"ldap_host": c.LDAPHost, "ldap_host_2": c.LDAPHost2, "ldap_host_3": c.LDAPHost3} {
		if v != nil {
			errs = append(errs, checkHost(field, *v))
		}
	}
	for field, v := range map[string]*string{
		"label": c.Label, "provider_identifier": c.ProviderIdentifier, "subdomain": c.Subdomain,
		"client_id": c.ClientID, "scim_username": c.SCIMUsername, "provision_time_zone": c.ProvisionTimeZone,
		"provision_company": c.ProvisionCompany, "ldap_base_dn": c.LDAPBaseDN, "ldap_domain": c.LDAPDomain,
		"ldap_username": c.LDAPUsername,
	} {
		errs = append(errs, checkOptionalText(field, v, maxTextLen, false))
	}
	for field, v := range map[string]*string{
		"provision_group_default": c.ProvisionGroupDefault, "provision_group_exclusion": c.ProvisionGroupExclusion,
		"provision_group_inclusion": c.ProvisionGroupInclusion, "provision_group_required": c.ProvisionGroupRequired,
		"provision_email_signup_groups":        c.ProvisionEmailSignupGroups,
		"provision_readonly_site_admin_groups": c.ProvisionReadonlySiteAdminGroups,
		"provision_site_admin_groups":          c.ProvisionSiteAdminGroups,
		"provision_group_admin_groups":         c.ProvisionGroupAdminGroups,
	} {
		// Files.com allows comma- or newline-separated group lists.
		errs = append(errs, checkOptionalText(field, v, maxNotesLen, true))
	}
	errs = append(errs, checkOptionalText("saml_provider_metadata_content", c.SAMLProviderMetadataContent, maxMetadataLen, true))
	if c.SAMLProviderCertFingerprint != nil {
		errs = append(errs, checkCertFingerprint(*c.SAMLProviderCertFingerprint))
	}
	if c.LDAPUsernameField != nil {
		errs = append(errs, checkLDAPAttribute("ldap_username_field", *c.LDAPUsernameField))
	}
	if c.LDAPPort != nil {
		errs = append(errs, checkRange("ldap_port", c.LDAPPort, 0, 65535))
	}
	if c.Options != nil {
		errs = append(errs, checkJSONObject("options", *c.Options))
	}
	return firstError(errs...)
}

// checkSSOStrategy checks what only the whole provider can tell.
func checkSSOStrategy(p store.SSOStrategy) error {
	if err := checkEnum("protocol", p.Protocol, ssoProtocols, false); err != nil {
		return err
	}
	if err := checkEnum("provider", p.Provider, ssoProviders, false); err != nil {
		return err
	}
	ldapProtocol := p.Protocol == ProtocolActiveDirectory || p.Protocol == ProtocolOpenLDAP
	if ldapProtocol && p.Provider != "ldap" {
		return ErrInvalidParams.With("protocol %s needs provider ldap", p.Protocol)
	}
	if !ldapProtocol && p.Provider == "ldap" {
		return ErrInvalidParams.With("provider ldap needs protocol active_directory or open_ldap")
	}
	// Every options key given is checked, whatever the protocol, so a
	// value no sign-in or sync could use is refused now rather than at
	// each of them.
	_, err := ssosettings.Parse(p)
	return SettingsError(err)
}

// checkCertFingerprint accepts "" or a SHA-256 fingerprint in any spelling
// the SAML connector trusts by (see package fingerprint), so what an admin
// pastes from openssl or an IdP console is taken as it is.
func checkCertFingerprint(v string) error {
	if v == "" {
		return nil
	}
	if _, err := fingerprint.ParseSHA256(v); err != nil {
		return ErrInvalidParams.With("saml_provider_cert_fingerprint must be a SHA-256 fingerprint as openssl prints it " +
			"(\"SHA256 Fingerprint=AB:CD:…\") or its 64 hex digits, with or without colons")
	}
	return nil
}

// checkLDAPAttribute accepts "" or an LDAP attribute name (RFC 4512
// descr): sAMAccountName and userPrincipalName for AD, uid for OpenLDAP …
func checkLDAPAttribute(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > 64 {
		return ErrInvalidParams.With("%s must be at most 64 characters", field)
	}
	for i, r := range v {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '-')) {
			return ErrInvalidParams.With("%s must be an LDAP attribute name such as sAMAccountName, userPrincipalName or uid", field)
		}
	}
	return nil
}
