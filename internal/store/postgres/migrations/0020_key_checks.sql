-- One known value sealed under each encryption key this database's data is
-- sealed with, so that a node started with other keys refuses to start,
-- naming the key ids it has and those the data needs, instead of joining the
-- job queue and failing on every sealed row it touches.
CREATE TABLE key_checks (
	key_id TEXT PRIMARY KEY,
	sealed TEXT NOT NULL
);
