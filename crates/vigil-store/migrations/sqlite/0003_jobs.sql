ALTER TABLE assets ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
CREATE TABLE scan_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    product TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    spec TEXT NOT NULL,
    schedule_id BIGINT,
    deleted BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX scan_jobs_account ON scan_jobs (account_id, product, id);
ALTER TABLE tasks ADD COLUMN job_id BIGINT;
CREATE INDEX tasks_job ON tasks (job_id, id);
CREATE TABLE finding_sightings (
    task_id BIGINT NOT NULL,
    finding_id BIGINT NOT NULL,
    PRIMARY KEY (task_id, finding_id)
);
CREATE INDEX finding_sightings_finding ON finding_sightings (finding_id);
CREATE INDEX findings_kind ON findings (account_id, kind);
