package provision

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Event types the engine writes. SSO events (sso_events) record actions on
// single users and groups; the external event (external_events) records a
// Reconcile run.
const (
	EventProvision   = "provision"          // created, updated, renamed, linked, enabled, memberships changed
	EventDeprovision = "deprovision"        // disabled or deleted
	EventConflict    = "provision_conflict" // refused: would take over another account or name
	EventRefused     = "provision_refused"  // refused: bad input, rules, or settings that forbid it
	EventKept        = "provision_kept"     // a valid request whose effect the provider's settings decline: what was kept, and by which setting
	EventGroup       = "provision_group"    // a group created, renamed, linked or deleted, or its members changed
	EventSync        = "sync"               // one Reconcile run
)

// userView is what an event shows of a user: no secrets, no login history.
type userView struct {
	ID                   int64  `json:"id,omitempty"`
	Username             string `json:"username"`
	Email                string `json:"email,omitempty"`
	Name                 string `json:"name,omitempty"`
	Company              string `json:"company,omitempty"`
	AuthenticationMethod string `json:"authentication_method,omitempty"`
	ExternalID           string `json:"external_id,omitempty"`
	ExternallyManaged    bool   `json:"externally_managed"`
	SiteAdmin            bool   `json:"site_admin"`
	Disabled             bool   `json:"disabled"`
}

func viewOf(u *store.User) *userView {
	if u == nil {
		return nil
	}
	return &userView{ID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name, Company: u.Company,
		AuthenticationMethod: u.AuthenticationMethod, ExternalID: u.ExternalID,
		ExternallyManaged: u.ExternallyManaged, SiteAdmin: u.SiteAdmin, Disabled: u.Disabled}
}

type userEventBody struct {
	Action        Action       `json:"action"`
	Reason        string       `json:"reason,omitempty"`
	Changed       []string     `json:"changed,omitempty"`
	Before        *userView    `json:"before,omitempty"`
	After         *userView    `json:"after,omitempty"`
	GroupsAdded   []string     `json:"groups_added,omitempty"`
	GroupsRemoved []int64      `json:"groups_removed,omitempty"`
	AdminChanged  []int64      `json:"group_admin_changed,omitempty"`
	Groups        []Resolution `json:"groups,omitempty"` // references not matched by external id
	SessionsEnded int          `json:"sessions_ended,omitempty"`
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // plain structs always marshal
		return `{"error":"unencodable event body"}`
	}
	return string(b)
}

// userEvent records one applied user change, in the caller's transaction.
func (e *Engine) userEvent(ctx context.Context, s *state, op *userOp, sessionsEnded int) error {
	body := userEventBody{Action: op.action, Reason: op.reason, Changed: op.fields, SessionsEnded: sessionsEnded}
	if op.before != nil {
		body.Before = viewOf(op.before)
	}
	if op.action != ActionDelete {
		body.After = viewOf(&op.after)
	}
	for _, a := range op.add {
		body.GroupsAdded = append(body.GroupsAdded, a.t.name())
	}
	for _, m := range op.remove {
		body.GroupsRemoved = append(body.GroupsRemoved, m.GroupID)
	}
	for _, m := range op.adminFlips {
		body.AdminChanged = append(body.AdminChanged, m.GroupID)
	}
	for _, r := range op.resolutions {
		if r.Via != ViaExternalID || r.Target != "member" {
			body.Groups = append(body.Groups, r)
		}
	}
	typ := EventProvision
	if op.action == ActionDisable || op.action == ActionDelete {
		typ = EventDeprovision
	}
	ev := store.SSOEvent{
		SiteID: s.siteID, EventType: typ, Status: store.EventSuccess, Body: jsonText(body),
		UserID: op.after.ID, Username: op.after.Username, IdPUID: op.after.ExternalID,
	}
	if op.action == ActionDelete {
		ev.UserID = 0
	}
	return e.events.Write(ctx, ev, s.p)
}

// refusalEvent records a refusal outside any transaction, so it stays
// when the work it is about was rolled back. A failure to record is logged.
func (e *Engine) refusalEvent(ctx context.Context, p store.SSOStrategy, r *refusal) {
	typ := EventRefused
	if r.conflict {
		typ = EventConflict
	}
	body := map[string]any{"action": ActionRefuse, "reason": r.reason}
	if r.conflict {
		body["action"] = ActionConflict
	}
	e.events.Record(ctx, store.SSOEvent{
		SiteID: p.SiteID, EventType: typ, Status: store.EventFailure, Body: jsonText(body),
		EventErrors: []string{r.reason}, UserID: r.userID, Username: clip(r.username), IdPUID: clip(r.ext),
	}, p)
}

// keptEvent records that a valid request's effect was declined by the
// provider's settings (the request itself is answered as done, with the
// resource as Gatehouse holds it): what was kept and which setting kept
// it.
func (e *Engine) keptEvent(ctx context.Context, p store.SSOStrategy, ext, what string) {
	e.events.Record(ctx, store.SSOEvent{
		SiteID: p.SiteID, EventType: EventKept, Status: store.EventSuccess,
		Body: jsonText(map[string]any{"action": ActionNone, "kept": what}), IdPUID: clip(ext),
	}, p)
}

// groupEvent records one group change, in the caller's transaction.
func (e *Engine) groupEvent(ctx context.Context, p store.SSOStrategy, action Action, before, after *store.Group, extra map[string]any) error {
	body := map[string]any{"action": action}
	if before != nil && before.ID != 0 {
		body["before"] = map[string]any{"id": before.ID, "name": before.Name, "external_id": before.ExternalID}
	}
	if after != nil {
		body["after"] = map[string]any{"id": after.ID, "name": after.Name, "external_id": after.ExternalID}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		body[k] = extra[k]
	}
	ev := store.SSOEvent{SiteID: p.SiteID, EventType: EventGroup, Status: store.EventSuccess, Body: jsonText(body)}
	if after != nil {
		ev.IdPUID = after.ExternalID
	} else if before != nil {
		ev.IdPUID = before.ExternalID
	}
	return e.events.Write(ctx, ev, p)
}
