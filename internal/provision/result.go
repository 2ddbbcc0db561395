package provision

import (
	"fmt"
	"io"
	"strings"
)

// Counts sums up a plan or a run.
type Counts struct {
	Seen      int `json:"seen"` // identities in the snapshot
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Renamed   int `json:"renamed"`
	Linked    int `json:"linked"`
	Enabled   int `json:"enabled"`
	Disabled  int `json:"disabled"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
	Refused   int `json:"refused"`
	Conflicts int `json:"conflicts"`
	// Skipped counts identities of a snapshot the rules leave out (in no
	// required group, or provision_users off while they have no account).
	Skipped            int `json:"skipped"`
	GroupsCreated      int `json:"groups_created"`
	GroupsRenamed      int `json:"groups_renamed"`
	GroupsDeleted      int `json:"groups_deleted"`
	MembershipsAdded   int `json:"memberships_added"`
	MembershipsRemoved int `json:"memberships_removed"`
}

func (c *Counts) addUser(op *userOp) {
	switch op.action {
	case ActionCreate:
		c.Created++
	case ActionUpdate:
		c.Updated++
	case ActionRename:
		c.Renamed++
	case ActionLink:
		c.Linked++
	case ActionEnable:
		c.Enabled++
	case ActionDisable:
		c.Disabled++
	case ActionDelete:
		c.Deleted++
	case ActionNone, ActionMemberships:
		c.Unchanged++
	}
	c.MembershipsAdded += len(op.add)
	c.MembershipsRemoved += len(op.remove)
}

// add sums the user counts of another Counts into c.
func (c *Counts) add(o Counts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Renamed += o.Renamed
	c.Linked += o.Linked
	c.Enabled += o.Enabled
	c.Disabled += o.Disabled
	c.Deleted += o.Deleted
	c.Unchanged += o.Unchanged
	c.MembershipsAdded += o.MembershipsAdded
	c.MembershipsRemoved += o.MembershipsRemoved
}

func (c *Counts) addGroup(op *groupOp) {
	switch op.action {
	case ActionGroupCreate:
		c.GroupsCreated++
	case ActionGroupRename, ActionGroupLink:
		c.GroupsRenamed++
	case ActionGroupDelete:
		c.GroupsDeleted++
	}
}

func (c *Counts) addRefusal(r *refusal) {
	if r.outOfScope {
		c.Skipped++
		return
	}
	if r.conflict {
		c.Conflicts++
	} else {
		c.Refused++
	}
}

// Change is one planned change, described for a person.
type Change struct {
	Action      Action `json:"action"`
	Username    string `json:"username,omitempty"`
	Group       string `json:"group,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
	Description string `json:"description"`
}

// Plan is what a Reconcile would do (Preview) or did (Reconcile): counts
// and one Change per user or group touched, refusals included.
type Plan struct {
	SiteID        int64       `json:"site_id"`
	SSOStrategyID int64       `json:"sso_strategy_id"`
	ProviderLabel string      `json:"provider_label"`
	Counts        Counts      `json:"counts"`
	SafetyStop    *SafetyStop `json:"safety_stop,omitempty"`
	Changes       []Change    `json:"changes"`

	users    []*userOp
	groups   []*groupOp
	refusals []*refusal
	deletes  []*groupOp
}

