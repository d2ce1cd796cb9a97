-- Facts about a finding that lists filter and count on, as columns (they were matched in the
-- evidence JSON text): a fixed version exists, a secret or sensitive file is exposed.
ALTER TABLE findings ADD COLUMN fixable BIGINT NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN sensitive BIGINT NOT NULL DEFAULT 0;
-- Findings stored before these columns: the one time their evidence text is read.
UPDATE findings SET fixable = 1
 WHERE kind = 'image-vuln' AND data LIKE '%"fix_status":"fixed"%';
UPDATE findings SET sensitive = 1
 WHERE kind = 'image-risk' AND (data LIKE '%"type":"secret"%' OR data LIKE '%"type":"sensitive-file"%');
