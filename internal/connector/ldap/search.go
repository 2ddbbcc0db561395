package ldap

import (
	"context"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// pagedSearch runs a subtree search with the paged results control
// (RFC 2696), handing each entry to fn and calling page after each page.
// Paging is what lets a search pass AD's MaxPageSize of 1000 entries.
func (d *Directory) pagedSearch(ctx context.Context, c *conn, filter string, attrs []string, what string,
	fn func(*goldap.Entry), page func()) error {
	paging := goldap.NewControlPaging(uint32(d.cfg.PageSize))
	for {
		req := goldap.NewSearchRequest(d.cfg.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
			0, 0, false, filter, attrs, []goldap.Control{paging})
		var res *goldap.SearchResult
		err := withContext(ctx, c, func() (err error) { res, err = c.Search(req); return err })
		if err != nil {
			return searchError(err, what)
		}
		for _, e := range res.Entries {
			fn(e)
		}
		if page != nil {
			page()
		}
		ctrl, _ := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
		if ctrl == nil || len(ctrl.Cookie) == 0 {
			return nil
		}
		paging.SetCookie(ctrl.Cookie)
	}
}

// groupsOf returns the selected groups the entry dn is in, directly or
// through nested groups.
func (d *Directory) groupsOf(ctx context.Context, c *conn, dn string) ([]GroupRef, error) {
	var groups []GroupRef
	collect := func(e *goldap.Entry) { groups = append(groups, d.groupFrom(e)) }
	if d.dialect.inChain {
		filter := d.inChainGroupFilter(dn)
		if err := d.pagedSearch(ctx, c, filter, d.groupAttributes(), "read the user's groups", collect, nil); err != nil {
			return nil, err
		}
		return groups, nil
	}
	// Walk upwards one level of nesting per round, asking for the groups
	// of a whole level at once.
	seen := map[string]bool{}
	level := []string{dn}
	for depth := 0; len(level) > 0 && depth < maxNesting; depth++ {
		var next []string
		for start := 0; start < len(level); start += orChunk {
			var b strings.Builder
			b.WriteString("(&" + d.cfg.GroupFilter + "(|")
			for _, member := range level[start:min(start+orChunk, len(level))] {
				b.WriteString("(" + d.cfg.Attributes.Member + "=" + goldap.EscapeFilter(member) + ")")
			}
			b.WriteString("))")
			err := d.pagedSearch(ctx, c, b.String(), d.groupAttributes(), "read the user's groups", func(e *goldap.Entry) {
				key := dnKey(e.DN)
				if seen[key] {
					return
				}
				seen[key] = true
				collect(e)
				next = append(next, e.DN)
			}, nil)
			if err != nil {
				return nil, err
			}
		}
		level = next
	}
	return groups, nil
}

// inChainGroupFilter selects the groups dn is in, at any depth, with AD's
// LDAP_MATCHING_RULE_IN_CHAIN.
func (d *Directory) inChainGroupFilter(dn string) string {
	return "(&" + d.cfg.GroupFilter + "(" + d.cfg.Attributes.Member + ":" + adMatchingRuleChain + ":=" + goldap.EscapeFilter(dn) + "))"
}

const (
	maxNesting = 32 // levels of nested groups followed
	orChunk    = 64 // member values per search filter
)

// dnKey is a DN in a form that compares equal for equal DNs written with
// different case or spacing.
func dnKey(dn string) string {
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(dn)
	}
	return strings.ToLower(parsed.String())
}