// WriteTo prints the plan: a summary line of counts, the safety stop if
// any, then one line per change.
func (p *Plan) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	c := p.Counts
	fmt.Fprintf(&b, "Provider %d (%s): %d identities seen\n", p.SSOStrategyID, p.ProviderLabel, c.Seen)
	fmt.Fprintf(&b, "  users:       %d create, %d update, %d rename, %d link, %d enable, %d disable, %d delete, %d unchanged\n",
		c.Created, c.Updated, c.Renamed, c.Linked, c.Enabled, c.Disabled, c.Deleted, c.Unchanged)
	fmt.Fprintf(&b, "  groups:      %d create, %d rename, %d delete\n", c.GroupsCreated, c.GroupsRenamed, c.GroupsDeleted)
	fmt.Fprintf(&b, "  memberships: %d add, %d remove\n", c.MembershipsAdded, c.MembershipsRemoved)
	fmt.Fprintf(&b, "  refused:     %d invalid, %d conflicts\n", c.Refused, c.Conflicts)
	if c.Skipped > 0 {
		fmt.Fprintf(&b, "  skipped:     %d left out by the rules (required groups, provision_users off)\n", c.Skipped)
	}
	if p.SafetyStop != nil {
		fmt.Fprintf(&b, "  STOPPED: %s\n", p.SafetyStop)
	}
	for _, ch := range p.Changes {
		fmt.Fprintf(&b, "  %-12s %s\n", ch.Action, ch.Description)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// String is the printed plan.
func (p *Plan) String() string {
	var b strings.Builder
	_, _ = p.WriteTo(&b)
	return b.String()
}

// describeChanges fills Changes from the plan, in order: groups, users,
// refusals.
func (p *Plan) describeChanges() {
	p.Changes = p.Changes[:0]
	for _, op := range append(append([]*groupOp{}, p.groups...), p.deletes...) {
		ch := Change{Action: op.action, Group: op.g.Name, ExternalID: op.g.ExternalID}
		switch op.action {
		case ActionGroupCreate:
			ch.Description = fmt.Sprintf("create group %q", op.g.Name)
		case ActionGroupRename:
			ch.Description = fmt.Sprintf("rename group %q to %q", op.before.Name, op.g.Name)
		case ActionGroupLink:
			ch.Description = fmt.Sprintf("link group %q to directory group %q", op.g.Name, op.g.ExternalID)
		case ActionGroupDelete:
			ch.Group, ch.ExternalID = op.before.Name, op.before.ExternalID
			ch.Description = fmt.Sprintf("delete group %q (missing from the directory)", op.before.Name)
		}
		if ch.ExternalID != "" && op.action != ActionGroupLink {
			ch.Description += fmt.Sprintf(" [id %s]", ch.ExternalID)
		}
		p.Changes = append(p.Changes, ch)
	}
	for _, op := range p.users {
		if op.action == ActionNone {
			continue
		}
		p.Changes = append(p.Changes, Change{Action: op.action, Username: op.after.Username,
			ExternalID: op.after.ExternalID, Description: op.describe()})
	}
	for _, r := range p.refusals {
		if r.outOfScope { // counted as skipped; a directory may hold thousands
			continue
		}
		a := ActionRefuse
		if r.conflict {
			a = ActionConflict
		}
		p.Changes = append(p.Changes, Change{Action: a, Username: clip(r.username), ExternalID: clip(r.ext),
			Description: fmt.Sprintf("%s [id %s]: %s", clip(r.username), clip(r.ext), r.reason)})
	}
}

// describe is one line about a user change.
func (op *userOp) describe() string {
	var b strings.Builder
	name := op.after.Username
	switch op.action {
	case ActionCreate:
		fmt.Fprintf(&b, "create %s", name)
		if op.after.Email != "" {
			fmt.Fprintf(&b, " <%s>", op.after.Email)
		}
		if op.after.AuthenticationMethod != "sso" {
			fmt.Fprintf(&b, " (%s)", op.after.AuthenticationMethod)
		}
		if op.after.SiteAdmin {
			b.WriteString(" as site admin")
		}
		if op.after.Disabled {
			b.WriteString(", disabled (inactive in the directory)")
		}
	case ActionRename:
		fmt.Fprintf(&b, "rename %s", op.before.Username)
		if op.before.Username != op.after.Username {
			fmt.Fprintf(&b, " to %s", name)
		}
		if op.before.Email != op.after.Email {
			fmt.Fprintf(&b, ", e-mail %q to %q", op.before.Email, op.after.Email)
		}
	case ActionLink:
		fmt.Fprintf(&b, "link existing account %s to directory identity %s", name, op.after.ExternalID)
	case ActionEnable:
		fmt.Fprintf(&b, "enable %s (active in the directory again)", name)
	case ActionDisable:
		fmt.Fprintf(&b, "disable %s and end their sessions (%s)", name, op.reason)
	case ActionDelete:
		fmt.Fprintf(&b, "delete %s with their sessions and keys (%s)", op.before.Username, op.reason)
	case ActionMemberships:
		fmt.Fprintf(&b, "change group memberships of %s", name)
	default:
		fmt.Fprintf(&b, "update %s", name)
	}
	if op.action != ActionCreate && op.action != ActionDelete && len(op.fields) > 0 {
		fmt.Fprintf(&b, "; fields: %s", strings.Join(op.fields, ", "))
	}
	if len(op.add) > 0 {
		names := make([]string, 0, len(op.add))
		for _, a := range op.add {
			names = append(names, a.t.name())
		}
		fmt.Fprintf(&b, "; add to %s", listOf(names))
	}
	if len(op.remove) > 0 {
		fmt.Fprintf(&b, "; remove from %d group(s)", len(op.remove))
	}
	return b.String()
}

// listOf quotes up to five names and counts the rest.
func listOf(names []string) string {
	const show = 5
	q := make([]string, 0, show)
	for i, n := range names {
		if i == show {
			break
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	s := strings.Join(q, ", ")
	if len(names) > show {
		s += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return s
}
