package identity

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The *Change types carry the writable fields of a create or update. A nil
// field is left alone. Their JSON names are Files.com's, so the REST API
// decodes request bodies straight into them.

// UserChange is a create or update of a user.
type UserChange struct {
	Username               *string `json:"username"`
	Email                  *string `json:"email"`
	Name                   *string `json:"name"`
	Company                *string `json:"company"`
	TimeZone               *string `json:"time_zone"`
	Notes                  *string `json:"notes"`
	AuthenticationMethod   *string `json:"authentication_method"`
	SSOStrategyID          *int64  `json:"sso_strategy_id"`
	SiteAdmin              *bool   `json:"site_admin"`
	Disabled               *bool   `json:"disabled"`
	RequirePasswordChange  *bool   `json:"require_password_change"`
	FTPPermission          *bool   `json:"ftp_permission"`
	SFTPPermission         *bool   `json:"sftp_permission"`
	DAVPermission          *bool   `json:"dav_permission"`
	RestAPIPermission      *bool   `json:"restapi_permission"`
	NotifyOnAllSSOFailures *bool   `json:"notify_on_all_sso_failures"`
	Password               *string `json:"password"`
	PasswordConfirmation   *string `json:"password_confirmation"`
	GroupIDs               *IDList `json:"group_ids"`
}

// GroupChange is a create or update of a group. UserIDs and AdminIDs, when
// set, replace the group's members and admins.
type GroupChange struct {
	Name              *string `json:"name"`
	Notes             *string `json:"notes"`
	FTPPermission     *bool   `json:"ftp_permission"`
	SFTPPermission    *bool   `json:"sftp_permission"`
	DAVPermission     *bool   `json:"dav_permission"`
	RestAPIPermission *bool   `json:"restapi_permission"`
	UserIDs           *IDList `json:"user_ids"`
	AdminIDs          *IDList `json:"admin_ids"`
}

// APIKeyChange is a create or update of an API key. A nil UserID on create
// means the caller's own key; a key with UserID 0 is a site-wide key (it
// belongs to no user and acts as a site admin), which only the system actor
// (the operator at the command line) may create.
type APIKeyChange struct {
	UserID        *int64     `json:"user_id"`
	Name          *string    `json:"name"`
	Description   *string    `json:"description"`
	ExpiresAt     *time.Time `json:"expires_at"`
	PermissionSet *string    `json:"permission_set"`
}

// PublicKeyChange is a create or update of an SSH public key.
type PublicKeyChange struct {
	UserID    *int64  `json:"user_id"`
	Title     *string `json:"title"`
	PublicKey *string `json:"public_key"`
}

// SiteChange is an update of the site settings Gatehouse enforces.
type SiteChange struct {
	Name                  *string `json:"name"`
	SessionExpiryMinutes  *int    `json:"session_expiry_minutes"`
	NonSSOUsersAllowed    *bool   `json:"non_sso_users_allowed"`
	NonSSOGroupsAllowed   *bool   `json:"non_sso_groups_allowed"`
	UserLockout           *bool   `json:"user_lockout"`
	UserLockoutTries      *int    `json:"user_lockout_tries"`
	UserLockoutWithin     *int    `json:"user_lockout_within"`
	UserLockoutLockPeriod *int    `json:"user_lockout_lock_period"`
	PasswordMinLength     *int    `json:"password_min_length"`
	LoginHelpText         *string `json:"login_help_text"`
	EventRetentionDays    *int    `json:"event_retention_days"`
}

