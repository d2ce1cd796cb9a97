//! The APK engine's integration tests: real packages built by Debian's Android tools
//! ([`support::apk`]) read by Vigil's parsers and compared with the reference readers.

mod axml;
mod axml_hostile;
mod dex;
mod dex_hostile;
mod dex_large;
mod engine;
mod malware;
mod manifest;
mod manifest_arsc;
mod manifest_nsc;
mod package;
mod permissions;
mod rules_code;
mod rules_code_crypto;
mod rules_manifest;
mod rules_native;
mod rules_signing;
mod sdks;
mod sensitive;
mod sig;
mod sig_fuzz;
mod smoke;
mod support;
mod zip;
mod zip_props;
