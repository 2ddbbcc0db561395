package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

func adminCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Create site admins and recover access"}
	cmd.AddCommand(adminCreateCmd(), adminResetPasswordCmd())
	return cmd
}

func adminCreateCmd() *cobra.Command {
	var username, email string
	cmd := dbCommand("create", "Create a site admin who signs in with a password", cobra.NoArgs,
		func(cmd *cobra.Command, a *app.App, _ []string) error {
			password := identity.GeneratePassword()
			yes := true
			method := store.AuthPassword
			c := identity.UserChange{
				Username: &username, AuthenticationMethod: &method, Password: &password,
				SiteAdmin: &yes, RequirePasswordChange: &yes, RestAPIPermission: &yes,
				FTPPermission: &yes, SFTPPermission: &yes, DAVPermission: &yes,
			}
			if email != "" {
				c.Email = &email
			}
			u, err := a.Identity.CreateUser(cmd.Context(), identity.SystemActor, a.Site.ID, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created site admin %d %q\none-time password: %s (to be changed at first sign-in)\n",
				u.ID, u.Username, password)
			return nil
		})
	cmd.Flags().StringVar(&username, "username", "admin", "username of the new admin")
	cmd.Flags().StringVar(&email, "email", "", "e-mail address of the new admin")
	return cmd
}

func adminResetPasswordCmd() *cobra.Command {
	return dbCommand("reset-password ID|USERNAME", "Give a user a new one-time password and unlock them", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			u, err := findUser(cmd, a, args[0])
			if err != nil {
				return err
			}
			if u.AuthenticationMethod != store.AuthPassword {
				return fmt.Errorf("user %q signs in with %q, not a password; change that first with: %s",
					u.Username, u.AuthenticationMethod, hint(a, "users", "update", u.Username, "--authentication-method", "password"))
			}
			password := identity.GeneratePassword()
			yes := true
			if _, err := a.Identity.UpdateUser(cmd.Context(), identity.SystemActor, a.Site.ID, u.ID,
				identity.UserChange{Password: &password, RequirePasswordChange: &yes}, false); err != nil {
				return err
			}
			if _, err := a.Identity.UnlockUser(cmd.Context(), identity.SystemActor, a.Site.ID, u.ID); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new one-time password for %q: %s (to be changed at first sign-in)\n", u.Username, password)
			return nil
		})
}

func apiKeysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "api-keys", Short: "Create API keys for the REST API"}
	var username, name, expires, permissionSet string
	var siteWide bool
	create := dbCommand("create", "Create an API key and print it once", cobra.NoArgs,
		func(cmd *cobra.Command, a *app.App, _ []string) error {
			c := identity.APIKeyChange{Name: &name, PermissionSet: &permissionSet}
			actor := identity.SystemActor
			switch {
			case siteWide && username != "":
				return fmt.Errorf("give either --username or --site-wide, not both")
			case siteWide:
				zero := int64(0)
				c.UserID = &zero
			case username != "":
				u, err := findUser(cmd, a, username)
				if err != nil {
					return err
				}
				c.UserID = &u.ID
			default:
				return fmt.Errorf("say whose key it is: --username NAME, or --site-wide for a key that acts as a site admin")
			}
			if expires != "" {
				t, err := time.Parse(time.RFC3339, expires)
				if err != nil {
					d, derr := time.ParseDuration(expires)
					if derr != nil {
						return fmt.Errorf("--expires %q: give a date like 2027-01-31T00:00:00Z or a duration like 720h", expires)
					}
					t = time.Now().Add(d)
				}
				c.ExpiresAt = &t
			}
			k, key, err := a.Identity.CreateAPIKey(cmd.Context(), actor, a.Site.ID, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created API key %d %q (permission_set %s)\n%s\n\nThis key is shown only once. Send it as the X-FilesAPI-Key header.\n",
				k.ID, k.Name, k.PermissionSet, key)
			return nil
		})
	create.Flags().StringVar(&username, "username", "", "user the key belongs to")
	create.Flags().BoolVar(&siteWide, "site-wide", false, "a key that belongs to no user and acts as a site admin")
	create.Flags().StringVar(&name, "name", "cli", "a name that says what the key is for")
	create.Flags().StringVar(&permissionSet, "permission-set", identity.PermissionSetFull,
		"what the key may do: full, or files_only (files only; also desktop_app, sync_app, mobile_app, office_integration), or none")
	create.Flags().StringVar(&expires, "expires", "", "expiry: an RFC 3339 time or a duration such as 720h (default: never)")
	cmd.AddCommand(create)
	return cmd
}
