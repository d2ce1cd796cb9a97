-- What an engine knows of a component beyond name and version (JSON typed by the engine
-- contract for its kind), empty for none.
ALTER TABLE components ADD COLUMN detail TEXT NOT NULL DEFAULT '';
