package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/namekey"
	"github.com/gatehouse/gatehouse/internal/store"
)

// FillUsernameSkeletons gives every user without one the look-alike key of
// their username (migration 00017 adds the column; the key is computed in
// Go, so SQL cannot fill it). In id order: where two existing users already
// look alike, the older keeps the key and the younger keeps ” — both keep
// working, and the index then refuses any further look-alike of either,
// because the older holds the key. Drivers call it after migrating, on
// every start: it reads only the users still without a key, and tries
// again those whose twin has since been renamed or deleted. Each user is
// its own statement, so nodes starting together cannot deadlock over it.
func (s *Store) FillUsernameSkeletons(ctx context.Context) (twins int, err error) {
	rows, err := s.query(ctx, "SELECT id, username FROM users WHERE username_skeleton = '' ORDER BY id")
	if err != nil {
		return 0, fmt.Errorf("store: read users without a username key: %w", err)
	}
	type pending struct {
		id   int64
		name string
	}
	var todo []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.id, &p.name); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: read users without a username key: %w", err)
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: read users without a username key: %w", err)
	}
	for _, p := range todo {
		_, err := s.exec(ctx, "UPDATE users SET username_skeleton = ? WHERE id = ? AND username_skeleton = ''",
			namekey.Skeleton(p.name), p.id)
		switch err := s.mapErr(err, "user", "look-alike username"); {
		case err == nil:
		case errors.Is(err, store.ErrConflict):
			twins++
		default:
			return twins, fmt.Errorf("store: fill the username key of user %d: %w", p.id, err)
		}
	}
	return twins, nil
}
