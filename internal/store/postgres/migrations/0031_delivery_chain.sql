-- Deliveries of one account to one endpoint go out in order, one after the
-- other: only the first pending one has a job (queued); when it ends, the
-- next gets its job. Deliveries made before were all queued.
ALTER TABLE webhook_deliveries ADD COLUMN queued BOOLEAN NOT NULL DEFAULT TRUE;
