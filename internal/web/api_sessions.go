package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// sessionJSON is Files.com's session object. Its id is the session token,
// which the SDK then sends in the X-FilesAPI-Auth header.
type sessionJSON struct {
	ID        string  `json:"id"`
	Language  string  `json:"language"`
	ReadOnly  bool    `json:"read_only"`
	UserID    int64   `json:"user_id"`
	Username  string  `json:"username"`
	ExpiresAt apiTime `json:"expires_at"`
}

type sessionParams struct {
	Username                   string `json:"username"`
	Password                   string `json:"password"`
	OTP                        string `json:"otp"`
	ChangePassword             string `json:"change_password"`
	ChangePasswordConfirmation string `json:"change_password_confirmation"`
}

// createSession signs in with a username and password over the API.
func (s *server) createSession(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var in sessionParams
	if err := readJSONBody(r, &in); err != nil {
		return err
	}
	if in.Username == "" || in.Password == "" {
		return identity.ErrParamsRequired.With("username and password are required")
	}
	if in.ChangePasswordConfirmation != "" && in.ChangePasswordConfirmation != in.ChangePassword {
		return identity.ErrInvalidParams.With("change_password and change_password_confirmation differ")
	}
	u, err := s.svc.LoginWithPassword(r.Context(), identity.PasswordLogin{
		SiteID: c.site.ID, Username: in.Username, Password: in.Password, Channel: identity.ChannelAPI, IP: c.ip,
		NewPassword: in.ChangePassword})
	s.svc.RecordChannelLogin(r.Context(), c.site.ID, identity.ChannelAPI, identity.CredentialPassword, in.Username, c.ip, err)
	if err != nil {
		return err
	}
	token, sess, err := s.svc.StartSession(r.Context(), u, identity.ChannelAPI, c.ip, r.UserAgent())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, renderSession(token, u, sess))
	return nil
}

func renderSession(token string, u store.User, sess store.Session) sessionJSON {
	return sessionJSON{ID: token, Language: "en", UserID: u.ID, Username: u.Username, ExpiresAt: apiTime(sess.ExpiresAt)}
}

// deleteSession ends the session the request came with.
func (s *server) deleteSession(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	if c.who.session == nil {
		return identity.ErrNotAuthorized.With("this request authenticated with an API key, not a session")
	}
	if err := s.svc.EndSession(r.Context(), c.site.ID, c.who.sessionToken); err != nil {
		return err
	}
	if c.who.byCookie {
		s.clearSessionCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
