// Package config gathers Gatehouse's settings from, in order of precedence,
// command-line flags, GATEHOUSE_* environment variables, an optional YAML
// file, and built-in defaults. With nothing set, Gatehouse runs on SQLite in
// ./gatehouse-data and listens on 127.0.0.1:8080.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Config is everything the server and the CLI need to find their data and
// answer on the network.
type Config struct {
	Listen        string // address the HTTP server listens on
	BaseURL       string // public URL used for every absolute URL the server emits
	SiteDomain    string // sites are addressed as SUBDOMAIN.SiteDomain
	DatabaseURL   string // postgres://… selects PostgreSQL; empty selects SQLite in DataDir
	DataDir       string // SQLite database, generated master key
	MasterKeyFile string // AES-256 master key for provider secrets; default DataDir/master.key
	LogLevel      string // debug, info, warn, error
	LogFormat     string // text or json
	// SMTPURL is the mail server admin alerts go through:
	// smtp://[user:pass@]host[:port] (STARTTLS whenever the server offers
	// it; port 587 by default) or smtps://… (TLS from the first byte; port
	// 465 by default). Empty sends no mail. It may hold a password: print
	// it only through RedactURL.
	SMTPURL  string
	SMTPFrom string // sender address of admin alerts; default gatehouse@HOST-OF-BASE-URL
	// LDAPSyncInterval is how often serve syncs each LDAP provider, as a
	// Go duration ("60m", "15m"); "0" or "off" turns the schedule off
	// (syncs then run only on demand). LDAPSyncEvery is its parsed value.
	LDAPSyncInterval string
	LDAPSyncEvery    time.Duration
	// FTP configures the FTP and FTPS listener (see transfer_ftp.go).
	FTP FTPConfig
	// SFTP configures the SFTP listener (see transfer_sftp.go).
	SFTP SFTPConfig
	// Outbound says what admin-set destinations may reach (see outbound.go).
	Outbound OutboundConfig
	// HTTP configures the metrics listener and request bodies (see http.go).
	HTTP HTTPConfig

	// given holds the settings set by a flag, the environment or the
	// file, as opposed to left at their defaults.
	given map[string]bool
}

// Given reports whether the setting named by its flag was set (by a flag,
// the environment or the file) rather than left at its default: the
// command line then prefers what serve recorded over a default.
func (c Config) Given(flag string) bool { return c.given[flag] }

// setting describes one option: its flag, environment variable and file key.
type setting struct {
	flag, usage, def string
	field            func(*Config) *string
	serveOnly        bool
}

var settings = []setting{
	{"data-dir", "directory for the SQLite database and the generated master key", "gatehouse-data",
		func(c *Config) *string { return &c.DataDir }, false},
	{"database-url", "PostgreSQL URL (postgres://user:pass@host/db); empty uses SQLite in --data-dir", "",
		func(c *Config) *string { return &c.DatabaseURL }, false},
	{"master-key-file", "file holding the master key that encrypts provider secrets (created if missing); default DATA-DIR/master.key", "",
		func(c *Config) *string { return &c.MasterKeyFile }, false},
	{"log-level", "log level: debug, info, warn or error", "info",
		func(c *Config) *string { return &c.LogLevel }, false},
	{"log-format", "log format: text or json", "text",
		func(c *Config) *string { return &c.LogFormat }, false},
	{"listen", "address to listen on for HTTP", "127.0.0.1:8080",
		func(c *Config) *string { return &c.Listen }, true},
	{"base-url", "public URL of this server, e.g. https://app.example.com; default http://LISTEN", "",
		func(c *Config) *string { return &c.BaseURL }, true},
	{"site-domain", "domain under which sites are addressed as SUBDOMAIN.SITE-DOMAIN; hosts matching no site reach the default site", "",
		func(c *Config) *string { return &c.SiteDomain }, true},
	{"smtp-url", "mail server for admin alerts: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465; empty sends no mail", "",
		func(c *Config) *string { return &c.SMTPURL }, true},
	{"smtp-from", "sender address of admin alerts; default gatehouse@HOST of --base-url", "",
		func(c *Config) *string { return &c.SMTPFrom }, true},
	{"ldap-sync-interval", "how often each LDAP / Active Directory provider is synced, e.g. 60m or 15m; 0 or off syncs only on demand", "60m",
		func(c *Config) *string { return &c.LDAPSyncInterval }, true},
}

// flagWithoutValue gives the value of a flag given without one
// ("--allow-private-outbound" for "--allow-private-outbound=true").
var flagWithoutValue = map[string]string{}

// ConfigFileFlag names the flag (and GATEHOUSE_CONFIG variable) of the optional YAML file.
const ConfigFileFlag = "config"

// AddFlags registers the options on a flag set. withServe adds the options
// only the server uses (listen address, URLs).
func AddFlags(fs *pflag.FlagSet, withServe bool) {
	fs.String(ConfigFileFlag, "", "optional YAML file with settings (keys are the flag names)")
	for _, s := range settings {
		if s.serveOnly && !withServe {
			continue
		}
		fs.String(s.flag, s.def, s.usage+" (env "+envName(s.flag)+")")
		if v, ok := flagWithoutValue[s.flag]; ok {
			fs.Lookup(s.flag).NoOptDefVal = v
		}
	}
}

