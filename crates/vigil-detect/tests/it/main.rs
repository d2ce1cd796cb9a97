//! Integration tests of vigil-detect, in one test binary (matklad's layout: each file of this
//! directory is a module; yara-x makes every test binary about 40 MB, one binary links
//! once): built-in and user YARA rules, hash lists cross-checked against ClamAV, secrets,
//! sensitive files and the scanner as a whole. `common` holds the shared helpers.

mod clamav;
mod common;
mod malware;
mod scanner;
mod secrets;
mod sensitive;
