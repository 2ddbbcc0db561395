package identity

// This file holds the Service methods the front ends call, as signatures
// with placeholder bodies. Each is implemented in its own file (users.go,
// groups.go, login.go …); move a method out of here when implementing it and
// delete this file when it is empty.

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/store"
)

var errTODO = ErrInternal.With("not implemented yet")

// ---- groups ----

func (s *Service) GetGroup(ctx context.Context, siteID, id int64) (store.Group, error) {
	return store.Group{}, errTODO
}
func (s *Service) ListGroups(ctx context.Context, siteID int64, q store.GroupQuery) ([]store.Group, error) {
	return nil, errTODO
}
func (s *Service) CreateGroup(ctx context.Context, a Actor, siteID int64, c GroupChange) (store.Group, error) {
	return store.Group{}, errTODO
}
func (s *Service) UpdateGroup(ctx context.Context, a Actor, siteID, id int64, c GroupChange) (store.Group, error) {
	return store.Group{}, errTODO
}
func (s *Service) DeleteGroup(ctx context.Context, a Actor, siteID, id int64) error { return errTODO }
func (s *Service) ListGroupUsers(ctx context.Context, siteID int64, q store.GroupUserQuery) ([]store.GroupUser, error) {
	return nil, errTODO
}
func (s *Service) AddGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64, admin bool) (store.GroupUser, error) {
	return store.GroupUser{}, errTODO
}
func (s *Service) UpdateGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64, admin bool) (store.GroupUser, error) {
	return store.GroupUser{}, errTODO
}
func (s *Service) RemoveGroupUser(ctx context.Context, a Actor, siteID, groupID, userID int64) error {
	return errTODO
}

// ---- SSH public keys ----

func (s *Service) CreatePublicKey(ctx context.Context, a Actor, siteID int64, c PublicKeyChange) (store.PublicKey, error) {
	return store.PublicKey{}, errTODO
}
func (s *Service) GetPublicKey(ctx context.Context, a Actor, siteID, id int64) (store.PublicKey, error) {
	return store.PublicKey{}, errTODO
}
func (s *Service) ListPublicKeys(ctx context.Context, a Actor, siteID, userID int64, o store.ListOptions) ([]store.PublicKey, error) {
	return nil, errTODO
}
func (s *Service) UpdatePublicKey(ctx context.Context, a Actor, siteID, id int64, c PublicKeyChange) (store.PublicKey, error) {
	return store.PublicKey{}, errTODO
}
func (s *Service) DeletePublicKey(ctx context.Context, a Actor, siteID, id int64) error {
	return errTODO
}

// ---- SSO strategies ----

func (s *Service) GetSSOStrategy(ctx context.Context, siteID, id int64) (store.SSOStrategy, error) {
	return store.SSOStrategy{}, errTODO
}
func (s *Service) ListSSOStrategies(ctx context.Context, siteID int64, o store.ListOptions) ([]store.SSOStrategy, error) {
	return nil, errTODO
}
func (s *Service) CreateSSOStrategy(ctx context.Context, a Actor, siteID int64, c SSOStrategyChange) (store.SSOStrategy, error) {
	return store.SSOStrategy{}, errTODO
}
func (s *Service) UpdateSSOStrategy(ctx context.Context, a Actor, siteID, id int64, c SSOStrategyChange) (store.SSOStrategy, error) {
	return store.SSOStrategy{}, errTODO
}
func (s *Service) DeleteSSOStrategy(ctx context.Context, a Actor, siteID, id int64) error {
	return errTODO
}

// CountProviderUsers is an sso_strategy's user_count.
func (s *Service) CountProviderUsers(ctx context.Context, siteID, id int64) (int, error) {
	return 0, errTODO
}

