package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// providersIdPInitiatedCmd sets whether a SAML provider accepts sign-ins
// started at the identity provider (options.saml_idp_initiated), keeping
// its other options.
func providersIdPInitiatedCmd() *cobra.Command {
	return dbCommand("idp-initiated ID on|off",
		"Accept (on) or refuse (off) SAML sign-ins started at the identity provider, which cannot be tied to a browser", cobra.ExactArgs(2),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			id, err := providerID(a, args[0])
			if err != nil {
				return err
			}
			var allow bool
			switch args[1] {
			case "on":
				allow = true
			case "off":
			default:
				return fmt.Errorf("%q: say on or off", args[1])
			}
			sso, err := a.SSOLogin()
			if err != nil {
				return err
			}
			p, err := sso.SetIdPInitiated(cmd.Context(), identity.SystemActor, a.Site.ID, id, allow)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "provider %d (%s): %s\n", p.ID, p.Label, idpInitiatedSummary(a, p))
			return nil
		})
}

// idpInitiatedSummary says whether a SAML provider accepts sign-ins
// started at the identity provider, and what that means.
func idpInitiatedSummary(a *app.App, p store.SSOStrategy) string {
	if samllogin.IdPInitiated(p) {
		return "sign-ins started at the identity provider are accepted (they cannot be tied to a browser; turn off with: " +
			hint(a, "providers", "idp-initiated", fmt.Sprint(p.ID), "off") + ")"
	}
	return "only sign-ins started at Gatehouse's sign-in page are accepted (allow those started at the identity provider with: " +
		hint(a, "providers", "idp-initiated", fmt.Sprint(p.ID), "on") + ")"
}
