package provision

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that the engine reads.
const (
	// OptionGroupNames holds the admin-maintained table from a provider's
	// group id to a group name: {"group_names": {"<id>": "<name>"}}. Entra
	// sends group object ids, not names, in SAML and OIDC claims.
	OptionGroupNames = "group_names"
	// OptionDeprovisionLimitUsers is the least number of users a Reconcile
	// may always deprovision (default 10).
	OptionDeprovisionLimitUsers = "deprovision_limit_users"
	// OptionDeprovisionLimitPercent is the share of the provider's users,
	// in percent, a Reconcile may deprovision (default 20).
	OptionDeprovisionLimitPercent = "deprovision_limit_percent"
)

// maxGroupNames bounds the id -> name table.
const maxGroupNames = 10000

// options is the provider's Options object, with values left raw so that
// keys of other components survive a rewrite.
type options map[string]json.RawMessage

func readOptions(s string) (options, error) {
	o := options{}
	if s == "" {
		return o, nil
	}
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		return nil, fmt.Errorf("provider options are not a JSON object: %w", err)
	}
	if o == nil {
		o = options{}
	}
	return o, nil
}

func (o options) groupNames() (map[string]string, error) {
	raw, ok := o[OptionGroupNames]
	if !ok || string(raw) == "null" {
		return map[string]string{}, nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("provider option %s must be an object of group id to name: %w", OptionGroupNames, err)
	}
	if err := CheckGroupNames(m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

func (o options) safetyLimit() (SafetyLimit, error) {
	l := defaultSafetyLimit
	for _, f := range []struct {
		key    string
		dst    *int
		lo, hi int
	}{
		{OptionDeprovisionLimitUsers, &l.MinUsers, 0, 1 << 30},
		{OptionDeprovisionLimitPercent, &l.Percent, 0, 100},
	} {
		raw, ok := o[f.key]
		if !ok {
			continue
		}
		var v int
		if err := json.Unmarshal(raw, &v); err != nil || v < f.lo || v > f.hi {
			return l, fmt.Errorf("provider option %s must be a whole number from %d to %d", f.key, f.lo, f.hi)
		}
		*f.dst = v
	}
	return l, nil
}

// CheckGroupNames refuses a table with empty or malformed ids or names, or
// more than 10,000 entries.
func CheckGroupNames(names map[string]string) error {
	if len(names) > maxGroupNames {
		return fmt.Errorf("the group name table has %d entries, more than %d", len(names), maxGroupNames)
	}
	for id, name := range names {
		if err := checkExternalID("group id", id); err != nil {
			return fmt.Errorf("group name table: %w", err)
		}
		if name == "" {
			return fmt.Errorf("group name table: id %q has an empty name", clip(id))
		}
		if err := identity.CheckText("group name", name); err != nil {
			return fmt.Errorf("group name table: id %q: %w", clip(id), err)
		}
	}
	return nil
}

// GroupNames returns the provider's group id -> name table (empty when
// none is set).
func GroupNames(p store.SSOStrategy) (map[string]string, error) {
	o, err := readOptions(p.Options)
	if err != nil {
		return nil, err
	}
	return o.groupNames()
}

// SetGroupNames replaces the provider's group id -> name table in
// p.Options, keeping every other option. An empty table removes the key.
// It does not save p: the caller stores it (identity.Service's
// UpdateSSOStrategy with the new Options, or Engine.UpdateGroupNames).
func SetGroupNames(p *store.SSOStrategy, names map[string]string) error {
	if err := CheckGroupNames(names); err != nil {
		return err
	}
	o, err := readOptions(p.Options)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		delete(o, OptionGroupNames)
	} else {
		raw, err := json.Marshal(names)
		if err != nil {
			return fmt.Errorf("provision: encode group names: %w", err)
		}
		o[OptionGroupNames] = raw
	}
	out, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("provision: encode provider options: %w", err)
	}
	p.Options = string(out)
	return nil
}

// EditGroupNames lets edit change a copy of the table and writes it back
// into p.Options, checked.
func EditGroupNames(p *store.SSOStrategy, edit func(names map[string]string) error) error {
	names, err := GroupNames(*p)
	if err != nil {
		return err
	}
	names = maps.Clone(names)
	if err := edit(names); err != nil {
		return err
	}
	return SetGroupNames(p, names)
}
