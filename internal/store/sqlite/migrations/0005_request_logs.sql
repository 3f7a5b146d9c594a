-- One row per action call. Bodies are not kept; steps hold the provider calls
-- (method, URL without credentials, status, duration).
CREATE TABLE request_logs (
	id          TEXT PRIMARY KEY,
	project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	request_id  TEXT NOT NULL,
	account_id  TEXT NOT NULL,
	provider    TEXT NOT NULL,
	action      TEXT NOT NULL,
	http_method TEXT NOT NULL,
	path        TEXT NOT NULL,
	status      INTEGER NOT NULL,
	success     BOOLEAN NOT NULL,
	duration_ms BIGINT NOT NULL,
	start_time  TIMESTAMP NOT NULL,
	end_time    TIMESTAMP NOT NULL,
	steps       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX request_logs_project_time ON request_logs (project_id, start_time, id);
