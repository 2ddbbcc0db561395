package storetest

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// fullStrategy has every field set to a distinct value.
func fullStrategy(siteID int64) store.SSOStrategy {
	return store.SSOStrategy{
		SiteID: siteID, Protocol: "saml", Provider: "azure", Label: "Entra ID", LogoURL: "https://example.com/logo.png",
		Enabled: true, DisplayOnLoginPage: true, ProviderIdentifier: "entra-1", Subdomain: "corp",
		ClientID: "client-id", ClientSecretEnc: []byte{1, 2, 3, 0},
		SAMLProviderCertFingerprint: "AA:BB", SAMLProviderIssuerURL: "https://sts.windows.net/t/",
		SAMLProviderMetadataContent: "<EntityDescriptor entityID=\"x\"/>", SAMLProviderMetadataURL: "https://m.example/x",
		SAMLProviderSLOTargetURL: "https://slo.example", SAMLProviderSSOTargetURL: "https://sso.example",
		SCIMAuthenticationMethod: "token", SCIMUsername: "scim", SCIMPasswordEnc: []byte{9, 8},
		SCIMTokenHash: []byte{7, 7, 7}, SCIMTokenExpiresAt: at(48 * time.Hour),
		ProvisionUsers: true, ProvisionGroups: true, DeprovisionUsers: true, DeprovisionGroups: true,
		DeprovisionBehavior: "disable", ProvisionGroupDefault: "Everyone", ProvisionGroupExclusion: "Temp*",
		ProvisionGroupInclusion: "Staff*", ProvisionGroupRequired: "Staff", ProvisionEmailSignupGroups: "Guests",
		ProvisionReadonlySiteAdminGroups: "Auditors", ProvisionSiteAdminGroups: "IT Admins",
		ProvisionGroupAdminGroups: "Leads", ProvisionDAVPermission: true, ProvisionFTPPermission: true,
		ProvisionSFTPPermission: true, ProvisionTimeZone: "UTC", ProvisionCompany: "Example",
		ProvisionRequire2FA: "use_system_setting", ProvisionFilesystemLayout: "integration_centric",
		LDAPBaseDN: "dc=example,dc=com", LDAPDomain: "example.com", LDAPHost: "ldap1", LDAPHost2: "ldap2",
		LDAPHost3: "ldap3", LDAPPort: 636, LDAPSecure: true, LDAPType: "active_directory", LDAPUsername: "binder",
		LDAPPasswordEnc: []byte{5}, LDAPUsernameField: "sAMAccountName", LDAPProvisioningEnabled: true,
		Options: `{"groups":{"1f0c":"Staff — Zürich"},"limit":0.1,"quote":"\"'"}`,
	}
}

var ssoStrategyTests = []test{
	{"CRUD", func(f *fixture) {
		st := fullStrategy(f.site.ID)
		f.must(f.s.CreateSSOStrategy(f.ctx, &st))
		if st.ID == 0 || st.CreatedAt.IsZero() {
			f.t.Fatalf("CreateSSOStrategy did not set id and times: %+v", st)
		}
		got, err := f.s.GetSSOStrategy(f.ctx, f.site.ID, st.ID)
		f.must(err)
		equal(f, got, st)
		bare := store.SSOStrategy{SiteID: f.site.ID, Protocol: "oauth2"}
		f.must(f.s.CreateSSOStrategy(f.ctx, &bare))
		got, err = f.s.GetSSOStrategy(f.ctx, f.site.ID, bare.ID)
		f.must(err)
		equal(f, got, bare)
		list, err := f.s.ListSSOStrategies(f.ctx, f.site.ID, store.ListOptions{})
		f.must(err)
		wantIDs(f, ids(f, list), st.ID, bare.ID)
		list, err = f.s.ListSSOStrategies(f.ctx, f.site.ID, store.ListOptions{Limit: 1})
		f.must(err)
		wantIDs(f, ids(f, list), st.ID)
		upd, err := f.s.UpdateSSOStrategy(f.ctx, f.site.ID, st.ID, func(x *store.SSOStrategy) error {
			x.Enabled, x.ClientSecretEnc, x.Options = false, nil, "{}"
			return nil
		})
		f.must(err)
		if upd.Enabled || upd.ClientSecretEnc != nil || upd.Options != "{}" {
			f.t.Fatalf("update gave %+v", upd)
		}
		got, err = f.s.GetSSOStrategy(f.ctx, f.site.ID, st.ID)
		f.must(err)
		equal(f, got, upd)
		_, err = f.s.UpdateSSOStrategy(f.ctx, f.site.ID, st.ID, func(x *store.SSOStrategy) error { x.Label = "lost"; return errFromFn })
		f.wantErr(err, errFromFn)
		f.must(f.s.DeleteSSOStrategy(f.ctx, f.site.ID, st.ID))
		_, err = f.s.GetSSOStrategy(f.ctx, f.site.ID, st.ID)
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteSSOStrategy(f.ctx, f.site.ID, st.ID), store.ErrNotFound)
	}},
	{"SiteIsolation", func(f *fixture) {
		theirs := fullStrategy(f.other.ID)
		f.must(f.s.CreateSSOStrategy(f.ctx, &theirs))
		_, err := f.s.GetSSOStrategy(f.ctx, f.site.ID, theirs.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.UpdateSSOStrategy(f.ctx, f.site.ID, theirs.ID, func(x *store.SSOStrategy) error { x.Label = "x"; return nil })
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteSSOStrategy(f.ctx, f.site.ID, theirs.ID), store.ErrNotFound)
		list, err := f.s.ListSSOStrategies(f.ctx, f.site.ID, store.ListOptions{})
		f.must(err)
		wantIDs(f, ids(f, list))
	}},
}
