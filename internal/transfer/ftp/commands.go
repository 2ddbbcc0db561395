package ftp

import (
	"log/slog"
	"runtime/debug"

	goftp "goftp.io/server/v2"
)

// dataCommands move bytes over the data connection. Sent before PASV or
// EPSV, the library's RETR writes into a missing connection and panics,
// and its LIST, NLST and MLSD report a listing they never sent.
var dataCommands = []string{"RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"}

// needsData answers a data command sent without a data connection with
// 425, the reply RFC 959 has for it, and what to send first.
type needsData struct{ goftp.Command }

func (c needsData) Execute(sess *goftp.Session, param string) {
	if sess.DataConn() == nil {
		sess.WriteMessage(425, "No data connection: send PASV or EPSV first, then connect to the port it names")
		return
	}
	c.Command.Execute(sess, param)
}

// answered runs a command so that a panic in it is logged as an error
// and answered with 451. The library recovers a panicking command too,
// but logs it only in the debug trace and sends no reply, which leaves
// the client waiting for ever. It is used by pointer: the library
// compares commands (to let AUTH TLS through RequireTLS), and a struct
// holding a func cannot be compared.
type answered struct {
	goftp.Command
	name     string
	log      *slog.Logger
	draining func() bool
}

// whileDraining are the commands a session may still send while the
// server drains: the ones that start nothing new. A client that has just
// finished a transfer often follows it with one (lftp sets the file's time
// with MFMT after every STOR, others check SIZE or MDTM), and refusing
// those would fail a transfer that was kept whole.
var whileDraining = map[string]bool{
	"QUIT": true, "NOOP": true, "MFMT": true, "MDTM": true, "SIZE": true, "SITE": true,
	"MLST": true, "STAT": true, "FEAT": true, "PWD": true, "TYPE": true, "SYST": true, "OPTS": true,
}

func (c *answered) Execute(sess *goftp.Session, param string) {
	if !whileDraining[c.name] && c.draining() {
		// RFC 959's reply for a server that is going away.
		sess.WriteMessage(421, "The server is shutting down; reconnect in a moment")
		sess.Close()
		return
	}
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("ftp command panicked", "command", c.name, "panic", v, "stack", string(debug.Stack()))
			sess.WriteMessage(451, "The command failed on the server; try again, and tell the administrator if it keeps failing")
		}
	}()
	c.Command.Execute(sess, param)
}

// guardCommands wraps every command of the table: each is answered
// whatever happens in it, data commands need a data connection, and while
// draining reports the server shutting down, only commands that start
// nothing new are taken (whileDraining).
func guardCommands(commands map[string]goftp.Command, log *slog.Logger, draining func() bool) map[string]goftp.Command {
	out := make(map[string]goftp.Command, len(commands))
	for name, c := range commands {
		out[name] = c
	}
	for _, name := range dataCommands {
		if c, ok := out[name]; ok {
			out[name] = needsData{c}
		}
	}
	for name, c := range out {
		out[name] = &answered{Command: c, name: name, log: log, draining: draining}
	}
	return out
}
