-- Every change to a key, an account or a connector profile bumps its row's
-- version, whichever statement makes it. A node keeps what a call read and,
-- on the next call, reads only the three versions to learn whether it is still
-- current: a revoked key or a disabled profile is seen on every node at once.
ALTER TABLE api_keys ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connector_profiles ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.version := OLD.version + 1;
	RETURN NEW;
END
$$;
CREATE TRIGGER api_keys_version BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION bump_row_version();
CREATE TRIGGER accounts_version BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION bump_row_version();
CREATE TRIGGER connector_profiles_version BEFORE UPDATE ON connector_profiles FOR EACH ROW EXECUTE FUNCTION bump_row_version();
