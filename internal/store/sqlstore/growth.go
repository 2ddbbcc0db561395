package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A table that starts empty and fills fast (the first SCIM cycle of a
// directory: 100,000 users in minutes) outgrows the plans PostgreSQL made
// for it. After a few executions a prepared statement gets a generic
// plan, made once and kept until the table's statistics change. A table
// with no statistics, planned while it holds a handful of rows, makes
// every index starting with site_id cost the same, so the generic plan of
// a lookup by external id, username or look-alike key may walk an index
// on site_id alone and filter: a read of every user of the site, per
// lookup, under the site lock that serialises provisioning. Measured on
// two cores, SCIM creates fell from 294/s to 55/s over the first 8,000
// users, until autovacuum first analysed the table (its first pass comes a
// minute or more after the table starts filling) and every plan was made
// again on statistics.
//
// So the store analyses the tables it keeps inserting into as they grow:
// each time one has doubled in pages since its last analysis. That is a
// few analyses over a table's first growth (about a dozen up to
// 100,000 users), each a sample of at most 30,000 rows that blocks no
// reader or writer; from then on autovacuum's analysis at every 10 % of
// change keeps the statistics current. The check is one read of pg_class
// every growthCheckEvery inserts, off the request's path.

// growthTables are the tables provisioning fills and looks up by key.
var growthTables = []string{"users", "groups", "group_users"}

// growthCheckEvery is how many inserts into a table this process makes
// between two looks at its size.
const growthCheckEvery = 64

// growthMinPages is how many pages a table grows beyond twice its size at
// its last analysis before it is analysed again (about 100 users), so an
// empty table is analysed soon after it starts filling.
const growthMinPages = 8

// growthSizeSQL reads a table's size in pages now and at its last
// analysis or vacuum (relpages).
const growthSizeSQL = `SELECT c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::bigint` +
	` FROM pg_class c WHERE c.oid = to_regclass(?)`

// growth is the store's record of inserts per watched table.
type growth struct {
	tables map[string]*tableGrowth

	mu     sync.Mutex // guards closed and adding to running
	closed bool
	wg     sync.WaitGroup // checks under way, waited for by Close
}

type tableGrowth struct {
	inserted atomic.Int64
	checking atomic.Bool
}

func newGrowth() *growth {
	g := &growth{tables: make(map[string]*tableGrowth, len(growthTables))}
	for _, t := range growthTables {
		g.tables[t] = &tableGrowth{}
	}
	return g
}

// grew records n rows inserted into table. Inside a transaction they
// count once it commits: an analysis sees only committed rows, and one
// run while a bulk import is still open would record a table of many
// pages and no rows.
func (s *Store) grew(ctx context.Context, table string, n int) {
	if !s.d.AnalyzeGrowing || n <= 0 || s.growth.tables[table] == nil {
		return
	}
	if st := s.txFrom(ctx); st != nil {
		st.mu.Lock()
		if st.grown == nil {
			st.grown = make(map[string]int)
		}
		st.grown[table] += n
		st.mu.Unlock()
		return
	}
	s.inserted(table, n)
}

// inserted counts n committed rows of table and, every growthCheckEvery
// of them, checks in the background whether the table has doubled since
// its last analysis, analysing it if so.
func (s *Store) inserted(table string, n int) {
	t := s.growth.tables[table]
	after := t.inserted.Add(int64(n))
	if (after-int64(n))/growthCheckEvery == after/growthCheckEvery || !t.checking.CompareAndSwap(false, true) {
		return
	}
	g := s.growth
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		t.checking.Store(false)
		return
	}
	g.wg.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		defer t.checking.Store(false)
		s.analyzeIfGrown(table)
	}()
}

// analyzeIfGrown analyses table when it has doubled in pages since its
// last analysis. Failures are left to the next check and to autovacuum:
// the statistics make plans faster, never results different.
func (s *Store) analyzeIfGrown(table string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var analysed, now int64
	if err := s.queryRow(ctx, false, growthSizeSQL, table).Scan(&analysed, &now); err != nil {
		return
	}
	if now < 2*analysed+growthMinPages {
		return
	}
	// The table name comes from growthTables, never from input.
	_, _ = s.db.ExecContext(ctx, "ANALYZE "+table)
}

// wait stops new checks and waits for those under way; Close calls
// it before closing the pools.
func (g *growth) wait() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}
