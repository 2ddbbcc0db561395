package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/ops"
	"github.com/gatehouse/gatehouse/internal/store"
)

func serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Gatehouse server",
		Long: `Run the Gatehouse server. With no configuration it keeps its data in
./gatehouse-data (SQLite database and a generated master key), listens on
127.0.0.1:8080, and on first start creates a site admin and prints how to
sign in.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ops.TuneGC()
			a, err := openApp(cmd, true)
			if err != nil {
				return err
			}
			defer a.Close()
			admin, password, err := a.Bootstrap(cmd.Context())
			if err != nil {
				return fmt.Errorf("create first admin: %w", err)
			}
			if err := a.RecordPublicAddress(cmd.Context()); err != nil {
				return err
			}
			// Start-up work (migrations, hashing the first admin's password
			// with argon2id's 19 MiB) leaves garbage the collector would only
			// reclaim at the next cycle; give it back before idling.
			runtime.GC()
			debug.FreeOSMemory()
			ln, err := a.Listen()
			if err != nil {
				return err
			}
			printWelcome(cmd.OutOrStdout(), a, admin, password)
			a.Logger.Info("listening", "addr", ln.Addr().String(), "base_url", a.Config.BaseURL,
				"store", storeKind(a.Config), "version", buildVersion())
			return a.Serve(cmd.Context(), ln)
		},
	}
	config.AddFlags(cmd.Flags(), true)
	return cmd
}

func initCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the database and master key, as serve does on its first start",
		Long: `Create the Gatehouse database (SQLite in --data-dir, or the schema in the
PostgreSQL database of --database-url), the master key and the default site,
without starting the server. Every command other than serve and init
refuses to run where there is no database, so that a mistyped --data-dir
never creates an empty one. Running it again changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openApp(cmd, true)
			if err != nil {
				return err
			}
			defer a.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "Gatehouse database ready: %s\nMaster key: %s (keep a copy: the secrets in the database cannot be opened without it)\nStart the server: %s\n",
				storeKind(a.Config), a.Config.MasterKeyFile, hint(a, "serve"))
			return nil
		},
	}
	config.AddFlags(cmd.Flags(), false)
	return cmd
}

func storeKind(c config.Config) string {
	if c.UsesPostgres() {
		return "postgres"
	}
	return "sqlite:" + c.SQLitePath()
}

func printWelcome(w io.Writer, a *app.App, admin store.User, password string) {
	fmt.Fprintf(w, "\nGatehouse is running. Sign in at %s/login\n", a.Config.BaseURL)
	if password != "" {
		fmt.Fprintf(w, "\n  First site admin (created now):\n")
		fmt.Fprintf(w, "    username: %s\n", admin.Username)
		fmt.Fprintf(w, "    password: %s\n", password)
		fmt.Fprintf(w, "\n  This password is shown only once and must be changed at first sign-in.\n")
		fmt.Fprintf(w, "  Lost it? Run: %s\n", hint(a, "admin", "reset-password", admin.Username))
	}
	fmt.Fprintf(w, "\n  REST API: %s/api/rest/v1 (header X-FilesAPI-Key; create a key with: %s)\n",
		a.Config.BaseURL, hint(a, "api-keys", "create", "--username", orAdmin(admin.Username)))
	fmt.Fprintf(w, "  WebDAV:   %s/dav/\n", a.Config.BaseURL)
	if a.Config.SFTP.Enabled() {
		fmt.Fprintf(w, "  SFTP:     %s\n", a.Config.SFTP.Listen)
	}
	if a.Config.FTP.Enabled() {
		fmt.Fprintf(w, "  FTP(S):   %s\n", a.Config.FTP.Listen)
	}
	if a.Config.HTTP.MetricsEnabled() {
		fmt.Fprintf(w, "  Metrics:  http://%s/metrics\n", a.Config.HTTP.MetricsListen)
	}
	fmt.Fprintf(w, "  Data:     %s\n\n", storeKind(a.Config))
}

// hint is a command line that works when pasted from any directory:
// gatehouse with args, the site when it is not the default one, and the
// flags that find this database (app.StoreFlags). Every command the CLI
// suggests is written with it.
func hint(a *app.App, args ...string) string {
	var b strings.Builder
	b.WriteString("gatehouse")
	for _, arg := range args {
		b.WriteString(" " + app.ShellQuote(arg))
	}
	if !a.Site.IsDefault && a.Site.Subdomain != "" {
		b.WriteString(" --site " + app.ShellQuote(a.Site.Subdomain))
	}
	return b.String() + app.StoreFlags(a.Config)
}

// orAdmin is the first admin's username, or "admin" (the name serve gives
// it) when this start created none.
func orAdmin(username string) string {
	if username == "" {
		return "admin"
	}
	return username
}
