package vfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Accounts is the part of the store the storage reads to lay out a user's
// view: who the site's users and groups are, and who belongs where, so
// which home and which group folders each user reaches. It is named for
// what it reads, not "directory" (the LDAP directory, the directory
// package and folders all go by that word). store.Store satisfies it.
type Accounts interface {
	ListUsers(ctx context.Context, siteID int64, q store.UserQuery) ([]store.User, error)
	ListGroups(ctx context.Context, siteID int64, q store.GroupQuery) ([]store.Group, error)
	ListGroupUsers(ctx context.Context, siteID int64, q store.GroupUserQuery) ([]store.GroupUser, error)
}

// Storage is the local-disk backend: every site's files live under one root,
// user homes and group folders keyed by their ids so that renaming an account
// or a group keeps its files.
//
//	<root>/site-<site id>/users/<user id>/...
//	<root>/site-<site id>/groups/<group id>/...
type Storage struct {
	root     string
	accounts Accounts
	// sums says whether uploads get checksums; noSums says why not.
	sums   bool
	noSums error
}

// New returns the storage rooted at root (created if missing; typically
// "files" under the data directory).
func New(root string, accounts Accounts) (*Storage, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("file storage root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("create the file storage folder %s (check the data directory's permissions): %w", abs, err)
	}
	s := &Storage{root: abs, accounts: accounts}
	s.noSums = probeChecksums(abs)
	s.sums = s.noSums == nil
	return s, nil
}

// Root is the folder the storage keeps its files in.
func (s *Storage) Root() string { return s.root }

// ChecksumProblem says why files get no checksums (nil when they do): the
// file system under the root keeps no user extended attributes. Uploads
// then skip computing them and every file's checksums are unknown, so
// clients that use them (rclone) fall back to sizes and times. The server
// logs it once at start.
func (s *Storage) ChecksumProblem() error { return s.noSums }

// groupFolder is one group folder visible to a user.
type groupFolder struct {
	id       int64
	name     string
	writable bool
}

// For builds the view of a signed-in user from their memberships as they
// are now (see View). The REST files API calls it at every request; the
// transfer channels, which re-check the account at every request anyway,
// call View with the memberships that check read.
func (s *Storage) For(ctx context.Context, site store.Site, u store.User) (FS, error) {
	var memberships []store.GroupUser
	if !u.SiteAdmin {
		var err error
		memberships, err = s.accounts.ListGroupUsers(ctx, site.ID, store.GroupUserQuery{UserID: u.ID, ListOptions: store.ListOptions{Limit: 10001}})
		if err != nil {
			return nil, fmt.Errorf("read the groups of %s: %w", u.Username, err)
		}
	}
	return s.View(site, u, memberships), nil
}

// View lays out a user's view: their home, the folders of the groups in
// memberships (writable where they are the group's admin) and, for site
// admins, every user's home and every group folder, which the view reads
// from the store as it goes (memberships are ignored). It reads nothing
// itself, so a caller that holds the memberships lays a view out for free;
// a view reflects the memberships it was given, and a caller lays out a
// new one when they change.
func (s *Storage) View(site store.Site, u store.User, memberships []store.GroupUser) FS {
	v := &view{s: s, siteID: site.ID, user: u, admin: u.SiteAdmin, groups: map[string]groupFolder{}}
	if !v.admin {
		for _, m := range memberships {
			v.groups[strings.ToLower(m.GroupName)] = groupFolder{id: m.GroupID, name: m.GroupName, writable: m.Admin}
		}
	}
	return v
}

func (s *Storage) userDir(siteID, userID int64) string {
	return filepath.Join(s.root, "site-"+strconv.FormatInt(siteID, 10), "users", strconv.FormatInt(userID, 10))
}

func (s *Storage) groupDir(siteID, groupID int64) string {
	return filepath.Join(s.root, "site-"+strconv.FormatInt(siteID, 10), "groups", strconv.FormatInt(groupID, 10))
}
