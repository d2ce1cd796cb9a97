CREATE TABLE exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    job_id TEXT NOT NULL,
    product TEXT NOT NULL,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    UNIQUE (account_id, job_id)
);
CREATE INDEX exports_expires ON exports (expires_at);
