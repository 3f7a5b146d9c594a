-- An account's calls, newest first (the console's account page and
-- filter[account_ids]): without it the newest-first index is walked until
-- the account's calls turn up, which on a busy project is most of the table.
CREATE INDEX request_logs_account ON request_logs (project_id, account_id, start_time, id);
