package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// groupJSON is Files.com's group object; members are comma-separated lists.
type groupJSON struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	Notes             string  `json:"notes"`
	UserIDs           string  `json:"user_ids"`
	AdminIDs          string  `json:"admin_ids"`
	Usernames         string  `json:"usernames"`
	FTPPermission     bool    `json:"ftp_permission"`
	SFTPPermission    bool    `json:"sftp_permission"`
	DAVPermission     bool    `json:"dav_permission"`
	RestAPIPermission bool    `json:"restapi_permission"`
	SiteID            int64   `json:"site_id"`
	CreatedAt         apiTime `json:"created_at"`
}

// memberPage bounds each read of a group's members.
const memberPage = 1000

// renderGroup renders g with its members, read a page at a time.
func (s *server) renderGroup(ctx context.Context, g store.Group) (any, error) {
	var users, admins []int64
	var names []string
	after := int64(0)
	for {
		page, err := s.svc.ListGroupUsers(ctx, g.SiteID, store.GroupUserQuery{
			ListOptions: store.ListOptions{AfterID: after, Limit: memberPage}, GroupID: g.ID})
		if err != nil {
			return nil, err
		}
		for _, gu := range page {
			users = append(users, gu.UserID)
			names = append(names, gu.Username)
			if gu.Admin {
				admins = append(admins, gu.UserID)
			}
		}
		if len(page) < memberPage {
			break
		}
		after = page[len(page)-1].ID
	}
	return groupJSON{
		ID: g.ID, Name: g.Name, Notes: g.Notes, UserIDs: joinIDs(users), AdminIDs: joinIDs(admins),
		Usernames: strings.Join(names, ","), FTPPermission: g.FTPPermission, SFTPPermission: g.SFTPPermission,
		DAVPermission: g.DAVPermission, RestAPIPermission: g.RestAPIPermission, SiteID: g.SiteID,
		CreatedAt: apiTime(g.CreatedAt),
	}, nil
}

func (s *server) writeGroup(w http.ResponseWriter, r *http.Request, status int, g store.Group) error {
	v, err := s.renderGroup(r.Context(), g)
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// listGroups answers GET /groups with Files.com's filters and order
// (groupList) and ids.
func (s *server) listGroups(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, lq, err := parseList(r, groupList)
	if err != nil {
		return err
	}
	ids, err := idsFilter(r)
	if err != nil {
		return err
	}
	q := store.GroupQuery{ListOptions: p.options(), Filter: both(lq.storeFilter(), ids)}
	groups, err := s.svc.ListGroups(r.Context(), c.site.ID, q)
	if err != nil {
		return err
	}
	return writeSortedPage(w, p, groups, func(g store.Group) int64 { return g.ID }, groupSortValue,
		func(g store.Group) (any, error) { return s.renderGroup(r.Context(), g) })
}

func (s *server) showGroup(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrGroupNotFound)
	if err != nil {
		return err
	}
	g, err := s.svc.GetGroup(r.Context(), c.site.ID, id)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, g)
}

func (s *server) createGroup(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var ch identity.GroupChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	g, err := s.svc.CreateGroup(r.Context(), c.actor(), c.site.ID, ch)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusCreated, g)
}

func (s *server) updateGroup(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrGroupNotFound)
	if err != nil {
		return err
	}
	var ch identity.GroupChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	g, err := s.svc.UpdateGroup(r.Context(), c.actor(), c.site.ID, id, ch)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, g)
}

func (s *server) deleteGroup(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrGroupNotFound)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteGroup(r.Context(), c.actor(), c.site.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
