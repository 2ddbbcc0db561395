package sqlstore

import "github.com/gatehouse/gatehouse/internal/store"

// The column lists below are the one place a record field meets its
// column; the migrations of both drivers create the same columns.

var sites = newTable("sites", "s", "", "site", func(r *store.Site) []field {
	return []field{
		{"id", &r.ID},
		{"subdomain", &r.Subdomain},
		{"name", &r.Name},
		{"is_default", &r.IsDefault},
		{"session_expiry_minutes", &r.SessionExpiryMinutes},
		{"non_sso_users_allowed", &r.NonSSOUsersAllowed},
		{"non_sso_groups_allowed", &r.NonSSOGroupsAllowed},
		{"user_lockout", &r.UserLockout},
		{"user_lockout_tries", &r.UserLockoutTries},
		{"user_lockout_within", &r.UserLockoutWithin},
		{"user_lockout_lock_period", &r.UserLockoutLockPeriod},
		{"password_min_length", &r.PasswordMinLength},
		{"login_help_text", &r.LoginHelpText},
		{"event_retention_days", &r.EventRetentionDays},
		{"created_at", &r.CreatedAt},
		{"updated_at", &r.UpdatedAt},
	}
})

var users = newTable("users", "u", "", "user", func(r *store.User) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"username", &r.Username},
		{"username_key", lowerKey{&r.Username}},
		{"username_skeleton", skeletonKey{&r.Username, "username_key"}},
		{"email", &r.Email},
		{"email_key", lowerKey{&r.Email}},
		{"name", &r.Name},
		{"name_key", lowerKey{&r.Name}},
		{"company", &r.Company},
		{"time_zone", &r.TimeZone},
		{"notes", &r.Notes},
		{"authentication_method", &r.AuthenticationMethod},
		{"sso_strategy_id", &r.SSOStrategyID},
		{"external_id", &r.ExternalID},
		{"externally_managed", &r.ExternallyManaged},
		{"site_admin", &r.SiteAdmin},
		{"disabled", &r.Disabled},
		{"require_password_change", &r.RequirePasswordChange},
		{"ftp_permission", &r.FTPPermission},
		{"sftp_permission", &r.SFTPPermission},
		{"dav_permission", &r.DAVPermission},
		{"restapi_permission", &r.RestAPIPermission},
		{"notify_on_all_sso_failures", &r.NotifyOnAllSSOFailures},
		{"password_hash", &r.PasswordHash},
		{"password_set_at", &r.PasswordSetAt},
		{"failed_logins", &r.FailedLogins},
		{"failed_logins_since", &r.FailedLoginsSince},
		{"lockout_expires", &r.LockoutExpires},
		{"first_login_at", &r.FirstLoginAt},
		{"last_login_at", &r.LastLoginAt},
		{"last_web_login_at", &r.LastWebLoginAt},
		{"last_desktop_login_at", &r.LastDesktopLoginAt},
		{"last_restapi_login_at", &r.LastRestAPILoginAt},
		{"last_sftp_login_at", &r.LastSFTPLoginAt},
		{"last_ftp_login_at", &r.LastFTPLoginAt},
		{"last_dav_login_at", &r.LastDAVLoginAt},
		{"last_api_use_at", &r.LastAPIUseAt},
		{"scim_external_id", &r.SCIM.ExternalID},
		{"scim_display_name", &r.SCIM.DisplayName},
		{"scim_display_name_key", lowerKey{&r.SCIM.DisplayName}},
		{"employee_number", &r.SCIM.EmployeeNumber},
		{"department", &r.SCIM.Department},
		{"manager_id", &r.SCIM.Manager},
		{"scim_attributes", &r.SCIM.Attributes},
		{"scim_deleted", &r.SCIM.Deleted},
		{"created_at", &r.CreatedAt},
		{"updated_at", &r.UpdatedAt},
	}
}).sortedBy(userSorts)

var groups = newTable("groups", "g", "", "group", func(r *store.Group) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"name", &r.Name},
		{"name_key", lowerKey{&r.Name}},
		{"notes", &r.Notes},
		{"ftp_permission", &r.FTPPermission},
		{"sftp_permission", &r.SFTPPermission},
		{"dav_permission", &r.DAVPermission},
		{"restapi_permission", &r.RestAPIPermission},
		{"sso_strategy_id", &r.SSOStrategyID},
		{"external_id", &r.ExternalID},
		{"scim_deleted", &r.SCIMDeleted},
		{"created_at", &r.CreatedAt},
		{"updated_at", &r.UpdatedAt},
	}
}).sortedBy(groupSorts)

