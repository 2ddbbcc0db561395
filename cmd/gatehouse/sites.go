package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

func sitesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "sites", Short: "Sites (tenants), each reached as SUBDOMAIN.site-domain"}
	cmd.AddCommand(sitesListCmd(), sitesCreateCmd())
	return cmd
}

func sitesListCmd() *cobra.Command {
	return dbCommand("list", "List the sites of this installation", cobra.NoArgs, func(cmd *cobra.Command, a *app.App, _ []string) error {
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSUBDOMAIN\tNAME\tDEFAULT\tUSERS")
		err := forEachPage(func(o store.ListOptions) ([]store.Site, error) {
			return a.Identity.ListSites(cmd.Context(), o)
		}, func(s store.Site) int64 { return s.ID }, func(s store.Site) error {
			n, err := a.Identity.CountUsers(cmd.Context(), s.ID)
			if err != nil {
				return err
			}
			sub := s.Subdomain
			if sub == "" {
				sub = "(any other host)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\n", s.ID, sub, s.Name, yesNo(s.IsDefault), n)
			return nil
		})
		if err != nil {
			return err
		}
		return tw.Flush()
	})
}

func sitesCreateCmd() *cobra.Command {
	var name, adminName string
	cmd := dbCommand("create SUBDOMAIN", "Create a site and its first admin", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			site, err := a.Identity.CreateSite(cmd.Context(), identity.SystemActor, args[0], name)
			if err != nil {
				return err
			}
			admin, password, err := a.Identity.CreateFirstAdmin(cmd.Context(), site.ID, adminName)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "created site %d %q (subdomain %s)\n", site.ID, site.Name, site.Subdomain)
			fmt.Fprintf(out, "first site admin: username %s, one-time password %s (to be changed at first sign-in)\n", admin.Username, password)
			fmt.Fprintf(out, "people reach it at https://%s.<your --site-domain>/login; other commands take --site %s\n", site.Subdomain, site.Subdomain)
			return nil
		})
	cmd.Flags().StringVar(&name, "name", "", "the site's display name (default: the subdomain)")
	cmd.Flags().StringVar(&adminName, "admin", "admin", "username of the site's first admin")
	return cmd
}
