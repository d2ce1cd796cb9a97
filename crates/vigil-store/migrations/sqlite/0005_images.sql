CREATE TABLE image_registries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    registry_type TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    password_enc TEXT NOT NULL DEFAULT '',
    net_type TEXT NOT NULL DEFAULT 'public',
    registry_version TEXT NOT NULL DEFAULT '',
    registry_region TEXT NOT NULL DEFAULT '',
    speed_limit BIGINT NOT NULL DEFAULT 0,
    insecure BIGINT NOT NULL DEFAULT 0,
    conn_detect TEXT NOT NULL DEFAULT '[]',
    instance_id TEXT NOT NULL DEFAULT '',
    need_scan BIGINT NOT NULL DEFAULT 0,
    sync_mode BIGINT NOT NULL DEFAULT 0,
    health_error TEXT NOT NULL DEFAULT '',
    health_checked_at BIGINT,
    sync_status TEXT NOT NULL DEFAULT '',
    sync_error TEXT NOT NULL DEFAULT '',
    sync_message TEXT NOT NULL DEFAULT '',
    synced_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    registry_id BIGINT NOT NULL DEFAULT 0,
    ref_key TEXT NOT NULL,
    image_id TEXT NOT NULL,
    digest TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    repository TEXT NOT NULL DEFAULT '',
    tag TEXT NOT NULL DEFAULT '',
    namespace TEXT NOT NULL DEFAULT '',
    size BIGINT NOT NULL DEFAULT 0,
    os_name TEXT NOT NULL DEFAULT '',
    architecture TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    history TEXT NOT NULL DEFAULT '',
    repo_digests TEXT NOT NULL DEFAULT '[]',
    image_created_at BIGINT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    last_task_id BIGINT,
    UNIQUE (account_id, registry_id, ref_key)
);
CREATE INDEX images_image_id ON images (account_id, image_id);
CREATE TABLE image_scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    one_click BIGINT NOT NULL DEFAULT 0,
    origin TEXT NOT NULL DEFAULT 'api',
    scanners TEXT NOT NULL,
    timeout_secs BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    stop_reason TEXT,
    stopped_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX image_scans_account ON image_scans (account_id, kind, id);
CREATE TABLE image_scan_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    scan_id BIGINT NOT NULL,
    image_row BIGINT NOT NULL,
    image_id TEXT NOT NULL,
    task_id BIGINT NOT NULL UNIQUE,
    scanners TEXT NOT NULL,
    errors TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX image_scan_items_scan ON image_scan_items (scan_id);
CREATE INDEX image_scan_items_image ON image_scan_items (account_id, image_row, task_id);
