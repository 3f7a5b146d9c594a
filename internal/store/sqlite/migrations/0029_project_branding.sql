-- How the Hub presents a project to its end users: the name it shows, a
-- logo, an accent colour and where to ask for help ('' for Patchbay's own).
ALTER TABLE projects ADD COLUMN brand_name TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN brand_logo_url TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN brand_accent TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN brand_support_url TEXT NOT NULL DEFAULT '';
