package app

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
)

// LDAPSyncService returns the service that syncs, previews and tests the
// LDAP providers, over the app's store, provisioning engine, directories
// and alerts. Every call returns a new service; serve makes one and shares
// it between the REST API and the schedule.
func (a *App) LDAPSyncService() (*ldapsync.Service, error) {
	return ldapsync.New(ldapsync.Options{Store: a.Store, Engine: a.Provision, Directories: a.ldapDirectories(),
		Notifier: a.Notifier, Logger: a.Logger})
}

// ldapDirectories is the directory service the sync reads through.
func (a *App) ldapDirectories() ldapsync.Directories {
	return directory.New(directory.Options{Store: a.Store, Secrets: a.Identity, Provision: a.Provision, Logger: a.Logger})
}

// runLDAPSchedule syncs every LDAP provider once per configured interval
// until ctx ends; the store lock makes one node run each provider's sync.
func (a *App) runLDAPSchedule(ctx context.Context, svc *ldapsync.Service) {
	svc.RunScheduler(ctx, a.Config.LDAPSyncEvery)
}
