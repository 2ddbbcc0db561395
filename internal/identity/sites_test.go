package identity

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestCreateSite(t *testing.T) {
	e := newEnv(t)
	site, err := e.svc.CreateSite(e.ctx, SystemActor, "Acme", "Acme Corp")
	if err != nil {
		t.Fatal(err)
	}
	if site.Subdomain != "acme" || site.Name != "Acme Corp" || site.IsDefault || site.PasswordMinLength == 0 {
		t.Fatalf("site: %+v", site)
	}
	if got, err := e.svc.SiteBySubdomain(e.ctx, "ACME"); err != nil || got.ID != site.ID {
		t.Fatalf("SiteBySubdomain: %+v %v", got, err)
	}
	if got, err := e.svc.ResolveSite(e.ctx, "acme"); err != nil || got.ID != site.ID {
		t.Fatalf("ResolveSite: %+v %v", got, err)
	}
	_, err = e.svc.CreateSite(e.ctx, SystemActor, "acme", "again")
	wantErr(t, "duplicate subdomain", err, ErrDuplicate)
	for _, bad := range []string{"", "-x", "x-", "a.b", "a b", "ü", "x'--", string(make([]byte, 64))} {
		_, err := e.svc.CreateSite(e.ctx, SystemActor, bad, "n")
		wantErr(t, "subdomain "+bad, err, ErrInvalidParams)
	}
	_, err = e.svc.CreateSite(e.ctx, Actor{UserID: 1, SiteAdmin: true}, "other", "n")
	wantErr(t, "site admin creating a site", err, ErrNotAuthorized)
	_, err = e.svc.SiteBySubdomain(e.ctx, "nope")
	wantErr(t, "unknown subdomain", err, ErrNotFound)
	sites, err := e.svc.ListSites(e.ctx, store.ListOptions{})
	if err != nil || len(sites) != 2 {
		t.Fatalf("ListSites: %d %v", len(sites), err)
	}
}
