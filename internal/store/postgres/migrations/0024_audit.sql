-- The audit trail: every change to a project's settings and every provider
-- write, written in the change's transaction. Entries of one project form a
-- hash chain (each hash covers the entry and the previous hash); the head
-- row holds the chain's last entry, so deleting the newest is seen too.
-- project_id '' holds changes outside any project (console admins).
CREATE TABLE audit_log (
	id          TEXT PRIMARY KEY,
	project_id  TEXT NOT NULL,
	seq         BIGINT NOT NULL,
	at          TIMESTAMPTZ NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	changes     TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	address     TEXT NOT NULL,
	outcome     TEXT NOT NULL,
	prev_hash   BYTEA NOT NULL,
	hash        BYTEA NOT NULL,
	UNIQUE (project_id, seq)
);
CREATE INDEX audit_log_at ON audit_log (project_id, at, seq);

CREATE TABLE audit_heads (
	project_id TEXT PRIMARY KEY,
	seq        BIGINT NOT NULL,
	hash       BYTEA NOT NULL
);
