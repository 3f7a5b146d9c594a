-- Sync (docs/sync.md). A profile keeps its accounts' records when
-- sync_enabled; sync_settings holds the models and the interval.
ALTER TABLE connector_profiles ADD COLUMN sync_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE connector_profiles ADD COLUMN sync_settings TEXT NOT NULL DEFAULT '{"models":[],"interval_seconds":0}';

-- The records cache: the unified record as of its last change, sealed, and
-- its hash; a deleted record keeps its row (and hash) without its data.
CREATE TABLE sync_records (
	id              TEXT PRIMARY KEY,
	project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	model           TEXT NOT NULL,
	record_id       TEXT NOT NULL,
	hash            BLOB NOT NULL,
	data            TEXT,
	first_seen_at   TIMESTAMP NOT NULL,
	last_changed_at TIMESTAMP NOT NULL,
	deleted_at      TIMESTAMP,
	UNIQUE (account_id, model, record_id)
);
CREATE INDEX sync_records_project ON sync_records (project_id, model, account_id, record_id);

-- The change feed: seq is the cursor, in commit order per project.
CREATE TABLE sync_changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	model      TEXT NOT NULL,
	record_id  TEXT NOT NULL,
	change     TEXT NOT NULL,
	changed_at TIMESTAMP NOT NULL,
	data       TEXT
);
CREATE INDEX sync_changes_feed ON sync_changes (project_id, seq);
CREATE INDEX sync_changes_account ON sync_changes (account_id, seq);
CREATE INDEX sync_changes_time ON sync_changes (changed_at);

-- Each model's run on each account: the one under way (its checkpoint) or the last.
CREATE TABLE sync_runs (
	account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	model        TEXT NOT NULL,
	project_id   TEXT NOT NULL,
	status       TEXT NOT NULL,
	run_id       TEXT NOT NULL,
	full_run     BOOLEAN NOT NULL,
	started_at   TIMESTAMP NOT NULL,
	ended_at     TIMESTAMP,
	checkpoint   TEXT NOT NULL DEFAULT '',
	records      INTEGER NOT NULL DEFAULT 0,
	changes      INTEGER NOT NULL DEFAULT 0,
	pages        INTEGER NOT NULL DEFAULT 0,
	calls        INTEGER NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT '',
	hint         TEXT NOT NULL DEFAULT '',
	last_full_at TIMESTAMP,
	since        TIMESTAMP,
	PRIMARY KEY (account_id, model)
);

-- When each account's next run is due.
CREATE TABLE sync_schedule (
	account_id  TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	project_id  TEXT NOT NULL,
	next_run_at TIMESTAMP NOT NULL
);
CREATE INDEX sync_schedule_due ON sync_schedule (next_run_at);
