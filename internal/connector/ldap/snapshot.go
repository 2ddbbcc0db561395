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
	var snap Snapshot
	err := d.pool.do(ctx, true, func(c *conn) (err error) {
		snap, err = d.snapshot(ctx, c, progress)
		return err
	})
	return snap, err
}

func (d *Directory) snapshot(ctx context.Context, c *conn, progress func(users, groups int)) (Snapshot, error) {
	b := d.newSnapshotBuilder()
	report := func() {
		if progress != nil {
			progress(len(b.snap.Users), len(b.snap.Groups))
		}
	}
	if err := d.pagedSearch(ctx, c, d.cfg.UserFilter, b.userAttrs, "read the users", b.addUser, report); err != nil {
		return Snapshot{}, err
	}
	if err := d.pagedSearch(ctx, c, d.cfg.GroupFilter, b.groupAttrs, "read the groups", b.addGroup, report); err != nil {
		return Snapshot{}, err
	}
	return b.finish(), nil
}

// snapshotBuilder turns user and group entries, as the searches deliver
// them, into a Snapshot with resolved memberships.
type snapshotBuilder struct {
	d          *Directory
	userAttrs  []string
	groupAttrs []string
	snap       Snapshot
	// direct[i] lists the group keys user i is directly in (AD's memberOf).
	direct     [][]string
	groupIndex map[string]int      // group key -> index in snap.Groups
	parents    map[string][]string // group key -> keys of groups it is directly in
	members    [][]string          // OpenLDAP: each group's member keys
}

func (d *Directory) newSnapshotBuilder() *snapshotBuilder {
	b := &snapshotBuilder{d: d, userAttrs: d.userAttributes(), groupAttrs: d.groupAttributes(),
		groupIndex: map[string]int{}, parents: map[string][]string{}}
	if d.dialect.memberOf {
		b.userAttrs = append(b.userAttrs, "memberOf")
		b.groupAttrs = append(b.groupAttrs, "memberOf")
	} else {
		b.groupAttrs = append(b.groupAttrs, d.cfg.Attributes.Member)
	}
	return b
}

func (b *snapshotBuilder) addUser(e *goldap.Entry) {
	b.snap.Users = append(b.snap.Users, b.d.entryFrom(e))
	if b.d.dialect.memberOf {
		b.direct = append(b.direct, dnKeys(e.GetEqualFoldAttributeValues("memberOf")))
	}
}

func (b *snapshotBuilder) addGroup(e *goldap.Entry) {
	key := dnKey(e.DN)
	if _, dup := b.groupIndex[key]; dup {
		return
	}
	b.groupIndex[key] = len(b.snap.Groups)
	b.snap.Groups = append(b.snap.Groups, b.d.groupFrom(e))
	if b.d.dialect.memberOf {
		b.parents[key] = dnKeys(e.GetEqualFoldAttributeValues("memberOf"))
	} else {
		b.members = append(b.members, dnKeys(e.GetEqualFoldAttributeValues(b.d.cfg.Attributes.Member)))
	}
}

// finish resolves every user's groups.
func (b *snapshotBuilder) finish() Snapshot {
	snap := b.snap
	if !b.d.dialect.memberOf {
		// Invert member lists: a member that is a group gains a parent,
		// any other member is a user's direct membership.
		userIndex := make(map[string]int, len(snap.Users))
		for i, u := range snap.Users {
			userIndex[dnKey(u.DN)] = i
		}
		b.direct = make([][]string, len(snap.Users))
		for gi, list := range b.members {
			gkey := dnKey(snap.Groups[gi].DN)
			for _, m := range list {
				if _, isGroup := b.groupIndex[m]; isGroup {
					b.parents[m] = append(b.parents[m], gkey)
				} else if ui, isUser := userIndex[m]; isUser {
					b.direct[ui] = append(b.direct[ui], gkey)
				}
			}
		}
	}
	closure := newGroupClosure(b.groupIndex, b.parents)
	for i := range snap.Users {
		if i >= len(b.direct) {
			break
		}
		for _, gi := range closure.of(b.direct[i]) {
			snap.Users[i].Groups = append(snap.Users[i].Groups, snap.Groups[gi])
		}
	}
	return snap
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
