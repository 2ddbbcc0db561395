package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

func usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "List, create, update and delete users"}
	cmd.AddCommand(usersListCmd(), usersCreateCmd(), usersUpdateCmd(), usersDeleteCmd(), usersUnlockCmd(), usersMigrateCmd())
	return cmd
}

func usersListCmd() *cobra.Command {
	var search string
	cmd := dbCommand("list", "List the users of the site", cobra.NoArgs, func(cmd *cobra.Command, a *app.App, _ []string) error {
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tNAME\tMETHOD\tADMIN\tDISABLED\tLAST LOGIN")
		err := forEachPage(func(o store.ListOptions) ([]store.User, error) {
			return a.Identity.ListUsers(cmd.Context(), a.Site.ID, store.UserQuery{Search: search, ListOptions: o})
		}, func(u store.User) int64 { return u.ID }, func(u store.User) error {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Email, u.Name,
				u.AuthenticationMethod, yesNo(u.SiteAdmin), yesNo(u.Disabled), when(u.LastLoginAt))
			return nil
		})
		if err != nil {
			return err
		}
		return tw.Flush()
	})
	cmd.Flags().StringVar(&search, "search", "", "only users whose username, email or name starts with this")
	return cmd
}

// userFlags registers the user fields as flags; change() turns the flags the
// person actually gave into a UserChange, leaving the others alone.
type userFlags struct {
	fs                                 *pflag.FlagSet
	username, email, name, company     string
	timeZone, method, password         string
	ssoStrategyID                      int64
	siteAdmin, disabled, requireChange bool
	ftp, sftp, dav, restapi            bool
}

func addUserFlags(fs *pflag.FlagSet) *userFlags {
	f := &userFlags{fs: fs}
	fs.StringVar(&f.username, "username", "", "username (the sign-in name)")
	fs.StringVar(&f.email, "email", "", "e-mail address")
	fs.StringVar(&f.name, "name", "", "full name")
	fs.StringVar(&f.company, "company", "", "company")
	fs.StringVar(&f.timeZone, "time-zone", "", "time zone, e.g. \"Eastern Time (US & Canada)\"")
	fs.StringVar(&f.method, "authentication-method", "", "password, sso, none or email_signup")
	fs.Int64Var(&f.ssoStrategyID, "sso-strategy-id", 0, "SSO provider id, for authentication-method sso")
	fs.StringVar(&f.password, "password", "", "password (prefer the generated one: leave this out when creating)")
	fs.BoolVar(&f.siteAdmin, "site-admin", false, "site administrator")
	fs.BoolVar(&f.disabled, "disabled", false, "disabled (cannot sign in)")
	fs.BoolVar(&f.requireChange, "require-password-change", false, "must change the password at next sign-in")
	fs.BoolVar(&f.ftp, "ftp-permission", false, "may use FTP/FTPS")
	fs.BoolVar(&f.sftp, "sftp-permission", false, "may use SFTP")
	fs.BoolVar(&f.dav, "dav-permission", false, "may use WebDAV")
	fs.BoolVar(&f.restapi, "restapi-permission", true, "may use the web app, desktop app and REST API")
	return f
}

func (f *userFlags) change() identity.UserChange {
	var c identity.UserChange
	str := func(flag string, v string, dst **string) {
		if f.fs.Changed(flag) {
			*dst = &v
		}
	}
	boolean := func(flag string, v bool, dst **bool) {
		if f.fs.Changed(flag) {
			*dst = &v
		}
	}
	str("username", f.username, &c.Username)
	str("email", f.email, &c.Email)
	str("name", f.name, &c.Name)
	str("company", f.company, &c.Company)
	str("time-zone", f.timeZone, &c.TimeZone)
	str("authentication-method", f.method, &c.AuthenticationMethod)
	str("password", f.password, &c.Password)
	if f.fs.Changed("sso-strategy-id") {
		c.SSOStrategyID = &f.ssoStrategyID
	}
	boolean("site-admin", f.siteAdmin, &c.SiteAdmin)
	boolean("disabled", f.disabled, &c.Disabled)
	boolean("require-password-change", f.requireChange, &c.RequirePasswordChange)
	boolean("ftp-permission", f.ftp, &c.FTPPermission)
	boolean("sftp-permission", f.sftp, &c.SFTPPermission)
	boolean("dav-permission", f.dav, &c.DAVPermission)
	boolean("restapi-permission", f.restapi, &c.RestAPIPermission)
	return c
}

