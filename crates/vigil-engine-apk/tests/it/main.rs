//! The APK engine's integration tests: real packages built by Debian's Android tools
//! ([`support::apk`]) read by Vigil's parsers and compared with the reference readers.

mod dex;
mod dex_hostile;
mod dex_large;
mod smoke;
mod support;
