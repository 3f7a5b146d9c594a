-- What the passthrough proxy may do with a profile's accounts: 'off' (the
-- default, also for profiles made before: the proxy reaches the provider's
-- whole API, beyond the profile's enabled actions, so an admin turns it on),
-- 'read' (GET only) or 'read_write'.
ALTER TABLE connector_profiles ADD COLUMN proxy TEXT NOT NULL DEFAULT 'off';
