package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// scimTenantPath is where the server answers SCIM; with the server's public
// URL in front it is the Tenant URL an identity provider is given.
const scimTenantPath = "/api/scim"

// providersSCIMTokenCmd manages a provider's SCIM bearer token, the
// credential Entra ID's provisioning service uses (its Secret Token).
func providersSCIMTokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scim-token", Short: "A provider's SCIM bearer token (Entra ID: Secret Token)"}
	generate := dbCommand("generate ID", "Make the provider's first SCIM token and print it with the Tenant URL", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			return generateSCIMToken(cmd, a, args[0], false)
		})
	reset := dbCommand("reset ID", "Revoke the provider's SCIM token and print a new one", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			return generateSCIMToken(cmd, a, args[0], true)
		})
	var expiresAt string
	expiry := dbCommand("expiry ID --expires-at DATE", "Change when the provider's SCIM token expires", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			when, err := parseExpiry(expiresAt)
			if err != nil {
				return err
			}
			p, err := a.Identity.UpdateSSOStrategy(cmd.Context(), identity.SystemActor, a.Site.ID, id,
				identity.SSOStrategyChange{SCIMOAuthAccessTokenExpiresAt: &when})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The SCIM token of provider %d now expires %s.\n", p.ID, formatExpiry(p.SCIMTokenExpiresAt))
			return nil
		})
	expiry.Flags().StringVar(&expiresAt, "expires-at", "", "the new expiry: a date (2027-03-01, midnight UTC) or a time (2027-03-01T09:00:00Z)")
	_ = expiry.MarkFlagRequired("expires-at")
	addBaseURLFlag(generate, reset)
	cmd.AddCommand(generate, reset, expiry)
	return cmd
}

// providersSCIMBasicCmd makes a provider's SCIM Basic credentials, for
// clients that authenticate with a username and password (Okta's Basic Auth).
func providersSCIMBasicCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scim-basic", Short: "A provider's SCIM Basic username and password (Okta: Basic Auth)"}
	generate := dbCommand("generate ID", "Make new SCIM Basic credentials, replacing the provider's previous ones", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			username, password, p, err := a.Identity.GenerateSCIMBasic(cmd.Context(), identity.SystemActor, a.Site.ID, id)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "SCIM Basic credentials of provider %d %s (the password is shown this once):\n\n", p.ID, providerName(p))
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "  SCIM connector base URL\t%s\n", tenantURL(a))
			fmt.Fprintf(tw, "  Username\t%s\n", username)
			fmt.Fprintf(tw, "  Password\t%s\n", password)
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(out, "\nThey work now; the provider's previous SCIM credentials no longer do.")
			return nil
		})
	addBaseURLFlag(generate)
	cmd.AddCommand(generate)
	return cmd
}

// addBaseURLFlag lets commands that print the Tenant URL take the
// server's public URL, read by the configuration like serve's --base-url.
func addBaseURLFlag(cmds ...*cobra.Command) {
	for _, c := range cmds {
		c.Flags().String("base-url", "", "the server's public URL (default: GATEHOUSE_BASE_URL, else the URL serve last ran at)")
	}
}

func generateSCIMToken(cmd *cobra.Command, a *app.App, ref string, reset bool) error {
	id, err := providerID(a, ref)
	if err != nil {
		return err
	}
	token, p, err := a.Identity.GenerateSCIMToken(cmd.Context(), identity.SystemActor, a.Site.ID, id, reset)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "SCIM token of provider %d %s (shown this once; only its hash is stored):\n\n", p.ID, providerName(p))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  Tenant URL\t%s\n", tenantURL(a))
	fmt.Fprintf(tw, "  Secret Token\t%s\n", token)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nIt expires %s. Site admins with notify_on_all_sso_failures are e-mailed\n"+
		"30, 7 and 1 days before (when the server has --smtp-url).\n", formatExpiry(p.SCIMTokenExpiresAt))
	if reset {
		fmt.Fprintln(out, "The previous token no longer works: enter this one in the identity provider now.")
	}
	fmt.Fprintf(out, "Move the expiry with: %s\n", hint(a, "providers", "scim-token", "expiry", fmt.Sprint(p.ID), "--expires-at", "YYYY-MM-DD"))
	return nil
}

// printSCIMSettings is the SCIM part of providers show.
func printSCIMSettings(w io.Writer, a *app.App, p store.SSOStrategy) error {
	fmt.Fprintln(w, "\nSCIM provisioning (paste into the identity provider; Entra: Provisioning, Admin Credentials):")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("Tenant URL", tenantURL(a))
	method := p.SCIMAuthenticationMethod
	if method == "" {
		method = "(none set; this makes a token: " + hint(a, "providers", "scim-token", "generate", fmt.Sprint(p.ID)) + ")"
	}
	row("authentication", method)
	switch p.SCIMAuthenticationMethod {
	case identity.SCIMAuthToken:
		row("token expires", formatExpiry(p.SCIMTokenExpiresAt))
	case identity.SCIMAuthBasic:
		row("username", p.SCIMUsername)
	}
	return tw.Flush()
}

// tenantURL is the SCIM endpoint on the server's public URL.
func tenantURL(a *app.App) string {
	u, err := url.Parse(a.Config.BaseURL)
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(a.Config.BaseURL, "/") + scimTenantPath
	}
	return strings.ToLower(u.Scheme+"://"+u.Host) + scimTenantPath
}

func providerName(p store.SSOStrategy) string {
	if p.Label != "" {
		return fmt.Sprintf("%q", p.Label)
	}
	return fmt.Sprintf("(%s)", p.Provider)
}

// formatExpiry prints an expiry in UTC with what is left of it.
func formatExpiry(t time.Time) string {
	if t.IsZero() {
		return "never set"
	}
	s := t.UTC().Format("2006-01-02 15:04 UTC")
	if left := time.Until(t); left <= 0 {
		return s + " (expired)"
	} else if left < 48*time.Hour {
		return fmt.Sprintf("%s (in %d hours)", s, int(left.Round(time.Hour).Hours()))
	} else {
		return fmt.Sprintf("%s (in %d days)", s, int(left.Round(24*time.Hour).Hours()/24))
	}
}

// parseExpiry reads a date (midnight UTC) or an RFC 3339 time.
func parseExpiry(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--expires-at %q is neither a date (2027-03-01) nor a time (2027-03-01T09:00:00Z)", v)
}
