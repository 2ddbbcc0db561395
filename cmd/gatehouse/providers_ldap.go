package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// providersSyncCmd syncs an LDAP provider now, as the hourly schedule does,
// or previews what a sync would change.
func providersSyncCmd() *cobra.Command {
	var preview, asJSON bool
	cmd := dbCommand("sync ID", "Sync the provider's users and groups from its LDAP directory now (--preview changes nothing)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			svc, err := a.LDAPSyncService()
			if err != nil {
				return err
			}
			bar := newSyncProgress(cmd.ErrOrStderr())
			res, err := svc.Sync(cmd.Context(), ldapsync.Request{SiteID: a.Site.ID, ProviderID: id, Preview: preview, Progress: bar.update})
			bar.finish()
			if errors.Is(err, ldapsync.ErrRunningElsewhere) {
				return fmt.Errorf("provider %d: a sync is running elsewhere (on this or another Gatehouse node); "+
					"wait for it to end and see its result with: %s", id, hint(a, "events", "list", "--log", "external", "--type", "sync"))
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else if err := printSyncResult(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			switch {
			case res.Status == store.EventFailure && res.Preview:
				return fmt.Errorf("the preview of provider %d failed: a sync now would fail too; this shows where: %s", id, hint(a, "providers", "test", fmt.Sprint(id)))
			case res.Status == store.EventFailure:
				return fmt.Errorf("the sync of provider %d failed; nothing was deprovisioned (external event %d)", id, res.EventID)
			}
			return nil
		})
	cmd.Flags().BoolVar(&preview, "preview", false, "read the directory and show what a sync would change, changing nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// printSyncResult prints a run's outcome, or a preview's planned changes.
func printSyncResult(w io.Writer, res *ldapsync.Result) error {
	d := res.Directory
	if res.Preview && res.Status == store.EventFailure {
		fmt.Fprintf(w, "Preview of the sync of provider %d (%s): the directory could not be read.\n", res.SSOStrategyID, res.ProviderLabel)
		for _, e := range res.Errors {
			fmt.Fprintf(w, "  - %s\n", e)
		}
		return nil
	}
	if res.Preview {
		fmt.Fprintf(w, "Preview of the sync of provider %d (%s): nothing was changed.\n", res.SSOStrategyID, res.ProviderLabel)
		fmt.Fprintf(w, "Directory: %d users, %d groups, %d memberships (read in %.1fs)\n", d.Users, d.Groups, d.Memberships, res.Seconds)
		plan := &provision.Plan{SSOStrategyID: res.SSOStrategyID, ProviderLabel: res.ProviderLabel, Counts: res.Counts,
			SafetyStop: res.Safety, Changes: res.Changes}
		_, err := plan.WriteTo(w)
		return err
	}
	c := res.Counts
	fmt.Fprintf(w, "Sync of provider %d (%s): %s in %.1fs (external event %d)\n", res.SSOStrategyID, res.ProviderLabel,
		res.Status, res.Seconds, res.EventID)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  directory\t%d users, %d groups, %d memberships\n", d.Users, d.Groups, d.Memberships)
	fmt.Fprintf(tw, "  users\t%d seen: %d created, %d updated, %d renamed, %d enabled, %d disabled, %d deleted, %d unchanged\n",
		c.Seen, c.Created, c.Updated, c.Renamed, c.Enabled, c.Disabled, c.Deleted, c.Unchanged)
	fmt.Fprintf(tw, "  groups\t%d created, %d renamed, %d deleted\n", c.GroupsCreated, c.GroupsRenamed, c.GroupsDeleted)
	fmt.Fprintf(tw, "  memberships\t%d added, %d removed\n", c.MembershipsAdded, c.MembershipsRemoved)
	if c.Skipped > 0 {
		fmt.Fprintf(tw, "  skipped\t%d left out by the rules (in no required group, or provision_users off)\n", c.Skipped)
	}
	if c.Refused > 0 || c.Conflicts > 0 {
		fmt.Fprintf(tw, "  refused\t%d invalid, %d conflicts (the SSO events say why)\n", c.Refused, c.Conflicts)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.Safety != nil {
		fmt.Fprintf(w, "  STOPPED: %s\n", res.Safety)
	}
	if n := len(res.Errors); n > 0 {
		fmt.Fprintln(w, "Errors:")
		for _, e := range res.Errors[:min(n, 20)] {
			fmt.Fprintf(w, "  - %s\n", e)
		}
		if n > 20 {
			fmt.Fprintf(w, "  … and %d more in external event %d\n", n-20, res.EventID)
		}
	}
	return nil
}

// providersTestCmd tests the connection to an LDAP provider's directory.
func providersTestCmd() *cobra.Command {
	var username string
	var asJSON bool
	cmd := dbCommand("test ID", "Test the connection to the provider's LDAP directory, step by step", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			svc, err := a.LDAPSyncService()
			if err != nil {
				return err
			}
			rep, err := svc.Test(cmd.Context(), a.Site.ID, id, strings.TrimSpace(username))
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printTestReport(cmd.OutOrStdout(), rep)
			}
			if !rep.OK {
				return fmt.Errorf("the connection test of provider %d failed; fix the step marked FAIL and test again", id)
			}
			return nil
		})
	cmd.Flags().StringVar(&username, "username", "", "a login name to look up as the last step")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the steps as JSON")
	return cmd
}

func printTestReport(w io.Writer, rep *ldapsync.TestReport) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, st := range rep.Steps {
		mark := "ok"
		if !st.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", mark, st.Name, st.Detail)
	}
	_ = tw.Flush()
	if rep.OK {
		fmt.Fprintln(w, "All steps passed.")
	}
}
