package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// applyGroupOp writes one planned group change with its event, in the
// caller's transaction.
func (e *Engine) applyGroupOp(ctx context.Context, s *state, op *groupOp) error {
	now := e.now()
	switch op.action {
	case ActionGroupCreate:
		g := op.g
		g.ID, g.CreatedAt, g.UpdatedAt = 0, now, now
		if err := e.st.CreateGroup(ctx, &g); err != nil {
			return fmt.Errorf("provision: create group %q: %w", op.g.Name, err)
		}
		op.g = g
	case ActionGroupRename, ActionGroupLink:
		g, err := e.st.UpdateGroup(ctx, s.siteID, op.g.ID, func(g *store.Group) error {
			g.Name, g.ExternalID, g.SSOStrategyID, g.UpdatedAt = op.g.Name, op.g.ExternalID, s.p.ID, now
			g.SCIMDeleted = false // a group the directory sends is in its view again
			return nil
		})
		if err != nil {
			return fmt.Errorf("provision: %s group %q: %w", op.action, op.before.Name, err)
		}
		op.g = g
	case ActionGroupDelete:
		if err := e.st.DeleteGroup(ctx, s.siteID, op.before.ID); err != nil {
			return fmt.Errorf("provision: delete group %q: %w", op.before.Name, err)
		}
		return e.groupEvent(ctx, s.p, op.action, &op.before, nil, nil)
	}
	return e.groupEvent(ctx, s.p, op.action, &op.before, &op.g, nil)
}

// applyTx runs one of a Reconcile's write transactions: under the site's
// lock, as every change to memberships (see MembershipTx), and, for a run
// under a lease, only while the lease is still this run's. A lost lease is
// kept in s.fenced, and every later applyTx refuses at once.
func (e *Engine) applyTx(ctx context.Context, s *state, fn func(ctx context.Context) error) error {
	if s.fenced != nil {
		return s.fenced
	}
	err := e.MembershipTx(ctx, s.siteID, func(ctx context.Context) error {
		if s.fence.Lock != "" {
			if err := e.st.CheckFence(ctx, s.fence); err != nil {
				return err
			}
		}
		return fn(ctx)
	})
	if errors.Is(err, store.ErrFenced) {
		s.fenced = err
	}
	return err
}

// applyGroupOps writes group changes one transaction each; a failed one is
// recorded and the users' memberships in it are skipped.
func (e *Engine) applyGroupOps(ctx context.Context, s *state, ops []*groupOp, errs *[]string) {
	for i, op := range ops {
		err := e.applyTx(ctx, s, func(ctx context.Context) error { return e.applyGroupOp(ctx, s, op) })
		if s.fenced != nil {
			// The lease is lost: this op and the rest are not applied,
			// and not recorded as refusals either.
			for _, op := range ops[i:] {
				op.failed = true
			}
			return
		}
		if err != nil {
			op.failed = true
			if op.action == ActionGroupCreate {
				op.g.ID = 0
			}
			conflict := errors.Is(err, store.ErrConflict)
			e.refusalEvent(ctx, s.p, &refusal{ext: op.g.ExternalID, conflict: conflict, reason: err.Error()})
			*errs = append(*errs, err.Error())
		}
	}
}

// writeUser applies one user change except its new memberships, which the
// caller adds in bulk, in the caller's transaction.
func (e *Engine) writeUser(ctx context.Context, s *state, op *userOp) error {
	now := e.now()
	ended := 0
	switch op.action {
	case ActionNone:
		return nil
	case ActionCreate:
		u := op.after
		u.ID, u.CreatedAt, u.UpdatedAt = 0, now, now
		if err := e.st.CreateUser(ctx, &u); err != nil {
			return fmt.Errorf("provision: create user %q: %w", u.Username, err)
		}
		op.after = u
	case ActionDelete:
		if err := e.st.DeleteUser(ctx, s.siteID, op.before.ID); err != nil {
			return fmt.Errorf("provision: delete user %q: %w", op.before.Username, err)
		}
		return e.userEvent(ctx, s, op, 0)
	default:
		if len(op.fields) > 0 {
			u, err := e.st.UpdateUser(ctx, s.siteID, op.before.ID, func(cur *store.User) error {
				copyFields(cur, &op.after, op.fields)
				cur.UpdatedAt = now
				return nil
			})
			if err != nil {
				return fmt.Errorf("provision: update user %q: %w", op.before.Username, err)
			}
			op.after = u
		}
		if op.after.Disabled && !op.before.Disabled {
			n, err := e.st.DeleteUserSessions(ctx, s.siteID, op.after.ID)
			if err != nil {
				return fmt.Errorf("provision: end the sessions of %q: %w", op.after.Username, err)
			}
			ended = n
		}
		if len(op.remove) > 0 {
			if _, err := e.st.RemoveMemberships(ctx, s.siteID, op.remove); err != nil {
				return fmt.Errorf("provision: remove memberships of %q: %w", op.after.Username, err)
			}
		}
		for _, m := range op.adminFlips {
			_, err := e.st.UpdateGroupUser(ctx, s.siteID, m.GroupID, m.UserID, func(gu *store.GroupUser) error {
				gu.Admin = m.Admin
				return nil
			})
			if err != nil {
				return fmt.Errorf("provision: change group admin of %q: %w", op.after.Username, err)
			}
		}
	}
	return e.userEvent(ctx, s, op, ended)
}

