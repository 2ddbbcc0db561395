package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// printOIDCValues prints an OpenID Connect provider's settings and the
// values to paste into the provider (Entra: the app registration's
// Authentication page). A setting that cannot be used is said, not hidden.
func printOIDCValues(out io.Writer, a *app.App, p store.SSOStrategy) error {
	oidcLogin, err := a.OIDCLogin()
	if err != nil {
		return err
	}
	v := oidcLogin.RPValuesFor(a.Site, p)
	fmt.Fprintln(out, "\nOpenID Connect settings:")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("client id", orNone(p.ClientID))
	row("client secret", map[bool]string{true: "(set; write-only)", false: "(none)"}[len(p.ClientSecretEnc) > 0])
	settings, err := identity.ReadOIDCSettings(p.Provider, p.Subdomain, p.Options, true)
	switch {
	case err != nil:
		row("settings", "cannot be used: "+err.Error())
	case p.Provider == "azure" && settings.Authority != "":
		row("authority", settings.Authority)
		row("tenant id", orNone(settings.TenantID))
	case p.Provider == "azure":
		row("tenant id", settings.TenantID)
		row("cloud instance", orDefault(settings.CloudInstance, "login.microsoftonline.com"))
	case settings.IssuerURL != "":
		row("issuer", settings.IssuerURL)
	case p.Subdomain != "":
		row("subdomain", p.Subdomain)
	}
	if len(settings.Scopes) > 0 {
		row("extra scopes", strings.Join(settings.Scopes, " "))
	}
	row("login name claim", orDefault(settings.LoginClaim, "(provider default)"))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nPaste into the identity provider (Entra: App registration > Authentication > Web):")
	tw = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	row("Redirect URI", v.RedirectURI)
	row("Sign-in start (Home page URL)", v.SignOnURL)
	return tw.Flush()
}

func orNone(s string) string { return orDefault(s, "(none)") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
