package directory

import (
	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/provision"
)

// ExternalIdentity turns a directory entry into what the provisioning
// engine reads: the immutable id, names, e-mail, groups by immutable id
// and name, and Active = not disabled. A locked account stays active: a
// lockout ends by itself and is no reason to deprovision. The group list
// is complete, so a user in no selected group is in no group.
func ExternalIdentity(e ldap.Entry) provision.ExternalIdentity {
	x := provision.ExternalIdentity{
		ExternalID: e.ImmutableID,
		Username:   e.Username,
		Email:      e.Email,
		GivenName:  e.GivenName,
		FamilyName: e.Surname,
		Active:     !e.Disabled,
	}
	if x.GivenName == "" && x.FamilyName == "" && e.DisplayName != "" {
		x.GivenName = e.DisplayName
	}
	for _, g := range e.Groups {
		x.Groups = append(x.Groups, GroupRef(g))
	}
	return x
}

// GroupRef turns a directory group into the engine's group reference.
func GroupRef(g ldap.GroupRef) provision.GroupRef {
	return provision.GroupRef{ExternalID: g.ImmutableID, Name: g.Name}
}

// Snapshot turns a directory snapshot into the engine's.
func Snapshot(s ldap.Snapshot) provision.Snapshot {
	out := provision.Snapshot{Users: make([]provision.ExternalIdentity, 0, len(s.Users)), Groups: make([]provision.GroupRef, 0, len(s.Groups))}
	for _, u := range s.Users {
		out.Users = append(out.Users, ExternalIdentity(u))
	}
	for _, g := range s.Groups {
		out.Groups = append(out.Groups, GroupRef(g))
	}
	return out
}
