package provision

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Result is what one Upsert, Deactivate or Delete did.
type Result struct {
	Action Action       `json:"action"`
	User   store.User   `json:"-"` // the account after the change; zero when deleted or refused
	Change Change       `json:"change"`
	Groups []Resolution `json:"groups,omitempty"` // how each group reference was read
}

// Upsert creates or updates the account of one identity (SCIM create,
// replace and patch; JIT at sign-in), with its memberships, in one
// transaction. A refusal is returned as a *RefusedError (ErrRefused or
// ErrConflict) after an event recorded it.
func (e *Engine) Upsert(ctx context.Context, siteID, providerID int64, x ExternalIdentity) (Result, error) {
	p, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var ref *refusal
	err = e.st.Tx(ctx, func(ctx context.Context) error {
		s, op, rf, err := e.planUpsert(ctx, siteID, p, r, x)
		if err == nil && rf == nil && (op.action != ActionNone || len(s.groupOpList) > 0) {
			// It writes: take the site's lock like every change to
			// memberships, and plan again on what the store holds now.
			// A sign-in that changes nothing never waits for it.
			if err = e.st.LockSite(ctx, siteID); err != nil {
				return fmt.Errorf("provision: lock site %d: %w", siteID, err)
			}
			s, op, rf, err = e.planUpsert(ctx, siteID, p, r, x)
		}
		if err != nil || rf != nil {
			ref = rf
			return err
		}
		for _, g := range s.groupOpList {
			if err := e.applyGroupOp(ctx, s, g); err != nil {
				return err
			}
		}
		if err := e.writeUser(ctx, s, op); err != nil {
			return err
		}
		if _, err := e.st.AddMemberships(ctx, siteID, s.newMemberships(op), e.now()); err != nil {
			return err
		}
		res = resultOf(op)
		return nil
	})
	if ref != nil {
		e.refusalEvent(ctx, p, ref)
		return Result{Action: refusalAction(ref)}, &RefusedError{Reason: ref.reason, Conflict: ref.conflict}
	}
	if err != nil {
		e.refusalEvent(ctx, p, &refusal{ext: x.ExternalID, username: x.Username, reason: err.Error()})
		return Result{}, fmt.Errorf("provision: upsert %q: %w", clip(x.Username), err)
	}
	return res, nil
}

// planUpsert plans one identity on a fresh state.
func (e *Engine) planUpsert(ctx context.Context, siteID int64, p store.SSOStrategy, r *rules, x ExternalIdentity) (*state, *userOp, *refusal, error) {
	s := newState(e.st, siteID, p, r)
	s.allResolutions = true
	op, rf, err := s.planUser(ctx, &x, true)
	return s, op, rf, err
}

// Deactivate deprovisions one account by the provider's behaviour (SCIM
// active=false): disabled, or deleted when deprovision_behavior is delete;
// a disabled account stays in the provider's SCIM view, as active=false.
// With deprovision_users off the account is left as it is, the request is
// not refused, and a provision_kept event says so.
func (e *Engine) Deactivate(ctx context.Context, siteID, providerID int64, externalID string) (Result, error) {
	return e.deprovisionOne(ctx, siteID, providerID, externalID, false, "deactivated in the directory")
}

// Delete deprovisions one account by the provider's behaviour (SCIM
// DELETE). With deprovision_behavior disable the account is only disabled,
// and taken out of the provider's SCIM view: RFC 7644 §3.6 has a deleted
// resource answer 404 from then on. A later Upsert of the same person with
// its SCIM profile (a POST at re-assignment) restores it.
func (e *Engine) Delete(ctx context.Context, siteID, providerID int64, externalID string) (Result, error) {
	return e.deprovisionOne(ctx, siteID, providerID, externalID, true, "deleted in the directory")
}

func (e *Engine) deprovisionOne(ctx context.Context, siteID, providerID int64, externalID string, hide bool, reason string) (Result, error) {
	p, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var ref *refusal
	err = e.MembershipTx(ctx, siteID, func(ctx context.Context) error {
		s := newState(e.st, siteID, p, r)
		u, err := s.userByExt(ctx, externalID)
		if err != nil {
			return err
		}
		switch {
		case u == nil:
			return fmt.Errorf("%w: user %q", ErrUnknown, clip(externalID))
		case !s.managed(u):
			ref = &refusal{ext: externalID, username: u.Username, userID: u.ID,
				reason: "the account was not provisioned by this provider; it is not deprovisioned"}
			return nil
		case !r.deprovisionUsers:
			// A valid request whose effect the settings decline: done, as
			// far as the identity provider is concerned (see changeMembers).
			e.keptEvent(ctx, p, externalID, fmt.Sprintf("account %q (%s) left as it is, as deprovision_users is off", u.Username, reason))
			res = Result{Action: ActionNone, User: *u}
			if !hide || u.SCIM.Deleted {
				return nil
			}
			// Deleted over SCIM all the same: the resource is gone from the
			// provider's view, the account stays as it is.
			op := &userOp{before: u, after: *u, action: ActionUpdate, reason: reason, fields: []string{"scim_deleted"}}
			op.after.SCIM.Deleted = true
			if err := e.writeUser(ctx, s, op); err != nil {
				return err
			}
			res = resultOf(op)
			return nil
		}
		op := s.planDeprovision(u, r.deleteOnDeprovision, hide, reason)
		if op == nil {
			res = Result{Action: ActionNone, User: *u}
			return nil
		}
		if err := e.writeUser(ctx, s, op); err != nil {
			return err
		}
		res = resultOf(op)
		return nil
	})
	if ref != nil {
		e.refusalEvent(ctx, p, ref)
		return Result{Action: ActionRefuse}, &RefusedError{Reason: ref.reason}
	}
	if err != nil {
		return Result{}, fmt.Errorf("provision: deprovision %q: %w", clip(externalID), err)
	}
	return res, nil
}

func resultOf(op *userOp) Result {
	res := Result{Action: op.action, Groups: op.resolutions,
		Change: Change{Action: op.action, Username: op.after.Username, ExternalID: op.after.ExternalID, Description: op.describe()}}
	if op.action != ActionDelete {
		res.User = op.after
	}
	return res
}

func refusalAction(r *refusal) Action {
	if r.conflict {
		return ActionConflict
	}
	return ActionRefuse
}
