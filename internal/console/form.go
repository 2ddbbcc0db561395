package console

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// formValues are a provider form's fields by name. The names are the
// REST API's (and the option keys'), so that a refusal naming a field
// finds it on the form.
type formValues map[string]string

func (v formValues) get(name string) string { return v[name] }

// on reports whether a checkbox was ticked.
func (v formValues) on(name string) bool { return v[name] == "on" || v[name] == "true" }

// maxUpload is the most a metadata or CA bundle file may have; the body
// limit of every form is the front end's (1 MiB).
const maxUpload = 1 << 20

// readForm reads a posted provider form, with the files it may carry
// (metadata XML, CA bundle) read into their text fields.
func readForm(r *http.Request) formValues {
	v := formValues{}
	for name, vals := range r.PostForm {
		if len(vals) > 0 {
			v[name] = strings.TrimSpace(vals[0])
		}
	}
	for field, file := range map[string]string{"saml_provider_metadata_content": "metadata_file", "ldap_ca_bundle": "ca_file"} {
		if text, ok := uploadedText(r, file); ok {
			v[field] = text
		}
	}
	return v
}

// uploadedText is the text of an uploaded file, if one was sent.
func uploadedText(r *http.Request, name string) (string, bool) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[name]) == 0 {
		return "", false
	}
	f, err := r.MultipartForm.File[name][0].Open()
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUpload))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// optionKeys are the option keys a provider form edits, beside the
// provider's own fields.
var optionKeys = []string{"saml_idp_initiated", "oidc_tenant_id", "oidc_cloud_instance", "oidc_authority", "oidc_issuer_url",
	"oidc_login_claim", "ldap_ca_bundle", "ldap_start_tls", "ldap_user_filter", "ldap_group_filter",
	"deprovision_limit_users", "deprovision_limit_percent"}

// valuesOf is a stored provider as form values.
func valuesOf(p store.SSOStrategy, k kind) formValues {
	b := func(x bool) string {
		if x {
			return "on"
		}
		return ""
	}
	v := formValues{
		"label": p.Label, "enabled": b(p.Enabled), "display_on_login_page": b(p.DisplayOnLoginPage),
		"saml_provider_metadata_url": p.SAMLProviderMetadataURL, "saml_provider_metadata_content": p.SAMLProviderMetadataContent,
		"saml_provider_cert_fingerprint": p.SAMLProviderCertFingerprint, "saml_provider_issuer_url": p.SAMLProviderIssuerURL,
		"saml_provider_sso_target_url": p.SAMLProviderSSOTargetURL, "saml_provider_slo_target_url": p.SAMLProviderSLOTargetURL,
		"client_id": p.ClientID, "subdomain": p.Subdomain,
		"ldap_host": p.LDAPHost, "ldap_host_2": p.LDAPHost2, "ldap_host_3": p.LDAPHost3, "ldap_username": p.LDAPUsername,
		"ldap_base_dn": p.LDAPBaseDN, "ldap_domain": p.LDAPDomain, "ldap_username_field": p.LDAPUsernameField,
		"provision_users": b(p.ProvisionUsers), "provision_groups": b(p.ProvisionGroups),
		"deprovision_users": b(p.DeprovisionUsers), "deprovision_groups": b(p.DeprovisionGroups),
		"deprovision_behavior":    p.DeprovisionBehavior,
		"provision_group_default": p.ProvisionGroupDefault, "provision_group_inclusion": p.ProvisionGroupInclusion,
		"provision_group_exclusion": p.ProvisionGroupExclusion, "provision_group_required": p.ProvisionGroupRequired,
		"provision_site_admin_groups": p.ProvisionSiteAdminGroups,
		"provision_sftp_permission":   b(p.ProvisionSFTPPermission), "provision_ftp_permission": b(p.ProvisionFTPPermission),
		"provision_dav_permission": b(p.ProvisionDAVPermission),
	}
	if k.LDAP() {
		v["ldap_port"] = strconv.Itoa(p.LDAPPort)
		v["ldap_security"] = "none"
		if p.LDAPSecure {
			v["ldap_security"] = "ldaps"
		}
	}
	opts := map[string]json.RawMessage{}
	_ = json.Unmarshal([]byte(p.Options), &opts)
	for _, key := range optionKeys {
		raw, ok := opts[key]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			v[key] = s
			continue
		}
		var t bool
		if json.Unmarshal(raw, &t) == nil {
			v[key] = b(t)
			continue
		}
		v[key] = string(raw)
	}
	if v.on("ldap_start_tls") {
		v["ldap_security"] = "starttls"
	}
	return v
}

