-- Who made an action call: the HTTP API, the command line, and later the MCP
-- server or the unified API. Earlier entries all came through the API.
ALTER TABLE request_logs ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
