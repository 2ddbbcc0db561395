package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// userJSON is Files.com's user object, limited to what Gatehouse keeps.
type userJSON struct {
	ID                     int64   `json:"id"`
	Username               string  `json:"username"`
	Email                  string  `json:"email"`
	Name                   string  `json:"name"`
	Company                string  `json:"company"`
	TimeZone               string  `json:"time_zone"`
	Notes                  string  `json:"notes"`
	AuthenticationMethod   string  `json:"authentication_method"`
	SSOStrategyID          *int64  `json:"sso_strategy_id"`
	ExternallyManaged      bool    `json:"externally_managed"`
	SiteAdmin              bool    `json:"site_admin"`
	Disabled               bool    `json:"disabled"`
	RequirePasswordChange  bool    `json:"require_password_change"`
	FTPPermission          bool    `json:"ftp_permission"`
	SFTPPermission         bool    `json:"sftp_permission"`
	DAVPermission          bool    `json:"dav_permission"`
	RestAPIPermission      bool    `json:"restapi_permission"`
	NotifyOnAllSSOFailures bool    `json:"notify_on_all_sso_failures"`
	LockoutExpires         apiTime `json:"lockout_expires"`
	PasswordSetAt          apiTime `json:"password_set_at"`
	FirstLoginAt           apiTime `json:"first_login_at"`
	LastLoginAt            apiTime `json:"last_login_at"`
	LastWebLoginAt         apiTime `json:"last_web_login_at"`
	LastDesktopLoginAt     apiTime `json:"last_desktop_login_at"`
	LastRestAPILoginAt     apiTime `json:"last_restapi_login_at"`
	LastSFTPLoginAt        apiTime `json:"last_sftp_login_at"`
	LastFTPLoginAt         apiTime `json:"last_ftp_login_at"`
	LastDAVLoginAt         apiTime `json:"last_dav_login_at"`
	LastAPIUseAt           apiTime `json:"last_api_use_at"`
	GroupIDs               string  `json:"group_ids"`
	AdminGroupIDs          []int64 `json:"admin_group_ids"`
	SiteID                 int64   `json:"site_id"`
	CreatedAt              apiTime `json:"created_at"`
}

// renderUser renders u with its group memberships.
func (s *server) renderUser(ctx context.Context, u store.User) (any, error) {
	member, admin, err := s.svc.UserGroupIDs(ctx, u.SiteID, u.ID)
	if err != nil {
		return nil, err
	}
	if admin == nil {
		admin = []int64{}
	}
	var lockout time.Time
	if u.LockoutExpires.After(s.now()) {
		lockout = u.LockoutExpires // a lock-out in the past is no lock-out
	}
	return userJSON{
		ID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name, Company: u.Company,
		TimeZone: u.TimeZone, Notes: u.Notes, AuthenticationMethod: u.AuthenticationMethod,
		SSOStrategyID: optionalID(u.SSOStrategyID), ExternallyManaged: u.ExternallyManaged,
		SiteAdmin: u.SiteAdmin, Disabled: u.Disabled, RequirePasswordChange: u.RequirePasswordChange,
		FTPPermission: u.FTPPermission, SFTPPermission: u.SFTPPermission, DAVPermission: u.DAVPermission,
		RestAPIPermission: u.RestAPIPermission, NotifyOnAllSSOFailures: u.NotifyOnAllSSOFailures,
		LockoutExpires: apiTime(lockout), PasswordSetAt: apiTime(u.PasswordSetAt),
		FirstLoginAt: apiTime(u.FirstLoginAt), LastLoginAt: apiTime(u.LastLoginAt),
		LastWebLoginAt: apiTime(u.LastWebLoginAt), LastDesktopLoginAt: apiTime(u.LastDesktopLoginAt),
		LastRestAPILoginAt: apiTime(u.LastRestAPILoginAt), LastSFTPLoginAt: apiTime(u.LastSFTPLoginAt),
		LastFTPLoginAt: apiTime(u.LastFTPLoginAt), LastDAVLoginAt: apiTime(u.LastDAVLoginAt),
		LastAPIUseAt: apiTime(u.LastAPIUseAt), GroupIDs: joinIDs(member), AdminGroupIDs: admin,
		SiteID: u.SiteID, CreatedAt: apiTime(u.CreatedAt),
	}, nil
}

func (s *server) writeUser(w http.ResponseWriter, r *http.Request, status int, u store.User) error {
	v, err := s.renderUser(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// listUsers answers GET /users with Files.com's filters and order
// (userList), ids and search (a prefix of the username, e-mail or name).
func (s *server) listUsers(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, lq, err := parseList(r, userList)
	if err != nil {
		return err
	}
	ids, err := idsFilter(r)
	if err != nil {
		return err
	}
	q := store.UserQuery{ListOptions: p.options(), Search: r.URL.Query().Get("search")}
	if v, ok := lq.take("sso_strategy_id"); ok {
		q.SSOStrategyID = v.(int64)
	}
	q.Filter = both(lq.storeFilter(), ids)
	users, err := s.svc.ListUsers(r.Context(), c.site.ID, q)
	if err != nil {
		return err
	}
	return writeSortedPage(w, p, users, func(u store.User) int64 { return u.ID }, store.UserSortValue,
		func(u store.User) (any, error) { return s.renderUser(r.Context(), u) })
}

func (s *server) showUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrUserNotFound)
	if err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), c.site.ID, id)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, u)
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var ch identity.UserChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(r.Context(), c.actor(), c.site.ID, ch)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusCreated, u)
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrUserNotFound)
	if err != nil {
		return err
	}
	var ch identity.UserChange
	var fp forceParam
	if err := readJSONBody(r, &ch, &fp); err != nil {
		return err
	}
	force, err := fp.value(r)
	if err != nil {
		return err
	}
	u, err := s.svc.UpdateUser(r.Context(), c.actor(), c.site.ID, id, ch, force)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, u)
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrUserNotFound)
	if err != nil {
		return err
	}
	var fp forceParam
	if err := readJSONBody(r, &fp); err != nil {
		return err
	}
	force, err := fp.value(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteUser(r.Context(), c.actor(), c.site.ID, id, force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unlockUser answers 204: Files.com's SDKs expect no body from it.
func (s *server) unlockUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrUserNotFound)
	if err != nil {
		return err
	}
	if _, err := s.svc.UnlockUser(r.Context(), c.actor(), c.site.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// showMe returns the caller's own user.
func (s *server) showMe(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	if c.who.user.ID == 0 {
		return identity.ErrUserNotFound.With("a site-wide API key belongs to no user")
	}
	u, err := s.svc.GetUser(r.Context(), c.site.ID, c.who.user.ID)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, u)
}
