package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
)

// Jobs runs the syncs the admin starts with Sync now in the background,
// one at a time per provider, so that a directory of many thousands is
// not read inside one HTTP request: the admin watches a page that
// follows it instead. A sync outlives the request that started it but not
// the server: Run, the server's worker, cancels what is left when the
// server stops and waits for it.
type Jobs struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex
	m  map[int64]*syncJob // by provider, the last run of each
}

// NewJobs returns the background syncs of a server.
func NewJobs() *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{ctx: ctx, cancel: cancel, m: map[int64]*syncJob{}}
}

// Run waits until ctx ends, then stops the syncs under way and returns
// once they have; it is the server's worker.
func (j *Jobs) Run(ctx context.Context) error {
	<-ctx.Done()
	j.cancel()
	j.wg.Wait()
	return nil
}

// errServerStopping refuses a Sync now while the server stops.
var errServerStopping = &identity.Error{Status: http.StatusServiceUnavailable, Type: "service-unavailable/server-stopping",
	Title: "Server Stopping", Message: "the server is stopping; start the sync again once it is back"}

// syncJob is one run started by Sync now.
type syncJob struct {
	siteID  int64
	started time.Time
	done    chan struct{} // closed when the run has ended

	mu       sync.Mutex
	progress ldapsync.Progress
	res      *ldapsync.Result
	err      error
}

// state is what the job has come to: its progress, and once done its
// result or error.
func (s *syncJob) state() (p ldapsync.Progress, res *ldapsync.Result, finished bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		finished = true
	default:
	}
	return s.progress, s.res, finished, s.err
}

// start runs run for provider providerID of site siteID, unless a run of
// that provider is under way: then that run is returned.
func (j *Jobs) start(siteID, providerID int64, now time.Time,
	run func(ctx context.Context, progress func(ldapsync.Progress)) (*ldapsync.Result, error)) (*syncJob, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if old := j.m[providerID]; old != nil && old.siteID == siteID {
		if _, _, finished, _ := old.state(); !finished {
			return old, nil
		}
	}
	if j.ctx.Err() != nil {
		return nil, errServerStopping
	}
	job := &syncJob{siteID: siteID, started: now, done: make(chan struct{})}
	j.m[providerID] = job
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer close(job.done)
		ctx, cancel := context.WithTimeout(j.ctx, syncTimeout)
		defer cancel()
		res, err := run(ctx, func(p ldapsync.Progress) {
			job.mu.Lock()
			job.progress = p
			job.mu.Unlock()
		})
		job.mu.Lock()
		job.res, job.err = res, err
		job.mu.Unlock()
	}()
	return job, nil
}

// job is the last run of provider providerID of site siteID, if any.
func (j *Jobs) job(siteID, providerID int64) *syncJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	if job := j.m[providerID]; job != nil && job.siteID == siteID {
		return job
	}
	return nil
}

// syncWait is how long Sync now waits for its run before showing the
// progress page: a small directory's result comes at once.
const syncWait = 2 * time.Second

// syncProgressPage is what the progress page shows.
type syncProgressPage struct {
	ProviderID int64
	Label      string
	Started    time.Time
	Progress   ldapsync.Progress
}

// Reading says whether the run is still reading the directory (else it
// applies the changes).
func (p syncProgressPage) Reading() bool { return p.Progress.Phase != ldapsync.PhaseApplying }

// startSync starts Sync now in the background and sends the admin to its
// page, after waiting a little for it to end.
func (c *Console) startSync(w http.ResponseWriter, r *http.Request, call *Call, providerID int64) {
	siteID := call.Site.ID
	job, err := c.jobs.start(siteID, providerID, c.now(), func(ctx context.Context, progress func(ldapsync.Progress)) (*ldapsync.Result, error) {
		return c.ldapSync.Sync(ctx, ldapsync.Request{SiteID: siteID, ProviderID: providerID, Progress: progress})
	})
	if err != nil {
		c.fail(w, r, call, err)
		return
	}
	select {
	case <-job.done:
	case <-time.After(syncWait):
	case <-r.Context().Done():
	}
	seeOther(w, r, fmt.Sprintf("%s/providers/%d/sync", Prefix, providerID))
}

// ldapSyncProgress shows the last Sync now of a provider: its progress
// while it runs (the console's script follows it every 2 seconds), then
// its result.
func (c *Console) ldapSyncProgress(w http.ResponseWriter, r *http.Request, call *Call) {
	p, ok := c.provider(w, r, call)
	if !ok {
		return
	}
	job := c.jobs.job(call.Site.ID, p.ID)
	if job == nil {
		seeOther(w, r, fmt.Sprintf("%s/providers/%d", Prefix, p.ID))
		return
	}
	progress, res, finished, err := job.state()
	switch {
	case !finished:
		c.render(w, r, call, http.StatusOK, "sync_progress", view{Title: "Sync under way: " + p.Label, Section: "providers",
			Data: syncProgressPage{ProviderID: p.ID, Label: p.Label, Started: job.started, Progress: progress}})
	case errors.Is(err, context.Canceled):
		c.showProviderRefusal(w, r, call, p, errServerStopping)
	case err != nil:
		c.showProviderRefusal(w, r, call, p, err)
	default:
		c.render(w, r, call, http.StatusOK, "sync_result", view{Title: "Sync: " + p.Label, Section: "providers",
			Data: syncPage{ProviderID: p.ID, Label: p.Label, Result: res}})
	}
}
