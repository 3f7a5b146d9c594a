-- The trace an event was recorded in (a W3C traceparent, '' without one),
-- so that its webhook deliveries, sent later by any node, join that trace.
ALTER TABLE events ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
