-- Nonces are purged by expiry through an index, not a full scan, and claims interleave accounts
-- (the one served longest ago, by a claim sequence, first) and count each account's running tasks.
CREATE INDEX request_nonces_expires ON request_nonces (expires_at);
ALTER TABLE accounts ADD COLUMN claim_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tasks_account_state ON tasks (account_id, state);
-- A token file used to prove a whole host wherever it was served. Now only a file on the
-- host's default HTTP(S) port does (a file elsewhere proves that site only), and older
-- records do not say which port served it: file proofs are to be made again.
UPDATE site_verifications SET verify_status = 0, method = '' WHERE method = 'file';
