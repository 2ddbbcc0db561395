package sftp

import (
	"context"
	"time"
)

// maxIdleSweep bounds how long a session may stay open past the idle
// timeout before the sweep closes it.
const maxIdleSweep = 30 * time.Second

// watch is the one goroutine per server that keeps open sessions in step
// with their accounts without a timer per session.
//
// Each request checks its account (session.check); that check reads the
// store only when the account's version moved (package access). A
// session that sends nothing, or that is in the middle of one long
// transfer, sends no request, so the watch checks every open session when
// the identity core says an account changed (identity.AccountChanges):
// sessions of unchanged accounts answer from memory, and the ones whose
// account no longer lets them in are closed, telling the client why. An
// idle server therefore wakes only for account changes and for the idle
// sweep, whose cost does not grow with the number of idle sessions beyond
// reading each one's last activity.
func (s *Server) watch(ctx context.Context) {
	sweep := time.NewTicker(min(max(s.idleTimeout/4, 10*time.Millisecond), maxIdleSweep))
	defer sweep.Stop()
	changed := s.id.AccountChanges()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
			// Asked for before the checks run, so that a change made
			// while they do wakes the watch again.
			changed = s.id.AccountChanges()
			for _, sess := range s.sessions() {
				if sess.ctx.Err() == nil {
					_, _ = sess.check() // a refusal closes the session
				}
			}
		case <-sweep.C:
			for _, sess := range s.sessions() {
				if idle := time.Since(time.Unix(0, sess.lastActive.Load())); idle > s.idleTimeout && sess.ctx.Err() == nil {
					s.log.Info("sftp: closing an idle session", "user_id", sess.userID, "idle", idle.Round(time.Second).String())
					sess.conn.Close()
					sess.cancel()
				}
			}
		}
	}
}

// sessions are the signed-in sessions open now.
func (s *Server) sessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.conns))
	for _, sess := range s.conns {
		if sess != nil {
			out = append(out, sess)
		}
	}
	return out
}
