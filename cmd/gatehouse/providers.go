package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/store"
)

func providersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "providers", Short: "SSO providers (SAML, OpenID Connect, LDAP, SCIM)"}
	cmd.AddCommand(providersListCmd())
	return cmd
}

func providersListCmd() *cobra.Command {
	return dbCommand("list", "List the site's SSO providers", cobra.NoArgs, func(cmd *cobra.Command, a *app.App, _ []string) error {
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLABEL\tPROTOCOL\tPROVIDER\tENABLED\tUSERS\tPROVISIONING")
		o := store.ListOptions{Limit: 1000}
		for {
			page, err := a.Identity.ListSSOStrategies(cmd.Context(), a.Site.ID, o)
			if err != nil {
				return err
			}
			for _, p := range page {
				n, err := a.Identity.CountProviderUsers(cmd.Context(), a.Site.ID, p.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, p.Label, p.Protocol, p.Provider, yesNo(p.Enabled), n, provisioningSummary(p))
			}
			if len(page) < o.Limit {
				break
			}
			o.AfterID = page[len(page)-1].ID
		}
		return tw.Flush()
	})
}

// provisioningSummary says in a few words what the provider may do to users.
func provisioningSummary(p store.SSOStrategy) string {
	s := ""
	add := func(on bool, word string) {
		if !on {
			return
		}
		if s != "" {
			s += ", "
		}
		s += word
	}
	add(p.ProvisionUsers, "users")
	add(p.ProvisionGroups, "groups")
	if p.DeprovisionUsers {
		add(true, "deprovision ("+p.DeprovisionBehavior+")")
	}
	if s == "" {
		return "off"
	}
	return s
}
