-- One-time links that let a person become an admin of the projects an
-- admin chose (a hash of the token; the invitee picks the password).
CREATE TABLE admin_invites (
	token_hash  BLOB PRIMARY KEY,
	email       TEXT NOT NULL,
	project_ids TEXT NOT NULL,
	invited_by  TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	expires_at  TIMESTAMP NOT NULL,
	used_at     TIMESTAMP
);
