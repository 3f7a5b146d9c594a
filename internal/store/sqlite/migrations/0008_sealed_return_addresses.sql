-- An OAuth state's redirect_uri is the Hub address the browser returns to, and
-- it carries the Hub session token: from now on it is sealed. States live ten
-- minutes; the ones in flight are dropped rather than converted.
DELETE FROM oauth_states;
-- The sweeper deletes expired sessions (their attempts and states go with
-- them) and expired states.
CREATE INDEX connect_sessions_expires ON connect_sessions (expires_at);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
