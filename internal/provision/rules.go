package provision

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Limits on a rule list.
const (
	maxPatterns   = 1000
	maxPatternLen = 256
)

// pattern is one group name with * wildcards, lower-cased and split at
// each *.
type pattern struct {
	raw   string
	parts []string
}

// patterns is a compiled list; empty matches nothing.
type patterns []pattern

// parsePatterns reads a comma- or newline-separated list. Blank entries
// are ignored; anything the store would refuse as a name is an error that
// names the field.
func parsePatterns(field, list string, wildcards bool) (patterns, error) {
	if !utf8.ValidString(list) {
		return nil, fmt.Errorf("%s is not valid UTF-8", field)
	}
	var out patterns
	for _, entry := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if len(entry) > maxPatternLen {
			return nil, fmt.Errorf("%s: entry %q is longer than %d characters", field, clip(entry), maxPatternLen)
		}
		for _, r := range entry {
			if unicode.IsControl(r) {
				return nil, fmt.Errorf("%s: entry %q contains control characters", field, clip(entry))
			}
		}
		if !wildcards && strings.Contains(entry, "*") {
			return nil, fmt.Errorf("%s: entry %q has a *, but this list takes plain group names", field, clip(entry))
		}
		out = append(out, pattern{raw: entry, parts: strings.Split(key(entry), "*")})
		if len(out) > maxPatterns {
			return nil, fmt.Errorf("%s has more than %d entries", field, maxPatterns)
		}
	}
	return out, nil
}

// match reports whether name matches any pattern, ignoring case.
func (ps patterns) match(name string) bool {
	k := key(name)
	for _, p := range ps {
		if p.match(k) {
			return true
		}
	}
	return false
}

// matchAny reports whether any of names matches.
func (ps patterns) matchAny(names []string) bool {
	for _, n := range names {
		if ps.match(n) {
			return true
		}
	}
	return false
}

// match is glob matching of a lower-cased name: the first part is a
// prefix, the last a suffix, the ones between appear in order.
func (p pattern) match(k string) bool {
	if len(p.parts) == 1 {
		return k == p.parts[0]
	}
	first, last := p.parts[0], p.parts[len(p.parts)-1]
	if !strings.HasPrefix(k, first) {
		return false
	}
	k = k[len(first):]
	for _, mid := range p.parts[1 : len(p.parts)-1] {
		i := strings.Index(k, mid)
		if i < 0 {
			return false
		}
		k = k[i+len(mid):]
	}
	return strings.HasSuffix(k, last)
}

// names lists the raw entries, for plain-name lists.
func (ps patterns) names() []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.raw
	}
	return out
}

// rules is a provider's provisioning settings, read once per operation.
type rules struct {
	provisionUsers, provisionGroups     bool
	deprovisionUsers, deprovisionGroups bool
	deleteOnDeprovision                 bool

	defaults, include, exclude, required patterns
	siteAdmin, groupAdmin, emailSignup   patterns

	ftp, sftp, dav    bool
	company, timeZone string

	groupNames map[string]string
	limit      SafetyLimit
}

// compileRules reads the provider's rules; any malformed part is an error
// and the operation stops before changing anything.
func compileRules(p store.SSOStrategy) (*rules, error) {
	r := &rules{
		provisionUsers:    p.ProvisionUsers,
		provisionGroups:   p.ProvisionGroups,
		deprovisionUsers:  p.DeprovisionUsers,
		deprovisionGroups: p.DeprovisionGroups,
		ftp:               p.ProvisionFTPPermission,
		sftp:              p.ProvisionSFTPPermission,
		dav:               p.ProvisionDAVPermission,
		company:           p.ProvisionCompany,
		timeZone:          p.ProvisionTimeZone,
	}
	switch p.DeprovisionBehavior {
	case "", "disable":
	case "delete":
		r.deleteOnDeprovision = true
	default:
		return nil, fmt.Errorf("deprovision_behavior must be disable or delete (got %q)", clip(p.DeprovisionBehavior))
	}
	lists := []struct {
		field     string
		value     string
		wildcards bool
		dst       *patterns
	}{
		{"provision_group_default", p.ProvisionGroupDefault, false, &r.defaults},
		{"provision_group_inclusion", p.ProvisionGroupInclusion, true, &r.include},
		{"provision_group_exclusion", p.ProvisionGroupExclusion, true, &r.exclude},
		{"provision_group_required", p.ProvisionGroupRequired, true, &r.required},
		{"provision_site_admin_groups", p.ProvisionSiteAdminGroups, true, &r.siteAdmin},
		{"provision_group_admin_groups", p.ProvisionGroupAdminGroups, true, &r.groupAdmin},
		{"provision_email_signup_groups", p.ProvisionEmailSignupGroups, true, &r.emailSignup},
	}
	for _, l := range lists {
		ps, err := parsePatterns(l.field, l.value, l.wildcards)
		if err != nil {
			return nil, err
		}
		*l.dst = ps
	}
	var err error
	if r.groupNames, r.limit, err = readSettings(p); err != nil {
		return nil, err
	}
	return r, nil
}

// groupAllowed applies inclusion and exclusion: an empty inclusion list
// admits every group, and exclusion wins.
func (r *rules) groupAllowed(name string) bool {
	if r.exclude.match(name) {
		return false
	}
	return len(r.include) == 0 || r.include.match(name)
}

// meetsRequired reports whether names satisfy the required-groups rule.
func (r *rules) meetsRequired(names []string) bool {
	return len(r.required) == 0 || r.required.matchAny(names)
}
