-- Deliveries are queued after the transaction that makes them commits, so
-- that the node's workers fetch them at once. A crash between the two leaves
-- a delivery handed to the queue (queued) that never had an attempt; the
-- sweep finds those by this index.
CREATE INDEX webhook_deliveries_unsent ON webhook_deliveries (updated_at) WHERE status = 'pending' AND attempts = 0 AND queued;

-- Every node LISTENs on "patchbay_events.<schema>", so that an event
-- committed by another node or a command is dispatched at once rather than at
-- the next poll. One notification per statement; PostgreSQL folds the
-- identical notifications of a transaction into one.
CREATE FUNCTION patchbay_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('patchbay_events.' || current_schema(), '');
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION patchbay_notify_events();
