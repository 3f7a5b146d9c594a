-- AI apps (MCP clients) that sign in with OAuth 2.1: Patchbay is their
-- authorization server. A client registers itself (RFC 7591); an admin's
-- consent makes a grant on one project, naming its accounts and actions;
-- codes and tokens are stored as SHA-256 hashes, never in clear.
CREATE TABLE ai_clients (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	redirect_uris TEXT NOT NULL,
	client_uri    TEXT NOT NULL,
	secret_hash   BYTEA,
	auth_method   TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE ai_grants (
	id           TEXT PRIMARY KEY,
	project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	client_id    TEXT NOT NULL REFERENCES ai_clients(id) ON DELETE CASCADE,
	admin_email  TEXT NOT NULL,
	account_ids  TEXT NOT NULL,
	owner_id     TEXT NOT NULL,
	actions      TEXT NOT NULL,
	read_only    BOOLEAN NOT NULL DEFAULT FALSE,
	resource     TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ,
	revoked_at   TIMESTAMPTZ
);
CREATE INDEX ai_grants_project ON ai_grants (project_id, created_at, id);

-- kind is code, access or refresh; a code keeps what its exchange checks.
CREATE TABLE ai_tokens (
	hash           BYTEA PRIMARY KEY,
	grant_id       TEXT NOT NULL REFERENCES ai_grants(id) ON DELETE CASCADE,
	kind           TEXT NOT NULL,
	expires_at     TIMESTAMPTZ NOT NULL,
	used_at        TIMESTAMPTZ,
	redirect_uri   TEXT NOT NULL DEFAULT '',
	code_challenge TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ai_tokens_grant ON ai_tokens (grant_id);
CREATE INDEX ai_tokens_expiry ON ai_tokens (expires_at);

-- The AI app a call was made for, when it came through an OAuth grant.
ALTER TABLE request_logs ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
