package ftp

import (
	"context"
	"net"
	"time"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
)

// Keys of the per-connection data the library keeps for us.
const (
	dataUser    = "gatehouse.user"    // USER's argument, until PASS
	dataSession = "gatehouse.session" // *session, once signed in
)

// signInTimeout bounds one sign-in (a directory password check included).
const signInTimeout = 30 * time.Second

// session is a signed-in connection.
type session struct {
	username string
	// access re-asks the identity core at every command and answers the
	// files the user may reach now.
	access *access.Session
	// rights are what the running command was admitted with (recheck.go).
	rights access.Rights
	// renameFrom is RNFR's path until the RNTO that must follow it.
	renameFrom string
	// pending is true between our PASS accepting and the library's PASS
	// confirming through acceptedAuth; the secret itself is not kept.
	pending bool
}

// withCommands returns the library's command table with sign-in (USER,
// PASS) and the data connection (PASV, EPSV; active mode refused) replaced.
func withCommands(commands map[string]goftp.Command, d *driver, passive *passiveConfig) map[string]goftp.Command {
	out := withSignIn(commands, d)
	out["PASV"] = passiveCommand{cfg: passive}
	out["EPSV"] = passiveCommand{cfg: passive, extended: true}
	for _, active := range []string{"PORT", "EPRT", "LPRT"} {
		out[active] = activeRefused{}
	}
	for name, c := range fileCommands(d.log) {
		out[name] = c
	}
	return withRecheck(out)
}

// withSignIn returns the command table with USER and PASS replaced: the
// library's PASS can only answer "incorrect password", while the policy's
// refusals say what to do instead (use an API key, ask for ftp_permission).
// Our PASS decides, then hands over to the library's PASS, whose Auth only
// confirms the decision, so the library still tracks the signed-in state.
func withSignIn(commands map[string]goftp.Command, d *driver) map[string]goftp.Command {
	out := make(map[string]goftp.Command, len(commands))
	for k, v := range commands {
		out[k] = v
	}
	out["USER"] = userCommand{next: commands["USER"]}
	out["PASS"] = passCommand{next: commands["PASS"], d: d}
	return out
}

type userCommand struct{ next goftp.Command }

func (c userCommand) IsExtend() bool     { return false }
func (c userCommand) RequireParam() bool { return true }
func (c userCommand) RequireAuth() bool  { return false }
func (c userCommand) Execute(sess *goftp.Session, param string) {
	delete(sess.Data, dataSession)
	sess.Data[dataUser] = param
	c.next.Execute(sess, param)
}

type passCommand struct {
	next goftp.Command
	d    *driver
}

func (c passCommand) IsExtend() bool     { return false }
func (c passCommand) RequireParam() bool { return true }
func (c passCommand) RequireAuth() bool  { return false }
func (c passCommand) Execute(sess *goftp.Session, param string) {
	username, _ := sess.Data[dataUser].(string)
	delete(sess.Data, dataUser)
	if username == "" {
		sess.WriteMessage(503, "Send USER first")
		return
	}
	s, err := c.d.signIn(sess, username, param)
	if err != nil {
		sess.WriteMessage(530, "Not logged in: "+access.Message(err))
		return
	}
	sess.Data[dataSession] = s
	c.next.Execute(sess, param)
}

// acceptedAuth is the library's password check: it accepts exactly the
// PASS our passCommand already accepted on this connection.
type acceptedAuth struct{}

func (acceptedAuth) CheckPasswd(ctx *goftp.Context, _, _ string) (bool, error) {
	s, ok := ctx.Sess.Data[dataSession].(*session)
	if !ok || !s.pending {
		return false, nil
	}
	s.pending = false
	return true, nil
}

// signIn asks the identity core and opens the user's files.
func (d *driver) signIn(sess *goftp.Session, username, secret string) (*session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), signInTimeout)
	defer cancel()
	ip := remoteIP(sess.RemoteAddr())
	site, err := d.svc.ResolveSite(ctx, "")
	if err != nil {
		d.log.Error("ftp sign-in: no site", "error", err)
		return nil, err
	}
	in, err := credential.Login(ctx, d.svc, site.ID, username, secret, identity.ChannelFTP, ip)
	if err != nil {
		d.log.Info("ftp sign-in refused", "site_id", site.ID, "username", username, "ip", ip, "reason", credential.Reason(err))
		return nil, err
	}
	watch, _, err := access.Open(ctx, d.svc, d.files, site, in.Connection, d.log)
	if err != nil {
		return nil, err
	}
	d.log.Info("ftp sign-in", "site_id", site.ID, "user_id", in.User.ID, "username", in.User.Username, "credential", in.Connection.Credential, "ip", ip)
	return &session{username: in.User.Username, access: watch, pending: true}, nil
}

func remoteIP(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
