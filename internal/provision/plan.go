package provision

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/namekey"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Action is what the engine does (or would do) to one user or group.
type Action string

// Actions on users, groups and memberships.
const (
	ActionNone        Action = "none"        // nothing to change
	ActionCreate      Action = "create"      // a new account
	ActionUpdate      Action = "update"      // profile fields changed
	ActionRename      Action = "rename"      // login name changed, matched by immutable id
	ActionLink        Action = "link"        // an account of this provider without immutable id adopted by name
	ActionEnable      Action = "enable"      // a deprovisioned account is back
	ActionDisable     Action = "disable"     // deprovisioned by disabling
	ActionDelete      Action = "delete"      // deprovisioned by deleting
	ActionMemberships Action = "memberships" // only group memberships changed
	ActionRefuse      Action = "refuse"      // bad input or rules: nothing done
	ActionConflict    Action = "conflict"    // would take over another account or name: nothing done

	ActionGroupCreate Action = "create_group"
	ActionGroupRename Action = "rename_group"
	ActionGroupLink   Action = "link_group"
	ActionGroupDelete Action = "delete_group"
)

// userOp is the planned change to one user, applied in one transaction.
type userOp struct {
	action      Action
	x           *ExternalIdentity // nil for users missing from a snapshot
	before      *store.User       // nil when creating
	after       store.User
	fields      []string // profile fields that change
	add         []memberAdd
	remove      []store.Membership
	adminFlips  []store.Membership // memberships whose Admin becomes the value given
	resolutions []Resolution
	reason      string
}

type memberAdd struct {
	t     groupTarget
	admin bool
}

// refusal is an identity the engine would not act on, and why.
type refusal struct {
	ext, username string
	userID        int64
	conflict      bool
	reason        string
	// outOfScope: in a full snapshot, the provider's rules leave the
	// identity out (in no required group, or provision_users off). A
	// directory holds many such people and that is the filter working, so
	// Reconcile counts them as skipped, with no event and no error.
	outOfScope bool
}

func (s *state) refuse(x ExternalIdentity, conflict bool, format string, args ...any) *refusal {
	return &refusal{ext: x.ExternalID, username: x.Username, conflict: conflict, reason: fmt.Sprintf(format, args...)}
}

// refuseLookAlike refuses, as a conflict, a login name that looks like the
// username of another account (see namekey): for an identity being created
// (renaming is ""), or for the account exceptID being renamed from renaming.
func (s *state) refuseLookAlike(ctx context.Context, x *ExternalIdentity, renaming string, exceptID int64) (*refusal, error) {
	alike, err := s.userLookingLike(ctx, x.Username, exceptID)
	if err != nil || alike == nil {
		return nil, err
	}
	what := fmt.Sprintf("login name %q", x.Username)
	if renaming != "" {
		what = fmt.Sprintf("cannot rename %q to %q, which", renaming, x.Username)
	}
	r := s.refuse(*x, true, "%s looks the same as the username of account %q (id %d) once case, full-width forms, "+
		"look-alike letters of other scripts and invisible characters are set aside; not provisioned", what, alike.Username, alike.ID)
	r.userID = alike.ID
	return r, nil
}

