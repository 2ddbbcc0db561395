package ftp

import (
	"fmt"
	"log/slog"
	"strings"
)

// slogAdapter sends the FTP library's protocol trace to the debug log. The
// PASS argument (a password or an API key) is never written.
type slogAdapter struct{ log *slog.Logger }

func (l slogAdapter) Print(sessionID string, message any) {
	l.log.Debug("ftp", "session", sessionID, "message", fmt.Sprint(message))
}

func (l slogAdapter) Printf(sessionID string, format string, v ...any) {
	l.log.Debug("ftp", "session", sessionID, "message", fmt.Sprintf(format, v...))
}

func (l slogAdapter) PrintCommand(sessionID string, command string, params string) {
	if strings.EqualFold(command, "PASS") {
		params = "(hidden)"
	}
	l.log.Debug("ftp command", "session", sessionID, "command", command, "params", params)
}

func (l slogAdapter) PrintResponse(sessionID string, code int, message string) {
	l.log.Debug("ftp response", "session", sessionID, "code", code, "message", message)
}
