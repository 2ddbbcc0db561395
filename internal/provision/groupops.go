package provision

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse/gatehouse/internal/store"
)

// MembersResult is what a change to a group's members did.
type MembersResult struct {
	Group   store.Group `json:"-"`
	Added   int         `json:"added"`
	Removed int         `json:"removed"`
	// Unknown lists immutable ids no account of the provider holds; they
	// are skipped (SCIM sends users before their groups, so a later
	// request usually fills them in).
	Unknown []string `json:"unknown,omitempty"`
}

// UpsertGroup creates the provider's group for ref, or renames it when
// ref.Name changed (SCIM POST/PUT/PATCH /Groups). It needs
// provision_groups, a group id, and a name the inclusion rules admit; a
// name held by a local group or another provider's is a conflict.
func (e *Engine) UpsertGroup(ctx context.Context, siteID, providerID int64, ref GroupRef) (store.Group, error) {
	p, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		return store.Group{}, err
	}
	var out store.Group
	var rf *refusal
	err = e.MembershipTx(ctx, siteID, func(ctx context.Context) error {
		s := newState(e.st, siteID, p, r)
		var op *groupOp
		op, rf, err = s.planGroupUpsert(ctx, ref)
		if err != nil || rf != nil {
			return err
		}
		if op.action == ActionNone {
			out = op.g
			return nil
		}
		if err := e.applyGroupOp(ctx, s, op); err != nil {
			return err
		}
		out = op.g
		return nil
	})
	if rf != nil {
		e.refusalEvent(ctx, p, rf)
		return store.Group{}, &RefusedError{Reason: rf.reason, Conflict: rf.conflict}
	}
	if err != nil {
		return store.Group{}, fmt.Errorf("provision: upsert group %q: %w", clip(ref.Name), err)
	}
	return out, nil
}

func (s *state) planGroupUpsert(ctx context.Context, ref GroupRef) (*groupOp, *refusal, error) {
	refuse := func(conflict bool, format string, args ...any) (*groupOp, *refusal, error) {
		return nil, &refusal{ext: ref.ExternalID, username: ref.Name, conflict: conflict, reason: fmt.Sprintf(format, args...)}, nil
	}
	switch {
	case ref.ExternalID == "":
		return refuse(false, "a group from the directory needs its immutable id")
	case checkGroupRef(ref) != nil:
		return refuse(false, "%v", checkGroupRef(ref))
	case !s.r.provisionGroups:
		return refuse(false, "provision_groups is off: groups are not created or changed")
	}
	g, err := s.groupByExt(ctx, ref.ExternalID)
	if err != nil {
		return nil, nil, err
	}
	name := ref.Name
	if name == "" {
		if g != nil {
			name = g.Name
		} else if name = s.r.groupNames[ref.ExternalID]; name == "" {
			name = ref.ExternalID
		}
	}
	if !s.r.groupAllowed(name) {
		return refuse(false, "group %q is not admitted by provision_group_inclusion/exclusion", name)
	}
	other, err := s.groupByName(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case g != nil && g.Name == name && g.SCIMDeleted:
		// Deleted over SCIM and sent again: the same group, restored.
		return &groupOp{action: ActionGroupLink, before: *g, g: *g}, nil, nil
	case g != nil && g.Name == name:
		return &groupOp{action: ActionNone, g: *g}, nil, nil
	case g != nil && other != nil && other.ID != g.ID:
		return refuse(true, "cannot rename group %q to %q: another group has that name", g.Name, name)
	case g != nil:
		op := &groupOp{action: ActionGroupRename, before: *g, g: *g}
		op.g.Name = name
		return op, nil, nil
	case other == nil:
		return &groupOp{action: ActionGroupCreate, g: store.Group{SiteID: s.siteID, Name: name,
			SSOStrategyID: s.p.ID, ExternalID: ref.ExternalID}}, nil, nil
	case other.SSOStrategyID == s.p.ID && other.ExternalID == "":
		op := &groupOp{action: ActionGroupLink, before: *other, g: *other}
		op.g.ExternalID = ref.ExternalID
		return op, nil, nil
	case other.SSOStrategyID == 0:
		return refuse(true, "group %q exists and is managed in Gatehouse, not by this provider; it is not taken over", name)
	}
	return refuse(true, "%s", s.groupConflict(other, ref.ExternalID))
}

