-- Requests each API key has made (or been granted to make) per clock minute,
-- counted across every node that shares the database.
CREATE TABLE api_key_quota (
	key_id       TEXT NOT NULL,
	window_start TIMESTAMP NOT NULL,
	used         INTEGER NOT NULL,
	PRIMARY KEY (key_id, window_start)
);
