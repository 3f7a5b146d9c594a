-- Account lists page in SQL in (created_at, id) order: the index serves the
-- order and the page, for the whole project and for one customer.
DROP INDEX accounts_project;
CREATE INDEX accounts_project ON accounts (project_id, created_at, id);
CREATE INDEX accounts_project_owner ON accounts (project_id, origin_owner_id, created_at, id);
