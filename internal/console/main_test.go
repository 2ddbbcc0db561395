package console

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server the benchmarks start.
func TestMain(m *testing.M) { pgtest.Main(m) }
