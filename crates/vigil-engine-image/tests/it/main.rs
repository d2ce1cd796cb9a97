//! Integration tests of the image engine, in one test binary (matklad's layout: each file of
//! this directory is a module; yara-x and wasmtime make every test binary large and slow to
//! link, one binary links once): reading images (archives, `dir:`, a real registry, stopping
//! reads), package inventories (dpkg, apk, rpm, language ecosystems, binaries) checked against
//! the real tools, whole scans against real advisories, and what a scan keeps in memory.
//! Test data stays beside this directory: `tests/data/` and `tests/fixtures/`. `common` holds
//! the shared helpers.

mod common;
mod kept;
mod read;
mod registry;
mod sbom;
mod sbom_binaries;
mod sbom_lang;
mod sbom_rpm;
mod scan;
mod scan_languages;
mod stop;
