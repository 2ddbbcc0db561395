package provision

import "fmt"

// SafetyLimit bounds how many users one Reconcile may disable or delete:
// more than max(MinUsers, Percent % of the provider's users) stops every
// deprovisioning of the run. It exists because a wrong bind account or
// search filter makes a directory look empty or small, and acting on that
// would lock a whole organisation out.
type SafetyLimit struct {
	MinUsers int `json:"min_users"`
	Percent  int `json:"percent"`
}

// defaultSafetyLimit is max(10 users, 20 %); a provider's options change
// it for that provider only.
var defaultSafetyLimit = SafetyLimit{MinUsers: 10, Percent: 20}

// Allowed is the most users a run may deprovision when the provider has
// total users.
func (l SafetyLimit) Allowed(total int) int {
	return max(l.MinUsers, total*l.Percent/100)
}

// SafetyStop says a Reconcile held back its deprovisioning.
type SafetyStop struct {
	Reason        string `json:"reason"`
	Deprovisions  int    `json:"deprovisions"`    // users it would have disabled or deleted
	Allowed       int    `json:"allowed"`         // the limit
	ProviderUsers int    `json:"provider_users"`  // users the provider manages
	SnapshotUsers int    `json:"snapshot_users"`  // identities in the snapshot
	EmptySnapshot bool   `json:"empty_snapshot"`  // nothing at all was applied
	LimitMinUsers int    `json:"limit_min_users"` // the configured limit
	LimitPercent  int    `json:"limit_percent"`
}

func (s *SafetyStop) String() string {
	if s.EmptySnapshot {
		return fmt.Sprintf("refused: the directory returned no users while the provider manages %d; nothing was changed (a wrong bind account or search filter looks like this)",
			s.ProviderUsers)
	}
	return fmt.Sprintf("safety limit: the run would disable or delete %d of %d provider users, more than the limit of %d (max(%d users, %d %%)); nobody was deprovisioned",
		s.Deprovisions, s.ProviderUsers, s.Allowed, s.LimitMinUsers, s.LimitPercent)
}
