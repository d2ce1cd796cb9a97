CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL UNIQUE,
    uin TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    secret_id TEXT NOT NULL UNIQUE,
    secret_key_enc TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE request_nonces (
    secret_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (secret_id, nonce)
);
CREATE TABLE sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    name TEXT NOT NULL,
    need_login BIGINT NOT NULL DEFAULT 0,
    login_cookie_enc TEXT,
    login_check_url TEXT NOT NULL DEFAULT '',
    login_check_kw TEXT NOT NULL DEFAULT '',
    scan_disallow TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, url)
);
CREATE TABLE site_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    domain TEXT NOT NULL,
    token TEXT NOT NULL,
    verify_status BIGINT NOT NULL DEFAULT 0,
    method TEXT NOT NULL DEFAULT '',
    valid_to BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, domain)
);
CREATE TABLE assets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, kind, value)
);
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    product TEXT NOT NULL,
    schedule TEXT NOT NULL,
    task_spec TEXT NOT NULL,
    next_fire_at BIGINT,
    last_fired_at BIGINT,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX schedules_due ON schedules (enabled, next_fire_at);
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    product TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    options TEXT NOT NULL,
    state TEXT NOT NULL,
    progress BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    heartbeat_at BIGINT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    schedule_id BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_ready ON tasks (state, run_after);
CREATE INDEX tasks_account ON tasks (account_id, id);
CREATE TABLE task_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id BIGINT NOT NULL REFERENCES tasks(id),
    attempt BIGINT NOT NULL,
    worker_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    outcome TEXT,
    error TEXT
);
CREATE INDEX task_attempts_task ON task_attempts (task_id);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    task_id BIGINT NOT NULL,
    scope_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    UNIQUE (account_id, fingerprint)
);
CREATE INDEX findings_scope ON findings (account_id, scope_key);
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
