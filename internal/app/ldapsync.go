package app

import "github.com/gatehouse/gatehouse/internal/ldapsync"

// LDAPSyncService returns the service that syncs, previews and tests the
// LDAP providers, over the app's store, provisioning engine, directories
// (the same connection pools password sign-in uses) and alerts.
func (a *App) LDAPSyncService() (*ldapsync.Service, error) {
	return ldapsync.New(ldapsync.Options{Store: a.Store, Engine: a.Provision, Directories: a.Directories,
		Notifier: a.Notifier, Logger: a.Logger})
}
