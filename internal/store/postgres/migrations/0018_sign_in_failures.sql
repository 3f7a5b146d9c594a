-- Wrong console passwords are counted per email (by its SHA-256), whether or
-- not an admin has that email, so that the lockout an attacker meets does not
-- tell which emails are admins'. A success deletes the row. Counts kept on
-- admins before are not carried over: an upgrade ends any lockout.
CREATE TABLE sign_in_failures (
	email_hash     BYTEA PRIMARY KEY,
	failures       INTEGER NOT NULL,
	last_failed_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE admins DROP COLUMN failed_signins;
ALTER TABLE admins DROP COLUMN last_failed_at;