func envName(flag string) string {
	return "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Load resolves the configuration from the flag set, the environment
// (lookupEnv, normally os.LookupEnv) and the optional file, and checks it.
func Load(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) (Config, error) {
	var c Config
	file, err := readFile(fs, lookupEnv)
	if err != nil {
		return c, err
	}
	c.given = map[string]bool{}
	for _, s := range settings {
		dst := s.field(&c)
		*dst = s.def
		if v, ok := file[s.flag]; ok {
			*dst, c.given[s.flag] = v, true
		}
		if v, ok := lookupEnv(envName(s.flag)); ok {
			*dst, c.given[s.flag] = v, true
		}
		if f := fs.Lookup(s.flag); f != nil && f.Changed {
			*dst, c.given[s.flag] = f.Value.String(), true
		}
	}
	return c, c.complete()
}

func readFile(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) (map[string]string, error) {
	path, _ := lookupEnv(envName(ConfigFileFlag))
	if f := fs.Lookup(ConfigFileFlag); f != nil && f.Changed {
		path = f.Value.String()
	}
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	values := map[string]string{}
	if err := yaml.Unmarshal(b, &values); err != nil {
		return nil, fmt.Errorf("config: %s: %w (expected 'flag-name: value' lines)", path, err)
	}
	for k := range values {
		if !known(k) {
			return nil, fmt.Errorf("config: %s: unknown setting %q", path, k)
		}
	}
	return values, nil
}

func known(flag string) bool {
	for _, s := range settings {
		if s.flag == flag {
			return true
		}
	}
	return false
}

// complete fills derived defaults and reports settings that cannot work.
func (c *Config) complete() error {
	if c.DataDir == "" {
		return errors.New("config: --data-dir must not be empty")
	}
	if c.MasterKeyFile == "" {
		c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("config: --listen %q: want host:port, e.g. 127.0.0.1:8080", c.Listen)
		}
		if c.BaseURL == "" {
			c.BaseURL = "http://" + c.Listen
		}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: --base-url %q: want an absolute http(s) URL, e.g. https://app.example.com", c.BaseURL)
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("config: --database-url must start with postgres:// (leave it empty for SQLite)")
	}
	if err := c.completeSMTP(); err != nil {
		return err
	}
	if err := c.completeLDAPSync(); err != nil {
		return err
	}
	if err := c.completeFTP(); err != nil {
		return err
	}
	if err := c.completeSFTP(); err != nil {
		return err
	}
	if err := c.completeOutbound(); err != nil {
		return err
	}
	if err := c.completeHTTP(); err != nil {
		return err
	}
	c.SiteDomain = strings.ToLower(strings.Trim(c.SiteDomain, "."))
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: --log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: --log-format %q: want text or json", c.LogFormat)
	}
	return nil
}

// minLDAPSyncInterval keeps a typo ("60s" for "60m") from reading a
// whole directory every few seconds.
const minLDAPSyncInterval = time.Minute

// completeLDAPSync parses the LDAP sync interval.
func (c *Config) completeLDAPSync() error {
	switch v := strings.TrimSpace(c.LDAPSyncInterval); v {
	case "", "0", "off":
		c.LDAPSyncEvery = 0
		return nil
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d < minLDAPSyncInterval {
			return fmt.Errorf("config: --ldap-sync-interval %q: want a duration of at least 1m, e.g. 60m, or off", c.LDAPSyncInterval)
		}
		c.LDAPSyncEvery = d
		return nil
	}
}

// UsesPostgres reports whether the configuration selects PostgreSQL.
func (c Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "gatehouse.db") }

// completeSMTP checks the mail settings and derives the sender address. Its
// errors never carry the SMTP password.
func (c *Config) completeSMTP() error {
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Opaque != "" {
			return fmt.Errorf("config: --smtp-url %q: want smtp://[user:pass@]host[:port] or smtps://…", RedactURL(c.SMTPURL))
		}
	}
	if c.SMTPFrom == "" {
		c.SMTPFrom = "gatehouse@localhost"
		if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
			// An IPv6 host makes no address; localhost stands in for it.
			if _, err := mail.ParseAddress("gatehouse@" + u.Hostname()); err == nil {
				c.SMTPFrom = "gatehouse@" + u.Hostname()
			}
		}
	} else {
		a, err := mail.ParseAddress(c.SMTPFrom)
		if err != nil || strings.ContainsAny(c.SMTPFrom, "\r\n") {
			return fmt.Errorf("config: --smtp-from %q: want an e-mail address such as gatehouse@example.com", c.SMTPFrom)
		}
		c.SMTPFrom = a.Address
	}
	return nil
}

// RedactURL returns rawURL with any password replaced by "xxxxx", for logs
// and error messages. A URL that does not parse is replaced whole, since
// it may still hold a password.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
