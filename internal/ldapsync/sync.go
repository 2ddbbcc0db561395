package ldapsync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Errors callers tell apart with errors.Is. They are identity errors, so
// the REST API and the CLI print them in Files.com's error shape.
var (
	// ErrRunningElsewhere: another sync of the provider holds its lock, on
	// this node or another one.
	ErrRunningElsewhere = &identity.Error{Status: http.StatusConflict, Type: "processing-failure/provider-sync-in-progress",
		Title: "Provider Sync In Progress",
		Message: "a sync of this provider is running elsewhere (on this or another Gatehouse node); " +
			"wait for it to end: its result is in the external events (type sync)"}
	// ErrNotLDAP: the provider reads no directory.
	ErrNotLDAP = &identity.Error{Status: http.StatusUnprocessableEntity, Type: "processing-failure/provider-sync-unavailable",
		Title: "Provider Sync Unavailable",
		Message: "this provider reads no directory: only providers with protocol active_directory or open_ldap, " +
			"or with ldap_provisioning_enabled and the ldap_* settings, can be synced or tested"}
)

// Directories opens the LDAP directory a provider's settings describe
// (package directory's Service).
type Directories interface {
	Directory(ctx context.Context, p store.SSOStrategy) (*ldap.Directory, error)
}

// Options configure a Service; Store, Engine and Directories are required.
type Options struct {
	Store       store.Store
	Engine      *provision.Engine
	Directories Directories
	Notifier    events.Notifier  // default events.Discard{}: alerts for runs that fail before reconciling
	Logger      *slog.Logger     // default slog.Default()
	Clock       func() time.Time // default time.Now
	// Holder names this node in the sync locks; default host:pid:random.
	Holder string
	// LockTTL is how long a lock lasts without renewal; a running sync
	// renews it every third of it, and a node that dies frees it after it.
	// Default 2 minutes.
	LockTTL time.Duration
}

// Service runs syncs, previews and connection tests of LDAP providers.
type Service struct {
	st     store.Store
	engine *provision.Engine
	dirs   Directories
	notify events.Notifier
	log    *slog.Logger
	now    func() time.Time
	holder string
	ttl    time.Duration
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Engine == nil || o.Directories == nil {
		return nil, errors.New("ldapsync: Options.Store, Engine and Directories are required")
	}
	s := &Service{st: o.Store, engine: o.Engine, dirs: o.Directories, notify: o.Notifier, log: o.Logger,
		now: o.Clock, holder: o.Holder, ttl: o.LockTTL}
	if s.notify == nil {
		s.notify = events.Discard{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 2 * time.Minute
	}
	if s.holder == "" {
		s.holder = defaultHolder()
	}
	return s, nil
}

// defaultHolder names this process uniquely among the nodes.
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Syncable reports whether the provider reads a directory: protocol
// active_directory or open_ldap, or LDAP provisioning beside another way
// of signing in.
func Syncable(p store.SSOStrategy) bool { return directory.UsesLDAP(p) }

// Progress is how far a run has come, for a progress bar.
type Progress struct {
	Phase  string // PhaseReading, then PhaseApplying
	Users  int    // users read so far
	Groups int    // groups read so far
	// Expected is how many users the provider had after its last run (0
	// when unknown), to size a bar while reading.
	Expected int
	// Applied is what the run has changed so far while applying.
	Applied provision.Counts
}

// Phases of a run.
const (
	PhaseReading  = "reading"
	PhaseApplying = "applying"
)

// Request asks for one run.
type Request struct {
	SiteID, ProviderID int64
	// Preview reads the directory and answers what a sync would change,
	// writing nothing (no lock, no event, no change).
	Preview bool
	// Progress, when set, is called as the run advances, from the
	// goroutine running it.
	Progress func(Progress)
}

// DirectoryCounts is what the directory held.
type DirectoryCounts struct {
	Users       int `json:"users"`
	Groups      int `json:"groups"`
	Memberships int `json:"memberships"` // user-in-group pairs, nested membership resolved
}

// Result is the outcome of a run or a preview.
type Result struct {
	SSOStrategyID int64  `json:"sso_strategy_id"`
	ProviderLabel string `json:"provider_label"`
	// EventID is the run's external event (0 for a preview).
	EventID int64 `json:"external_event_id,omitempty"`
	// Status is the run's: success, partial_failure, failure or skipped;
	// "preview" for a preview, or failure when its directory could not be
	// read.
	Status    string                `json:"status"`
	Preview   bool                  `json:"preview"`
	Directory DirectoryCounts       `json:"directory"`
	Counts    provision.Counts      `json:"counts"`
	Safety    *provision.SafetyStop `json:"safety_stop,omitempty"`
	// Changes are the planned changes of a preview, one per user or group.
	Changes []provision.Change `json:"changes,omitempty"`
	Errors  []string           `json:"errors,omitempty"`
	// Seconds is how long the run took.
	Seconds float64 `json:"seconds"`
}

// StatusPreview is the Status of a preview.
const StatusPreview = "preview"

// Sync runs (or previews) one provider's sync. An error means no run took
// place (unknown provider, not an LDAP provider, the lock held elsewhere,
// the store failing); a run that failed is a Result with Status failure.
func (s *Service) Sync(ctx context.Context, req Request) (*Result, error) {
	p, err := s.provider(ctx, req.SiteID, req.ProviderID)
	if err != nil {
		return nil, err
	}
	if req.Preview {
		return s.preview(ctx, p, req.Progress)
	}
	var res *Result
	err = s.withLock(ctx, p.ID, func(ctx context.Context, fence store.Fence) error {
		var err error
		res, err = s.run(ctx, p, fence, req.Progress)
		return err
	})
	return res, err
}

// provider reads a provider that can be synced.
func (s *Service) provider(ctx context.Context, siteID, id int64) (store.SSOStrategy, error) {
	p, err := s.st.GetSSOStrategy(ctx, siteID, id)
	if errors.Is(err, store.ErrNotFound) {
		return p, identity.ErrSSOStrategyNotFound
	}
	if err != nil {
		return p, fmt.Errorf("ldapsync: read provider %d: %w", id, err)
	}
	if !Syncable(p) {
		return p, ErrNotLDAP
	}
	return p, nil
}
