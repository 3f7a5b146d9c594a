-- A request log entry can be read by the request id its caller saw.
CREATE INDEX request_logs_request ON request_logs (project_id, request_id);
