package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

func providersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "providers", Short: "SSO providers (SAML, OpenID Connect, LDAP, SCIM)"}
	cmd.AddCommand(providersListCmd(), providersShowCmd(), providersPreviewCmd(), providersGroupNamesCmd(),
		providersSCIMTokenCmd(), providersSCIMBasicCmd(), providersSyncCmd(), providersTestCmd(), providersIdPInitiatedCmd(), providersEnabledCmd())
	return cmd
}

func providersListCmd() *cobra.Command {
	return dbCommand("list", "List the site's SSO providers", cobra.NoArgs, func(cmd *cobra.Command, a *app.App, _ []string) error {
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLABEL\tPROTOCOL\tPROVIDER\tENABLED\tUSERS\tPROVISIONING")
		err := forEachPage(func(o store.ListOptions) ([]store.SSOStrategy, error) {
			return a.Identity.ListSSOStrategies(cmd.Context(), a.Site.ID, o)
		}, func(p store.SSOStrategy) int64 { return p.ID }, func(p store.SSOStrategy) error {
			n, err := a.Identity.CountProviderUsers(cmd.Context(), a.Site.ID, p.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, p.Label, p.Protocol, p.Provider, yesNo(p.Enabled), n, provisioningSummary(p))
			return nil
		})
		if err != nil {
			return err
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

func providersPreviewCmd() *cobra.Command {
	var asJSON bool
	cmd := dbCommand("preview ID", "Show what the provider's rules, as set now, would change (writes nothing)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			plan, err := a.Provision.PreviewCurrent(cmd.Context(), a.Site.ID, id)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(plan)
			}
			_, err = plan.WriteTo(cmd.OutOrStdout())
			return err
		})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}

// providersGroupNamesCmd edits the provider's table of group ids and names,
// which names the groups an identity provider sends only as ids (Entra's
// group object ids in SAML and OpenID Connect claims).
func providersGroupNamesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "group-names", Short: "Name the groups a provider sends only as ids (Entra group object ids)"}
	list := dbCommand("list ID", "Show the provider's group id -> name table", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			p, err := a.Identity.GetSSOStrategy(cmd.Context(), a.Site.ID, id)
			if err != nil {
				return err
			}
			names, err := provision.GroupNames(p)
			if err != nil {
				return err
			}
			return printGroupNames(cmd, names)
		})
	set := dbCommand("set ID GROUP-ID NAME", "Name a group id", cobra.ExactArgs(3),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			return editGroupNames(cmd, a, args[0], func(names map[string]string) error {
				names[args[1]] = args[2]
				return nil
			})
		})
	unset := dbCommand("unset ID GROUP-ID", "Forget a group id's name", cobra.ExactArgs(2),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			return editGroupNames(cmd, a, args[0], func(names map[string]string) error {
				if _, ok := names[args[1]]; !ok {
					return fmt.Errorf("the table has no group id %q", args[1])
				}
				delete(names, args[1])
				return nil
			})
		})
	cmd.AddCommand(list, set, unset)
	return cmd
}

func editGroupNames(cmd *cobra.Command, a *app.App, ref string, edit func(map[string]string) error) error {
	id, err := providerID(a, ref)
	if err != nil {
		return err
	}
	names, err := a.Provision.UpdateGroupNames(cmd.Context(), a.Site.ID, id, edit)
	if err != nil {
		return err
	}
	return printGroupNames(cmd, names)
}

func printGroupNames(cmd *cobra.Command, names map[string]string) error {
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP ID\tNAME")
	for _, id := range ids {
		fmt.Fprintf(tw, "%s\t%s\n", id, names[id])
	}
	return tw.Flush()
}

func providerID(a *app.App, ref string) (int64, error) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a provider id; this shows them: %s", ref, hint(a, "providers", "list"))
	}
	return id, nil
}

// providersShowCmd prints a provider's settings and, for SAML providers,
// the values to paste into the identity provider (Entra's Basic SAML
// Configuration). Those values are absolute URLs, on the server's public
// URL: the one serve recorded when it last started, unless --base-url (or
// GATEHOUSE_BASE_URL) gives another.
func providersShowCmd() *cobra.Command {
	cmd := dbCommand("show ID", "Show a provider, and for SAML and OpenID Connect the values to paste into the identity provider", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			p, err := a.Identity.GetSSOStrategy(cmd.Context(), a.Site.ID, id)
			if err != nil {
				return err
			}
			n, err := a.Identity.CountProviderUsers(cmd.Context(), a.Site.ID, p.ID)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
			row("id", strconv.FormatInt(p.ID, 10))
			row("label", p.Label)
			row("protocol / provider", p.Protocol+" / "+p.Provider)
			row("enabled", yesNo(p.Enabled))
			row("users", strconv.Itoa(n))
			row("provisioning", provisioningSummary(p))
			if p.Protocol == "oauth2" {
				if err := tw.Flush(); err != nil {
					return err
				}
				if err := printOIDCValues(cmd.OutOrStdout(), a, p); err != nil {
					return err
				}
				return printSCIMSettings(cmd.OutOrStdout(), a, p)
			}
			if p.Protocol != "saml" {
				if err := tw.Flush(); err != nil {
					return err
				}
				return printSCIMSettings(cmd.OutOrStdout(), a, p)
			}
			row("IdP-initiated", idpInitiatedSummary(a, p))
			sso, err := a.SSOLogin()
			if err != nil {
				return err
			}
			v := sso.SPValuesFor(a.Site, p)
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "\nPaste into the identity provider (Entra: Basic SAML Configuration):")
			tw = tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			row("  Identifier (Entity ID)", v.EntityID)
			row("  Reply URL (Assertion Consumer Service URL)", v.ACSURL)
			row("  Sign on URL", v.SignOnURL)
			relay := v.RelayState
			if relay == "" {
				relay = "(leave empty: this is the default site)"
			}
			row("  Relay State", relay)
			row("  Logout Url", v.SLOURL)
			row("  SP metadata", v.MetadataURL)
			row("  Unique User Identifier (Name ID)", "user.userprincipalname (Gatehouse's login name)")
			if err := tw.Flush(); err != nil {
				return err
			}
			return printSCIMSettings(cmd.OutOrStdout(), a, p)
		})
	// Read by the configuration like the server's own --base-url.
	cmd.Flags().String("base-url", "", "the server's public URL (default: GATEHOUSE_BASE_URL, else the URL serve last ran at)")
	return cmd
}
