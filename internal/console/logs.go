package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The logs (Files.com's "External Logs"): SSO events (sign-ins,
// provisioning actions), SCIM requests with their bodies (secrets were
// redacted when logged), and external events (sync runs). Newest first,
// paged by id, filtered in the store on indexed columns.

// logPageSize is how many entries a page of a log shows.
const logPageSize = 50

// logKinds are the three logs, by their path segment.
var logKinds = map[string]string{"sso": "SSO events", "scim": "SCIM requests", "external": "Syncs and other external events"}

// logFilter is what the log page's filter form holds.
type logFilter struct {
	Log        string
	EventType  string
	Status     string
	ProviderID int64
	Username   string
	From, To   string // dates, YYYY-MM-DD
	Live       bool
}

// logsPage is what a log page shows.
type logsPage struct {
	Filter    logFilter
	Logs      []logTab
	Providers []store.SSOStrategy
	SSO       []store.SSOEvent
	SCIM      []store.ScimLog
	External  []store.ExternalEvent
	// Next is the link to the next (older) page; empty on the last.
	Next string
	// Refresh, when live, is how often the console's script fetches the
	// entries again and swaps them in (a meta refresh reloading the whole
	// page would be a time limit WCAG 2.2.1 forbids).
	Refresh int
}

// logTab is one of the three logs in the page's tabs.
type logTab struct {
	Key, Name string
	Current   bool
}

// readLogFilter reads the filter from the query; a value that cannot be
// read is a field error.
func readLogFilter(r *http.Request) (logFilter, store.EventQuery, map[string]string) {
	q := r.URL.Query()
	f := logFilter{Log: r.PathValue("log"), EventType: strings.TrimSpace(q.Get("event_type")), Status: q.Get("status"),
		Username: strings.TrimSpace(q.Get("username")), From: q.Get("from"), To: q.Get("to"), Live: q.Get("live") == "1"}
	bad := map[string]string{}
	eq := store.EventQuery{ListOptions: store.ListOptions{Limit: logPageSize + 1, Sort: store.Sort{Desc: true}},
		EventType: f.EventType, Status: f.Status, Username: f.Username}
	if s := q.Get("provider"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 0 {
			bad["provider"] = "pick a provider from the list"
		}
		f.ProviderID, eq.SSOStrategyID = id, id
	}
	for _, d := range []struct {
		name string
		val  string
		dst  *time.Time
		add  time.Duration
	}{{"from", f.From, &eq.CreatedAfter, 0}, {"to", f.To, &eq.CreatedBefore, 24 * time.Hour}} {
		if d.val == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.val)
		if err != nil {
			bad[d.name] = "a date (YYYY-MM-DD)"
			continue
		}
		*d.dst = t.Add(d.add)
	}
	if s := q.Get("before"); s != "" {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			eq.AfterID, eq.Sort.After = id, id
		}
	}
	if len(f.EventType) > 100 || len(f.Username) > 256 {
		bad["event_type"] = "too long"
	}
	return f, eq, bad
}

func (c *Console) logs(w http.ResponseWriter, r *http.Request, call *Call) {
	f, eq, bad := readLogFilter(r)
	name, ok := logKinds[f.Log]
	if !ok {
		c.fail(w, r, call, identity.ErrNotFound.With("there is no log %q: the logs are sso, scim and external", f.Log))
		return
	}
	ctx := r.Context()
	pg := logsPage{Filter: f}
	for _, key := range []string{"sso", "scim", "external"} {
		pg.Logs = append(pg.Logs, logTab{Key: key, Name: logKinds[key], Current: key == f.Log})
	}
	var err error
	if pg.Providers, err = c.svc.ListSSOStrategies(ctx, call.Site.ID, store.ListOptions{Limit: maxProviders}); err != nil {
		c.fail(w, r, call, err)
		return
	}
	v := view{Title: name, Section: "logs", Fields: bad, Form: formValues{"event_type": f.EventType, "username": f.Username}}
	if len(bad) > 0 {
		v.Data = pg
		c.render(w, r, call, http.StatusBadRequest, "logs", v)
		return
	}
	var last int64
	more := false
	switch f.Log {
	case "sso":
		pg.SSO, err = c.svc.ListSSOEvents(ctx, call.Site.ID, eq)
		if more = len(pg.SSO) > logPageSize; more {
			pg.SSO = pg.SSO[:logPageSize]
			last = pg.SSO[logPageSize-1].ID
		}
	case "scim":
		eq.EventType, eq.Status, eq.Username = "", "", ""
		pg.SCIM, err = c.svc.ListScimLogs(ctx, call.Site.ID, eq)
		if more = len(pg.SCIM) > logPageSize; more {
			pg.SCIM = pg.SCIM[:logPageSize]
			last = pg.SCIM[logPageSize-1].ID
		}
	case "external":
		eq.Username = ""
		pg.External, err = c.svc.ListExternalEvents(ctx, call.Site.ID, eq)
		if more = len(pg.External) > logPageSize; more {
			pg.External = pg.External[:logPageSize]
			last = pg.External[logPageSize-1].ID
		}
	}
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	if more {
		q := r.URL.Query()
		q.Set("before", strconv.FormatInt(last, 10))
		q.Del("live")
		pg.Next = fmt.Sprintf("%s/logs/%s?%s", Prefix, f.Log, q.Encode())
	}
	if f.Live && r.URL.Query().Get("before") == "" {
		pg.Refresh = 5
	}
	v.Data = pg
	c.render(w, r, call, http.StatusOK, "logs", v)
}

// logEntry is one entry's detail page.
type logEntry struct {
	Log      string
	SSO      *store.SSOEvent
	SCIM     *store.ScimLog
	External *store.ExternalEvent
	Back     string
	// ProviderLabel names the provider of a SCIM request or an external
	// event, which keep only its ID; empty once the provider is deleted.
	ProviderLabel string
}

func (c *Console) logEntry(w http.ResponseWriter, r *http.Request, call *Call) {
	log := r.PathValue("log")
	name, ok := logKinds[log]
	if !ok {
		c.fail(w, r, call, identity.ErrNotFound.With("there is no log %q", log))
		return
	}
	id, err := pathID(r, "id", identity.ErrNotFound.With("there is no such entry in the %s log", name))
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	ctx := r.Context()
	e := logEntry{Log: log, Back: Prefix + "/logs/" + log}
	switch log {
	case "sso":
		var ev store.SSOEvent
		if ev, err = c.svc.GetSSOEvent(ctx, call.Site.ID, id); err == nil {
			e.SSO = &ev
		}
	case "scim":
		var l store.ScimLog
		if l, err = c.svc.GetScimLog(ctx, call.Site.ID, id); err == nil {
			e.SCIM = &l
		}
	case "external":
		var ev store.ExternalEvent
		if ev, err = c.svc.GetExternalEvent(ctx, call.Site.ID, id); err == nil {
			e.External = &ev
		}
	}
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	var providerID int64
	if e.SCIM != nil {
		providerID = e.SCIM.SSOStrategyID
	} else if e.External != nil {
		providerID = e.External.SSOStrategyID
	}
	if providerID != 0 {
		if p, err := c.svc.GetSSOStrategy(ctx, call.Site.ID, providerID); err == nil {
			e.ProviderLabel = p.Label
		}
	}
	c.render(w, r, call, http.StatusOK, "log_entry", view{Title: fmt.Sprintf("%s #%d", name, id), Section: "logs", Data: e})
}
