-- Fencing tokens for the named locks: each lock row keeps a generation
-- that grows whenever the lock passes to another holder or is released
-- (a released lock is now kept, with no holder, instead of deleted, so the
-- number never goes back). A job checks its generation in each of its
-- write transactions, so a node that stalled past its lock's expiry and
-- lost it to another node writes nothing more. Locks held during the
-- upgrade start at generation 1.

-- +goose Up
ALTER TABLE sync_locks ADD COLUMN generation BIGINT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE sync_locks DROP COLUMN generation;
