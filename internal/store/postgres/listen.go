package postgres

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// notifySQL announces an account change to every node (sqlstore's
// Dialect.Notify). NOTIFY is transactional: the other nodes hear of the
// change when it commits, and never of one rolled back.
const notifySQL = "SELECT pg_notify(?, ?)"

const (
	// listenProbe is how long the listening connection may hear nothing
	// before it asks the server whether it is still there: a connection
	// cut without a word (a failover, a dropped route) would otherwise
	// look live while hearing nothing. One query per probe per node, not
	// per session.
	listenProbe = 30 * time.Second
	// listenRetryFirst and listenRetryMax space out the attempts to
	// listen again after the connection was lost.
	listenRetryFirst = time.Second
	listenRetryMax   = 30 * time.Second
)

// listen keeps a connection of its own LISTENing to sqlstore's
// AccountsChannel and tells w of every change any node commits (this
// one's included) until ctx ends.
//
// Recovery from a lost connection: the moment it fails, w is told the
// feed is not live, and the identity core stops trusting what it
// remembers: every request of every open connection reads its account
// from the database again, as if there were no cache, so nothing a node
// changed meanwhile is missed. listen then connects again, with a pause
// doubling from listenRetryFirst to listenRetryMax; once LISTEN is in
// place again, w is told the feed is live, which invalidates everything
// remembered (the changes made while no one listened are unknown), and
// requests go back to costing no read while nothing changes.
func listen(ctx context.Context, url string, w store.AccountWatcher) {
	wait := listenRetryFirst
	for {
		heard, err := listenOnce(ctx, url, w)
		w.AccountFeedLive(false)
		if ctx.Err() != nil {
			return
		}
		if heard {
			wait = listenRetryFirst
		}
		slog.Warn("store: listening for account changes failed; open connections read their accounts at every request until it is back",
			"retry_in", wait.String(), "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listenOnce listens on one connection until it fails or ctx ends, and
// says whether LISTEN was in place at all.
func listenOnce(ctx context.Context, url string, w store.AccountWatcher) (bool, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+sqlstore.AccountsChannel); err != nil {
		return false, err
	}
	w.AccountFeedLive(true)
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenProbe)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			w.AccountChanged(sqlstore.DecodeAccountChange(n.Payload))
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: make sure the connection is still
			// there. pgx cuts the wait short with a read deadline,
			// which leaves the connection usable.
			if conn.IsClosed() {
				return true, errors.New("the listening connection closed")
			}
			probe, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(probe)
			cancel()
			if err != nil {
				return true, err
			}
		default:
			return true, err
		}
	}
}
