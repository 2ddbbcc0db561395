// Package provision is the one provisioning engine behind SCIM, the LDAP
// sync and just-in-time creation at sign-in. Each source translates its
// protocol into ExternalIdentity values and hands them to an Engine; only
// the Engine creates, changes, disables or deletes users, groups and
// memberships, by the rules of the provider (store.SSOStrategy).
//
// # Matching
//
// An identity is matched to an account by the provider's immutable id
// (store.User.ExternalID with SSOStrategyID = the provider). A match whose
// login name or e-mail changed is renamed in place. Without such a match an
// account with the same login name is linked only when it already belongs
// to this provider and has no immutable id yet; an account of another
// provider, a password account, or one holding another immutable id is
// never taken over: the identity is refused and a provision_conflict event
// says why. Only accounts the provider provisioned (SSOStrategyID = the
// provider, an ExternalID, ExternallyManaged) are ever deprovisioned. A
// disabled account whose identity arrives active again is enabled.
//
// # Rules
//
// Group lists (provision_group_inclusion, _exclusion, _required,
// _site_admin_groups, _group_admin_groups, _email_signup_groups) are comma-
// or newline-separated names in which * matches any run of characters,
// compared without regard to case. provision_group_default lists plain
// names. A malformed list (invalid UTF-8, control characters, an entry over
// 256 characters, more than 1,000 entries, * in a default group name) stops
// the operation before it changes anything: rules that cannot be read are
// not guessed at.
//
//   - provision_users off: no account is created; matched accounts are
//     still kept up to date.
//   - provision_groups off: no group is created and no membership is added
//     from the directory (default groups are still added).
//   - inclusion empty means every group; exclusion wins over inclusion.
//     They decide which directory groups become groups and memberships.
//   - required: an identity in none of the required groups (by resolved
//     name, before inclusion and exclusion) is not provisioned; an existing
//     account is deprovisioned by Reconcile and disabled by Upsert (when
//     deprovision_users is on). Upsert refuses a new one; Reconcile counts
//     it as skipped, without an event or an error, since a directory
//     snapshot holds everyone and leaving most out is the rule working
//     (the same goes for new identities when provision_users is off).
//   - default groups: every provisioned user is added to them; a missing
//     one is created when provision_groups is on. They are never removed.
//   - site admin groups: when the list is set, site_admin follows
//     membership (gained and lost); when empty, site_admin is not touched.
//   - group admin groups: when the list is set, a membership the engine
//     made in a group whose name matches is a group-admin membership.
//   - email signup groups: a new account in one of them gets
//     authentication_method email_signup instead of sso.
//   - deprovision_users off: nobody is disabled or deleted.
//   - deprovision_groups off: no membership is removed. On, the engine
//     removes memberships it made (store.GroupUser.SSOStrategyID) that the
//     directory no longer lists, never one an admin made, and Reconcile
//     deletes the provider's groups missing from the snapshot.
//   - deprovision_behavior disable (also when empty) or delete applies to
//     Delete, Deactivate and users missing from a Reconcile snapshot. An
//     identity arriving with Active false through Upsert is disabled,
//     never deleted, so that it can come back.
//   - new accounts get sso_strategy_id = the provider, externally_managed,
//     provision_company (unless the identity names a company),
//     provision_time_zone (else identity.DefaultTimeZone) and the
//     provision_ftp/sftp/dav permissions.
//
// Disabling a user deletes their sessions in the same transaction; API
// keys and SSH keys stop working because the login policy refuses
// disabled users. Deleting a user removes all of them.
//
// # Groups from identifiers
//
// A GroupRef is resolved to a name by, in order: the group whose external
// id it is (groups made by SCIM or LDAP carry one); the name the identity
// itself carries; the provider's id -> name table (Options "group_names",
// see GroupNames); the id itself. The path taken is recorded in the event
// body as "via". A resolved name then finds a group by name: one of this
// provider without an external id is linked, a local group is used as it
// is (memberships only), a group of another provider or with another
// external id is a conflict, and a missing one is created when
// provision_groups is on.
//
// GroupsIncomplete (SAML/OIDC group overage) keeps every membership the
// user has and judges the rules on the listed groups plus the groups the
// user is already in: an incomplete list never means "no groups".
//
// # Safety
//
// A Reconcile that would disable or delete more than max(10 users, 20 % of
// the provider's users) — both adjustable in Options, see SafetyLimit —
// deprovisions nobody, applies its creates and updates, ends as
// partial_failure and alerts the admins. An empty snapshot from a provider
// that has users changes nothing at all, ends as failure and alerts.
//
// # Concurrency
//
// Every change the engine makes to a site's groups and memberships —
// group and member changes, deprovisioning, each write transaction of a
// Reconcile, and an Upsert that writes anything — runs in a transaction
// that first takes the site's lock (MembershipTx), so that callers on any
// node apply one after the other and none decides from members another
// has just changed. An Upsert that changes nothing (most sign-ins) takes
// no lock. A Reconcile run under a lease (ReconcileFenced) checks the
// lease's fencing token in each of its write transactions: a run whose
// lease passed to another node writes nothing more.
//
// # Events
//
// Every action leaves an sso_event (types EventProvision, EventDeprovision,
// EventConflict, EventRefused, EventGroup) with before and after values in
// its body; every Reconcile leaves an external_event of type EventSync
// that goes from in_progress to success, partial_failure, failure or
// skipped with the counts in its body.
package provision
