package provision

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// How a group reference was turned into a name.
const (
	ViaExternalID = "external_id" // a group carrying the reference's id
	ViaName       = "name"        // the name the source sent with it
	ViaTable      = "table"       // the provider's group id -> name table
	ViaID         = "id"          // nothing else knew it: the id itself
)

// Resolution is how one group reference of an identity was read.
type Resolution struct {
	ExternalID string `json:"id,omitempty"`
	Name       string `json:"name"`
	Via        string `json:"via"`
	// Target says what the reference does: "member" (a membership),
	// "excluded" (inclusion/exclusion rules), "off" (provision_groups is
	// off), "conflict" (the name belongs to another provider's group).
	Target string `json:"target"`
	Reason string `json:"reason,omitempty"`
}

// groupOp is a planned change to one group, shared by every user whose
// memberships need it; g.ID is 0 until a created group is written.
type groupOp struct {
	action Action
	before store.Group // zero when creating
	g      store.Group
	failed bool
}

// groupTarget is a group a user should be in: an existing group or one
// this plan creates.
type groupTarget struct {
	g  *store.Group
	op *groupOp
}

func (t groupTarget) id() int64 {
	if t.op != nil {
		return t.op.g.ID
	}
	return t.g.ID
}

func (t groupTarget) name() string {
	if t.op != nil {
		return t.op.g.Name
	}
	return t.g.Name
}

// resolveName turns a reference into a name and says how, without
// looking at inclusion rules.
func (s *state) resolveName(ctx context.Context, ref GroupRef) (name, via string, found *store.Group, err error) {
	if ref.ExternalID != "" {
		g, err := s.groupByExt(ctx, ref.ExternalID)
		if err != nil {
			return "", "", nil, err
		}
		if g != nil {
			if ref.Name != "" {
				return ref.Name, ViaExternalID, g, nil // the source renamed it
			}
			return g.Name, ViaExternalID, g, nil
		}
	}
	switch {
	case ref.Name != "":
		return ref.Name, ViaName, nil, nil
	case s.snapNames[ref.ExternalID] != "":
		return s.snapNames[ref.ExternalID], ViaName, nil, nil
	case s.r.groupNames[ref.ExternalID] != "":
		return s.r.groupNames[ref.ExternalID], ViaTable, nil, nil
	default:
		return ref.ExternalID, ViaID, nil, nil
	}
}

// resolveGroups reads an identity's group references: every resolved name
// (for the user rules) and the groups the user should be a member of.
func (s *state) resolveGroups(ctx context.Context, refs []GroupRef) (names []string, targets []groupTarget, res []Resolution, err error) {
	seen := s.seenNames
	clear(seen)
	for _, ref := range refs {
		name, via, found, err := s.resolveName(ctx, ref)
		if err != nil {
			return nil, nil, nil, err
		}
		if seen[key(name)] {
			continue
		}
		seen[key(name)] = true
		names = append(names, name)
		r := Resolution{ExternalID: ref.ExternalID, Name: name, Via: via}
		switch {
		case !s.r.provisionGroups:
			r.Target = "off"
		case !s.r.groupAllowed(name):
			r.Target = "excluded"
		default:
			t, why, err := s.groupFor(ctx, ref, name, found)
			if err != nil {
				return nil, nil, nil, err
			}
			if why != "" {
				r.Target, r.Reason = "conflict", why
			} else {
				r.Target = "member"
				targets = append(targets, t)
			}
		}
		if s.allResolutions || r.Via == ViaTable || r.Via == ViaID || r.Target != "member" {
			res = append(res, r)
		}
	}
	return names, targets, res, nil
}

