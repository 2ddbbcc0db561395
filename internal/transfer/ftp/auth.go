package ftp

import (
	"context"
	"net"
	"time"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
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
	siteID     int64
	userID     int64
	username   string
	credential identity.Credential
	ip         string
	fs         vfs.FS
	// apiKey is the key an API-key session signed in with, kept in memory
	// for the connection's life so that every command checks the key is
	// still there and unexpired, not only that the user may sign in.
	apiKey string
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
	return out
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
		sess.WriteMessage(530, "Not logged in: "+refusalText(err))
		return
	}
	sess.Data[dataSession] = s
	c.next.Execute(sess, param)
}

// refusalText is what an FTP client is told: the policy's message for its
// own refusals, which help the person (use an API key, ask for
// ftp_permission), and the generic one for everything else.
func refusalText(err error) string {
	e := identity.AsError(err)
	if e.Status >= 500 {
		return "sign-in is not possible right now; try again later"
	}
	if e.Message != "" {
		return e.Title + ". " + e.Message
	}
	return e.Title
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
	fsys, err := d.files(ctx, site, in.User)
	if err != nil {
		d.log.Error("ftp sign-in: cannot open the user's files", "site_id", site.ID, "user_id", in.User.ID, "error", err)
		return nil, identity.ErrInternal
	}
	d.log.Info("ftp sign-in", "site_id", site.ID, "user_id", in.User.ID, "username", in.User.Username, "credential", in.Credential, "ip", ip)
	s := &session{siteID: site.ID, userID: in.User.ID, username: in.User.Username, credential: in.Credential,
		ip: ip, fs: fsys, pending: true}
	if in.Credential == identity.CredentialAPIKey {
		s.apiKey = secret
	}
	return s, nil
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
