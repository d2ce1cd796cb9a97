-- Which engine ran each attempt of a task: its kind and version (`Engine::kind`,
-- `Engine::version`), written by the worker when the run starts. Older attempts have none.
ALTER TABLE task_attempts ADD COLUMN engine_kind TEXT;
ALTER TABLE task_attempts ADD COLUMN engine_version TEXT;
