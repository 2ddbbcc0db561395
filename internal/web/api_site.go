package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// siteJSON is Files.com's site object, limited to the settings Gatehouse enforces.
type siteJSON struct {
	ID                    int64   `json:"id"`
	Name                  string  `json:"name"`
	Subdomain             string  `json:"subdomain"`
	SessionExpiryMinutes  int     `json:"session_expiry_minutes"`
	NonSSOUsersAllowed    bool    `json:"non_sso_users_allowed"`
	NonSSOGroupsAllowed   bool    `json:"non_sso_groups_allowed"`
	UserLockout           bool    `json:"user_lockout"`
	UserLockoutTries      int     `json:"user_lockout_tries"`
	UserLockoutWithin     int     `json:"user_lockout_within"`
	UserLockoutLockPeriod int     `json:"user_lockout_lock_period"`
	PasswordMinLength     int     `json:"password_min_length"`
	LoginHelpText         string  `json:"login_help_text"`
	EventRetentionDays    int     `json:"event_retention_days"`
	CreatedAt             apiTime `json:"created_at"`
	UpdatedAt             apiTime `json:"updated_at"`
}

func renderSite(s store.Site) siteJSON {
	return siteJSON{ID: s.ID, Name: s.Name, Subdomain: s.Subdomain, SessionExpiryMinutes: s.SessionExpiryMinutes,
		NonSSOUsersAllowed: s.NonSSOUsersAllowed, NonSSOGroupsAllowed: s.NonSSOGroupsAllowed,
		UserLockout: s.UserLockout, UserLockoutTries: s.UserLockoutTries, UserLockoutWithin: s.UserLockoutWithin,
		UserLockoutLockPeriod: s.UserLockoutLockPeriod, PasswordMinLength: s.PasswordMinLength,
		LoginHelpText: s.LoginHelpText, EventRetentionDays: s.EventRetentionDays,
		CreatedAt: apiTime(s.CreatedAt), UpdatedAt: apiTime(s.UpdatedAt)}
}

func (s *server) showSite(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	site, err := s.svc.GetSite(r.Context(), c.site.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderSite(site))
	return nil
}

func (s *server) updateSite(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var ch identity.SiteChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	site, err := s.svc.UpdateSite(r.Context(), c.actor(), c.site.ID, ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderSite(site))
	return nil
}
