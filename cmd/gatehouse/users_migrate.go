package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/identity"
)

// usersMigrateCmd moves the accounts of one provider to another, batch by
// batch, as the console's wizard and POST
// /sso_strategies/{id}/migrate_users do.
func usersMigrateCmd() *cobra.Command {
	var from, to int64
	var group, search string
	var dryRun bool
	var batch int
	cmd := dbCommand("migrate", "Move the users of one SSO provider to another (LDAP to Entra ID, say)", cobra.NoArgs,
		func(cmd *cobra.Command, a *app.App, _ []string) error {
			ctx := cmd.Context()
			req := identity.MigrationRequest{From: from, To: to, Search: search, DryRun: dryRun, Limit: batch}
			if group != "" {
				g, err := a.Identity.FindGroup(ctx, a.Site.ID, group)
				if err != nil {
					return err
				}
				req.GroupID = g.ID
			}
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSERNAME\tPASSWORD CHANNELS\tSSH KEY\tAPI KEY\tWARNING")
			moved, warned := 0, 0
			for {
				rep, err := a.Identity.MigrateUsers(ctx, identity.SystemActor, a.Site.ID, req)
				if err != nil {
					return err
				}
				for _, u := range rep.Users {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, orDash(strings.Join(u.PasswordChannels, ",")),
						yesNo(u.HasSSHKey), yesNo(u.HasAPIKey), orDash(u.Warning))
				}
				moved += rep.Moved
				warned += rep.LosingPasswords
				if !dryRun {
					fmt.Fprintf(cmd.ErrOrStderr(), "moved %d, %d left\n", moved, rep.Remaining)
				}
				if dryRun || rep.Remaining == 0 || rep.Moved == 0 {
					if err := tw.Flush(); err != nil {
						return err
					}
					switch {
					case dryRun:
						fmt.Fprintf(out, "\nDry run: %d users would move from %q to %q (%d more after this batch); %d would lose password sign-in on a channel without a key.\nRun again without --dry-run to move them.\n",
							len(rep.Users), rep.From, rep.To, rep.Remaining, warned)
					case rep.Remaining == 0:
						fmt.Fprintf(out, "\nMoved %d users from %q to %q. No user is left on %q: turn it off with\n  %s\n",
							moved, rep.From, rep.To, rep.From, hint(a, "providers", "enabled", fmt.Sprint(from), "off"))
					default:
						fmt.Fprintf(out, "\nMoved %d users; %d could not be moved (they changed provider meanwhile); run again to retry.\n", moved, rep.Remaining)
					}
					return nil
				}
			}
		})
	cmd.Flags().Int64Var(&from, "from", 0, "id of the provider the users are on now (see gatehouse providers list)")
	cmd.Flags().Int64Var(&to, "to", 0, "id of the provider to move them to")
	cmd.Flags().StringVar(&group, "group", "", "only members of this group (name or id)")
	cmd.Flags().StringVar(&search, "search", "", "only users whose username, email or name starts with this")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show who would move and who would lose password sign-in; move nobody")
	cmd.Flags().IntVar(&batch, "batch", 100, "users per transaction (1 to 500)")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// providersEnabledCmd turns a provider on or off: the last step of a
// migration is turning off the provider nobody uses any more.
func providersEnabledCmd() *cobra.Command {
	return dbCommand("enabled ID on|off", "Turn an SSO provider on or off (off: nobody signs in with it, and it syncs nothing)", cobra.ExactArgs(2),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			on := args[1] == "on"
			if !on && args[1] != "off" {
				return fmt.Errorf("%q: say on or off", args[1])
			}
			p, err := a.Identity.UpdateSSOStrategy(cmd.Context(), identity.SystemActor, a.Site.ID, id, identity.SSOStrategyChange{Enabled: &on})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "provider %d %q is %s\n", p.ID, p.Label, map[bool]string{true: "on", false: "off"}[p.Enabled])
			return nil
		})
}
