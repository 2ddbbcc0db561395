package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// errCutOff ends a request whose connection the account no longer lets
// in; the connection is closed with it.
var errCutOff = errors.New("signed out")

// session is one signed-in SSH connection: the watch over the account
// (package access), which answers the files each request may reach.
type session struct {
	s      *Server
	conn   *ssh.ServerConn
	userID int64
	access *access.Session
	ctx    context.Context
	cancel context.CancelFunc

	lastActive atomic.Int64 // unix nanoseconds of the last byte from the client

	mu       sync.Mutex
	channels []ssh.Channel // the sftp channels served, told why the session ends
	// transfers counts the files open for reading or writing: a server
	// that shuts down closes a session once none is (drain.go).
	transfers int
	// endAfterReply, while the server drains, closes the connection once
	// the replies to the client's close of its last file, and to the
	// requests before it still being answered, are sent: replyQuiet after
	// the last reply (drain.go).
	endAfterReply atomic.Bool
	quiet         *time.Timer // under mu
}

func (s *Server) openSession(parent context.Context, conn *ssh.ServerConn) (*session, error) {
	ctx, cancel := context.WithCancel(parent)
	in := s.signInOf(conn)
	site, err := s.id.GetSite(ctx, s.siteID)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("read the site: %w", err)
	}
	watch, _, err := access.Open(ctx, s.id, s.storage.View, site, in, s.log)
	if err != nil {
		cancel()
		return nil, err
	}
	sess := &session{s: s, conn: conn, userID: in.UserID, access: watch, ctx: ctx, cancel: cancel}
	sess.touch()
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

// Write sends a reply (pkg/sftp writes each in one call); a session
// draining its last transfer ends once its replies stop.
func (c activeChannel) Write(p []byte) (int, error) {
	n, err := c.Channel.Write(p)
	if c.sess.endAfterReply.Load() {
		c.sess.closeWhenQuiet()
	}
	return n, err
}

// check asks whether the account still lets the session in (package
// access: the policy, the credential, the admin flag and memberships) and
// answers the files the request may reach now. Every SFTP request calls
// it, and so does the server's watch when an account changes (watch.go).
// A refusal closes the connection, after
// telling the client why on the channel's stderr, which OpenSSH's sftp
// prints; a store that cannot be read refuses only the request.
func (sess *session) check() (vfs.FS, error) {
	rights, err := sess.access.Check(sess.ctx)
	if err == nil {
		return rights.FS, nil
	}
	if !access.Ends(err) {
		return nil, &statusError{code: pkgsftp.ErrSSHFxFailure, err: errors.New(access.Message(err))}
	}
	sess.mu.Lock()
	for _, ch := range sess.channels {
		_, _ = ch.Stderr().Write([]byte("Gatehouse closed this session: " + access.Message(err) + "\r\n"))
	}
	sess.mu.Unlock()
	sess.conn.Close()
	sess.cancel()
	return nil, fmt.Errorf("%w: %s", errCutOff, access.Message(err))
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
	sess.mu.Lock()
	sess.channels = append(sess.channels, ch)
	sess.mu.Unlock()
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
