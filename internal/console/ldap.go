package console

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ErrNoDirectory refuses Test connection and Sync now where no directory
// is read.
var ErrNoDirectory = &identity.Error{Status: http.StatusNotFound, Type: "not-found/provider-sync-unavailable", Title: "Provider Sync Unavailable",
	Message: "this provider reads no directory: only Active Directory and OpenLDAP providers, or providers with LDAP provisioning, can be tested and synced"}

// syncTimeout bounds a Sync now and a preview.
const syncTimeout = 10 * time.Minute

// ldapTestPage is the result of Test connection.
type ldapTestPage struct {
	ProviderID int64
	Label      string
	Sample     string
	Report     *ldapsync.TestReport
}

// directory is the provider a directory page is about, when the server
// reads directories; otherwise the refusal is answered and ok is false.
func (c *Console) directory(w http.ResponseWriter, r *http.Request, call *Call) (store.SSOStrategy, bool) {
	p, ok := c.provider(w, r, call)
	if ok && c.ldapSync == nil {
		c.fail(w, r, call, ErrNoDirectory)
		return p, false
	}
	return p, ok
}

func (c *Console) ldapTest(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.directory(w, r, call)
	if !ok {
		return
	}
	sample := r.PostForm.Get("sample_user")
	rep, err := c.ldapSync.Test(r.Context(), call.Site.ID, p.ID, sample)
	if err != nil {
		c.showProviderRefusal(w, r, call, p, err)
		return
	}
	c.render(w, r, call, http.StatusOK, "ldap_test", view{Title: "Test connection: " + p.Label, Section: "providers",
		Data: ldapTestPage{ProviderID: p.ID, Label: p.Label, Sample: sample, Report: rep}})
}

// syncPage is the result of Sync now (or of its preview).
type syncPage struct {
	ProviderID int64
	Label      string
	Result     *ldapsync.Result
}

func (c *Console) ldapSyncNow(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.directory(w, r, call)
	if !ok {
		return
	}
	if r.PostForm.Get("preview") != "1" {
		c.startSync(w, r, call, p.ID)
		return
	}
	// A preview writes nothing: it ends with the request.
	ctx, cancel := context.WithTimeout(r.Context(), syncTimeout)
	defer cancel()
	res, err := c.ldapSync.Sync(ctx, ldapsync.Request{SiteID: call.Site.ID, ProviderID: p.ID, Preview: true})
	if err != nil {
		c.showProviderRefusal(w, r, call, p, err)
		return
	}
	c.render(w, r, call, http.StatusOK, "sync_result", view{Title: "Preview: " + p.Label, Section: "providers",
		Data: syncPage{ProviderID: p.ID, Label: p.Label, Result: res}})
}
