// Package ldapsync runs the LDAP / Active Directory sync of a provider:
// it reads the whole directory through the LDAP connector (paged searches,
// 1,000 entries a page) and hands the full snapshot to the provisioning
// engine's Reconcile, so that every rule, and the safety limit that guards
// against a wrong bind account or search filter, applies exactly as it does
// to SCIM.
//
// A provider is synced when its protocol is active_directory or open_ldap,
// or when it signs people in some other way (SAML) but has
// ldap_provisioning_enabled. A run:
//
//   - takes the provider's lock in the store, so that of several Gatehouse
//     nodes on one PostgreSQL only one reads the directory and writes its
//     changes; a second caller gets ErrRunningElsewhere at once;
//   - reads the directory; if the directory fails or stops answering
//     part-way, the run is recorded as a failure, the admins are alerted and
//     nobody is deprovisioned: a partial answer is never taken for the truth;
//   - reconciles: the engine's external event for the run goes from
//     in_progress to success, partial_failure or failure, and this package
//     adds what the directory held (users, groups, memberships) to its body.
//
// Preview reads the directory the same way and returns the engine's plan
// without writing anything. Scheduler runs every eligible provider once per
// interval (60 minutes unless configured), measured from the provider's last
// recorded run, so that several nodes together still sync a provider once
// an interval.
package ldapsync
