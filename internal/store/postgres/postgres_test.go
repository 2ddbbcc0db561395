package postgres_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a store over a new database on the shared test server.
func open(tb testing.TB) store.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), pgDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// pgDatabase is a new database on the shared test server.
func pgDatabase(tb testing.TB) string {
	tb.Helper()
	return pgtest.Database(tb)
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
		url := pgDatabase(t)
		return func(version int64) store.Store {
			s, err := postgres.OpenStoreAt(context.Background(), url, version)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}
