package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ssoStrategyJSON is Files.com's sso_strategy object. The provider secrets
// (client_secret, ldap_password, scim_password, the SCIM token) are
// write-only and have no field here, so no code path can leak them.
type ssoStrategyJSON struct {
	ID                               int64   `json:"id"`
	Protocol                         string  `json:"protocol"`
	Provider                         string  `json:"provider"`
	Label                            string  `json:"label"`
	LogoURL                          string  `json:"logo_url"`
	Enabled                          bool    `json:"enabled"`
	DisplayOnLoginPage               bool    `json:"display_on_login_page"`
	UserCount                        int     `json:"user_count"`
	ProviderIdentifier               string  `json:"provider_identifier"`
	Subdomain                        string  `json:"subdomain"`
	ClientID                         string  `json:"client_id"`
	SAMLProviderCertFingerprint      string  `json:"saml_provider_cert_fingerprint"`
	SAMLProviderIssuerURL            string  `json:"saml_provider_issuer_url"`
	SAMLProviderMetadataContent      string  `json:"saml_provider_metadata_content"`
	SAMLProviderMetadataURL          string  `json:"saml_provider_metadata_url"`
	SAMLProviderSLOTargetURL         string  `json:"saml_provider_slo_target_url"`
	SAMLProviderSSOTargetURL         string  `json:"saml_provider_sso_target_url"`
	SCIMAuthenticationMethod         string  `json:"scim_authentication_method"`
	SCIMUsername                     string  `json:"scim_username"`
	SCIMOAuthAccessTokenExpiresAt    apiTime `json:"scim_oauth_access_token_expires_at"`
	SCIMTenantURL                    string  `json:"scim_tenant_url"` // Gatehouse addition: the SCIM endpoint to paste
	ProvisionUsers                   bool    `json:"provision_users"`
	ProvisionGroups                  bool    `json:"provision_groups"`
	DeprovisionUsers                 bool    `json:"deprovision_users"`
	DeprovisionGroups                bool    `json:"deprovision_groups"`
	DeprovisionBehavior              string  `json:"deprovision_behavior"`
	ProvisionGroupDefault            string  `json:"provision_group_default"`
	ProvisionGroupExclusion          string  `json:"provision_group_exclusion"`
	ProvisionGroupInclusion          string  `json:"provision_group_inclusion"`
	ProvisionGroupRequired           string  `json:"provision_group_required"`
	ProvisionEmailSignupGroups       string  `json:"provision_email_signup_groups"`
	ProvisionReadonlySiteAdminGroups string  `json:"provision_readonly_site_admin_groups"`
	ProvisionSiteAdminGroups         string  `json:"provision_site_admin_groups"`
	ProvisionGroupAdminGroups        string  `json:"provision_group_admin_groups"`
	ProvisionDAVPermission           bool    `json:"provision_dav_permission"`
	ProvisionFTPPermission           bool    `json:"provision_ftp_permission"`
	ProvisionSFTPPermission          bool    `json:"provision_sftp_permission"`
	ProvisionTimeZone                string  `json:"provision_time_zone"`
	ProvisionCompany                 string  `json:"provision_company"`
	ProvisionRequire2FA              string  `json:"provision_require_2fa"`
	ProvisionFilesystemLayout        string  `json:"provision_filesystem_layout"`
	LDAPBaseDN                       string  `json:"ldap_base_dn"`
	LDAPDomain                       string  `json:"ldap_domain"`
	LDAPHost                         string  `json:"ldap_host"`
	LDAPHost2                        string  `json:"ldap_host_2"`
	LDAPHost3                        string  `json:"ldap_host_3"`
	LDAPPort                         int     `json:"ldap_port"`
	LDAPSecure                       bool    `json:"ldap_secure"`
	LDAPType                         string  `json:"ldap_type"`
	LDAPUsername                     string  `json:"ldap_username"`
	LDAPUsernameField                string  `json:"ldap_username_field"`
	LDAPProvisioningEnabled          bool    `json:"ldap_provisioning_enabled"`
	// GatehouseOptions are Gatehouse's own settings of the provider (the
	// OpenID Connect tenant, LDAP filters, the safety limit …). Requests
	// may name them options too, but an answer never does: Files.com's
	// npm SDK copies every field onto its model as a read-only property,
	// and its models have an options property of their own, so a field
	// named options makes SsoStrategy.list throw.
	GatehouseOptions json.RawMessage `json:"gatehouse_options"`
	CreatedAt        apiTime         `json:"created_at"`
	UpdatedAt        apiTime         `json:"updated_at"`
	// The values to paste into the identity provider (SAML providers only;
	// read-only, Gatehouse additions to Files.com's object).
	*samllogin.SPValues
	// The OpenID Connect values to paste into the provider (oauth2
	// providers only; read-only, Gatehouse additions).
	*oidclogin.RPValues
}

