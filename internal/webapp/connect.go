package webapp

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// Channels are where the server's channels can be reached, as the server
// knows them: its base URL, and the ports its SFTP and FTP listeners
// opened. A channel that is not running has no port (or URL).
type Channels struct {
	// BaseURL is where people reach the web app, e.g.
	// "https://files.example.com"; the REST API is under it.
	BaseURL string
	// Host is the name the other channels are reached by: the base URL's
	// host is the best guess, since people already use that name.
	Host string
	// SFTPPort and FTPPort are the listeners' ports; 0 when off.
	SFTPPort, FTPPort int
	// FTPRequireTLS: plain FTP is refused until AUTH TLS.
	FTPRequireTLS bool
	// WebDAVURL is WebDAV's root, e.g. "https://files.example.com/dav/";
	// "" when WebDAV is not served.
	WebDAVURL string
}

// connectRow is one channel of How to connect.
type connectRow struct {
	Name    string
	Address string
	// Off: the server does not run this channel.
	Off bool
	// Refusal is why this user may not use the channel ("" when they may).
	Refusal string
	// Use lists the credentials that sign the user in here, in words.
	Use []string
	// Commands are ready command lines, each with its copy button.
	Commands []string
	// Hint says what to type when a command asks, or what to make first.
	Hint string
	// NeedsKey: only a key the user has not got to hand works here, so
	// the row links to making one.
	NeedsAPIKey, NeedsSSHKey bool
}

// connectPage is what How to connect shows.
type connectPage struct {
	Method   string // "password", "sso", "ldap" or "keys"
	Keeper   string // where an SSO or LDAP user's password lives
	Username string
	Disabled bool // the user's provider is switched off
	Rows     []connectRow
}

// channelNames are the channels as the page names them.
var channelNames = map[identity.Channel]string{
	identity.ChannelWeb:    "Web browser",
	identity.ChannelAPI:    "REST API",
	identity.ChannelSFTP:   "SFTP",
	identity.ChannelFTP:    "FTP and FTPS",
	identity.ChannelWebDAV: "WebDAV",
}

// connect shows, for the signed-in user, which of their credentials works
// on which channel, with addresses and command lines. Which credential
// works where is the login policy's answer (identity.GuideFor), not this
// page's.
func (a *App) connect(w http.ResponseWriter, r *http.Request, c *Call) {
	guide, err := a.svc.GuideFor(r.Context(), c.Site.ID, c.User)
	if err != nil {
		a.refuse(w, r, c, err, "connect")
		return
	}
	var ch Channels
	if a.channels != nil {
		ch = a.channels()
	}
	pg := connectPage{Keeper: guide.PasswordKeeper, Username: c.User.Username, Disabled: guide.ProviderDisabled}
	switch guide.Method {
	case identity.MethodPassword:
		pg.Method = "password"
	case identity.MethodLDAP:
		pg.Method = "ldap"
	case identity.MethodFederatedSSO:
		pg.Method = "sso"
	default:
		pg.Method = "keys"
	}
	for _, g := range guide.Channels {
		pg.Rows = append(pg.Rows, connectRowFor(g, ch, pg))
	}
	a.render(w, c, http.StatusOK, "connect", view{Title: "How to connect", Section: "connect", Data: pg})
}

// connectRowFor fills one channel's row.
func connectRowFor(g identity.ChannelGuide, ch Channels, pg connectPage) connectRow {
	row := connectRow{Name: channelNames[g.Channel], Refusal: g.Refusal}
	user := shellWord(pg.Username)
	host := ch.Host
	switch g.Channel {
	case identity.ChannelWeb:
		row.Address = ch.BaseURL + "/"
	case identity.ChannelAPI:
		row.Address = ch.BaseURL + "/api/rest/v1"
		row.Commands = []string{`curl -H "X-FilesAPI-Key: $API_KEY" ` + ch.BaseURL + "/api/rest/v1/folders/"}
	case identity.ChannelSFTP:
		if ch.SFTPPort == 0 || host == "" {
			row.Off = true
			break
		}
		row.Address = "sftp://" + net.JoinHostPort(host, strconv.Itoa(ch.SFTPPort))
		row.Commands = []string{"sftp -P " + strconv.Itoa(ch.SFTPPort) + " " + user + "@" + bracketed(host)}
	case identity.ChannelFTP:
		if ch.FTPPort == 0 || host == "" {
			row.Off = true
			break
		}
		url := "ftp://" + net.JoinHostPort(host, strconv.Itoa(ch.FTPPort))
		row.Address = url
		row.Commands = []string{"lftp -u " + user + " -e 'set ftp:ssl-force yes' " + url}
		if !ch.FTPRequireTLS {
			row.Commands = append(row.Commands, "lftp -u "+user+" "+url)
		}
	case identity.ChannelWebDAV:
		if ch.WebDAVURL == "" {
			row.Off = true
			break
		}
		row.Address = ch.WebDAVURL
		row.Commands = []string{"rclone config create gatehouse webdav url=" + ch.WebDAVURL + " vendor=rclone user=" + user}
	}
	for _, cred := range g.Credentials {
		switch cred {
		case identity.CredentialPassword:
			if pg.Method == "ldap" {
				row.Use = append(row.Use, "your directory password ("+pg.Keeper+")")
			} else {
				row.Use = append(row.Use, "your password")
			}
		case identity.CredentialSSO:
			row.Use = append(row.Use, "single sign-on through "+pg.Keeper)
		case identity.CredentialSSHKey:
			row.Use = append(row.Use, "an SSH key")
		case identity.CredentialAPIKey:
			row.Use = append(row.Use, "an API key")
		}
	}
	password := g.Works(identity.CredentialPassword)
	switch {
	case row.Off || row.Refusal != "":
	case g.Channel == identity.ChannelSFTP && !password:
		row.NeedsSSHKey = true
		row.Hint = "Add your public key under My SSH keys; sftp then signs you in with it."
	case g.Channel == identity.ChannelAPI:
		row.NeedsAPIKey = true
		row.Hint = "Programs send an API key in the X-FilesAPI-Key header; make one under My API keys and put it in $API_KEY."
	case g.Channel == identity.ChannelFTP || g.Channel == identity.ChannelWebDAV:
		what := "your password"
		if !password {
			what = "an API key"
			row.NeedsAPIKey = true
		} else if pg.Method == "ldap" {
			what = "your directory password"
		}
		if g.Channel == identity.ChannelFTP {
			row.Hint = "lftp asks for the password: enter " + what + "."
		} else {
			row.Hint = "Then store the password, " + what + ", with: rclone config update gatehouse pass=SECRET --obscure"
		}
	case g.Channel == identity.ChannelSFTP:
		row.Hint = "sftp asks for your password; an SSH key from My SSH keys works too."
	}
	return row
}

// bracketed writes an IPv6 address as a host in a command line needs it.
func bracketed(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// shellWord quotes a username for a shell command line when it holds
// anything but the characters usernames usually have.
func shellWord(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@+-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
