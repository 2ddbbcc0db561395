package ldapsync

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// errLockLost stops a run whose lock another node took over (this node
// stalled past the lock's lifetime): two nodes must never apply at once.
var errLockLost = errors.New("ldapsync: the sync lock was lost to another node; the run was stopped")

// lockName is the store lock of a provider's sync. Provider ids are unique
// across sites.
func lockName(providerID int64) string { return "ldap-sync:" + strconv.FormatInt(providerID, 10) }

// withLock runs fn holding the provider's lock, renewing it while fn runs;
// ErrRunningElsewhere when another holder has it. fn gets the lock's
// fence, which the engine checks in each write transaction: a node that
// stalls past the lock's lifetime (and so misses its renewals) and loses
// the lock to another node writes nothing more, however late it wakes.
func (s *Service) withLock(ctx context.Context, providerID int64, fn func(ctx context.Context, fence store.Fence) error) error {
	name := lockName(providerID)
	now := s.now()
	token, err := s.st.TryLockFenced(ctx, name, s.holder, now, now.Add(s.ttl))
	if err != nil {
		return fmt.Errorf("ldapsync: take the sync lock of provider %d: %w", providerID, err)
	}
	if token == 0 {
		return ErrRunningElsewhere
	}
	defer func() {
		if err := s.st.Unlock(context.WithoutCancel(ctx), name, s.holder); err != nil {
			// The lock expires on its own; the next run only waits longer.
			s.log.Warn("ldapsync: release the sync lock", "sso_strategy_id", providerID, "error", err)
		}
	}()
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	defer close(done)
	go s.renew(runCtx, name, token, cancel, done)
	err = fn(runCtx, store.Fence{Lock: name, Token: token})
	if cause := context.Cause(runCtx); errors.Is(cause, errLockLost) {
		return errors.Join(cause, err)
	}
	if errors.Is(err, store.ErrFenced) {
		return errors.Join(errLockLost, err)
	}
	return err
}

// renew extends the lock every third of its lifetime until done. A renewal
// the store refuses, or one that starts a new holding (another node took
// the lock and let it go in between), means the run's lease is over: the
// run is cancelled. A store error is retried at the next tick; the lock
// outlives two misses.
func (s *Service) renew(ctx context.Context, name string, token int64, cancel context.CancelCauseFunc, done <-chan struct{}) {
	t := time.NewTicker(s.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			now := s.now()
			got, err := s.st.TryLockFenced(ctx, name, s.holder, now, now.Add(s.ttl))
			switch {
			case err != nil:
				s.log.Warn("ldapsync: renew the sync lock", "lock", name, "error", err)
			case got != token:
				s.log.Error("ldapsync: the sync lock was taken over by another node; stopping this run", "lock", name)
				cancel(errLockLost)
				return
			}
		}
	}
}
