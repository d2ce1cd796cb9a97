//! Templates: the typed model, the parser from YAML, and loading from directories and archives.
