package ldap

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// Step is one check of Test, in words an admin can act on.
type Step struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Names of Test's steps, in the order they run. The connect step is
// named once per host ("connect ldap1.example.com:636").
const (
	StepConnect     = "connect"
	StepTLS         = "tls"
	StepServiceBind = "service bind"
	StepBaseSearch  = "base search"
	StepUserFilter  = "user filter"
	StepGroupFilter = "group filter"
	StepUserLookup  = "user lookup"
)

// Test tries each host, TLS, the service account's bind, a search of the
// base, the user and group filters, and, when sampleUser is set, the
// lookup of that user (without their password). A step that fails leaves
// the steps that depend on it out.
func (d *Directory) Test(ctx context.Context, sampleUser string) []Step {
	var steps []Step
	add := func(name string, ok bool, format string, args ...any) {
		steps = append(steps, Step{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	var first *conn
	for _, h := range d.cfg.Hosts {
		_, addr := d.pool.hostAddr(h)
		c, err := d.pool.dialHost(ctx, h)
		if err != nil {
			add(StepConnect+" "+addr, false, "%s", plainError(err))
			continue
		}
		add(StepConnect+" "+addr, true, "connected to %s", addr)
		if first == nil {
			first = c
		} else {
			_ = c.Close()
		}
	}
	if first == nil {
		return steps
	}
	defer func() { _ = first.Close() }()
	add(StepTLS, true, "%s", describeTLS(first, d.cfg))

	if err := d.pool.bindService(ctx, first); err != nil {
		add(StepServiceBind, false, "%s", plainError(err))
		return steps
	}
	add(StepServiceBind, true, "bound as %s", d.cfg.BindDN)

	req := goldap.NewSearchRequest(d.cfg.BaseDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, int(d.cfg.Timeout.Seconds()),
		false, "(objectClass=*)", []string{"1.1"}, nil)
	if err := withContext(ctx, first, func() error { _, err := first.Search(req); return err }); err != nil {
		add(StepBaseSearch, false, "%s", plainError(searchError(err, "read the search base")))
		return steps
	}
	add(StepBaseSearch, true, "the search base %s exists and the service account can read it", d.cfg.BaseDN)

	for _, f := range []struct{ step, filter, what string }{
		{StepUserFilter, d.cfg.UserFilter, "user"},
		{StepGroupFilter, d.cfg.GroupFilter, "group"},
	} {
		n, more, err := d.countSome(ctx, first, f.filter)
		switch {
		case err != nil:
			add(f.step, false, "%s", plainError(err))
		case n == 0:
			add(f.step, false, "the %s filter %s selects no entry under %s: a sync would find nobody", f.what, f.filter, d.cfg.BaseDN)
		case more:
			add(f.step, true, "the %s filter %s selects entries", f.what, f.filter)
		default:
			add(f.step, true, "the %s filter %s selects %d entries", f.what, f.filter, n)
		}
	}

	if sampleUser == "" {
		return steps
	}
	name, err := d.normalizeUsername(sampleUser)
	if err != nil {
		add(StepUserLookup, false, "%s", plainError(err))
		return steps
	}
	raw, err := d.findUser(ctx, first, name)
	if err != nil {
		add(StepUserLookup, false, "%s", plainError(err))
		return steps
	}
	e := d.entryFrom(raw)
	groups, err := d.groupsOf(ctx, first, e.DN)
	if err != nil {
		add(StepUserLookup, false, "found %s, but reading its groups failed: %s", e.DN, plainError(err))
		return steps
	}
	state := "enabled"
	switch {
	case e.Disabled:
		state = "disabled in the directory"
	case e.Locked:
		state = "locked in the directory"
	}
	detail := fmt.Sprintf("found %s (immutable id %q, e-mail %q, %s) in %d group(s)", e.DN, e.ImmutableID, e.Email, state, len(groups))
	if e.ImmutableID == "" {
		add(StepUserLookup, false, "%s; it has no %s, so it cannot be provisioned", detail, d.cfg.Attributes.ImmutableID)
		return steps
	}
	add(StepUserLookup, true, "%s", detail)
	return steps
}

// countSome counts up to 1000 entries a filter selects; more says there
// are more.
func (d *Directory) countSome(ctx context.Context, c *conn, filter string) (n int, more bool, err error) {
	const limit = 1000
	req := goldap.NewSearchRequest(d.cfg.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, limit, int(d.cfg.Timeout.Seconds()),
		false, filter, []string{"1.1"}, nil)
	var res *goldap.SearchResult
	err = withContext(ctx, c, func() (err error) { res, err = c.Search(req); return err })
	if goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		return len(res.Entries), true, nil
	}
	if err != nil {
		return 0, false, searchError(err, "search with the filter")
	}
	return len(res.Entries), false, nil
}

func describeTLS(c *conn, cfg Config) string {
	state, ok := c.TLSConnectionState()
	if !ok {
		return "not encrypted: passwords cross the network in clear; turn on LDAPS (ldap_secure) or StartTLS"
	}
	how := "LDAPS"
	if cfg.StartTLS {
		how = "StartTLS"
	}
	subject := ""
	if len(state.PeerCertificates) > 0 {
		subject = state.PeerCertificates[0].Subject.String()
	}
	return fmt.Sprintf("%s with %s, certificate %q verified", how, tls.VersionName(state.Version), subject)
}

// plainError is an error's message for a person: the admin-facing text
// without the package prefix.
func plainError(err error) string {
	if e, ok := err.(*Error); ok {
		if e.Err != nil {
			return e.Detail + ": " + strings.TrimPrefix(e.Err.Error(), "LDAP Result Code ")
		}
		return e.Detail
	}
	return err.Error()
}
