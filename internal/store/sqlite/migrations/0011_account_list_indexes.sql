-- Account lists page in SQL in (created_at, id) order. Each index serves a
-- filter, the order and the page together, so no plan has to choose between
-- filtering and sorting: the whole project, one customer, and the linking
-- step's lookup of a customer's account with one provider.
DROP INDEX accounts_project;
CREATE INDEX accounts_project ON accounts (project_id, created_at, id);
CREATE INDEX accounts_project_owner ON accounts (project_id, origin_owner_id, created_at, id);
DROP INDEX accounts_owner;
CREATE INDEX accounts_owner ON accounts (project_id, provider, origin_owner_id, created_at, id);
