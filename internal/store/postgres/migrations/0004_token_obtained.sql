-- When the stored tokens were obtained, outside the sealed credentials, so that
-- idle accounts can be found and refreshed before their refresh tokens lapse.
ALTER TABLE accounts ADD COLUMN token_obtained_at TIMESTAMPTZ;
CREATE INDEX accounts_token_obtained ON accounts (token_obtained_at);
