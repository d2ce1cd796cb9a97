//! Integration tests of vigil-engine-poc's public API (one test binary, a module per file).

mod corpus;
