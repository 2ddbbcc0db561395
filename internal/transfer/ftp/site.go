package ftp

import (
	"log/slog"
	"strings"

	goftp "goftp.io/server/v2"
)

// siteCommand is SITE, for its one sub-command Gatehouse serves: UTIME,
// with which lftp (mirror -R) keeps the local modification time of what
// it uploads. Both forms servers offer are read:
//
//	SITE UTIME YYYYMMDDhhmmss path                                     (ProFTPD)
//	SITE UTIME path YYYYMMDDhhmmss YYYYMMDDhhmmss YYYYMMDDhhmmss UTC   (access, modification, creation)
//
// Only the modification time is kept; the times are UTC.
type siteCommand struct{ log *slog.Logger }

func (siteCommand) IsExtend() bool     { return false }
func (siteCommand) RequireParam() bool { return true }
func (siteCommand) RequireAuth() bool  { return true }

func (c siteCommand) Execute(sess *goftp.Session, param string) {
	sub, rest, _ := strings.Cut(param, " ")
	if !strings.EqualFold(sub, "UTIME") {
		sess.WriteMessage(504, "SITE "+sub+" is not offered; SITE UTIME is")
		return
	}
	when, name, ok := utimeArgs(strings.TrimSpace(rest))
	if !ok {
		sess.WriteMessage(501, "Send SITE UTIME YYYYMMDDhhmmss path, or SITE UTIME path atime mtime ctime UTC")
		return
	}
	fileCommand{log: c.log, argFirst: "SITE UTIME YYYYMMDDhhmmss path", run: setModTime}.Execute(sess, when+" "+name)
}

// utimeArgs answers the modification time and path of either form.
func utimeArgs(args string) (when, name string, ok bool) {
	f := strings.Fields(args)
	if len(f) >= 5 && strings.EqualFold(f[len(f)-1], "UTC") && isFTPTime(f[len(f)-2]) && isFTPTime(f[len(f)-3]) && isFTPTime(f[len(f)-4]) {
		// The path is what precedes the three times, spaces and all.
		rest := args
		for range 4 {
			i := strings.LastIndexAny(strings.TrimRight(rest, " \t"), " \t")
			if i < 0 {
				return "", "", false
			}
			rest = rest[:i]
		}
		name = strings.TrimSpace(rest)
		return f[len(f)-3], name, name != ""
	}
	when, name, ok = strings.Cut(args, " ")
	return when, strings.TrimSpace(name), ok && isFTPTime(when) && strings.TrimSpace(name) != ""
}

func isFTPTime(s string) bool {
	whole, _, _ := strings.Cut(s, ".")
	return len(whole) == 14 && strings.Trim(whole, "0123456789") == ""
}
