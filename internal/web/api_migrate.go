package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// migrateParams are the body of POST /sso_strategies/{id}/migrate_users,
// a Gatehouse addition: move the provider's accounts to provider "to".
type migrateParams struct {
	To      int64     `json:"to"`
	GroupID int64     `json:"group_id"`
	Search  string    `json:"search"`
	DryRun  *flexBool `json:"dry_run"`
	Limit   int       `json:"limit"`
}

// migratedUserJSON is one account of a migration batch.
type migratedUserJSON struct {
	ID               int64    `json:"id"`
	Username         string   `json:"username"`
	PasswordChannels []string `json:"password_channels"`
	HasSSHKey        bool     `json:"has_ssh_key"`
	HasAPIKey        bool     `json:"has_api_key"`
	Warning          string   `json:"warning,omitempty"`
	Moved            bool     `json:"moved"`
}

type migrationJSON struct {
	From            string             `json:"from"`
	To              string             `json:"to"`
	DryRun          bool               `json:"dry_run"`
	Moved           int                `json:"moved"`
	Remaining       int                `json:"remaining"`
	LosingPasswords int                `json:"losing_passwords"`
	Users           []migratedUserJSON `json:"users"`
}

// migrateUsers moves one batch of the provider's accounts to another
// provider (or, with dry_run, says what it would change); calling it
// again moves the next batch.
func (s *server) migrateUsers(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	var p migrateParams
	if err := readJSONBody(r, &p); err != nil {
		return err
	}
	rep, err := s.svc.MigrateUsers(r.Context(), c.actor(), c.site.ID, identity.MigrationRequest{From: id, To: p.To, GroupID: p.GroupID,
		Search: p.Search, DryRun: p.DryRun != nil && bool(*p.DryRun), Limit: p.Limit})
	if err != nil {
		return err
	}
	out := migrationJSON{From: rep.From, To: rep.To, DryRun: rep.DryRun, Moved: rep.Moved, Remaining: rep.Remaining,
		LosingPasswords: rep.LosingPasswords, Users: []migratedUserJSON{}}
	for _, u := range rep.Users {
		chans := u.PasswordChannels
		if chans == nil {
			chans = []string{}
		}
		out.Users = append(out.Users, migratedUserJSON{ID: u.ID, Username: u.Username, PasswordChannels: chans,
			HasSSHKey: u.HasSSHKey, HasAPIKey: u.HasAPIKey, Warning: u.Warning, Moved: u.Moved})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
