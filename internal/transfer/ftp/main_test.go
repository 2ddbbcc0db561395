package ftp

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server the tests started, if any: they
// run on it when GATEHOUSE_TEST_STORE=postgres (see teststore.Open).
func TestMain(m *testing.M) { pgtest.Main(m) }
