package ssosettings

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that the provisioning engine reads.
const (
	// KeyGroupNames holds the admin-maintained table from a provider's
	// group id to a group name: {"group_names": {"<id>": "<name>"}}. Entra
	// sends group object ids, not names, in SAML and OIDC claims.
	KeyGroupNames = "group_names"
	// KeyDeprovisionLimitUsers is the least number of users a Reconcile
	// may always deprovision (default 10).
	KeyDeprovisionLimitUsers = "deprovision_limit_users"
	// KeyDeprovisionLimitPercent is the share of the provider's users, in
	// percent, a Reconcile may deprovision (default 20).
	KeyDeprovisionLimitPercent = "deprovision_limit_percent"
)

var provisionKeys = []string{KeyGroupNames, KeyDeprovisionLimitUsers, KeyDeprovisionLimitPercent}

// Bounds of the group name table: entries, and the length of an id (as
// the engine bounds every external id) and of a name (a group's name).
const (
	MaxGroupNames      = 10000
	maxGroupIDBytes    = 256
	maxGroupNameLen    = 256
	maxDeprovisionUser = 1 << 30
)

// Provision is what a provider's options say about provisioning.
type Provision struct {
	// GroupNames maps the provider's group ids to names; never nil.
	GroupNames map[string]string
	// DeprovisionLimitUsers and DeprovisionLimitPercent are the safety
	// limit's settings; nil keeps the engine's default.
	DeprovisionLimitUsers, DeprovisionLimitPercent *int
}

// ParseProvision reads and checks the provisioning keys of p's options.
func ParseProvision(p store.SSOStrategy) (Provision, error) {
	obj, err := readObject(p.Options)
	if err != nil {
		return Provision{GroupNames: map[string]string{}}, err
	}
	var c collector
	pr := parseProvision(&c, obj)
	return pr, c.err()
}

func parseProvision(c *collector, obj object) Provision {
	pr := Provision{GroupNames: map[string]string{}}
	if n, ok := obj.integer(c, KeyDeprovisionLimitUsers, 0, maxDeprovisionUser,
		"the number of users a sync may always deprovision, 10 by default"); ok {
		pr.DeprovisionLimitUsers = &n
	}
	if n, ok := obj.integer(c, KeyDeprovisionLimitPercent, 0, 100,
		"the share of the provider's users, in percent, a sync may deprovision, 20 by default"); ok {
		pr.DeprovisionLimitPercent = &n
	}
	raw, ok := obj.raw(KeyGroupNames)
	if !ok {
		return pr
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		c.add(field(KeyGroupNames), `options.%s must be an object of group id to group name, such as {"0f1c…": "Payroll"}, or set with: gatehouse providers group-names set ID GROUP-ID NAME`,
			KeyGroupNames)
		return pr
	}
	if err := CheckGroupNames(m); err != nil {
		c.addAll(err)
		return pr
	}
	if m != nil {
		pr.GroupNames = m
	}
	return pr
}

// CheckGroupNames refuses a group name table with more than 10,000
// entries, or an empty or malformed id or name; the error is FieldErrors
// naming options.group_names.
func CheckGroupNames(names map[string]string) error {
	var c collector
	f := field(KeyGroupNames)
	if len(names) > MaxGroupNames {
		c.add(f, "options.%s has %d entries, more than %d; keep only the groups whose names Gatehouse needs", KeyGroupNames, len(names), MaxGroupNames)
		return c.err()
	}
	for id, name := range names {
		if p := groupIDProblem(id); p != "" {
			c.add(f, "options.%s: the group id %q %s; give the id the identity provider sends (Entra: the group's Object ID)", KeyGroupNames, clip(id), p)
			break
		}
		if strings.TrimSpace(name) == "" {
			c.add(f, "options.%s: the group id %q has an empty name; give the name the group should have in Gatehouse", KeyGroupNames, clip(id))
			break
		}
		if p := textProblem(name, maxGroupNameLen); p != "" {
			c.add(f, "options.%s: the name of group id %q %s; give a one-line name of at most %d characters", KeyGroupNames, clip(id), p, maxGroupNameLen)
			break
		}
	}
	return c.err()
}

// groupIDProblem says what is wrong with a group id: 1 to 256 bytes of
// valid UTF-8 without control characters, as every external id.
func groupIDProblem(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "is empty"
	case !utf8.ValidString(id):
		return "is not valid UTF-8"
	case len(id) > maxGroupIDBytes:
		return sprintf("is %d bytes long, more than %d", len(id), maxGroupIDBytes)
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return "contains control characters"
	}
	return ""
}
