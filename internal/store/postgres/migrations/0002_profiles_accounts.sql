-- Connector profiles gain their environment, extra scopes, default and enabled flags.
ALTER TABLE connector_profiles ADD COLUMN environment TEXT NOT NULL DEFAULT 'production';
ALTER TABLE connector_profiles ADD COLUMN extra_scopes JSONB NOT NULL DEFAULT '[]';
ALTER TABLE connector_profiles ADD COLUMN is_default BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE connector_profiles ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
-- At most one default profile per connector in a project.
CREATE UNIQUE INDEX connector_profiles_one_default ON connector_profiles (project_id, connector_key) WHERE is_default;

-- Linked accounts. credentials holds a sealed JSON document (tokens), never plaintext.
CREATE TABLE accounts (
	id                 TEXT PRIMARY KEY,
	project_id         TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	profile_id         TEXT NOT NULL REFERENCES connector_profiles(id),
	provider           TEXT NOT NULL,
	status             TEXT NOT NULL,
	status_reasons     JSONB NOT NULL DEFAULT '[]',
	origin_owner_id    TEXT NOT NULL,
	origin_owner_name  TEXT NOT NULL,
	origin_username    TEXT NOT NULL DEFAULT '',
	label              TEXT NOT NULL DEFAULT '',
	account_type       TEXT NOT NULL DEFAULT '',
	metadata           JSONB NOT NULL DEFAULT '{}',
	setup_information  JSONB NOT NULL DEFAULT '{}',
	credentials        TEXT NOT NULL,
	credential_version BIGINT NOT NULL DEFAULT 1,
	token_expires_at   TIMESTAMPTZ,
	created_at         TIMESTAMPTZ NOT NULL,
	updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_project ON accounts (project_id, created_at);
CREATE INDEX accounts_owner ON accounts (project_id, provider, origin_owner_id);
CREATE INDEX accounts_profile ON accounts (profile_id);