// planUser decides what one identity changes. upsert says it came alone
// (SCIM, JIT) rather than in a snapshot: a user who fails the required
// groups is then disabled rather than deprovisioned by the behaviour.
func (s *state) planUser(ctx context.Context, x *ExternalIdentity, upsert bool) (*userOp, *refusal, error) {
	if err := checkIdentity(*x); err != nil {
		return nil, s.refuse(*x, false, "%v", err), nil
	}
	u, err := s.userByExt(ctx, x.ExternalID)
	if err != nil {
		return nil, nil, err
	}
	linking := false
	if u == nil {
		other, err := s.userByName(ctx, x.Username)
		if err != nil {
			return nil, nil, err
		}
		if other != nil {
			if why := s.linkConflict(other); why != "" {
				r := s.refuse(*x, true, "%s", why)
				r.userID = other.ID
				return nil, r, nil
			}
			u, linking = other, true
		} else if rf, err := s.refuseLookAlike(ctx, x, "", 0); rf != nil || err != nil {
			return nil, rf, err
		}
	} else if key(u.Username) != key(x.Username) {
		other, err := s.userByName(ctx, x.Username)
		if err != nil {
			return nil, nil, err
		}
		if other != nil && other.ID != u.ID {
			return nil, s.refuse(*x, true, "cannot rename %q to %q: another account (id %d) has that login name",
				u.Username, x.Username, other.ID), nil
		}
		if rf, err := s.refuseLookAlike(ctx, x, u.Username, u.ID); rf != nil || err != nil {
			return nil, rf, err
		}
	}
	// Two identities of one run may not claim names that look alike either.
	claim := namekey.Skeleton(x.Username)
	if holder, ok := s.claimed[claim]; ok && holder != x.ExternalID {
		return nil, s.refuse(*x, true, "another identity in the same run (immutable id %q) has the login name %q, or one that looks like it",
			clip(holder), x.Username), nil
	}
	s.claimed[claim] = x.ExternalID

	names, targets, res, err := s.resolveGroups(ctx, x.Groups)
	if err != nil {
		return nil, nil, err
	}
	var current []store.Membership
	if u != nil {
		if current, err = s.membershipsOf(ctx, u.ID); err != nil {
			return nil, nil, err
		}
		if x.GroupsIncomplete {
			if names, err = s.withCurrentGroups(ctx, names, current); err != nil {
				return nil, nil, err
			}
		}
	}
	if !s.r.meetsRequired(names) {
		why := "not in any of the required groups (provision_group_required)"
		if u == nil || !s.managed(u) || !s.r.deprovisionUsers {
			r := s.refuse(*x, false, "%s; not provisioned", why)
			r.outOfScope = !upsert && u == nil
			return nil, r, nil
		}
		op := s.planDeprovision(u, s.r.deleteOnDeprovision && !upsert, false, why)
		if op == nil {
			return &userOp{action: ActionNone, x: x, before: u, after: *u}, nil, nil
		}
		op.x = x
		return op, nil, nil
	}
	var op *userOp
	if u == nil {
		if !s.r.provisionUsers {
			r := s.refuse(*x, false, "provision_users is off: new accounts are not created")
			r.outOfScope = !upsert
			return nil, r, nil
		}
		op = s.planCreate(x, names)
	} else {
		op = s.planUpdate(x, u, names, linking)
	}
	op.resolutions = res
	if err := s.planMemberships(ctx, op, x, targets, current); err != nil {
		return nil, nil, err
	}
	if op.action == ActionNone && (len(op.add) > 0 || len(op.remove) > 0 || len(op.adminFlips) > 0) {
		op.action = ActionMemberships
	}
	return op, nil, nil
}

// linkConflict says why an account found by login name may not be linked
// to this provider's identity, or "" when it may.
func (s *state) linkConflict(u *store.User) string {
	switch {
	case u.SSOStrategyID == 0:
		return fmt.Sprintf("login name %q belongs to an account (id %d) that signs in with %s, not through this provider; it is not taken over",
			u.Username, u.ID, authName(u.AuthenticationMethod))
	case u.SSOStrategyID != s.p.ID:
		return fmt.Sprintf("login name %q belongs to an account (id %d) of another provider (id %d); it is not taken over",
			u.Username, u.ID, u.SSOStrategyID)
	case u.ExternalID != "":
		return fmt.Sprintf("login name %q belongs to an account (id %d) linked to another directory identity (immutable id %q)",
			u.Username, u.ID, clip(u.ExternalID))
	}
	return ""
}

func authName(m string) string {
	if m == "" {
		return "no method"
	}
	return m
}

// withCurrentGroups adds the names of the groups the user is in, for an
// incomplete group list.
func (s *state) withCurrentGroups(ctx context.Context, names []string, current []store.Membership) ([]string, error) {
	out := slices.Clone(names)
	for _, m := range current {
		g, err := s.groupByID(ctx, m.GroupID)
		if err != nil {
			return nil, err
		}
		if g != nil {
			out = append(out, g.Name)
		}
	}
	return out, nil
}

// planCreate builds a new account from the identity and the provider's
// defaults.
func (s *state) planCreate(x *ExternalIdentity, names []string) *userOp {
	u := store.User{
		SiteID:               s.siteID,
		Username:             x.Username,
		Email:                x.Email,
		Name:                 x.FullName(),
		Company:              x.Company,
		TimeZone:             s.r.timeZone,
		AuthenticationMethod: store.AuthSSO,
		SSOStrategyID:        s.p.ID,
		ExternalID:           x.ExternalID,
		ExternallyManaged:    true,
		Disabled:             !x.Active,
		FTPPermission:        s.r.ftp,
		SFTPPermission:       s.r.sftp,
		DAVPermission:        s.r.dav,
		RestAPIPermission:    true,
	}
	if x.SCIM != nil {
		u.SCIM = *x.SCIM
	}
	if u.Company == "" {
		u.Company = s.r.company
	}
	if u.TimeZone == "" {
		u.TimeZone = identity.DefaultTimeZone
	}
	if s.r.emailSignup.matchAny(names) {
		u.AuthenticationMethod = store.AuthEmailSignup
	}
	if len(s.r.siteAdmin) > 0 {
		u.SiteAdmin = s.r.siteAdmin.matchAny(names)
	}
	return &userOp{action: ActionCreate, x: x, after: u}
}

