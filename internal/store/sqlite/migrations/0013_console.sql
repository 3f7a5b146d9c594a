-- People who sign in to the web console. password_hash is argon2id in the
-- PHC string form; failed_signins counts wrong passwords since the last
-- success, for throttling.
CREATE TABLE admins (
	id             TEXT PRIMARY KEY,
	email          TEXT NOT NULL UNIQUE,
	password_hash  TEXT NOT NULL,
	failed_signins INTEGER NOT NULL DEFAULT 0,
	last_failed_at TIMESTAMP,
	created_at     TIMESTAMP NOT NULL
);

-- The projects an admin sees.
CREATE TABLE admin_projects (
	admin_id   TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
	project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	PRIMARY KEY (admin_id, project_id)
);

-- Console sessions: only a hash of the cookie's token is stored.
CREATE TABLE admin_sessions (
	token_hash   BLOB PRIMARY KEY,
	admin_id     TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
	created_at   TIMESTAMP NOT NULL,
	last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);

-- One-time links that let the first admin sign up (hash of the token).
CREATE TABLE admin_setup_tokens (
	token_hash BLOB PRIMARY KEY,
	expires_at TIMESTAMP NOT NULL,
	used_at    TIMESTAMP
);

-- When each API key was last used, to the minute (set with its first request
-- of each minute, when the per-key limit opens the minute's count).
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMP;
