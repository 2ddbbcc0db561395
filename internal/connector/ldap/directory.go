package ldap

import (
	"context"
	"strings"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"
)

// Entry is one user as the directory describes them.
type Entry struct {
	DN          string
	ImmutableID string
	Username    string
	Email       string
	GivenName   string
	Surname     string
	DisplayName string
	Disabled    bool
	// Locked says the directory locked the account after failed binds; it
	// refuses sign-in but is not a reason to deprovision.
	Locked bool
	// Groups are the groups the group filter selects that the user is in,
	// directly or through nested groups.
	Groups []GroupRef
}

// GroupRef is one group.
type GroupRef struct {
	DN          string
	ImmutableID string
	Name        string
}

// Snapshot is every user and group the filters select.
type Snapshot struct {
	Users  []Entry
	Groups []GroupRef
}

// Directory is one configured directory with its connection pool. It is
// safe for concurrent use.
type Directory struct {
	cfg     Config
	dialect dialect
	pool    *pool // bound as the service account, for searches
	binds   *pool // for binds as the people signing in
}

// Limits of what a person may type at sign-in.
const (
	maxUsernameLen = 256
	maxPasswordLen = 1024
)

// New checks cfg and returns a Directory; nothing is dialled until the
// first request.
func New(cfg Config) (*Directory, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Directory{cfg: cfg, dialect: dialectFor(cfg.Dialect), pool: newPool(cfg), binds: newPool(cfg)}, nil
}

// Config returns the configuration with defaults filled in.
func (d *Directory) Config() Config { return d.cfg }

// Close closes the idle connections; connections in use close when given
// back.
func (d *Directory) Close() error {
	d.pool.close()
	d.binds.close()
	return nil
}

// Authenticate finds the user's entry with the service account, refuses
// it when the directory disables or locks it, then binds as the entry with
// password, and once the bind succeeds reads the user's groups. The
// returned Entry carries the user's attributes and groups, read with the
// service account, for the account's refresh.
//
// The service account's searches and the people's binds use separate
// pooled connections, so that a service connection never has to bind
// again, and a request holds one connection at a time.
//
// Errors are *Error; their Kind is for events and logs only.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (Entry, error) {
	if password == "" {
		return Entry{}, newError(KindInvalidCredentials, nil, "empty password refused before any bind")
	}
	if len(password) > maxPasswordLen {
		return Entry{}, newError(KindInvalidCredentials, nil, "password longer than %d bytes", maxPasswordLen)
	}
	name, err := d.normalizeUsername(username)
	if err != nil {
		return Entry{}, err
	}
	entry, err := d.lookup(ctx, name)
	if err != nil {
		return entry, err
	}
	if entry.Disabled {
		return entry, newError(KindDisabled, nil, "the directory disables %s", entry.DN)
	}
	if entry.Locked {
		return entry, newError(KindLocked, nil, "the directory locked %s", entry.DN)
	}
	if err := d.bindAs(ctx, entry.DN, password); err != nil {
		return entry, err
	}
	err = d.pool.do(ctx, true, func(c *conn) (err error) {
		entry.Groups, err = d.groupsOf(ctx, c, entry.DN)
		return err
	})
	return entry, err
}

