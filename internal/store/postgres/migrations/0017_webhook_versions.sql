-- A webhook endpoint's version grows with every change an admin or Patchbay
-- makes to its settings (not with delivery bookkeeping), so that a write over
-- a change its writer did not see can be refused.
ALTER TABLE webhook_endpoints ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
