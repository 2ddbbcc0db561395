-- Multi-part uploads written in place: a part whose place in the file is
-- known when it begins (every earlier part began with a known length) is
-- written straight into the upload's one assembly file at its offset, so
-- the end moves that file into place instead of copying every part.
-- length is the part's length as announced when it began (NULL: not
-- recorded, -1: not announced), fixed from then on; byte_offset is where
-- it is written in the assembly file (-1: staged on its own, copied into
-- place at the end). hash_state is the MD5 and CRC-32 state over the file
-- from its first byte to this part's end, for this version of the part,
-- so the end hashes only what is left. Any node may continue an upload.

-- +goose Up
ALTER TABLE file_upload_parts ADD COLUMN length BIGINT;
ALTER TABLE file_upload_parts ADD COLUMN byte_offset BIGINT;
ALTER TABLE file_upload_parts ADD COLUMN hash_state BYTEA;

-- +goose Down
ALTER TABLE file_upload_parts DROP COLUMN hash_state;
ALTER TABLE file_upload_parts DROP COLUMN byte_offset;
ALTER TABLE file_upload_parts DROP COLUMN length;
