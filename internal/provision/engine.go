package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrRefused: the identity or request was refused (bad input, or the
	// provider's rules say no); nothing changed and an event says why.
	ErrRefused = errors.New("provision: refused")
	// ErrConflict: acting would take over another account or group, or a
	// login name another account holds; nothing changed.
	ErrConflict = errors.New("provision: conflict with an existing account or group")
	// ErrRules: the provider's rules cannot be read; nothing changed.
	ErrRules = errors.New("provision: the provider's provisioning rules are malformed")
	// ErrUnknown: no account or group of the provider has the immutable id.
	ErrUnknown = errors.New("provision: no record of this provider has the immutable id")
)

// RefusedError says why one identity or request was refused. It matches
// ErrConflict or ErrRefused.
type RefusedError struct {
	Reason   string
	Conflict bool
}

func (e *RefusedError) Error() string { return "provision: " + e.Reason }

// Unwrap makes errors.Is(err, ErrConflict) or errors.Is(err, ErrRefused) true.
func (e *RefusedError) Unwrap() error {
	if e.Conflict {
		return ErrConflict
	}
	return ErrRefused
}

// Options configure an Engine; zero values pick the defaults.
type Options struct {
	Clock    func() time.Time // default time.Now
	Notifier events.Notifier  // default events.Discard{}
	Logger   *slog.Logger     // default slog.Default()
	// BatchSize is how many users Reconcile writes per transaction
	// (default 500). A failed batch is retried one user at a time.
	BatchSize int
}

// Engine applies provider rules to identities. It is safe for concurrent use.
type Engine struct {
	st     store.Store
	now    func() time.Time
	notify events.Notifier
	log    *slog.Logger
	batch  int
	events *events.SSOLog // where the engine's SSO events go
}

// New returns an Engine writing to st.
func New(st store.Store, o Options) *Engine {
	e := &Engine{st: st, now: o.Clock, notify: o.Notifier, log: o.Logger, batch: o.BatchSize}
	if e.now == nil {
		e.now = time.Now
	}
	if e.notify == nil {
		e.notify = events.Discard{}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.batch <= 0 {
		e.batch = 500
	}
	e.events = events.NewSSOLog(st, nil, e.now, e.log)
	return e
}

// MembershipTx runs fn in one transaction that first takes the site's
// lock (store.LockSite). Every change the engine makes to a site's groups
// and memberships runs in such a transaction, so changes made at the same
// moment (Entra's parallel SCIM workers, a sync, a console, on one node or
// several) apply one after the other and none is computed from members
// another has just changed. A caller that needs several engine calls to
// apply as one (a SCIM request creating a group with its members, a PATCH
// of several operations) makes them with the context fn receives: they
// join this transaction, and the lock is taken before anything is read.
func (e *Engine) MembershipTx(ctx context.Context, siteID int64, fn func(ctx context.Context) error) error {
	return e.st.Tx(ctx, func(ctx context.Context) error {
		if err := e.st.LockSite(ctx, siteID); err != nil {
			return fmt.Errorf("provision: lock site %d: %w", siteID, err)
		}
		return fn(ctx)
	})
}

// provider reads a provider and its rules. Malformed rules are recorded as
// a refusal event and returned as ErrRules.
func (e *Engine) provider(ctx context.Context, siteID, providerID int64) (store.SSOStrategy, *rules, error) {
	p, err := e.st.GetSSOStrategy(ctx, siteID, providerID)
	if err != nil {
		return p, nil, fmt.Errorf("provision: read provider %d: %w", providerID, err)
	}
	r, err := compileRules(p)
	if err != nil {
		e.refusalEvent(ctx, p, &refusal{reason: "the provider's provisioning rules were not applied: " + err.Error()})
		return p, nil, fmt.Errorf("%w: %v", ErrRules, err)
	}
	return p, r, nil
}

// UpdateGroupNames changes a provider's group id -> name table through
// edit, checked and saved in one transaction. Other options are kept.
func (e *Engine) UpdateGroupNames(ctx context.Context, siteID, providerID int64, edit func(names map[string]string) error) (map[string]string, error) {
	var out map[string]string
	now := e.now()
	_, err := e.st.UpdateSSOStrategy(ctx, siteID, providerID, func(p *store.SSOStrategy) error {
		if err := EditGroupNames(p, edit); err != nil {
			return err
		}
		p.UpdatedAt = now
		var err error
		out, err = GroupNames(*p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("provision: update group names of provider %d: %w", providerID, err)
	}
	return out, nil
}
