-- Scan groups: one request that scans many subjects, one queue task per subject, for every
-- product (TCSS image scans, MS app scans). What a product keeps beyond these columns is JSON
-- in `facts`. The image scans so far become groups of product tcss with the same ids (the
-- TaskIDs clients hold stay valid): one-click and scanners move into the group's facts, each
-- image's scanners into its item's facts. The id counters go on from the old tables'.
CREATE TABLE scan_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    product TEXT NOT NULL,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'api',
    timeout_secs BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    stop_reason TEXT,
    stopped_at BIGINT,
    created_at BIGINT NOT NULL,
    facts TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX scan_groups_account ON scan_groups (account_id, product, kind, id);
CREATE TABLE scan_group_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    group_id BIGINT NOT NULL REFERENCES scan_groups(id),
    subject_row BIGINT,
    subject_key TEXT NOT NULL,
    task_id BIGINT NOT NULL UNIQUE,
    facts TEXT NOT NULL DEFAULT '{}',
    errors TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX scan_group_items_group ON scan_group_items (group_id);
CREATE INDEX scan_group_items_row ON scan_group_items (account_id, subject_row, task_id);
CREATE INDEX scan_group_items_key ON scan_group_items (account_id, subject_key, task_id);
INSERT INTO scan_groups (id, account_id, product, kind, origin, timeout_secs, deadline_at, stop_reason, stopped_at, created_at, facts)
    SELECT id, account_id, 'tcss', kind, origin, timeout_secs, deadline_at, stop_reason, stopped_at, created_at,
        '{"one_click":' || CASE WHEN one_click <> 0 THEN 'true' ELSE 'false' END || ',"scanners":' || scanners || '}'
    FROM image_scans;
INSERT INTO scan_group_items (id, account_id, group_id, subject_row, subject_key, task_id, facts, errors, created_at)
    SELECT id, account_id, scan_id, image_row, image_id, task_id, '{"scanners":' || scanners || '}', errors, created_at
    FROM image_scan_items;
-- AUTOINCREMENT keeps its counter in sqlite_sequence: take over the old tables' counters.
DELETE FROM sqlite_sequence WHERE name IN ('scan_groups', 'scan_group_items');
INSERT INTO sqlite_sequence (name, seq) SELECT 'scan_groups', seq FROM sqlite_sequence WHERE name = 'image_scans';
INSERT INTO sqlite_sequence (name, seq) SELECT 'scan_group_items', seq FROM sqlite_sequence WHERE name = 'image_scan_items';
DROP TABLE image_scan_items;
DROP TABLE image_scans;
