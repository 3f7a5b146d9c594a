-- Why a call failed (Patchbay's message, the provider's status and error
-- code, redacted), the duration in microseconds, and the hour the call
-- started in (Unix hours), which the console's charts group by. Entries made
-- before this migration have no reason and are left out of the charts.
ALTER TABLE request_logs ADD COLUMN error TEXT NOT NULL DEFAULT '';
ALTER TABLE request_logs ADD COLUMN duration_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN start_hour BIGINT NOT NULL DEFAULT 0;
CREATE INDEX request_logs_hours ON request_logs (project_id, start_hour);
