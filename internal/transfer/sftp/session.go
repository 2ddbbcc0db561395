package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// errCutOff is why a session ends when its account can no longer sign in.
var errCutOff = errors.New("the account was disabled or deleted; the session is closed")

// session is one signed-in SSH connection: the user's files and the watch
// over their account.
type session struct {
	s      *Server
	conn   *ssh.ServerConn
	userID int64
	fs     vfs.FS
	ctx    context.Context
	cancel context.CancelFunc

	lastActive atomic.Int64 // unix nanoseconds of the last byte from the client
}

func (s *Server) openSession(parent context.Context, conn *ssh.ServerConn, userID int64) (*session, error) {
	ctx, cancel := context.WithCancel(parent)
	u, err := s.id.GetUser(ctx, s.siteID, userID)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("read the signed-in user: %w", err)
	}
	site, err := s.id.GetSite(ctx, s.siteID)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("read the site: %w", err)
	}
	fsys, err := s.storage.For(ctx, site, u)
	if err != nil {
		cancel()
		return nil, err
	}
	sess := &session{s: s, conn: conn, userID: userID, fs: fsys, ctx: ctx, cancel: cancel}
	sess.touch()
	go sess.watch()
	return sess, nil
}

func (sess *session) stop() { sess.cancel() }

func (sess *session) touch() { sess.lastActive.Store(time.Now().UnixNano()) }

// activeChannel notes the time of every read from the client, for the idle
// timeout.
type activeChannel struct {
	ssh.Channel
	sess *session
}

func (c activeChannel) Read(p []byte) (int, error) {
	n, err := c.Channel.Read(p)
	if n > 0 {
		c.sess.touch()
	}
	return n, err
}

// watch re-reads the account every check interval and closes the
// connection once it is disabled or deleted, so an idle or long-transferring
// session is cut off too, not only one that sends a new request.
func (sess *session) watch() {
	t := time.NewTicker(sess.s.checkInterval)
	defer t.Stop()
	for {
		select {
		case <-sess.ctx.Done():
			return
		case <-t.C:
			if idle := time.Since(time.Unix(0, sess.lastActive.Load())); idle > sess.s.idleTimeout {
				sess.s.log.Info("sftp: closing an idle session", "user_id", sess.userID, "idle", idle.Round(time.Second).String())
				sess.conn.Close()
				sess.cancel()
				return
			}
			if err := sess.check(); err != nil {
				return
			}
		}
	}
}

// check makes sure the account may still sign in: not disabled, not
// deleted. Every SFTP request that opens, lists or changes a file calls it,
// and so does the watch; one read of a row by primary key costs a few
// microseconds (BenchmarkAccountCheck), small against a request's round trip.
func (sess *session) check() error {
	u, err := sess.s.id.GetUser(sess.ctx, sess.s.siteID, sess.userID)
	gone := errors.Is(err, identity.ErrUserNotFound) || errors.Is(err, store.ErrNotFound)
	if err == nil && !u.Disabled {
		return nil
	}
	if err != nil && !gone {
		if sess.ctx.Err() != nil {
			return sess.ctx.Err()
		}
		// The store is unreachable: keep the session, which signed in
		// properly, rather than cutting every user off during an outage.
		sess.s.log.Warn("sftp: could not re-check an account", "user_id", sess.userID, "error", err)
		return nil
	}
	sess.s.log.Info("sftp: closing the session of a disabled or deleted user", "user_id", sess.userID)
	sess.conn.Close()
	sess.cancel()
	return errCutOff
}

// serveChannel answers one session channel: the sftp subsystem is served,
// anything else (shell, exec, pty) is refused.
func (sess *session) serveChannel(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp" {
			_ = req.Reply(true, nil)
			go ssh.DiscardRequests(reqs)
			sess.serveSFTP(ch)
			return
		}
		if req.Type == "shell" || req.Type == "exec" {
			_, _ = ch.Stderr().Write([]byte("This server offers SFTP only; connect with an SFTP client.\r\n"))
			_ = req.Reply(false, nil)
			return
		}
		_ = req.Reply(false, nil)
	}
}

func (sess *session) serveSFTP(ch ssh.Channel) {
	h := &handlers{sess: sess}
	rs := pkgsftp.NewRequestServer(activeChannel{Channel: ch, sess: sess}, pkgsftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h},
		pkgsftp.WithStartDirectory("/"))
	done := make(chan struct{})
	go func() {
		select {
		case <-sess.ctx.Done():
			rs.Close()
		case <-done:
		}
	}()
	err := rs.Serve()
	close(done)
	rs.Close()
	if err != nil && !errors.Is(err, io.EOF) && sess.ctx.Err() == nil {
		sess.s.log.Debug("sftp: session ended", "user_id", sess.userID, "error", err)
	}
}
