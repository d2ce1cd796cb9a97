-- Nonces are purged by expiry through an index, not a full scan, and claims interleave accounts
-- (the one served longest ago first) and count each account's running tasks.
CREATE INDEX request_nonces_expires ON request_nonces (expires_at);
ALTER TABLE accounts ADD COLUMN last_claim_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tasks_account_state ON tasks (account_id, state);
