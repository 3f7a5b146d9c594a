-- Projects isolate everything; API keys are stored as SHA-256 hashes.
CREATE TABLE projects (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_keys (
	id           TEXT PRIMARY KEY,
	project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	hash         BLOB NOT NULL UNIQUE,
	created_at   TIMESTAMP NOT NULL,
	revoked_at   TIMESTAMP
);
CREATE INDEX api_keys_project ON api_keys (project_id, created_at);

-- client_secret holds a sealed value (see internal/secrets), never plaintext.
CREATE TABLE connector_profiles (
	id              TEXT PRIMARY KEY,
	project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	connector_key   TEXT NOT NULL,
	name            TEXT NOT NULL,
	client_id       TEXT NOT NULL,
	client_secret   TEXT NOT NULL,
	enabled_actions TEXT NOT NULL,
	created_at      TIMESTAMP NOT NULL,
	updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX connector_profiles_project ON connector_profiles (project_id, created_at);