func (s *server) renderSSOStrategy(ctx context.Context, st store.SSOStrategy) (any, error) {
	count, err := s.svc.CountProviderUsers(ctx, st.SiteID, st.ID)
	if err != nil {
		return nil, err
	}
	opts := json.RawMessage(st.Options)
	if !json.Valid(opts) {
		opts = json.RawMessage("{}")
	}
	var sp *samllogin.SPValues
	if s.saml != nil && st.Protocol == identity.ProtocolSAML {
		v := s.saml.SPValuesFor(siteFrom(ctx), st)
		sp = &v
	}
	var rp *oidclogin.RPValues
	if s.oidc != nil && st.Protocol == identity.ProtocolOAuth2 {
		v := s.oidc.RPValuesFor(siteFrom(ctx), st)
		rp = &v
	}
	return ssoStrategyJSON{
		SPValues: sp, RPValues: rp,
		ID: st.ID, Protocol: st.Protocol, Provider: st.Provider, Label: st.Label, LogoURL: st.LogoURL,
		Enabled: st.Enabled, DisplayOnLoginPage: st.DisplayOnLoginPage, UserCount: count,
		ProviderIdentifier: st.ProviderIdentifier, Subdomain: st.Subdomain, ClientID: st.ClientID,
		SAMLProviderCertFingerprint: st.SAMLProviderCertFingerprint, SAMLProviderIssuerURL: st.SAMLProviderIssuerURL,
		SAMLProviderMetadataContent: st.SAMLProviderMetadataContent, SAMLProviderMetadataURL: st.SAMLProviderMetadataURL,
		SAMLProviderSLOTargetURL: st.SAMLProviderSLOTargetURL, SAMLProviderSSOTargetURL: st.SAMLProviderSSOTargetURL,
		SCIMAuthenticationMethod: st.SCIMAuthenticationMethod, SCIMUsername: st.SCIMUsername,
		SCIMOAuthAccessTokenExpiresAt: apiTime(st.SCIMTokenExpiresAt), SCIMTenantURL: s.scimTenantURL(),
		ProvisionUsers: st.ProvisionUsers, ProvisionGroups: st.ProvisionGroups,
		DeprovisionUsers: st.DeprovisionUsers, DeprovisionGroups: st.DeprovisionGroups,
		DeprovisionBehavior: st.DeprovisionBehavior, ProvisionGroupDefault: st.ProvisionGroupDefault,
		ProvisionGroupExclusion: st.ProvisionGroupExclusion, ProvisionGroupInclusion: st.ProvisionGroupInclusion,
		ProvisionGroupRequired: st.ProvisionGroupRequired, ProvisionEmailSignupGroups: st.ProvisionEmailSignupGroups,
		ProvisionReadonlySiteAdminGroups: st.ProvisionReadonlySiteAdminGroups,
		ProvisionSiteAdminGroups:         st.ProvisionSiteAdminGroups, ProvisionGroupAdminGroups: st.ProvisionGroupAdminGroups,
		ProvisionDAVPermission: st.ProvisionDAVPermission, ProvisionFTPPermission: st.ProvisionFTPPermission,
		ProvisionSFTPPermission: st.ProvisionSFTPPermission, ProvisionTimeZone: st.ProvisionTimeZone,
		ProvisionCompany: st.ProvisionCompany, ProvisionRequire2FA: st.ProvisionRequire2FA,
		ProvisionFilesystemLayout: st.ProvisionFilesystemLayout, LDAPBaseDN: st.LDAPBaseDN, LDAPDomain: st.LDAPDomain,
		LDAPHost: st.LDAPHost, LDAPHost2: st.LDAPHost2, LDAPHost3: st.LDAPHost3, LDAPPort: st.LDAPPort,
		LDAPSecure: st.LDAPSecure, LDAPType: st.LDAPType, LDAPUsername: st.LDAPUsername,
		LDAPUsernameField: st.LDAPUsernameField, LDAPProvisioningEnabled: st.LDAPProvisioningEnabled,
		GatehouseOptions: opts, CreatedAt: apiTime(st.CreatedAt), UpdatedAt: apiTime(st.UpdatedAt),
	}, nil
}

