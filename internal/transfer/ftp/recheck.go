package ftp

import (
	"context"
	"errors"
	"time"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// checkTimeout bounds one command's account check.
const checkTimeout = 10 * time.Second

// errNotSignedIn should not happen: the library checks sign-in first.
var errNotSignedIn = errors.New("not signed in")

// withRecheck wraps every command but sign-in and QUIT, so that each one
// a signed-in connection sends (CWD, PWD, PASV and NOOP included, not only
// file commands) first asks the connection's access.Session whether the
// account still lets it in, and then runs on the files the user may reach
// now. A connection kept alive with harmless commands is ended as surely
// as one that transfers. Before sign-in there is nothing to check.
func withRecheck(commands map[string]goftp.Command) map[string]goftp.Command {
	for name, c := range commands {
		switch name {
		case "USER", "PASS", "QUIT":
		default:
			commands[name] = rechecked{name: name, next: c}
		}
	}
	return commands
}

type rechecked struct {
	name string
	next goftp.Command
}

func (c rechecked) IsExtend() bool     { return c.next.IsExtend() }
func (c rechecked) RequireParam() bool { return c.next.RequireParam() }
func (c rechecked) RequireAuth() bool  { return c.next.RequireAuth() }

// Execute admits the command. A refused user's connection is closed: an
// FTP client would otherwise retry the command forever on a connection
// that can do nothing. When the account cannot be checked, only the
// command is refused.
func (c rechecked) Execute(sess *goftp.Session, param string) {
	s, ok := sess.Data[dataSession].(*session)
	if !ok || s.pending {
		c.next.Execute(sess, param) // not signed in: nothing to check
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	rights, err := s.access.Check(ctx)
	cancel()
	if access.Ends(err) {
		delete(sess.Data, dataSession)
		sess.WriteMessage(421, "Signed out: "+access.Message(err))
		sess.Close()
		return
	}
	if err != nil {
		sess.WriteMessage(451, "Requested action aborted: "+access.Message(err))
		return
	}
	if c.name != "RNTO" {
		s.renameFrom = "" // RNTO must follow its RNFR at once
	}
	s.rights = rights
	defer func() { s.rights = access.Rights{} }()
	c.next.Execute(sess, param)
}

// admit returns the files the running command was admitted with.
func (d *driver) admit(ctx *goftp.Context) (vfs.FS, error) {
	s, ok := ctx.Sess.Data[dataSession].(*session)
	if !ok || s.rights.FS == nil {
		return nil, errNotSignedIn
	}
	return s.rights.FS, nil
}
