-- What agents and their users say about the tools they used (the StackOne
-- AI SDK's tool_feedback tool): the text, the accounts and the tools named.
CREATE TABLE tool_feedback (
	id          TEXT PRIMARY KEY,
	project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	feedback    TEXT NOT NULL,
	account_ids TEXT NOT NULL,
	tool_names  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX tool_feedback_project ON tool_feedback (project_id, created_at, id);
