package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
)

func (s *server) passwordPage(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	s.renderPassword(w, r, pc, http.StatusOK, "")
}

func (s *server) renderPassword(w http.ResponseWriter, r *http.Request, pc *pageCall, status int, msg string) {
	s.render(w, r, status, "password", pageData{Title: "Change password", CSRF: pc.csrf, Error: msg,
		Username: pc.who.user.Username, Forced: pc.who.user.RequirePasswordChange, PasswordMinLength: pc.site.PasswordMinLength,
		PasswordElsewhere: s.svc.PasswordKeeper(r.Context(), pc.site.ID, pc.who.user)})
}

// passwordSubmit changes the signed-in user's own password.
func (s *server) passwordSubmit(w http.ResponseWriter, r *http.Request, pc *pageCall) {
	current := r.PostForm.Get("current_password")
	next := r.PostForm.Get("new_password")
	if current == "" || next == "" {
		s.renderPassword(w, r, pc, http.StatusUnprocessableEntity, "Fill in the current and the new password.")
		return
	}
	if next != r.PostForm.Get("confirm_password") {
		s.renderPassword(w, r, pc, http.StatusUnprocessableEntity, "The new password and its confirmation differ.")
		return
	}
	if len(current) > maxPasswordBytes || len(next) > maxPasswordBytes {
		s.renderPassword(w, r, pc, http.StatusUnprocessableEntity, "Passwords are at most 1024 bytes long.")
		return
	}
	err := s.svc.ChangePassword(r.Context(), pc.site.ID, pc.who.user.ID, current, next, pc.who.session.ID)
	switch {
	case err == nil:
		http.Redirect(w, r, "/?done=password", http.StatusSeeOther)
	case errors.Is(err, identity.ErrInvalidUsernameOrPassword):
		s.renderPassword(w, r, pc, http.StatusUnprocessableEntity, "The current password is not correct.")
	default:
		e := s.typed(r, err)
		if e.Status >= 500 {
			s.renderErrorPage(w, r, e)
			return
		}
		s.renderPassword(w, r, pc, e.Status, e.Message)
	}
}
