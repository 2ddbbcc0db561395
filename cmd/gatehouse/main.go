// Command gatehouse is the Gatehouse server and its administration CLI.
// Every command other than serve works directly on the database the server
// uses (SQLite in --data-dir, or PostgreSQL with --database-url), so it runs
// on the server's host alongside a running server.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/identity"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	if err := root.ExecuteContext(ctx); err != nil {
		var e *identity.Error
		if errors.As(err, &e) {
			fmt.Fprintf(os.Stderr, "error: %s (%s)\n", e.Message, e.Type)
		} else {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "Self-hosted file transfer with enterprise identity (SAML, OIDC, LDAP, SCIM)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), initCmd(), adminCmd(), usersCmd(), apiKeysCmd(), versionCmd())
	root.AddCommand(providersCmd(), sitesCmd())
	root.AddCommand(eventsCmd())
	return root
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "gatehouse", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			return "dev-" + rev[:12] + dirty
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}

// dbCommand makes a command that opens the Gatehouse database before run.
func dbCommand(use, short string, args cobra.PositionalArgs, run func(cmd *cobra.Command, a *app.App, args []string) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: args}
	config.AddFlags(cmd.Flags(), false)
	site := cmd.Flags().String("site", "", "subdomain of the site to work on (default: the default site)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		a, err := openApp(cmd, false)
		if err != nil {
			return err
		}
		defer a.Close()
		if *site != "" {
			if a.Site, err = a.Identity.SiteBySubdomain(cmd.Context(), *site); err != nil {
				return err
			}
		}
		return run(cmd, a, args)
	}
	return cmd
}

func openApp(cmd *cobra.Command, serving bool) (*app.App, error) {
	c, err := config.Load(cmd.Flags(), os.LookupEnv)
	if err != nil {
		return nil, err
	}
	logger := app.NewLogger(c, cmd.ErrOrStderr())
	if !serving {
		// The CLI prints its own results; keep library chatter to warnings.
		c.LogLevel = "warn"
		logger = app.NewLogger(c, cmd.ErrOrStderr())
	}
	if serving {
		return app.Open(cmd.Context(), c, logger)
	}
	return app.OpenExisting(cmd.Context(), c, logger)
}
