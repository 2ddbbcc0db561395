package provision

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// CurrentSnapshot describes the provider's accounts as Gatehouse holds them
// now — each one's immutable id, names, e-mail, active state and the
// groups the provider put it in — as a Snapshot. Previewing it answers
// "what would the provider's rules, as they are set now, change?", which is
// what an admin wants to know after editing the group filters and before
// the next sync or SCIM push applies them. Only the provider's own records
// are included; its accounts without an immutable id are left out, since
// nothing could match them.
func (e *Engine) CurrentSnapshot(ctx context.Context, siteID, providerID int64) (Snapshot, error) {
	p, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		return Snapshot{}, err
	}
	s := newState(e.st, siteID, p, r)
	if err := s.load(ctx); err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Users: make([]ExternalIdentity, 0, len(s.usersByExt))}
	groups := map[string]GroupRef{}
	for ext, u := range s.usersByExt {
		x := ExternalIdentity{ExternalID: ext, Username: u.Username, Email: u.Email, Company: u.Company, Active: !u.Disabled}
		// Gatehouse keeps the full name only; given "Ada Lovelace" and no
		// family name joins back to the same full name.
		x.GivenName = u.Name
		for _, m := range s.members[u.ID] {
			g := s.groupsByID[m.GroupID]
			if g == nil {
				continue
			}
			ref := GroupRef{ExternalID: g.ExternalID, Name: g.Name}
			x.Groups = append(x.Groups, ref)
			groups[strings.ToLower(g.Name)] = ref
		}
		snap.Users = append(snap.Users, x)
	}
	sort.Slice(snap.Users, func(i, j int) bool { return snap.Users[i].Username < snap.Users[j].Username })
	for _, g := range groups {
		snap.Groups = append(snap.Groups, g)
	}
	sort.Slice(snap.Groups, func(i, j int) bool { return snap.Groups[i].Name < snap.Groups[j].Name })
	return snap, nil
}

// PreviewCurrent is Preview of CurrentSnapshot: what the provider's rules,
// as set now, would change among its accounts. It writes nothing.
func (e *Engine) PreviewCurrent(ctx context.Context, siteID, providerID int64) (*Plan, error) {
	snap, err := e.CurrentSnapshot(ctx, siteID, providerID)
	if err != nil {
		return nil, err
	}
	return e.Preview(ctx, siteID, providerID, snap)
}

// PreviewSettings is PreviewCurrent under provider settings p, saved or
// not: what the rules as p sets them would change among the provider's
// accounts now. The console shows it before an admin saves a change of
// the group filters, so a filter that would disable half the company is
// seen before it is saved. It writes nothing.
func (e *Engine) PreviewSettings(ctx context.Context, p store.SSOStrategy) (*Plan, error) {
	r, err := compileRules(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRules, err)
	}
	snap, err := e.CurrentSnapshot(ctx, p.SiteID, p.ID)
	if err != nil {
		return nil, err
	}
	return e.preview(ctx, p, r, snap)
}
