package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// pageSize is how many records one bulk read asks for.
const pageSize = 10000

// state is what the planner knows of the store. Reconcile loads the
// provider's users, the site's groups and the users' memberships in bulk
// (complete); Upsert starts empty and looks records up as it needs them.
type state struct {
	st       store.Store
	siteID   int64
	p        store.SSOStrategy
	r        *rules
	complete bool

	usersByExt  map[string]*store.User // the provider's users by immutable id
	usersByKey  map[string]*store.User // users seen, by username key
	groupsByExt map[string]*store.Group
	groupsByKey map[string]*store.Group
	groupsByID  map[int64]*store.Group
	members     map[int64][]store.Membership // by user id

	snapNames   map[string]string // group id -> name from a snapshot's group list
	claimed     map[string]string // username key -> immutable id planned to hold it
	groupOps    map[groupOpKey]*groupOp
	groupOpList []*groupOp

	// allResolutions keeps every group resolution in the op (Upsert
	// returns them); Reconcile keeps only those an event shows.
	allResolutions bool

	// fence is the lease a Reconcile writes under (zero: none); fenced is
	// the refusal that stopped its writes once the lease was lost.
	fence  store.Fence
	fenced error
	// progress, when set, is told the counts applied so far after each
	// transaction of a Reconcile.
	progress func(Counts)

	// Scratch maps reused for each identity, so that planning thousands
	// of identities does not allocate thousands of maps.
	seenNames  map[string]bool
	haveGroups map[int64]store.Membership
	wantGroups map[int64]bool
	planned    map[*groupOp]bool
}

func newState(st store.Store, siteID int64, p store.SSOStrategy, r *rules) *state {
	return &state{
		st: st, siteID: siteID, p: p, r: r,
		usersByExt:  map[string]*store.User{},
		usersByKey:  map[string]*store.User{},
		groupsByExt: map[string]*store.Group{},
		groupsByKey: map[string]*store.Group{},
		groupsByID:  map[int64]*store.Group{},
		members:     map[int64][]store.Membership{},
		claimed:     map[string]string{},
		groupOps:    map[groupOpKey]*groupOp{},
		seenNames:   map[string]bool{},
		haveGroups:  map[int64]store.Membership{},
		wantGroups:  map[int64]bool{},
		planned:     map[*groupOp]bool{},
	}
}

// load reads the provider's users, every group of the site and the
// memberships of the provider's users, a page at a time.
func (s *state) load(ctx context.Context) error {
	var ids []int64
	for after := int64(0); ; {
		page, err := s.st.ListUsers(ctx, s.siteID, store.UserQuery{
			ListOptions: store.ListOptions{AfterID: after, Limit: pageSize}, SSOStrategyID: s.p.ID})
		if err != nil {
			return fmt.Errorf("provision: read the provider's users: %w", err)
		}
		for i := range page {
			s.addUser(&page[i])
			ids = append(ids, page[i].ID)
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].ID
	}
	for after := int64(0); ; {
		page, err := s.st.ListGroups(ctx, s.siteID, store.GroupQuery{ListOptions: store.ListOptions{AfterID: after, Limit: pageSize}})
		if err != nil {
			return fmt.Errorf("provision: read the site's groups: %w", err)
		}
		for i := range page {
			s.addGroup(&page[i])
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].ID
	}
	// Memberships by ranges of about 1,000 provider users.
	for i := 0; i < len(ids); i += 1000 {
		j := min(i+1000, len(ids)) - 1
		ms, err := s.st.ListMemberships(ctx, s.siteID, store.MembershipQuery{
			UserIDFrom: ids[i], UserIDTo: ids[j], SSOStrategyID: s.p.ID})
		if err != nil {
			return fmt.Errorf("provision: read memberships: %w", err)
		}
		for _, m := range ms {
			s.members[m.UserID] = append(s.members[m.UserID], m)
		}
	}
	s.complete = true
	return nil
}

func (s *state) addUser(u *store.User) {
	if u.SSOStrategyID == s.p.ID && u.ExternalID != "" {
		s.usersByExt[u.ExternalID] = u
	}
	s.usersByKey[key(u.Username)] = u
}

