-- Connect sessions let an end user link an account through the Hub. Only a hash of
-- the session token is stored. JSON documents are TEXT.
CREATE TABLE connect_sessions (
	id                     INTEGER PRIMARY KEY AUTOINCREMENT,
	project_id             TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	token_hash             BLOB NOT NULL UNIQUE,
	origin_owner_id        TEXT NOT NULL DEFAULT '',
	origin_owner_name      TEXT NOT NULL DEFAULT '',
	origin_username        TEXT NOT NULL DEFAULT '',
	provider               TEXT NOT NULL DEFAULT '',
	profile_id             TEXT NOT NULL DEFAULT '',
	categories             TEXT NOT NULL DEFAULT '[]',
	account_id             TEXT NOT NULL DEFAULT '',
	metadata               TEXT NOT NULL DEFAULT '{}',
	multiple               BOOLEAN NOT NULL DEFAULT FALSE,
	label                  TEXT NOT NULL DEFAULT '',
	account_type           TEXT NOT NULL DEFAULT '',
	extras                 TEXT NOT NULL DEFAULT '{}',
	allowed_origin         TEXT NOT NULL DEFAULT '',
	external_trigger_token TEXT NOT NULL DEFAULT '',
	expires_at             TIMESTAMP NOT NULL,
	created_at             TIMESTAMP NOT NULL
);
CREATE INDEX connect_sessions_project ON connect_sessions (project_id, created_at);

-- One try at linking an account within a session. pending_credentials holds a
-- sealed JSON document (tokens awaiting a setup choice), or NULL when there is none.
CREATE TABLE connection_attempts (
	id                  TEXT PRIMARY KEY,
	project_id          TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	session_id          INTEGER NOT NULL REFERENCES connect_sessions(id) ON DELETE CASCADE,
	profile_id          TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL,
	account_id          TEXT NOT NULL DEFAULT '',
	error_code          TEXT NOT NULL DEFAULT '',
	error_description   TEXT NOT NULL DEFAULT '',
	setup_field         TEXT NOT NULL DEFAULT '',
	setup_options       TEXT NOT NULL DEFAULT '[]',
	pending_credentials TEXT,
	created_at          TIMESTAMP NOT NULL,
	updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX connection_attempts_project ON connection_attempts (project_id, created_at);
CREATE INDEX connection_attempts_session ON connection_attempts (session_id);

-- OAuth state values are stored as hashes; code_verifier holds a sealed value.
CREATE TABLE oauth_states (
	id            TEXT PRIMARY KEY,
	project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	state_hash    BLOB NOT NULL UNIQUE,
	attempt_id    TEXT NOT NULL REFERENCES connection_attempts(id) ON DELETE CASCADE,
	code_verifier TEXT NOT NULL,
	redirect_uri  TEXT NOT NULL DEFAULT '',
	expires_at    TIMESTAMP NOT NULL,
	used_at       TIMESTAMP
);
CREATE INDEX oauth_states_project ON oauth_states (project_id);
CREATE INDEX oauth_states_attempt ON oauth_states (attempt_id);
