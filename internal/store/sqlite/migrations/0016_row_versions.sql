-- Every change to a key, an account or a connector profile bumps its row's
-- version, whichever statement makes it. A node keeps what a call read and,
-- on the next call, reads only the three versions to learn whether it is still
-- current: a revoked key or a disabled profile is seen on every node at once.
ALTER TABLE api_keys ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connector_profiles ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- SQLite triggers cannot change NEW; the update they make does not fire them
-- again (recursive triggers are off), and the WHEN clause would stop it if
-- they were on.
CREATE TRIGGER api_keys_version AFTER UPDATE ON api_keys FOR EACH ROW WHEN NEW.version = OLD.version
BEGIN
	UPDATE api_keys SET version = OLD.version + 1 WHERE id = OLD.id;
END;
CREATE TRIGGER accounts_version AFTER UPDATE ON accounts FOR EACH ROW WHEN NEW.version = OLD.version
BEGIN
	UPDATE accounts SET version = OLD.version + 1 WHERE id = OLD.id;
END;
CREATE TRIGGER connector_profiles_version AFTER UPDATE ON connector_profiles FOR EACH ROW WHEN NEW.version = OLD.version
BEGIN
	UPDATE connector_profiles SET version = OLD.version + 1 WHERE id = OLD.id;
END;
