package app

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/ldapsync"
)

// LDAPSyncService returns the service that syncs, previews and tests the
// LDAP providers, over the app's store, provisioning engine, directories
// (the same connection pools password sign-in uses) and alerts.
func (a *App) LDAPSyncService() (*ldapsync.Service, error) {
	return ldapsync.New(ldapsync.Options{Store: a.Store, Engine: a.Provision, Directories: a.Directories,
		Notifier: a.Notifier, Logger: a.Logger})
}

// runLDAPSchedule syncs every LDAP provider once per configured interval
// until ctx ends; the store lock makes one node run each provider's sync.
func (a *App) runLDAPSchedule(ctx context.Context, svc *ldapsync.Service) {
	svc.RunScheduler(ctx, a.Config.LDAPSyncEvery)
}
