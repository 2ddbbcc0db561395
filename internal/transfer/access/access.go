// Package access keeps what a signed-in transfer connection may do in step
// with the account behind it. SFTP, FTP and WebDAV all hold connections (or
// remembered credentials) open across many requests; at every request each
// asks its Session, which asks the identity core again (identity.Readmit)
// and answers the file view to serve the request with, so a demoted admin,
// a user taken out of a group, a revoked channel permission, a deleted key
// or a changed password take effect at the connection's next step, the
// same on every channel.
//
// Asking again costs no store read while nothing changed: Check compares
// the account's version (identity.Service.AccountVersion, moved by the
// store's feed of account changes, across nodes on PostgreSQL) with the
// one it last read the account at, and calls Readmit only when it moved,
// when the credential's expiry passed, or when the feed cannot be trusted
// (it is not live), in which case every request reads the account. So an
// idle connection costs nothing, and a revoked right still ends access at
// the next request.
package access

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Layout lays out a user's file view from their memberships;
// (*vfs.Storage).View is the one Gatehouse serves.
type Layout func(site store.Site, u store.User, memberships []store.GroupUser) vfs.FS

// Readmitter is what a watched connection asks of the identity core at
// every request; *identity.Service is one.
type Readmitter interface {
	Readmit(ctx context.Context, in identity.TransferSignIn) (identity.Standing, error)
	// AccountVersion answers, without reading the store, the account's
	// version and whether it can be trusted.
	AccountVersion(siteID, userID int64) (identity.AccountVersion, bool)
	// Now is the identity core's clock, which Standing.Until is on.
	Now() time.Time
}

// Rights is what a connection may do now: who it acts as and the files
// it sees.
type Rights struct {
	User store.User
	FS   vfs.FS
}

// Session watches one signed-in connection. It is safe for concurrent use:
// SFTP serves a connection's requests in parallel.
type Session struct {
	svc    Readmitter
	layout Layout
	site   store.Site
	signIn identity.TransferSignIn
	log    *slog.Logger

	// next numbers the checks as they start, so that a slow check never
	// replaces the view a later one laid out.
	next atomic.Uint64

	mu      sync.Mutex
	applied uint64   // number of the check that laid out rights
	view    [32]byte // identity.Standing.View of rights
	rights  Rights
	// current says rights hold while the account's version is version
	// and the time is before until (zero: no end); false makes the next
	// check read the account.
	current bool
	version identity.AccountVersion
	until   time.Time
}

// Open starts watching a connection that has just signed in and answers
// its first rights. An error is a refusal like Check's: the account
// changed between the sign-in and now.
func Open(ctx context.Context, svc Readmitter, layout Layout, site store.Site, in identity.TransferSignIn, log *slog.Logger) (*Session, Rights, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Session{svc: svc, layout: layout, site: site, signIn: in, log: log}
	r, err := s.Check(ctx)
	return s, r, err
}

// SignIn is the sign-in the session watches.
func (s *Session) SignIn() identity.TransferSignIn { return s.signIn }

// Check asks whether the connection may go on, and answers the rights to
// serve the next request with. The account is read again (Readmit) only
// when its version moved since the last reading, the credential expired,
// or the version cannot be trusted; otherwise the last answer stands and
// the check reads nothing. The file view is laid out again only when the
// account's view fingerprint changed since the last check.
//
// An error either ends the connection (Ends reports which; it is logged
// here, once per refusal) or, when the store could not be read, refuses
// only this request: a store outage should not cut every connection off,
// nor let a request through unchecked.
func (s *Session) Check(ctx context.Context) (Rights, error) {
	n := s.next.Add(1)
	// The version is read before the account, so that a change made
	// while Readmit reads shows as a newer version next time.
	version, trusted := s.svc.AccountVersion(s.signIn.SiteID, s.signIn.UserID)
	if trusted {
		if r, ok := s.unchanged(version); ok {
			return r, nil
		}
	}
	st, err := s.svc.Readmit(ctx, s.signIn)
	if err != nil {
		s.mu.Lock()
		s.current = false
		s.mu.Unlock()
		if Ends(err) {
			s.log.Info("transfer connection ended: the account no longer lets it in", "channel", s.signIn.Channel,
				"site_id", s.signIn.SiteID, "user_id", s.signIn.UserID, "credential", s.signIn.Credential,
				"ip", s.signIn.IP, "reason", identity.AsError(err).Type)
		} else if ctx.Err() == nil {
			s.log.Warn("transfer request refused: the account could not be checked", "channel", s.signIn.Channel,
				"site_id", s.signIn.SiteID, "user_id", s.signIn.UserID, "error", err)
		}
		return Rights{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < s.applied {
		return s.rights, nil // a later check already applied a newer state
	}
	if s.rights.FS == nil || st.View != s.view {
		s.rights.FS = s.layout(s.site, st.User, st.Memberships)
		s.view = st.View
	}
	s.rights.User = st.User
	s.applied = n
	s.current, s.version, s.until = trusted, version, st.Until
	return s.rights, nil
}

// unchanged answers the rights of the last check when they still hold at
// version.
func (s *Session) unchanged(version identity.AccountVersion) (Rights, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.current || s.version != version || s.rights.FS == nil {
		return Rights{}, false
	}
	if !s.until.IsZero() && !s.svc.Now().Before(s.until) {
		return Rights{}, false
	}
	return s.rights, true
}

// Ends reports whether an error from Check ends the connection: the
// account refused it (the identity core's own answer), rather than the
// store failing to answer.
func Ends(err error) bool {
	return err != nil && identity.AsError(err).Status < 500
}

// Message is what a transfer client is told when the identity core
// refuses a sign-in or ends a connection: the policy's own words, which
// help the person (use an API key, ask for ftp_permission, sign in again
// with the new password), and a generic line for the server's failures,
// whose details go only to the log.
func Message(err error) string {
	e := identity.AsError(err)
	if e.Status >= 500 {
		return "not possible right now; try again later"
	}
	if e.Message != "" {
		return e.Title + ". " + e.Message
	}
	return e.Title
}
