package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// dataVersionPoll is how often a serving process asks SQLite whether
// another process (an admin's gatehouse command) wrote to the database.
// One query per process at this pace, not per session: the cost of a
// server with a thousand idle connections is that of one with none.
const dataVersionPoll = time.Second

// watchOtherProcesses hears the account changes that other processes
// make on the database file. Within this process sqlstore tells of every
// write itself; another process (gatehouse users update, run next to
// gatehouse serve) cannot, so the writer connection's PRAGMA
// data_version, which moves exactly when another connection commits, is
// read every dataVersionPoll. The writer is this process's only
// connection that writes, so a move means another process wrote; what it
// wrote is unknown, so every account is read again. A connection whose
// pragma cannot be read makes the feed not live until it can (every
// request then reads its account), and live again afterwards, which also
// invalidates everything.
func watchOtherProcesses(ctx context.Context, writer *sql.DB, w store.AccountWatcher) {
	var last int64
	live := false
	t := time.NewTicker(dataVersionPoll)
	defer t.Stop()
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var v int64
		err := writer.QueryRowContext(qctx, "PRAGMA data_version").Scan(&v)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if live {
				w.AccountFeedLive(false)
				live = false
			}
		case !live:
			w.AccountFeedLive(true)
			live, last = true, v
		case v != last:
			w.AccountChanged(store.AccountChange{})
			last = v
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