// DeleteGroup deletes the provider's group with the immutable id (SCIM
// DELETE /Groups). With deprovision_groups off the group is kept and only
// leaves the provider's SCIM view.
func (e *Engine) DeleteGroup(ctx context.Context, siteID, providerID int64, externalID string) error {
	p, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		return err
	}
	return e.MembershipTx(ctx, siteID, func(ctx context.Context) error {
		s := newState(e.st, siteID, p, r)
		g, err := s.groupByExt(ctx, externalID)
		if err != nil {
			return err
		}
		if g == nil {
			return fmt.Errorf("%w: group %q", ErrUnknown, clip(externalID))
		}
		if r.deprovisionGroups {
			return e.applyGroupOp(ctx, s, &groupOp{action: ActionGroupDelete, before: *g})
		}
		// Declined, not refused (see changeMembers): the group is kept,
		// but gone from the provider's SCIM view, as a deleted resource
		// must be (RFC 7644 §3.6).
		e.keptEvent(ctx, p, externalID, fmt.Sprintf("group %q kept, as deprovision_groups is off", g.Name))
		if g.SCIMDeleted {
			return nil
		}
		_, err = e.st.UpdateGroup(ctx, siteID, g.ID, func(g *store.Group) error {
			g.SCIMDeleted, g.UpdatedAt = true, e.now()
			return nil
		})
		return err
	})
}

// SetGroupMembers makes the provider's members of a group exactly the
// users with the given immutable ids (SCIM PUT, or PATCH replace members).
func (e *Engine) SetGroupMembers(ctx context.Context, siteID, providerID int64, groupID string, userIDs []string) (MembersResult, error) {
	return e.changeMembers(ctx, siteID, providerID, groupID, userIDs, nil, true)
}

// AddGroupMembers adds users to a provider group (SCIM PATCH add members).
func (e *Engine) AddGroupMembers(ctx context.Context, siteID, providerID int64, groupID string, userIDs []string) (MembersResult, error) {
	return e.changeMembers(ctx, siteID, providerID, groupID, userIDs, nil, false)
}

// RemoveGroupMembers removes users from a provider group (SCIM PATCH
// remove members). Only memberships the provider made are removed.
func (e *Engine) RemoveGroupMembers(ctx context.Context, siteID, providerID int64, groupID string, userIDs []string) (MembersResult, error) {
	return e.changeMembers(ctx, siteID, providerID, groupID, nil, userIDs, false)
}

// changeMembers adds and removes members by immutable id; replace removes
// every provider-made membership not in add. Adding needs
// provision_groups, removing deprovision_groups: without them the change
// is declined, not refused. The request is valid and the identity
// provider will send it again and again if it fails (Entra retries it at
// every cycle and may quarantine the app), so it is answered as done,
// with the group as Gatehouse holds it, and a provision_kept event says
// what was kept and which setting kept it. Site admin follows the site
// admin groups for every user whose memberships changed.
func (e *Engine) changeMembers(ctx context.Context, siteID, providerID int64, groupID string, add, remove []string, replace bool) (MembersResult, error) {
	p, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		return MembersResult{}, err
	}
	var kept []string
	if len(add) > 0 && !r.provisionGroups {
		kept = append(kept, fmt.Sprintf("%d member(s) not added, as provision_groups is off", len(add)))
		add = nil
	}
	if len(remove) > 0 && !r.deprovisionGroups {
		kept = append(kept, fmt.Sprintf("%d member(s) kept, as deprovision_groups is off", len(remove)))
		remove = nil
	}
	var res MembersResult
	err = e.MembershipTx(ctx, siteID, func(ctx context.Context) error {
		s := newState(e.st, siteID, p, r)
		g, err := s.groupByExt(ctx, groupID)
		if err != nil {
			return err
		}
		if g == nil {
			return fmt.Errorf("%w: group %q", ErrUnknown, clip(groupID))
		}
		res.Group = *g
		for _, what := range kept {
			e.keptEvent(ctx, p, groupID, fmt.Sprintf("group %q: %s", g.Name, what))
		}
		admin := len(r.groupAdmin) > 0 && r.groupAdmin.match(g.Name)
		members, err := s.groupMembers(ctx, g.ID)
		if err != nil {
			return err
		}
		if err := s.preloadUsersByExt(ctx, append(slices.Clone(add), remove...)); err != nil {
			return err
		}
		var adds, removes []store.Membership
		keep := map[int64]bool{}
		touched := map[int64]bool{}
		for _, ext := range add {
			u, err := s.userByExt(ctx, ext)
			if err != nil {
				return err
			}
			if u == nil {
				res.Unknown = append(res.Unknown, clip(ext))
				continue
			}
			keep[u.ID] = true
			if _, ok := members[u.ID]; !ok {
				adds = append(adds, store.Membership{GroupID: g.ID, UserID: u.ID, Admin: admin, SSOStrategyID: p.ID})
				touched[u.ID] = true
			}
		}
		drop := map[int64]bool{}
		for _, ext := range remove {
			u, err := s.userByExt(ctx, ext)
			if err != nil {
				return err
			}
			if u == nil {
				res.Unknown = append(res.Unknown, clip(ext))
				continue
			}
			drop[u.ID] = true
		}
		if r.deprovisionGroups {
			for uid, m := range members {
				if m.SSOStrategyID == p.ID && (drop[uid] || replace && !keep[uid]) {
					removes = append(removes, m)
					touched[uid] = true
				}
			}
		}
		slices.SortFunc(removes, func(a, b store.Membership) int { return int(a.UserID - b.UserID) })
		if res.Added, err = e.st.AddMemberships(ctx, siteID, adds, e.now()); err != nil {
			return err
		}
		if res.Removed, err = e.st.RemoveMemberships(ctx, siteID, removes); err != nil {
			return err
		}
		if err := e.syncSiteAdmin(ctx, s, touched); err != nil {
			return err
		}
		if res.Added == 0 && res.Removed == 0 {
			return nil
		}
		return e.groupEvent(ctx, p, ActionMemberships, nil, g, map[string]any{
			"members_added": res.Added, "members_removed": res.Removed, "unknown_ids": res.Unknown})
	})
	if err != nil {
		return MembersResult{}, fmt.Errorf("provision: change members of group %q: %w", clip(groupID), err)
	}
	return res, nil
}