// SSOStrategyChange is a create or update of an SSO provider. ClientSecret,
// LDAPPassword and SCIMPassword are write-only: stored encrypted, never read back.
type SSOStrategyChange struct {
	Protocol                         *string          `json:"protocol"`
	Provider                         *string          `json:"provider"`
	Label                            *string          `json:"label"`
	LogoURL                          *string          `json:"logo_url"`
	Enabled                          *bool            `json:"enabled"`
	DisplayOnLoginPage               *bool            `json:"display_on_login_page"`
	ProviderIdentifier               *string          `json:"provider_identifier"`
	Subdomain                        *string          `json:"subdomain"`
	ClientID                         *string          `json:"client_id"`
	ClientSecret                     *string          `json:"client_secret"`
	SAMLProviderCertFingerprint      *string          `json:"saml_provider_cert_fingerprint"`
	SAMLProviderIssuerURL            *string          `json:"saml_provider_issuer_url"`
	SAMLProviderMetadataContent      *string          `json:"saml_provider_metadata_content"`
	SAMLProviderMetadataURL          *string          `json:"saml_provider_metadata_url"`
	SAMLProviderSLOTargetURL         *string          `json:"saml_provider_slo_target_url"`
	SAMLProviderSSOTargetURL         *string          `json:"saml_provider_sso_target_url"`
	SCIMAuthenticationMethod         *string          `json:"scim_authentication_method"`
	SCIMUsername                     *string          `json:"scim_username"`
	SCIMPassword                     *string          `json:"scim_password"`
	SCIMOAuthAccessTokenExpiresAt    *time.Time       `json:"scim_oauth_access_token_expires_at"`
	ProvisionUsers                   *bool            `json:"provision_users"`
	ProvisionGroups                  *bool            `json:"provision_groups"`
	DeprovisionUsers                 *bool            `json:"deprovision_users"`
	DeprovisionGroups                *bool            `json:"deprovision_groups"`
	DeprovisionBehavior              *string          `json:"deprovision_behavior"`
	ProvisionGroupDefault            *string          `json:"provision_group_default"`
	ProvisionGroupExclusion          *string          `json:"provision_group_exclusion"`
	ProvisionGroupInclusion          *string          `json:"provision_group_inclusion"`
	ProvisionGroupRequired           *string          `json:"provision_group_required"`
	ProvisionEmailSignupGroups       *string          `json:"provision_email_signup_groups"`
	ProvisionReadonlySiteAdminGroups *string          `json:"provision_readonly_site_admin_groups"`
	ProvisionSiteAdminGroups         *string          `json:"provision_site_admin_groups"`
	ProvisionGroupAdminGroups        *string          `json:"provision_group_admin_groups"`
	ProvisionDAVPermission           *bool            `json:"provision_dav_permission"`
	ProvisionFTPPermission           *bool            `json:"provision_ftp_permission"`
	ProvisionSFTPPermission          *bool            `json:"provision_sftp_permission"`
	ProvisionTimeZone                *string          `json:"provision_time_zone"`
	ProvisionCompany                 *string          `json:"provision_company"`
	ProvisionRequire2FA              *string          `json:"provision_require_2fa"`
	ProvisionFilesystemLayout        *string          `json:"provision_filesystem_layout"`
	LDAPBaseDN                       *string          `json:"ldap_base_dn"`
	LDAPDomain                       *string          `json:"ldap_domain"`
	LDAPHost                         *string          `json:"ldap_host"`
	LDAPHost2                        *string          `json:"ldap_host_2"`
	LDAPHost3                        *string          `json:"ldap_host_3"`
	LDAPPort                         *int             `json:"ldap_port"`
	LDAPSecure                       *bool            `json:"ldap_secure"`
	LDAPType                         *string          `json:"ldap_type"`
	LDAPUsername                     *string          `json:"ldap_username"`
	LDAPPassword                     *string          `json:"ldap_password"`
	LDAPUsernameField                *string          `json:"ldap_username_field"`
	LDAPProvisioningEnabled          *bool            `json:"ldap_provisioning_enabled"`
	Options                          *json.RawMessage `json:"options"`
}

// IDList is a list of record ids. It decodes from a JSON array of numbers
// or from Files.com's comma-separated string ("1,2,3").
type IDList []int64

// UnmarshalJSON accepts [1,2], "1,2" and "".
func (l *IDList) UnmarshalJSON(b []byte) error {
	var ids []int64
	if err := json.Unmarshal(b, &ids); err == nil {
		*l = ids
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	parsed, err := ParseIDList(s)
	if err != nil {
		return err
	}
	*l = parsed
	return nil
}

// ParseIDList parses "1, 2,3" into ids; an empty string is an empty list.
func ParseIDList(s string) (IDList, error) {
	ids := IDList{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id <= 0 {
			return nil, ErrInvalidParams.With("%q is not a record id", part)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
