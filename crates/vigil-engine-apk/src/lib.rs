//! The `apk` engine: Android packages read for security review without running them. The
//! parsers stand apart from the rules (the yara-x pattern): [`zip`] reads the container the
//! way Android does (central directory first, tolerant of the tricks malware plays, bounded
//! against bombs and traversal), and each format has its own module over plain byte slices
//! with bounds-checked reads ([`bytes`]); errors are [`ApkError`]s, never panics. [`package`]
//! reads one APK once into what the rules see: the container, the manifest, the network
//! security config and the signatures, with the parts that could not be read and why;
//! [`rules`] says what is wrong with it; [`inventory`] what it is and holds (the app,
//! its permissions, its SDKs); [`malware`] finds packers and viruses and [`sensitive`]
//! secrets, URLs, addresses and e-mails in code and resources; [`engine`] is the `apk`
//! engine workers and `vigil scan apk` run.

pub mod bytes;
pub mod dex;
pub mod engine;
mod error;
pub mod inventory;
pub mod malware;
pub mod package;
pub mod permissions;
pub mod res;
pub mod rules;
pub mod sdks;
pub mod sensitive;
pub mod sig;
pub mod zip;

pub use engine::ApkEngine;
pub use error::{ApkError, Result};