// changeFromForm turns a kind's form into the change the identity
// service applies, or says which fields cannot be read. Only the kind's
// own fields are taken; on an edit an empty secret keeps the stored one.
// The options the form edits are merged into current, the provider's
// options as saved ("" for a new one): keys the form does not show
// (group names, attribute maps set through the API) are kept, and a key
// the form leaves empty is removed, so its default applies.
func changeFromForm(k kind, v formValues, current string) (identity.SSOStrategyChange, map[string]string) {
	var ch identity.SSOStrategyChange
	bad := map[string]string{}
	str := func(name string) *string { s := v.get(name); return &s }
	flag := func(name string) *bool { b := v.on(name); return &b }
	ch.Label, ch.Enabled, ch.DisplayOnLoginPage = str("label"), flag("enabled"), flag("display_on_login_page")
	if v.get("label") == "" {
		bad["label"] = "give the provider a label: the login page shows it on its button"
	}
	opts := map[string]any{}
	if strings.TrimSpace(current) != "" {
		var saved map[string]json.RawMessage
		if err := json.Unmarshal([]byte(current), &saved); err == nil {
			for key, raw := range saved {
				opts[key] = raw
			}
		}
	}
	setOpt := func(key string) {
		if s := v.get(key); s != "" {
			opts[key] = s
		} else {
			delete(opts, key)
		}
	}
	switch {
	case k.SAML():
		empty := ""
		ch.SAMLProviderMetadataURL, ch.SAMLProviderMetadataContent = &empty, &empty
		ch.SAMLProviderCertFingerprint, ch.SAMLProviderSSOTargetURL = &empty, &empty
		ch.SAMLProviderIssuerURL, ch.SAMLProviderSLOTargetURL = str("saml_provider_issuer_url"), str("saml_provider_slo_target_url")
		switch v.get("trust") {
		case "metadata_url":
			ch.SAMLProviderMetadataURL = str("saml_provider_metadata_url")
		case "metadata_xml":
			ch.SAMLProviderMetadataContent = str("saml_provider_metadata_content")
			if v.get("saml_provider_metadata_content") == "" {
				bad["saml_provider_metadata_content"] = "choose the identity provider's metadata XML file, or paste it"
			}
		case "fingerprint":
			ch.SAMLProviderCertFingerprint = str("saml_provider_cert_fingerprint")
			ch.SAMLProviderSSOTargetURL = str("saml_provider_sso_target_url")
		default:
			bad["trust"] = "choose how to trust the identity provider: its metadata URL, its metadata file, or its certificate's fingerprint"
		}
		opts["saml_idp_initiated"] = v.on("saml_idp_initiated")
	case k.OIDC():
		ch.ClientID = str("client_id")
		if s := v.get("client_secret"); s != "" {
			ch.ClientSecret = &s
		}
		switch {
		case k.Entra():
			for _, key := range []string{"oidc_tenant_id", "oidc_cloud_instance", "oidc_authority"} {
				setOpt(key)
			}
		case k.NeedsSubdomain():
			ch.Subdomain = str("subdomain")
		case k.NeedsIssuer():
			setOpt("oidc_issuer_url")
		}
		setOpt("oidc_login_claim")
	case k.LDAP():
		for name, dst := range map[string]**string{"ldap_host": &ch.LDAPHost, "ldap_host_2": &ch.LDAPHost2, "ldap_host_3": &ch.LDAPHost3,
			"ldap_username": &ch.LDAPUsername, "ldap_base_dn": &ch.LDAPBaseDN, "ldap_domain": &ch.LDAPDomain,
			"ldap_username_field": &ch.LDAPUsernameField} {
			*dst = str(name)
		}
		if s := v.get("ldap_password"); s != "" {
			ch.LDAPPassword = &s
		}
		port, err := strconv.Atoi(v.get("ldap_port"))
		if err != nil || port < 1 || port > 65535 {
			bad["ldap_port"] = "the port is a number from 1 to 65535 (636 for LDAPS, 389 for StartTLS)"
		}
		ch.LDAPPort = &port
		secure := v.get("ldap_security") == "ldaps"
		ch.LDAPSecure = &secure
		opts["ldap_start_tls"] = v.get("ldap_security") == "starttls"
		for _, key := range []string{"ldap_ca_bundle", "ldap_user_filter", "ldap_group_filter"} {
			setOpt(key)
		}
	}
	ch.ProvisionUsers, ch.ProvisionGroups = flag("provision_users"), flag("provision_groups")
	ch.DeprovisionUsers, ch.DeprovisionGroups = flag("deprovision_users"), flag("deprovision_groups")
	if v.get("deprovision_behavior") != "" {
		ch.DeprovisionBehavior = str("deprovision_behavior")
	}
	for name, dst := range map[string]**string{"provision_group_default": &ch.ProvisionGroupDefault,
		"provision_group_inclusion": &ch.ProvisionGroupInclusion, "provision_group_exclusion": &ch.ProvisionGroupExclusion,
		"provision_group_required": &ch.ProvisionGroupRequired, "provision_site_admin_groups": &ch.ProvisionSiteAdminGroups} {
		*dst = str(name)
	}
	ch.ProvisionSFTPPermission, ch.ProvisionFTPPermission = flag("provision_sftp_permission"), flag("provision_ftp_permission")
	ch.ProvisionDAVPermission = flag("provision_dav_permission")
	// The safety limit goes as typed: a number as a number, anything else
	// as text, which the provider settings' own check refuses beside the
	// field (package ssosettings holds its bounds).
	for _, key := range []string{"deprovision_limit_users", "deprovision_limit_percent"} {
		s := v.get(key)
		if s == "" {
			delete(opts, key)
			continue
		}
		if n, err := strconv.Atoi(s); err == nil {
			opts[key] = n
		} else {
			opts[key] = s
		}
	}
	raw, err := json.Marshal(opts)
	if err == nil {
		msg := json.RawMessage(raw)
		ch.Options = &msg
	}
	return ch, bad
}

