package pgtest

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// shared is the server of this test binary, started on first use so that
// a binary whose selected tests never need it (or a re-executed helper
// process) never starts one.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

func sharedServer() (*Server, error) {
	shared.once.Do(func() { shared.srv, shared.err = StartServer() })
	return shared.srv, shared.err
}

// Main runs the tests of a package and then stops the shared server; call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// StopShared stops the shared server if it was started.
func StopShared() {
	shared.once.Do(func() { shared.err = errors.New("pgtest: shared server already stopped") })
	if shared.srv != nil {
		shared.srv.Stop()
		shared.srv = nil
	}
}

// Database returns the URL of a new, empty database on the shared server,
// starting the server on first use. Without PostgreSQL it skips the test,
// or fails it when GATEHOUSE_REQUIRE_PEERS=1.
func Database(tb testing.TB) string {
	tb.Helper()
	srv, err := sharedServer()
	if errors.Is(err, ErrNotInstalled) {
		testpeer.Missing(tb, "%v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := srv.CreateDatabase(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return url
}