func (s *state) addGroup(g *store.Group) {
	if g.SSOStrategyID == s.p.ID && g.ExternalID != "" {
		s.groupsByExt[g.ExternalID] = g
	}
	s.groupsByKey[key(g.Name)] = g
	s.groupsByID[g.ID] = g
}

// userByExt finds the provider's user holding an immutable id.
func (s *state) userByExt(ctx context.Context, ext string) (*store.User, error) {
	if u, ok := s.usersByExt[ext]; ok || s.complete {
		return u, nil
	}
	list, err := s.st.ListUsers(ctx, s.siteID, store.UserQuery{SSOStrategyID: s.p.ID, ExternalID: ext,
		ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return nil, fmt.Errorf("provision: find user by immutable id: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	s.addUser(&list[0])
	return &list[0], nil
}

// userByName finds any user of the site with the username.
func (s *state) userByName(ctx context.Context, name string) (*store.User, error) {
	if u, ok := s.usersByKey[key(name)]; ok {
		return u, nil
	}
	u, err := s.st.GetUserByUsername(ctx, s.siteID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("provision: find user by name: %w", err)
	}
	s.usersByKey[key(u.Username)] = &u
	return &u, nil
}

// userLookingLike finds a user of the site other than exceptID whose
// username looks like name without being it (namekey): a full-width,
// other-script or invisible-character twin, which would let one account
// pass for another. The store's unique key refuses writing one anyway;
// asking first makes the refusal a conflict that names the account.
func (s *state) userLookingLike(ctx context.Context, name string, exceptID int64) (*store.User, error) {
	list, err := s.st.ListUsers(ctx, s.siteID, store.UserQuery{LooksLike: name, ListOptions: store.ListOptions{Limit: 2}})
	if err != nil {
		return nil, fmt.Errorf("provision: find look-alike usernames: %w", err)
	}
	for i := range list {
		if list[i].ID != exceptID {
			return &list[i], nil
		}
	}
	return nil, nil
}

// groupByExt finds the provider's group with an external id.
func (s *state) groupByExt(ctx context.Context, ext string) (*store.Group, error) {
	if g, ok := s.groupsByExt[ext]; ok || s.complete {
		return g, nil
	}
	list, err := s.st.ListGroups(ctx, s.siteID, store.GroupQuery{SSOStrategyID: s.p.ID, ExternalID: ext,
		ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return nil, fmt.Errorf("provision: find group by id: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	s.addGroup(&list[0])
	return &list[0], nil
}

// groupByName finds any group of the site with the name.
func (s *state) groupByName(ctx context.Context, name string) (*store.Group, error) {
	if g, ok := s.groupsByKey[key(name)]; ok || s.complete {
		return g, nil
	}
	list, err := s.st.ListGroups(ctx, s.siteID, store.GroupQuery{Name: name, ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return nil, fmt.Errorf("provision: find group by name: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	s.addGroup(&list[0])
	return &list[0], nil
}

// groupByID finds a group of the site by id.
func (s *state) groupByID(ctx context.Context, id int64) (*store.Group, error) {
	if g, ok := s.groupsByID[id]; ok || s.complete {
		return g, nil
	}
	g, err := s.st.GetGroup(ctx, s.siteID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("provision: read group: %w", err)
	}
	s.addGroup(&g)
	return &g, nil
}

// membershipsOf returns a user's memberships.
func (s *state) membershipsOf(ctx context.Context, userID int64) ([]store.Membership, error) {
	if ms, ok := s.members[userID]; ok || s.complete {
		return ms, nil
	}
	ms, err := s.st.ListMemberships(ctx, s.siteID, store.MembershipQuery{UserIDFrom: userID, UserIDTo: userID})
	if err != nil {
		return nil, fmt.Errorf("provision: read memberships: %w", err)
	}
	s.members[userID] = ms
	return ms, nil
}

// managed reports whether the provider provisioned u and so may
// deprovision it.
func (s *state) managed(u *store.User) bool {
	return u.SSOStrategyID == s.p.ID && u.ExternalID != "" && u.ExternallyManaged
}
