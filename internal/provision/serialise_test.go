package provision

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestConcurrentMemberChangesAreSerialised: callers that change one
// group's members at the same moment, from several goroutines (on
// PostgreSQL, several connections: what several Gatehouse nodes or
// Entra's parallel SCIM workers do), apply one after the other. Each round
// four callers replace the members of a site-admin group with a pair of
// their own; whoever comes last wins, so the group must end with exactly
// one caller's pair, nobody's replacement is half-applied, and site_admin
// follows the group for everyone. Without the engine's site lock, two
// replacements read the same old members and leave the union of both.
func TestConcurrentMemberChangesAreSerialised(t *testing.T) {
	eachStore(t, func(v *env) {
		const callers, rounds = 4, 12
		gid := "gid-admins"
		_, err := v.e.UpsertGroup(v.ctx, v.site.ID, v.p.ID, GroupRef{ExternalID: gid, Name: "Admins"})
		v.must(err)
		var exts [callers][2]string
		for i := range callers {
			for j := range 2 {
				exts[i][j] = fmt.Sprintf("e-%d-%d", i, j)
				v.upsert(person(exts[i][j], fmt.Sprintf("user%d%d", i, j)))
			}
		}
		for round := range rounds {
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for i := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := v.e.SetGroupMembers(v.ctx, v.site.ID, v.p.ID, gid, exts[i][:])
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				v.must(err)
			}
			members := v.memberExts(gid)
			won := -1
			for i := range callers {
				if slices.Equal(members, sortedCopy(exts[i][:])) {
					won = i
				}
			}
			if won < 0 {
				v.t.Fatalf("round %d: the group holds %v, not the members any one caller set", round, members)
			}
			for i := range callers {
				for _, ext := range exts[i] {
					u := v.userByExt(ext)
					if u.SiteAdmin != (i == won) {
						v.t.Fatalf("round %d: %s has site_admin %v, but is a member of the site admin group: %v",
							round, u.Username, u.SiteAdmin, i == won)
					}
				}
			}
		}
	}, func(p *store.SSOStrategy) { p.ProvisionSiteAdminGroups = "Admins" })
}

// TestConcurrentAddsAndRemovesLoseNothing: callers adding and removing
// different users of one group at once, each change its own request, end
// with exactly the members the requests leave, and every change's counts
// add up to the group's size.
func TestConcurrentAddsAndRemovesLoseNothing(t *testing.T) {
	eachStore(t, func(v *env) {
		const users = 16
		gid := "gid-staff"
		_, err := v.e.UpsertGroup(v.ctx, v.site.ID, v.p.ID, GroupRef{ExternalID: gid, Name: "Staff"})
		v.must(err)
		var all []string
		for i := range users {
			ext := fmt.Sprintf("e-%02d", i)
			all = append(all, ext)
			v.upsert(person(ext, fmt.Sprintf("user%02d", i)))
		}
		// The odd users start in the group; the even ones are added and
		// the odd ones removed, all at once.
		var odd, even []string
		for i, ext := range all {
			if i%2 == 1 {
				odd = append(odd, ext)
			} else {
				even = append(even, ext)
			}
		}
		first, err := v.e.AddGroupMembers(v.ctx, v.site.ID, v.p.ID, gid, odd)
		v.must(err)
		var mu sync.Mutex
		added, removed := first.Added, 0
		var wg sync.WaitGroup
		errs := make(chan error, users)
		for i, ext := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var res MembersResult
				var err error
				if i%2 == 0 {
					res, err = v.e.AddGroupMembers(v.ctx, v.site.ID, v.p.ID, gid, []string{ext})
				} else {
					res, err = v.e.RemoveGroupMembers(v.ctx, v.site.ID, v.p.ID, gid, []string{ext})
				}
				mu.Lock()
				added, removed = added+res.Added, removed+res.Removed
				mu.Unlock()
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			v.must(err)
		}
		if got := v.memberExts(gid); !slices.Equal(got, even) {
			v.t.Fatalf("the group holds %v, want %v", got, even)
		}
		if added-removed != len(even) {
			v.t.Fatalf("the changes say %d added and %d removed, but the group holds %d", added, removed, len(even))
		}
	})
}

// memberExts lists the immutable ids of a provider group's members, sorted.
func (v *env) memberExts(gid string) []string {
	v.t.Helper()
	gs, err := v.st.ListGroups(v.ctx, v.site.ID, store.GroupQuery{SSOStrategyID: v.p.ID, ExternalID: gid})
	v.must(err)
	if len(gs) != 1 {
		v.t.Fatalf("group %q: found %d", gid, len(gs))
	}
	gus, err := v.st.ListGroupUsers(context.Background(), v.site.ID, store.GroupUserQuery{GroupID: gs[0].ID})
	v.must(err)
	out := []string{}
	for _, gu := range gus {
		u, err := v.st.GetUser(v.ctx, v.site.ID, gu.UserID)
		v.must(err)
		out = append(out, u.ExternalID)
	}
	slices.Sort(out)
	return out
}

func (v *env) userByExt(ext string) store.User {
	v.t.Helper()
	us, err := v.st.ListUsers(v.ctx, v.site.ID, store.UserQuery{SSOStrategyID: v.p.ID, ExternalID: ext})
	v.must(err)
	if len(us) != 1 {
		v.t.Fatalf("user %q: found %d", ext, len(us))
	}
	return us[0]
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
