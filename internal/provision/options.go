package provision

import (
	"fmt"
	"maps"

	"github.com/gatehouse/gatehouse/internal/ssosettings"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that the engine reads; package
// ssosettings owns them and says what each holds.
const (
	OptionGroupNames              = ssosettings.KeyGroupNames
	OptionDeprovisionLimitUsers   = ssosettings.KeyDeprovisionLimitUsers
	OptionDeprovisionLimitPercent = ssosettings.KeyDeprovisionLimitPercent
)

// readSettings reads the provisioning keys of p's options (checked by
// ssosettings, as saving the provider did): the group name table and the
// safety limit, defaults filled in.
func readSettings(p store.SSOStrategy) (names map[string]string, limit SafetyLimit, err error) {
	s, err := ssosettings.ParseProvision(p)
	if err != nil {
		return nil, SafetyLimit{}, fmt.Errorf("provider options: %w", err)
	}
	limit = defaultSafetyLimit
	if s.DeprovisionLimitUsers != nil {
		limit.MinUsers = *s.DeprovisionLimitUsers
	}
	if s.DeprovisionLimitPercent != nil {
		limit.Percent = *s.DeprovisionLimitPercent
	}
	return s.GroupNames, limit, nil
}

// CheckGroupNames refuses a table with empty or malformed ids or names, or
// more than 10,000 entries (see ssosettings.CheckGroupNames).
func CheckGroupNames(names map[string]string) error {
	return ssosettings.CheckGroupNames(names)
}

// GroupNames returns the provider's group id -> name table (empty when
// none is set).
func GroupNames(p store.SSOStrategy) (map[string]string, error) {
	names, _, err := readSettings(p)
	return names, err
}

// SetGroupNames replaces the provider's group id -> name table in
// p.Options, keeping every other option. An empty table removes the key.
// It does not save p: the caller stores it (identity.Service's
// UpdateSSOStrategy with the new Options, or Engine.UpdateGroupNames).
func SetGroupNames(p *store.SSOStrategy, names map[string]string) error {
	if err := CheckGroupNames(names); err != nil {
		return err
	}
	var value any
	if len(names) > 0 {
		value = names
	}
	out, err := ssosettings.SetKey(p.Options, OptionGroupNames, value)
	if err != nil {
		return fmt.Errorf("provider options: %w", err)
	}
	p.Options = out
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
