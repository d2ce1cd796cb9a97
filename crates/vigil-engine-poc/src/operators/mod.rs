//! Matchers and extractors, evaluated over the named parts of one response.
