package main

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
)

// pgMain runs the package's tests with a shared PostgreSQL server for the
// tests that need one, stopped at the end.
func pgMain(m *testing.M) { pgtest.Main(m) }