// lookup finds the one entry for name with the service account.
func (d *Directory) lookup(ctx context.Context, name string) (Entry, error) {
	var raw *goldap.Entry
	err := d.pool.do(ctx, true, func(c *conn) (err error) {
		raw, err = d.findUser(ctx, c, name)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return d.entryFrom(raw), nil
}

// bindAs checks password by binding as dn on a connection of the bind pool.
func (d *Directory) bindAs(ctx context.Context, dn, password string) error {
	var bindErr error
	err := d.binds.do(ctx, false, func(c *conn) error {
		bindErr = withContext(ctx, c, func() error { return c.Bind(dn, password) })
		if bindErr != nil && isNetworkError(bindErr) {
			return newError(KindUnavailable, bindErr, "the directory %s stopped answering during a bind", c.host)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if bindErr == nil {
		return nil
	}
	err = bindErr
	kind := classifyBind(err)
	if kind == KindUnknownUser {
		kind = KindInvalidCredentials // the entry exists: AD's 525 here is a race with a delete
	}
	return newError(kind, err, "the directory refused the bind as %s", dn)
}

// normalizeUsername turns what a person typed into the value of the
// username attribute, refusing what cannot be a username.
func (d *Directory) normalizeUsername(username string) (string, error) {
	name := strings.TrimSpace(username)
	if name == "" || len(name) > maxUsernameLen || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return "", newError(KindUnknownUser, nil, "the username is empty, too long or not text")
	}
	if d.dialect.qualifiedNames {
		if i := strings.IndexByte(name, '\\'); i >= 0 {
			name = name[i+1:]
		}
	}
	if dom := d.cfg.Domain; dom != "" {
		switch strings.ToLower(d.cfg.UsernameAttr) {
		case "userprincipalname", "mail":
			if !strings.Contains(name, "@") {
				name += "@" + dom
			}
		default:
			if at := strings.LastIndexByte(name, '@'); at > 0 && strings.EqualFold(name[at+1:], dom) {
				name = name[:at]
			}
		}
	}
	if name == "" {
		return "", newError(KindUnknownUser, nil, "the username is empty")
	}
	return name, nil
}

// userAttributes are the attributes read for every user.
func (d *Directory) userAttributes() []string {
	a := d.cfg.Attributes
	attrs := []string{d.cfg.UsernameAttr, a.Mail, a.GivenName, a.Surname, a.DisplayName, a.ImmutableID}
	if d.dialect.preferredUserID != "" {
		attrs = append(attrs, d.dialect.preferredUserID)
	}
	return append(attrs, d.dialect.userStatusAttrs...)
}

// groupAttributes are the attributes read for every group.
func (d *Directory) groupAttributes() []string {
	attrs := []string{d.cfg.Attributes.GroupName, d.cfg.Attributes.ImmutableID}
	if d.dialect.preferredGroupID != "" {
		attrs = append(attrs, d.dialect.preferredGroupID)
	}
	return attrs
}

// findUser searches the one entry the user filter selects whose username
// attribute is name.
func (d *Directory) findUser(ctx context.Context, c *conn, name string) (*goldap.Entry, error) {
	filter := "(&" + d.cfg.UserFilter + "(" + d.cfg.UsernameAttr + "=" + goldap.EscapeFilter(name) + "))"
	req := goldap.NewSearchRequest(d.cfg.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		2, int(d.cfg.Timeout.Seconds()), false, filter, d.userAttributes(), nil)
	var res *goldap.SearchResult
	err := withContext(ctx, c, func() (err error) { res, err = c.Search(req); return err })
	if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		return nil, searchError(err, "look up the user")
	}
	switch {
	case len(res.Entries) == 0:
		return nil, newError(KindUnknownUser, nil, "no entry under %s matches the user filter with %s=%q", d.cfg.BaseDN, d.cfg.UsernameAttr, name)
	case len(res.Entries) > 1:
		return nil, newError(KindAmbiguousUser, nil, "several entries match %s=%q: make the user filter or username attribute select one", d.cfg.UsernameAttr, name)
	}
	return res.Entries[0], nil
}

// searchError classifies a failed search.
func searchError(err error, what string) error {
	switch {
	case isNetworkError(err):
		return newError(KindUnavailable, err, "the directory stopped answering during %s", what)
	case goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject):
		return newError(KindConfig, err, "the search base does not exist (%s): check ldap_base_dn", what)
	case goldap.IsErrorWithCode(err, goldap.LDAPResultFilterError), goldap.IsErrorWithCode(err, goldap.LDAPResultInappropriateMatching):
		return newError(KindConfig, err, "the directory refused a filter (%s): check the user and group filters", what)
	case goldap.IsErrorWithCode(err, goldap.LDAPResultInsufficientAccessRights):
		return newError(KindServiceAccount, err, "the service account may not %s: give it read access", what)
	}
	return newError(KindProtocol, err, "the directory refused to %s", what)
}

// entryFrom reads a user entry.
func (d *Directory) entryFrom(e *goldap.Entry) Entry {
	a := d.cfg.Attributes
	out := Entry{
		DN:          e.DN,
		ImmutableID: immutableID(e, d.dialect.preferredUserID, a.ImmutableID),
		Username:    e.GetEqualFoldAttributeValue(d.cfg.UsernameAttr),
		Email:       e.GetEqualFoldAttributeValue(a.Mail),
		GivenName:   e.GetEqualFoldAttributeValue(a.GivenName),
		Surname:     e.GetEqualFoldAttributeValue(a.Surname),
		DisplayName: e.GetEqualFoldAttributeValue(a.DisplayName),
	}
	out.Disabled, out.Locked = d.dialect.status(e)
	return out
}

// groupFrom reads a group entry.
func (d *Directory) groupFrom(e *goldap.Entry) GroupRef {
	return GroupRef{
		DN:          e.DN,
		ImmutableID: immutableID(e, d.dialect.preferredGroupID, d.cfg.Attributes.ImmutableID),
		Name:        e.GetEqualFoldAttributeValue(d.cfg.Attributes.GroupName),
	}
}
