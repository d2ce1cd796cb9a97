CREATE TABLE components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    task_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    purl TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    seen_at BIGINT NOT NULL,
    UNIQUE (task_id, kind, name, version, path)
);
CREATE INDEX components_account ON components (account_id, task_id);
