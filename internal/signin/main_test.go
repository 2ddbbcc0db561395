package signin

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server the tests started, if the run put
// their store on PostgreSQL (GATEHOUSE_TEST_STORE=postgres).
func TestMain(m *testing.M) { pgtest.Main(m) }
