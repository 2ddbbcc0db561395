package ldap

import (
	"context"

	goldap "github.com/go-ldap/ldap/v3"
)

// Snapshot reads every user the user filter selects and every group the
// group filter selects with paged searches, and gives each user the
// selected groups they are in, directly or through nested selected groups
// (AD: memberOf of users and groups; OpenLDAP: member of groups). progress,
// when not nil, is called after each page with the counts so far.
//
// Membership through a group the group filter leaves out is not followed:
// the filter says which groups Gatehouse knows.
func (d *Directory) Snapshot(ctx context.Context, progress func(users, groups int)) (Snapshot, error) {
	c, err := d.pool.get(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	snap, err := d.snapshot(ctx, c, progress)
	d.pool.release(c, err)
	return snap, err
}

func (d *Directory) snapshot(ctx context.Context, c *conn, progress func(users, groups int)) (Snapshot, error) {
	if err := d.pool.bindService(ctx, c); err != nil {
		return Snapshot{}, err
	}
	var snap Snapshot
	report := func() {
		if progress != nil {
			progress(len(snap.Users), len(snap.Groups))
		}
	}
	memberAttr := d.cfg.Attributes.Member
	// direct[i] lists the group keys user i is directly in (AD's memberOf).
	var direct [][]string
	userAttrs := d.userAttributes()
	if d.dialect.memberOf {
		userAttrs = append(userAttrs, "memberOf")
	}
	err := d.pagedSearch(ctx, c, d.cfg.UserFilter, userAttrs, "read the users", func(e *goldap.Entry) {
		snap.Users = append(snap.Users, d.entryFrom(e))
		if d.dialect.memberOf {
			direct = append(direct, dnKeys(e.GetEqualFoldAttributeValues("memberOf")))
		}
	}, report)
	if err != nil {
		return Snapshot{}, err
	}

	groupAttrs := d.groupAttributes()
	if d.dialect.memberOf {
		groupAttrs = append(groupAttrs, "memberOf")
	} else {
		groupAttrs = append(groupAttrs, memberAttr)
	}
	groupIndex := map[string]int{} // group key -> index in snap.Groups
	parents := map[string][]string{}
	var members [][]string // OpenLDAP: each group's member keys
	err = d.pagedSearch(ctx, c, d.cfg.GroupFilter, groupAttrs, "read the groups", func(e *goldap.Entry) {
		key := dnKey(e.DN)
		if _, dup := groupIndex[key]; dup {
			return
		}
		groupIndex[key] = len(snap.Groups)
		snap.Groups = append(snap.Groups, d.groupFrom(e))
		if d.dialect.memberOf {
			parents[key] = dnKeys(e.GetEqualFoldAttributeValues("memberOf"))
		} else {
			members = append(members, dnKeys(e.GetEqualFoldAttributeValues(memberAttr)))
		}
	}, report)
	if err != nil {
		return Snapshot{}, err
	}

	if !d.dialect.memberOf {
		// Invert member lists: a member that is a group gains a parent,
		// any other member is a user's direct membership.
		userIndex := make(map[string]int, len(snap.Users))
		for i, u := range snap.Users {
			userIndex[dnKey(u.DN)] = i
		}
		direct = make([][]string, len(snap.Users))
		for gi, list := range members {
			gkey := dnKey(snap.Groups[gi].DN)
			for _, m := range list {
				if _, isGroup := groupIndex[m]; isGroup {
					parents[m] = append(parents[m], gkey)
				} else if ui, isUser := userIndex[m]; isUser {
					direct[ui] = append(direct[ui], gkey)
				}
			}
		}
	}

	closure := newGroupClosure(groupIndex, parents)
	for i := range snap.Users {
		if i >= len(direct) {
			break
		}
		for _, gi := range closure.of(direct[i]) {
			snap.Users[i].Groups = append(snap.Users[i].Groups, snap.Groups[gi])
		}
	}
	return snap, nil
}

func dnKeys(dns []string) []string {
	keys := make([]string, len(dns))
	for i, dn := range dns {
		keys[i] = dnKey(dn)
	}
	return keys
}

// groupClosure answers "which selected groups is someone in, given their
// direct groups", following nested groups, remembering each group's
// ancestors, and stopping at cycles.
type groupClosure struct {
	index     map[string]int
	parents   map[string][]string
	ancestors map[string][]int // group key -> selected groups it is in, itself included
}

func newGroupClosure(index map[string]int, parents map[string][]string) *groupClosure {
	return &groupClosure{index: index, parents: parents, ancestors: map[string][]int{}}
}

// of returns the indexes of the selected groups reached from keys.
func (g *groupClosure) of(keys []string) []int {
	seen := map[int]bool{}
	var out []int
	for _, k := range keys {
		for _, gi := range g.ancestorsOf(k, map[string]bool{}) {
			if !seen[gi] {
				seen[gi] = true
				out = append(out, gi)
			}
		}
	}
	return out
}

func (g *groupClosure) ancestorsOf(key string, visiting map[string]bool) []int {
	if a, ok := g.ancestors[key]; ok {
		return a
	}
	gi, selected := g.index[key]
	if !selected || visiting[key] {
		return nil
	}
	visiting[key] = true
	seen := map[int]bool{gi: true}
	out := []int{gi}
	for _, p := range g.parents[key] {
		for _, a := range g.ancestorsOf(p, visiting) {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	delete(visiting, key)
	if len(visiting) == 0 {
		// Only a result computed outside any cycle is complete enough
		// to remember.
		g.ancestors[key] = out
	}
	return out
}
