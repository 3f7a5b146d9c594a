-- Deliveries are queued after the transaction that makes them commits, so
-- that the node's workers fetch them at once. A crash between the two leaves
-- a delivery handed to the queue (queued) that never had an attempt; the
-- sweep finds those by this index.
CREATE INDEX webhook_deliveries_unsent ON webhook_deliveries (updated_at) WHERE status = 'pending' AND attempts = 0 AND queued;