// copyFields sets the named provisioned fields of cur from want, leaving
// every other field as the store has it now.
func copyFields(cur, want *store.User, fields []string) {
	for _, f := range fields {
		switch f {
		case "username":
			cur.Username = want.Username
		case "email":
			cur.Email = want.Email
		case "name":
			cur.Name = want.Name
		case "company":
			cur.Company = want.Company
		case "site_admin":
			cur.SiteAdmin = want.SiteAdmin
		case "external_id":
			cur.ExternalID = want.ExternalID
		case "externally_managed":
			cur.ExternallyManaged = want.ExternallyManaged
		case "disabled":
			cur.Disabled = want.Disabled
		case "scim":
			cur.SCIM = want.SCIM
		case "scim_deleted":
			cur.SCIM.Deleted = want.SCIM.Deleted
		}
	}
}

// newMemberships lists the memberships an applied op adds; those in a
// group that could not be created are left out.
func (s *state) newMemberships(op *userOp) []store.Membership {
	if op.action == ActionDelete || op.after.ID == 0 {
		return nil
	}
	out := make([]store.Membership, 0, len(op.add))
	for _, a := range op.add {
		if id := a.t.id(); id != 0 {
			out = append(out, store.Membership{GroupID: id, UserID: op.after.ID, Admin: a.admin, SSOStrategyID: s.p.ID})
		}
	}
	return out
}

// applyOne writes one user change and its memberships atomically.
func (e *Engine) applyOne(ctx context.Context, s *state, op *userOp) error {
	return e.applyTx(ctx, s, func(ctx context.Context) error {
		if err := e.writeUser(ctx, s, op); err != nil {
			return err
		}
		_, err := e.st.AddMemberships(ctx, s.siteID, s.newMemberships(op), e.now())
		return err
	})
}

// applyUsers writes user changes many per transaction. When a batch fails
// its users are retried one by one, so that one bad change loses nothing
// else; what still fails is recorded. It returns the counts of what was
// applied, and lets go of each op's details once written, so that a large
// run holds the whole plan only once.
func (e *Engine) applyUsers(ctx context.Context, s *state, ops []*userOp, errs *[]string) Counts {
	var done Counts
	written := func(op *userOp) {
		done.addUser(op)
		op.add, op.remove, op.adminFlips, op.resolutions, op.x = nil, nil, nil, nil, nil
	}
	for start := 0; start < len(ops); start += e.batch {
		if start > 0 && s.progress != nil {
			s.progress(done)
		}
		batch := ops[start:min(start+e.batch, len(ops))]
		snapshot := make([]store.User, len(batch))
		for i, op := range batch {
			snapshot[i] = op.after
		}
		err := e.applyTx(ctx, s, func(ctx context.Context) error {
			var ms []store.Membership
			for _, op := range batch {
				if err := e.writeUser(ctx, s, op); err != nil {
					return err
				}
				ms = append(ms, s.newMemberships(op)...)
			}
			_, err := e.st.AddMemberships(ctx, s.siteID, ms, e.now())
			return err
		})
		if err == nil {
			for _, op := range batch {
				written(op)
			}
			continue
		}
		if ctx.Err() != nil {
			*errs = append(*errs, fmt.Sprintf("stopped: %v", ctx.Err()))
			return done
		}
		if s.fenced != nil {
			return done // the lease is lost: no retry one by one (Reconcile says why)
		}
		for i, op := range batch {
			op.after = snapshot[i] // undo what the rolled-back attempt wrote into the plan
			if err := e.applyOne(ctx, s, op); err != nil {
				if s.fenced != nil {
					return done
				}
				e.refusalEvent(ctx, s.p, &refusal{ext: op.after.ExternalID, username: op.after.Username,
					userID: op.after.ID, conflict: errors.Is(err, store.ErrConflict), reason: err.Error()})
				*errs = append(*errs, err.Error())
				continue
			}
			written(op)
		}
	}
	return done
}