func (s *server) writeSSOStrategy(w http.ResponseWriter, r *http.Request, status int, st store.SSOStrategy) error {
	v, err := s.renderSSOStrategy(r.Context(), st)
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

func (s *server) listSSOStrategies(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, _, err := parseList(r, ssoStrategyList)
	if err != nil {
		return err
	}
	list, err := s.svc.ListSSOStrategies(r.Context(), c.site.ID, p.options())
	if err != nil {
		return err
	}
	return writeSortedPage(w, p, list, func(st store.SSOStrategy) int64 { return st.ID },
		func(st store.SSOStrategy, _ string) any { return st.ID },
		func(st store.SSOStrategy) (any, error) { return s.renderSSOStrategy(r.Context(), st) })
}

func (s *server) showSSOStrategy(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	st, err := s.svc.GetSSOStrategy(r.Context(), c.site.ID, id)
	if err != nil {
		return err
	}
	return s.writeSSOStrategy(w, r, http.StatusOK, st)
}

// optionsAlias reads the provider's own settings under the name the API
// answers them with, gatehouse_options, as well as options.
type optionsAlias struct {
	GatehouseOptions *json.RawMessage `json:"gatehouse_options"`
}

// apply moves gatehouse_options into the change; a request that sends
// both names with different settings is refused rather than guessed at.
func (a optionsAlias) apply(ch *identity.SSOStrategyChange) error {
	if a.GatehouseOptions == nil {
		return nil
	}
	if ch.Options != nil && !bytes.Equal(bytes.TrimSpace(*ch.Options), bytes.TrimSpace(*a.GatehouseOptions)) {
		return identity.ErrInvalidParams.With("options and gatehouse_options are the same settings; send one of them")
	}
	ch.Options = a.GatehouseOptions
	return nil
}

func (s *server) createSSOStrategy(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var ch identity.SSOStrategyChange
	var alias optionsAlias
	if err := readJSONBody(r, &ch, &alias); err != nil {
		return err
	}
	if err := alias.apply(&ch); err != nil {
		return err
	}
	st, err := s.svc.CreateSSOStrategy(r.Context(), c.actor(), c.site.ID, ch)
	if err != nil {
		return err
	}
	return s.writeSSOStrategy(w, r, http.StatusCreated, st)
}

func (s *server) updateSSOStrategy(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	var ch identity.SSOStrategyChange
	var reset scimResetParam
	var alias optionsAlias
	if err := readJSONBody(r, &ch, &reset, &alias); err != nil {
		return err
	}
	if err := alias.apply(&ch); err != nil {
		return err
	}
	st, err := s.svc.UpdateSSOStrategy(r.Context(), c.actor(), c.site.ID, id, ch)
	if err != nil {
		return err
	}
	if reset.ResetSCIMOAuthAccessToken != nil && *reset.ResetSCIMOAuthAccessToken {
		token, st, err := s.svc.GenerateSCIMToken(r.Context(), c.actor(), c.site.ID, id, true)
		if err != nil {
			return err
		}
		return s.writeSCIMToken(w, r, st, token)
	}
	return s.writeSSOStrategy(w, r, http.StatusOK, st)
}

func (s *server) deleteSSOStrategy(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteSSOStrategy(r.Context(), c.actor(), c.site.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