var groupUsers = newTable("group_users", "gu",
	"group_users gu JOIN groups g ON g.id = gu.group_id JOIN users u ON u.id = gu.user_id",
	"group membership", func(r *store.GroupUser) []field {
		return []field{
			{"id", &r.ID},
			{"site_id", &r.SiteID},
			{"group_id", &r.GroupID},
			{"user_id", &r.UserID},
			{"admin", &r.Admin},
			{"sso_strategy_id", &r.SSOStrategyID},
			{"g.name", joined{&r.GroupName}},
			{"u.username", joined{&r.Username}},
			{"created_at", &r.CreatedAt},
		}
	})

// userGroups reads a user's groups with their memberships' admin flags.
var userGroups = newTable("groups", "g", "group_users gu JOIN groups g ON g.id = gu.group_id", "group",
	func(r *store.UserGroup) []field {
		return append(groups.fields(&r.Group), field{"gu.admin", joined{&r.Admin}})
	})

var apiKeys = newTable("api_keys", "k", "", "API key", func(r *store.APIKey) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"user_id", optionalID{&r.UserID}},
		{"name", &r.Name},
		{"description", &r.Description},
		{"descriptive_label", &r.DescriptiveLabel},
		{"key_hash", &r.KeyHash},
		{"permission_set", &r.PermissionSet},
		{"expires_at", &r.ExpiresAt},
		{"expires_at_ceiling", &r.ExpiresCeiling},
		{"last_use_at", &r.LastUseAt},
		{"created_at", &r.CreatedAt},
	}
}).sortedBy(apiKeySorts)

var publicKeys = newTable("public_keys", "pk", "", "public key", func(r *store.PublicKey) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"user_id", &r.UserID},
		{"title", &r.Title},
		{"public_key", &r.PublicKey},
		{"fingerprint_sha256", &r.FingerprintSHA256},
		{"last_login_at", &r.LastLoginAt},
		{"created_at", &r.CreatedAt},
	}
}).sortedBy(publicKeySorts)

var sessions = newTable("sessions", "se", "", "session", func(r *store.Session) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"user_id", &r.UserID},
		{"token_hash", &r.TokenHash},
		{"channel", &r.Channel},
		{"ip", &r.IP},
		{"user_agent", &r.UserAgent},
		{"sso_session_index", &r.SSOSessionIndex},
		{"expires_at", &r.ExpiresAt},
		{"created_at", &r.CreatedAt},
	}
})

var ssoEvents = newTable("sso_events", "ev", "", "SSO event", func(r *store.SSOEvent) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"event_type", &r.EventType},
		{"status", &r.Status},
		{"body", &r.Body},
		{"event_errors", &r.EventErrors},
		{"user_id", &r.UserID},
		{"username", &r.Username},
		{"idp_uid", &r.IdPUID},
		{"provider", &r.Provider},
		{"provider_label", &r.ProviderLabel},
		{"sso_strategy_id", &r.SSOStrategyID},
		{"ip", &r.IP},
		{"region", &r.Region},
		{"created_at", &r.CreatedAt},
	}
}).sortedBy(eventSorts)

var externalEvents = newTable("external_events", "ev", "", "external event", func(r *store.ExternalEvent) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"event_type", &r.EventType},
		{"status", &r.Status},
		{"body", &r.Body},
		{"sso_strategy_id", &r.SSOStrategyID},
		{"created_at", &r.CreatedAt},
	}
}).sortedBy(eventSorts)

var scimLogs = newTable("scim_logs", "ev", "", "SCIM log entry", func(r *store.ScimLog) []field {
	return []field{
		{"id", &r.ID},
		{"site_id", &r.SiteID},
		{"sso_strategy_id", &r.SSOStrategyID},
		{"request_path", &r.RequestPath},
		{"request_method", &r.RequestMethod},
		{"http_response_code", &r.HTTPResponseCode},
		{"user_agent", &r.UserAgent},
		{"request_json", &r.RequestJSON},
		{"response_json", &r.ResponseJSON},
		{"created_at", &r.CreatedAt},
	}
}).sortedBy(scimLogSorts)