// planUpdate brings a matched account in line with the identity.
func (s *state) planUpdate(x *ExternalIdentity, u *store.User, names []string, linking bool) *userOp {
	op := &userOp{action: ActionNone, x: x, before: u, after: *u}
	a := &op.after
	set := func(field string, changed bool, apply func()) {
		if changed {
			apply()
			op.fields = append(op.fields, field)
		}
	}
	set("username", a.Username != x.Username, func() { a.Username = x.Username })
	set("email", a.Email != x.Email, func() { a.Email = x.Email })
	set("name", x.FullName() != "" && a.Name != x.FullName(), func() { a.Name = x.FullName() })
	set("company", x.Company != "" && a.Company != x.Company, func() { a.Company = x.Company })
	if len(s.r.siteAdmin) > 0 {
		want := s.r.siteAdmin.matchAny(names)
		set("site_admin", a.SiteAdmin != want, func() { a.SiteAdmin = want })
	}
	set("external_id", a.ExternalID != x.ExternalID, func() { a.ExternalID = x.ExternalID })
	set("scim", x.SCIM != nil && a.SCIM != *x.SCIM, func() { a.SCIM = *x.SCIM })
	set("externally_managed", !a.ExternallyManaged, func() { a.ExternallyManaged = true })
	enable := x.Active && a.Disabled
	disable := !x.Active && !a.Disabled && s.r.deprovisionUsers
	set("disabled", enable || disable, func() { a.Disabled = !x.Active })
	switch {
	case linking:
		op.action = ActionLink
	case enable:
		op.action = ActionEnable
	case disable:
		op.action, op.reason = ActionDisable, "the directory marks the identity inactive"
	case u.Username != x.Username || u.Email != x.Email:
		op.action = ActionRename
	case len(op.fields) > 0:
		op.action = ActionUpdate
	}
	return op
}

// planMemberships compares the groups the identity should be in (plus the
// default groups) with the user's memberships.
func (s *state) planMemberships(ctx context.Context, op *userOp, x *ExternalIdentity, targets []groupTarget, current []store.Membership) error {
	defaults, err := s.defaultTargets(ctx)
	if err != nil {
		return err
	}
	have, want, planned := s.haveGroups, s.wantGroups, s.planned
	clear(have)
	clear(want)
	clear(planned)
	for _, m := range current {
		have[m.GroupID] = m
	}
	manageAdmin := len(s.r.groupAdmin) > 0
	for i := range len(targets) + len(defaults) {
		var t groupTarget
		if i < len(targets) {
			t = targets[i]
		} else {
			t = defaults[i-len(targets)]
		}
		if id := t.id(); id != 0 {
			if want[id] {
				continue
			}
			want[id] = true
		} else {
			if planned[t.op] {
				continue
			}
			planned[t.op] = true
		}
		admin := manageAdmin && s.r.groupAdmin.match(t.name())
		if m, ok := have[t.id()]; ok && t.id() != 0 {
			if manageAdmin && m.SSOStrategyID == s.p.ID && m.Admin != admin {
				m.Admin = admin
				op.adminFlips = append(op.adminFlips, m)
			}
			continue
		}
		op.add = append(op.add, memberAdd{t: t, admin: admin})
	}
	if s.r.deprovisionGroups && s.r.provisionGroups && !x.GroupsIncomplete {
		for _, m := range current {
			if m.SSOStrategyID == s.p.ID && !want[m.GroupID] {
				op.remove = append(op.remove, m)
			}
		}
	}
	return nil
}

// planDeprovision disables or deletes a managed account; nil when it is
// disabled already and is to stay so. hide (a SCIM DELETE) also takes a
// kept account out of the provider's SCIM view (SCIMProfile.Deleted).
func (s *state) planDeprovision(u *store.User, del, hide bool, reason string) *userOp {
	op := &userOp{before: u, after: *u, reason: reason}
	switch {
	case del:
		op.action = ActionDelete
	case u.Disabled && (!hide || u.SCIM.Deleted):
		return nil
	default:
		op.action = ActionDisable
		if !u.Disabled {
			op.after.Disabled = true
			op.fields = append(op.fields, "disabled")
		}
		if hide {
			op.after.SCIM.Deleted = true
			op.fields = append(op.fields, "scim_deleted")
		}
	}
	return op
}
