-- One-time links that let a person become an admin of the projects an
-- admin chose (a hash of the token; the invitee picks the password).
CREATE TABLE admin_invites (
	token_hash  BYTEA PRIMARY KEY,
	email       TEXT NOT NULL,
	project_ids TEXT NOT NULL,
	invited_by  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	used_at     TIMESTAMPTZ
);