func usersCreateCmd() *cobra.Command {
	var f *userFlags
	cmd := dbCommand("create", "Create a user", cobra.NoArgs, func(cmd *cobra.Command, a *app.App, _ []string) error {
		c := f.change()
		if c.Username == nil {
			return fmt.Errorf("--username is required")
		}
		generated := ""
		if c.Password == nil && (c.AuthenticationMethod == nil || *c.AuthenticationMethod == store.AuthPassword) {
			generated = identity.GeneratePassword()
			c.Password = &generated
			yes := true
			c.RequirePasswordChange = &yes
		}
		u, err := a.Identity.CreateUser(cmd.Context(), identity.SystemActor, a.Site.ID, c)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "created user %d %q\n", u.ID, u.Username)
		if generated != "" {
			fmt.Fprintf(cmd.OutOrStdout(), "one-time password: %s (to be changed at first sign-in)\n", generated)
		}
		return nil
	})
	f = addUserFlags(cmd.Flags())
	return cmd
}

func usersUpdateCmd() *cobra.Command {
	var f *userFlags
	var force bool
	cmd := dbCommand("update ID|USERNAME", "Change a user (only the flags given are changed)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			u, err := findUser(cmd, a, args[0])
			if err != nil {
				return err
			}
			u, err = a.Identity.UpdateUser(cmd.Context(), identity.SystemActor, a.Site.ID, u.ID, f.change(), force)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "updated user %d %q\n", u.ID, u.Username)
			return nil
		})
	f = addUserFlags(cmd.Flags())
	cmd.Flags().BoolVar(&force, "force", false, "override the guard that keeps one enabled password site admin")
	return cmd
}

func usersDeleteCmd() *cobra.Command {
	var force bool
	cmd := dbCommand("delete ID|USERNAME", "Delete a user with their sessions and keys", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			u, err := findUser(cmd, a, args[0])
			if err != nil {
				return err
			}
			if err := a.Identity.DeleteUser(cmd.Context(), identity.SystemActor, a.Site.ID, u.ID, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted user %d %q\n", u.ID, u.Username)
			return nil
		})
	cmd.Flags().BoolVar(&force, "force", false, "override the guard that keeps one enabled password site admin")
	return cmd
}

func usersUnlockCmd() *cobra.Command {
	return dbCommand("unlock ID|USERNAME", "End a user's password lockout and forget their failed sign-ins", cobra.ExactArgs(1),
		func(cmd *cobra.Command, a *app.App, args []string) error {
			u, err := findUser(cmd, a, args[0])
			if err != nil {
				return err
			}
			if _, err := a.Identity.UnlockUser(cmd.Context(), identity.SystemActor, a.Site.ID, u.ID); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unlocked user %d %q\n", u.ID, u.Username)
			return nil
		})
}

// findUser accepts a numeric id or a username.
func findUser(cmd *cobra.Command, a *app.App, ref string) (store.User, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if u, err := a.Identity.GetUser(cmd.Context(), a.Site.ID, id); err == nil {
			return u, nil
		}
	}
	users, err := a.Identity.ListUsers(cmd.Context(), a.Site.ID, store.UserQuery{Username: ref})
	if err != nil {
		return store.User{}, err
	}
	if len(users) == 0 {
		return store.User{}, identity.ErrUserNotFound.With("no user has the id or username %q", ref)
	}
	return users[0], nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}
