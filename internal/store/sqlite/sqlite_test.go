package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// open returns a store over a new database file in a temporary directory.
func open(tb testing.TB) store.Store {
	tb.Helper()
	s, err := sqlite.Open(filepath.Join(tb.TempDir(), "gatehouse.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func BenchmarkCreateUsers(b *testing.B)            { storetest.BenchCreateUsers(b, open) }
func BenchmarkCreate100kUsersInOneTx(b *testing.B) { storetest.BenchCreate100kUsers(b, open) }
func BenchmarkGetUser(b *testing.B)                { storetest.BenchGetUser(b, open) }
func BenchmarkGetAPIKeyByHash(b *testing.B)        { storetest.BenchGetAPIKeyByHash(b, open) }
func BenchmarkAPIKeyRequest(b *testing.B)          { storetest.BenchAPIKeyRequest(b, open) }
func BenchmarkListUsers100k(b *testing.B)          { storetest.BenchListUsers100k(b, open) }

func TestUpgrades(t *testing.T) {
	storetest.RunUpgrades(t, func(t *testing.T) func(int64) store.Store {
		path := filepath.Join(t.TempDir(), "gatehouse.db")
		return func(version int64) store.Store {
			s, err := sqlite.OpenStoreAt(context.Background(), path, version)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}
