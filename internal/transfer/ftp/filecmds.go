package ftp

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// features are the extensions FEAT may advertise (RFC 2389), each with
// the command that serves it. FEAT lists one only when the server's
// command table serves that command: a client that believes FEAT (lftp
// does) must never be sent to a command answered "not supported".
var features = []struct{ command, line string }{
	{"EPSV", "EPSV"},
	{"MDTM", "MDTM"},
	{"MFMT", "MFMT"},
	{"SIZE", "SIZE"},
	{"REST", "REST STREAM"},
	{"MLST", "MLST Type*;Modify*;Size*;"},
	{"OPTS", "UTF8"},
	{"CLNT", "CLNT"},
}

// featText is what FEAT answers for the command table commands.
func featText(commands map[string]goftp.Command, tls bool) string {
	var b strings.Builder
	b.WriteString("Extensions supported:\n")
	for _, f := range features {
		if served(commands, f.command) {
			b.WriteString(" " + f.line + "\n")
		}
	}
	if tls {
		b.WriteString(" AUTH TLS\n PBSZ\n PROT\n")
	}
	return b.String()
}

// served reports whether the table answers name with more than a refusal.
func served(commands map[string]goftp.Command, name string) bool {
	c, ok := commands[name]
	if r, wrapped := c.(rechecked); wrapped {
		c = r.next
	}
	_, refused := c.(activeRefused)
	return ok && !refused
}

// The file commands below replace the library's, whose refusals do not say
// what went wrong ("450 path not found" for a folder the user may not read,
// "550 Action not taken" for a rename onto a missing folder). Ours pass on
// the storage's own reason, which names the path at fault and the cause
// (see reply). Each runs after rechecked admitted it, on its view.

// fileCommand is a command that needs a path.
type fileCommand struct {
	log *slog.Logger
	run func(c fileCall)
	// argFirst, when set, is the syntax of a command with one argument
	// (MFMT's time) before the path, for the reply to one without a path.
	argFirst string
}

// fileCall is one file command being answered.
type fileCall struct {
	sess *goftp.Session
	s    *session
	fsys vfs.FS
	path string
	arg  string // the argument before the path, for argFirst commands
	log  *slog.Logger
}

func (c fileCommand) IsExtend() bool     { return false }
func (c fileCommand) RequireParam() bool { return true }
func (c fileCommand) RequireAuth() bool  { return true }
func (c fileCommand) Execute(sess *goftp.Session, param string) {
	s, ok := sess.Data[dataSession].(*session)
	if !ok || s.rights.FS == nil {
		sess.WriteMessage(530, "Not logged in")
		return
	}
	var arg string
	if c.argFirst != "" {
		var ok bool
		if arg, param, ok = strings.Cut(param, " "); !ok || param == "" {
			sess.WriteMessage(501, "Send "+c.argFirst)
			return
		}
	}
	c.run(fileCall{sess: sess, s: s, fsys: s.rights.FS, path: sess.BuildPath(param), arg: arg, log: c.log})
}

// fileCommands are the commands this package answers itself.
func fileCommands(log *slog.Logger) map[string]goftp.Command {
	return map[string]goftp.Command{
		"RNFR": fileCommand{log: log, run: renameFrom},
		"RNTO": fileCommand{log: log, run: renameTo},
		"SIZE": fileCommand{log: log, run: size},
		"MDTM": fileCommand{log: log, run: modTime},
		"MFMT": fileCommand{log: log, run: setModTime, argFirst: "MFMT YYYYMMDDHHMMSS path (the time in UTC)"},
		"SITE": siteCommand{log: log},
		"DELE": fileCommand{log: log, run: deleteFile},
	}
}

// commandContext bounds the storage work of one of these commands.
func commandContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), checkTimeout)
}

// renameFrom is RNFR: the source must exist; RNTO must come next.
func renameFrom(c fileCall) {
	ctx, cancel := commandContext()
	defer cancel()
	if _, err := c.fsys.Stat(ctx, c.path); err != nil {
		c.reply("Cannot rename", err)
		return
	}
	c.s.renameFrom = c.path
	c.sess.WriteMessage(350, "Ready to rename "+c.path+"; send RNTO with the new name")
}

