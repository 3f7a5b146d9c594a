-- Idempotency-Key: one row per project and key. A request holds its row
-- (owner, locked_until renewed while it runs) and then stores its answer,
-- which a retry with the same key and request gets again. The key and the
-- request are kept as SHA-256 hashes; the answer's body is sealed.
CREATE TABLE idempotency_keys (
	id           TEXT PRIMARY KEY,
	project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	key_hash     BLOB NOT NULL,
	fingerprint  BLOB NOT NULL,
	request      TEXT NOT NULL,
	owner        TEXT NOT NULL,
	locked_until TIMESTAMP NOT NULL,
	done         INTEGER NOT NULL DEFAULT 0,
	status       INTEGER NOT NULL DEFAULT 0,
	header       TEXT NOT NULL DEFAULT '{}',
	body         TEXT,
	created_at   TIMESTAMP NOT NULL,
	UNIQUE (project_id, key_hash)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
