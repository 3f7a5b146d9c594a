-- API keys and connector profiles are listed a page at a time, after the last
-- one of the page before (created_at, id): the index serves that order whole.
DROP INDEX api_keys_project;
CREATE INDEX api_keys_project ON api_keys (project_id, created_at, id);
DROP INDEX connector_profiles_project;
CREATE INDEX connector_profiles_project ON connector_profiles (project_id, created_at, id);
