-- The first 1 KB of what the receiver answered to each delivery attempt,
-- for the console's delivery page.
ALTER TABLE webhook_attempts ADD COLUMN answer TEXT NOT NULL DEFAULT '';
