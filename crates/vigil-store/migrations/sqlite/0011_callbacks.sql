-- Callbacks to tenants' URLs (a finished task's webhook, an app scan's callback): kept
-- until delivered or given up, so a restart never loses one.
CREATE TABLE callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    accept TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX callbacks_due ON callbacks (state, next_at);
CREATE INDEX callbacks_account ON callbacks (account_id, id);