// groupFor finds or plans the group a resolved reference stands for. A
// non-empty why says the name is taken by a group the provider may not use.
func (s *state) groupFor(ctx context.Context, ref GroupRef, name string, found *store.Group) (groupTarget, string, error) {
	if op := s.groupOps[opKey(ref, name)]; op != nil {
		return groupTarget{op: op}, "", nil
	}
	if found != nil {
		// Matched by id: a new name from the source is a rename.
		if ref.Name != "" && ref.Name != found.Name {
			return s.planGroupRename(ctx, ref, found)
		}
		return groupTarget{g: found}, "", nil
	}
	g, err := s.groupByName(ctx, name)
	if err != nil {
		return groupTarget{}, "", err
	}
	if g == nil {
		op := &groupOp{action: ActionGroupCreate, g: store.Group{
			SiteID: s.siteID, Name: name, SSOStrategyID: s.p.ID, ExternalID: ref.ExternalID}}
		s.addGroupOp(opKey(ref, name), op)
		return groupTarget{op: op}, "", nil
	}
	if why := s.groupConflict(g, ref.ExternalID); why != "" {
		return groupTarget{}, why, nil
	}
	if g.SSOStrategyID == s.p.ID && g.ExternalID == "" && ref.ExternalID != "" {
		op := &groupOp{action: ActionGroupLink, before: *g, g: *g}
		op.g.ExternalID = ref.ExternalID
		s.addGroupOp(opKey(ref, name), op)
		return groupTarget{op: op}, "", nil
	}
	return groupTarget{g: g}, "", nil
}

// groupConflict says why the provider may not use g for a reference with
// immutable id ext, or "" when it may: a local group is used as it is, a
// group of this provider when its id matches or it has none yet.
func (s *state) groupConflict(g *store.Group, ext string) string {
	switch {
	case g.SSOStrategyID == 0:
		return ""
	case g.SSOStrategyID != s.p.ID:
		return fmt.Sprintf("group %q is managed by another provider (id %d)", g.Name, g.SSOStrategyID)
	case g.ExternalID != "" && ext != "" && g.ExternalID != ext:
		return fmt.Sprintf("group %q belongs to another directory group (id %q)", g.Name, clip(g.ExternalID))
	}
	return ""
}

// planGroupRename plans renaming a provider group the source now calls
// ref.Name, unless another group holds that name.
func (s *state) planGroupRename(ctx context.Context, ref GroupRef, g *store.Group) (groupTarget, string, error) {
	other, err := s.groupByName(ctx, ref.Name)
	if err != nil {
		return groupTarget{}, "", err
	}
	if other != nil && other.ID != g.ID {
		// Keep the old name rather than take another group's.
		return groupTarget{g: g}, "", nil
	}
	op := &groupOp{action: ActionGroupRename, before: *g, g: *g}
	op.g.Name = ref.Name
	s.addGroupOp(opKey(ref, ref.Name), op)
	return groupTarget{op: op}, "", nil
}

func (s *state) addGroupOp(k groupOpKey, op *groupOp) {
	s.groupOps[k] = op
	s.groupOpList = append(s.groupOpList, op)
}

// groupOpKey identifies a planned group change: by immutable id when
// there is one, else by name key.
type groupOpKey struct {
	byName bool
	k      string
}

func opKey(ref GroupRef, name string) groupOpKey {
	if ref.ExternalID != "" {
		return groupOpKey{k: ref.ExternalID}
	}
	return groupOpKey{byName: true, k: key(name)}
}

// defaultTargets are the default groups, created when missing and
// provision_groups is on.
func (s *state) defaultTargets(ctx context.Context) ([]groupTarget, error) {
	var out []groupTarget
	for _, name := range s.r.defaults.names() {
		if op := s.groupOps[groupOpKey{byName: true, k: key(name)}]; op != nil {
			out = append(out, groupTarget{op: op})
			continue
		}
		g, err := s.groupByName(ctx, name)
		if err != nil {
			return nil, err
		}
		switch {
		case g != nil:
			out = append(out, groupTarget{g: g})
		case s.r.provisionGroups:
			op := &groupOp{action: ActionGroupCreate, g: store.Group{SiteID: s.siteID, Name: name, SSOStrategyID: s.p.ID}}
			s.addGroupOp(groupOpKey{byName: true, k: key(name)}, op)
			out = append(out, groupTarget{op: op})
		}
	}
	return out, nil
}