// formFields are the names a refusal may mention, longest first so that
// "saml_provider_metadata_url" is found before "saml_provider".
var formFields = func() []string {
	names := append([]string{"label", "client_id", "client_secret", "subdomain", "trust",
		"saml_provider_metadata_url", "saml_provider_metadata_content", "saml_provider_cert_fingerprint",
		"saml_provider_issuer_url", "saml_provider_sso_target_url", "saml_provider_slo_target_url",
		"ldap_host_2", "ldap_host_3", "ldap_host", "ldap_port", "ldap_username_field", "ldap_username", "ldap_password",
		"ldap_base_dn", "ldap_domain", "provision_group_default", "provision_group_inclusion", "provision_group_exclusion",
		"provision_group_required", "provision_site_admin_groups", "deprovision_behavior"}, optionKeys...)
	sort.SliceStable(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	return names
}()

// fieldOf is the form field a refusal's message names, if any: the
// service's messages name the field they are about ("options.ldap_ca_bundle
// holds no certificate") first, and may name others after it as places to
// look ("check options.oidc_tenant_id, options.oidc_cloud_instance or
// options.oidc_authority"), so the first named wins; at the same place the
// longest name does. When onForm is not nil only the fields the posted
// form has count: a message may quote words of another kind's form (an
// OpenID discovery failure says "tenant ID, subdomain or URL").
func fieldOf(msg string, onForm formValues) string {
	best, at := "", len(msg)
	for _, name := range formFields {
		if _, ok := onForm[name]; onForm != nil && !ok {
			continue
		}
		if i := strings.Index(msg, name); i >= 0 && i < at {
			best, at = name, i
		}
	}
	return best
}
