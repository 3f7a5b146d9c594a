-- API keys get a role: admin (everything) or runtime (accounts, sessions,
-- actions, logs; no keys, profiles or project). Existing keys keep every right.
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
