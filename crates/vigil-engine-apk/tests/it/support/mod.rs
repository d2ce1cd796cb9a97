//! Test support: building real APKs with Debian's `smali`, `aapt`, `zipalign` and
//! `apksigner`, and running the reference readers (`aapt dump`, `dexdump`,
//! `apksigner verify`).

pub mod apk;
