-- Account events, written in the same transaction as the change they report:
-- the webhook outbox. seq orders them; dispatched_at is set in the transaction
-- that queues their deliveries.
CREATE TABLE events (
	seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id            TEXT NOT NULL UNIQUE,
	project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	type          TEXT NOT NULL,
	account_id    TEXT NOT NULL DEFAULT '',
	endpoint_id   TEXT NOT NULL DEFAULT '', -- only this endpoint (webhook.test)
	data          TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	dispatched_at TIMESTAMPTZ
);
CREATE INDEX events_undispatched ON events (seq) WHERE dispatched_at IS NULL;
CREATE INDEX events_created ON events (created_at);

-- Where a project's events are sent. secrets holds a sealed JSON list of
-- signing secrets: the newest, and during a rotation the previous one.
CREATE TABLE webhook_endpoints (
	id              TEXT PRIMARY KEY,
	project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	url             TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	events          TEXT NOT NULL DEFAULT '[]',
	enabled         BOOLEAN NOT NULL DEFAULT TRUE,
	disabled_reason TEXT NOT NULL DEFAULT '',
	secrets         TEXT NOT NULL,
	failing_since   TIMESTAMPTZ,
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_project ON webhook_endpoints (project_id, created_at, id);

-- One event sent to one endpoint, with its outcome so far.
CREATE TABLE webhook_deliveries (
	id               TEXT PRIMARY KEY,
	project_id       TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
	event_id         TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	event_seq        BIGINT NOT NULL,
	account_id       TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	last_status_code INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	last_duration_ms BIGINT NOT NULL DEFAULT 0,
	next_attempt_at  TIMESTAMPTZ,
	created_at       TIMESTAMPTZ NOT NULL,
	updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
-- A delivery waits for the earlier pending deliveries of its account to the same endpoint.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, account_id, event_seq) WHERE status = 'pending';

-- Each try of a delivery.
CREATE TABLE webhook_attempts (
	delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
	attempt     INTEGER NOT NULL,
	started_at  TIMESTAMPTZ NOT NULL,
	status_code INTEGER NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	duration_ms BIGINT NOT NULL,
	PRIMARY KEY (delivery_id, attempt)
);