// groupMembers lists a group's memberships by user id.
func (s *state) groupMembers(ctx context.Context, groupID int64) (map[int64]store.Membership, error) {
	out := map[int64]store.Membership{}
	for after := int64(0); ; {
		page, err := s.st.ListGroupUsers(ctx, s.siteID, store.GroupUserQuery{GroupID: groupID,
			ListOptions: store.ListOptions{AfterID: after, Limit: pageSize}})
		if err != nil {
			return nil, fmt.Errorf("provision: read group members: %w", err)
		}
		for _, gu := range page {
			out[gu.UserID] = store.Membership{ID: gu.ID, GroupID: gu.GroupID, UserID: gu.UserID, Admin: gu.Admin, SSOStrategyID: gu.SSOStrategyID}
		}
		if len(page) < pageSize {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// syncSiteAdmin makes site_admin follow the site admin groups for the
// managed users whose memberships changed.
func (e *Engine) syncSiteAdmin(ctx context.Context, s *state, users map[int64]bool) error {
	if len(s.r.siteAdmin) == 0 {
		return nil
	}
	for uid := range users {
		groups, err := e.st.GroupsOfUser(ctx, s.siteID, uid)
		if err != nil {
			return fmt.Errorf("provision: read groups of user %d: %w", uid, err)
		}
		names := make([]string, len(groups))
		for i, g := range groups {
			names[i] = g.Name
		}
		want := s.r.siteAdmin.matchAny(names)
		u, err := e.st.GetUser(ctx, s.siteID, uid)
		if err != nil {
			return fmt.Errorf("provision: read user %d: %w", uid, err)
		}
		if !s.managed(&u) || u.SiteAdmin == want {
			continue
		}
		op := &userOp{action: ActionUpdate, before: &u, after: u, fields: []string{"site_admin"},
			reason: "site admin groups (provision_site_admin_groups)"}
		op.after.SiteAdmin = want
		if err := e.writeUser(ctx, s, op); err != nil {
			return err
		}
	}
	return nil
}

// preloadUsersByExt reads the provider's users holding the immutable ids
// in batches, so that a change of a thousand members costs a handful of
// queries rather than one per member.
func (s *state) preloadUsersByExt(ctx context.Context, exts []string) error {
	const batch = 100
	for start := 0; start < len(exts); start += batch {
		chunk := exts[start:min(start+batch, len(exts))]
		if len(chunk) < 2 {
			return nil // one lookup is as cheap one by one
		}
		or := &store.Filter{Op: store.OpOr}
		for _, ext := range chunk {
			or.Args = append(or.Args, store.Filter{Op: store.OpEq, Field: "immutable_id", Value: ext})
		}
		users, err := s.st.ListUsers(ctx, s.siteID, store.UserQuery{SSOStrategyID: s.p.ID, Filter: or,
			ListOptions: store.ListOptions{Limit: maxPreload}})
		if err != nil {
			return fmt.Errorf("provision: read users by immutable id: %w", err)
		}
		for i := range users {
			s.addUser(&users[i])
		}
	}
	return nil
}

// maxPreload bounds one preload read (ids are unique per provider, so a
// batch matches at most one user each).
const maxPreload = 1000