// renameTo is RNTO.
func renameTo(c fileCall) {
	from := c.s.renameFrom
	c.s.renameFrom = ""
	if from == "" {
		c.sess.WriteMessage(503, "Send RNFR with the name to rename first, then RNTO")
		return
	}
	ctx, cancel := commandContext()
	defer cancel()
	if err := c.fsys.Rename(ctx, from, c.path); err != nil {
		c.reply("Rename failed", err)
		return
	}
	c.sess.WriteMessage(250, "Renamed "+from+" to "+c.path)
}

func size(c fileCall) {
	ctx, cancel := commandContext()
	defer cancel()
	fi, err := c.fsys.Stat(ctx, c.path)
	switch {
	case err != nil:
		c.reply("No size", err)
	case fi.IsDir():
		c.sess.WriteMessage(550, "No size: "+c.path+" is a folder; SIZE is for files")
	default:
		c.sess.WriteMessage(213, strconv.FormatInt(fi.Size(), 10))
	}
}

func modTime(c fileCall) {
	ctx, cancel := commandContext()
	defer cancel()
	fi, err := c.fsys.Stat(ctx, c.path)
	if err != nil {
		c.reply("No modification time", err)
		return
	}
	c.sess.WriteMessage(213, fi.ModTime().UTC().Format("20060102150405"))
}

// setModTime is MFMT (draft-somers-ftp-mfxx), which clients such as lftp
// and FileZilla send after an upload to keep the local modification time:
// "MFMT YYYYMMDDHHMMSS[.fff] path", in UTC. The reply names the time set.
func setModTime(c fileCall) {
	t, err := parseFTPTime(c.arg)
	if err != nil {
		c.sess.WriteMessage(501, "Cannot set the modification time: "+err.Error())
		return
	}
	ctx, cancel := commandContext()
	defer cancel()
	if err := c.fsys.SetModTime(ctx, c.path, t); err != nil {
		c.reply("Cannot set the modification time", err)
		return
	}
	c.sess.WriteMessage(213, "Modify="+t.UTC().Format("20060102150405")+"; "+c.path)
}

// parseFTPTime reads RFC 3659's time-val: YYYYMMDDHHMMSS in UTC, with an
// optional fraction of a second.
func parseFTPTime(v string) (time.Time, error) {
	whole, frac, _ := strings.Cut(v, ".")
	t, err := time.Parse("20060102150405", whole)
	if err != nil || len(whole) != 14 || len(frac) > 9 {
		return time.Time{}, errors.New("the time must be YYYYMMDDHHMMSS in UTC, such as 20240506070809")
	}
	if frac != "" {
		ns, err := strconv.Atoi((frac + "000000000")[:9])
		if err != nil || strings.Trim(frac, "0123456789") != "" {
			return time.Time{}, errors.New("the fraction of a second must be digits")
		}
		t = t.Add(time.Duration(ns))
	}
	if err := vfs.CheckModTime(t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

func deleteFile(c fileCall) {
	ctx, cancel := commandContext()
	defer cancel()
	fi, err := c.fsys.Stat(ctx, c.path)
	if err == nil && fi.IsDir() {
		c.sess.WriteMessage(550, "Delete failed: "+c.path+" is a folder; remove it with RMD")
		return
	}
	if err == nil {
		err = c.fsys.Remove(ctx, c.path)
	}
	if err != nil {
		c.reply("Delete failed", err)
		return
	}
	c.sess.WriteMessage(250, "Deleted "+c.path)
}

// reply answers a refused file command with the storage's reason, which
// names the path at fault and the cause. A name the command may not use
// (an existing target, a move across folders or into itself, an invalid
// name) is 553, RFC 959's "file name not allowed"; a path that is missing
// or out of reach is 550. Any other failure is the server's: 451, with no
// detail that could name the server's own paths.
func (c fileCall) reply(what string, err error) {
	switch {
	case errors.Is(err, vfs.ErrExist), errors.Is(err, vfs.ErrCrossFolder), errors.Is(err, vfs.ErrIntoItself),
		errors.Is(err, vfs.ErrInvalidName):
		c.sess.WriteMessage(553, what+": "+err.Error())
	case errors.Is(err, vfs.ErrNotExist), errors.Is(err, vfs.ErrPermission), errors.Is(err, vfs.ErrNotDir),
		errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrNotEmpty):
		c.sess.WriteMessage(550, what+": "+err.Error())
	default:
		c.log.Error("ftp: a file command failed", "user_id", c.s.access.SignIn().UserID, "path", c.path, "error", err)
		c.sess.WriteMessage(451, what+": the server could not reach the file; try again later")
	}
}
