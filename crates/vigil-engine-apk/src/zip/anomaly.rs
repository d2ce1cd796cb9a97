//! What is odd about an archive: each trick malware plays with the zip container (to hide
//! entries from analysers, to crash or mislead unpackers, or to differ between what a tool
//! shows and what Android runs) is recorded as an [`Anomaly`] instead of stopping the read.
//! [`Anomaly::android_rejects`] says whether Android's own reader (libziparchive, used by
//! the package manager and `ApkAssets`) would refuse the archive or the entry; an anomaly it
//! accepts is the more suspicious one, since the package installs while other tools differ.

use std::fmt;

/// Which kind of escaping an entry name attempts. Vigil never uses entry names as paths;
/// these are reported because unpackers that do would write outside their directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameIssue {
    /// A `..` path component.
    ParentDir,
    /// Starts with `/`, or with a drive letter such as `C:`.
    Absolute,
    /// Contains `\`, a separator on Windows.
    Backslash,
    /// Contains a NUL byte (truncates the name in C code).
    Nul,
}

/// Which fields of a local file header differ from its central directory record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Mismatch {
    /// The names differ (in length or bytes).
    pub name: bool,
    /// The compression methods differ (the BadPack trick: Android reads the central
    /// directory's method and never looks at the local one).
    pub method: bool,
    /// Compressed or uncompressed sizes differ while the local header has no data descriptor.
    pub sizes: bool,
    /// CRC-32 differs while the local header has no data descriptor.
    pub crc: bool,
    /// Bit 3 of the flags (sizes in a trailing data descriptor) differs.
    pub data_descriptor: bool,
}

impl Mismatch {
    /// Whether any field differs.
    pub fn any(&self) -> bool {
        self.name || self.method || self.sizes || self.crc || self.data_descriptor
    }
}

/// Something odd about an archive, with the entries (by index into
/// [`Archive::entries`](super::Archive::entries)) it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// The last end of central directory signature (the one Android takes) sits inside the
    /// comment of an earlier record, and its own comment does not reach the end of the file:
    /// Vigil reads the earlier record, Android refuses the archive.
    EocdInComment {
        /// Offset of the later signature.
        offset: usize,
    },
    /// The end of central directory comment length does not reach exactly the end of the
    /// file (bytes appended after the archive, or a comment cut short). Android refuses it
    /// ("extraneous bytes at the end of the central directory"); Vigil reads on.
    CommentLengthMismatch {
        /// Comment length the record declares.
        declared: u16,
        /// Bytes actually following the record.
        actual: usize,
    },
    /// The central directory ends (or a record lacks its signature) before the number of
    /// entries the end record declares; Android refuses the archive.
    CentralDirectoryTruncated {
        /// Entries declared.
        declared: u64,
        /// Entries read.
        parsed: u64,
    },
    /// The declared entries fill less of the central directory than its declared size:
    /// records past the count are invisible to Android but may be listed by other tools.
    CentralDirectorySizeMismatch {
        /// Declared size in bytes.
        declared: u64,
        /// Bytes the declared entries use.
        parsed: u64,
    },
    /// The first local header is not at offset 0. If the file does not start with a local
    /// header signature Android refuses it (the Janus fix, CVE-2017-13156: a DEX or other
    /// file prepended to a signed APK).
    DataBeforeFirstEntry {
        /// Bytes before the first referenced local header.
        len: u64,
        /// Whether the file still starts with a local header signature (an entry that the
        /// central directory does not list).
        starts_with_local_header: bool,
    },
    /// Two entries share a name. Android refuses the archive (the "master key" fix,
    /// bug 8219321); readers that keep the last one see other content than Vigil, which
    /// takes the first as `by_name` does.
    DuplicateName {
        /// The name.
        name: String,
        /// The first entry with it.
        first: usize,
        /// The later one.
        duplicate: usize,
    },
    /// The local header of an entry is missing, out of bounds, or past the start of the
    /// central directory; Android cannot open the entry (or refuses the archive when the
    /// offset is past the central directory).
    BadLocalHeader {
        /// The entry.
        index: usize,
        /// Its offset.
        offset: u64,
        /// What is wrong.
        why: &'static str,
    },
    /// The local header disagrees with the central directory. Android uses the central
    /// directory's method and sizes; it refuses the entry when the names differ, or when
    /// sizes or CRC differ without a data descriptor.
    LocalHeaderMismatch {
        /// The entry.
        index: usize,
        /// The compression method the local header claims.
        local_method: u16,
        /// What differs.
        differs: Mismatch,
    },
    /// A compression method other than stored (0) or deflated (8). Android's `ApkAssets`
    /// reads anything not deflated as stored; Vigil does the same (BadPack).
    UnknownCompressionMethod {
        /// The entry.
        index: usize,
        /// The method.
        method: u16,
    },
    /// The encryption flag is set. Android ignores it and reads the data as plain; tools
    /// built on `java.util.zip` refuse the entry ("fake encryption" against analysers).
    EncryptedFlag {
        /// The entry.
        index: usize,
    },
    /// A stored entry whose compressed and uncompressed sizes differ; Android reads the
    /// uncompressed size.
    StoredSizeMismatch {
        /// The entry.
        index: usize,
        /// Compressed size.
        compressed: u64,
        /// Uncompressed size.
        uncompressed: u64,
    },
    /// The name would escape an extraction directory (or truncate, for NUL). Android
    /// refuses names with NUL; the others install.
    NameTraversal {
        /// The entry.
        index: usize,
        /// The name, lossy UTF-8.
        name: String,
        /// How it escapes.
        issue: NameIssue,
    },
    /// The name is not valid UTF-8. Android checks only the byte structure (so it accepts
    /// overlong forms such as `C0 AF` for `/`) and refuses the archive otherwise.
    NonUtf8Name {
        /// The entry.
        index: usize,
        /// Whether Android's looser check accepts the name.
        android_accepts: bool,
    },
    /// The entry's data runs past the start of the central directory (Android refuses the
    /// entry) or past the end of the file.
    DataOutsideArchive {
        /// The entry.
        index: usize,
        /// Offset where its data ends.
        end: u64,
        /// Where it should have ended by (start of the central directory).
        limit: u64,
    },
    /// Two entries' local headers and data overlap (one compressed stream referenced
    /// several times, as in overlapping zip bombs, or an entry hidden inside another's
    /// data). Android does not check this.
    OverlappingEntries {
        /// The entry starting first.
        first: usize,
        /// The entry starting inside it.
        second: usize,
    },
}

impl Anomaly {
    /// Whether Android's libziparchive refuses the archive or this entry for it.
    pub fn android_rejects(&self) -> bool {
        match self {
            Anomaly::EocdInComment { .. }
            | Anomaly::CommentLengthMismatch { .. }
            | Anomaly::CentralDirectoryTruncated { .. }
            | Anomaly::DuplicateName { .. }
            | Anomaly::BadLocalHeader { .. }
            | Anomaly::DataOutsideArchive { .. } => true,
            Anomaly::DataBeforeFirstEntry {
                starts_with_local_header,
                ..
            } => !starts_with_local_header,
            Anomaly::LocalHeaderMismatch { differs, .. } => {
                differs.name || differs.sizes || differs.crc
            }
            Anomaly::NameTraversal { issue, .. } => *issue == NameIssue::Nul,
            Anomaly::NonUtf8Name {
                android_accepts, ..
            } => !android_accepts,
            Anomaly::CentralDirectorySizeMismatch { .. }
            | Anomaly::UnknownCompressionMethod { .. }
            | Anomaly::EncryptedFlag { .. }
            | Anomaly::StoredSizeMismatch { .. }
            | Anomaly::OverlappingEntries { .. } => false,
        }
    }

    /// The entry this anomaly is about, if it is about one (the later one for pairs).
    pub fn entry(&self) -> Option<usize> {
        match self {
            Anomaly::DuplicateName { duplicate: i, .. }
            | Anomaly::OverlappingEntries { second: i, .. }
            | Anomaly::BadLocalHeader { index: i, .. }
            | Anomaly::LocalHeaderMismatch { index: i, .. }
            | Anomaly::UnknownCompressionMethod { index: i, .. }
            | Anomaly::EncryptedFlag { index: i }
            | Anomaly::StoredSizeMismatch { index: i, .. }
            | Anomaly::NameTraversal { index: i, .. }
            | Anomaly::NonUtf8Name { index: i, .. }
            | Anomaly::DataOutsideArchive { index: i, .. } => Some(*i),
            Anomaly::EocdInComment { .. }
            | Anomaly::CommentLengthMismatch { .. }
            | Anomaly::CentralDirectoryTruncated { .. }
            | Anomaly::CentralDirectorySizeMismatch { .. }
            | Anomaly::DataBeforeFirstEntry { .. } => None,
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::EocdInComment { offset } => write!(
                f,
                "an end of central directory signature at {offset} hides in the archive comment"
            ),
            Anomaly::CommentLengthMismatch { declared, actual } => write!(
                f,
                "the archive comment declares {declared} bytes but {actual} follow the end record"
            ),
            Anomaly::CentralDirectoryTruncated { declared, parsed } => write!(
                f,
                "the central directory holds {parsed} of the {declared} entries it declares"
            ),
            Anomaly::CentralDirectorySizeMismatch { declared, parsed } => write!(
                f,
                "the central directory declares {declared} bytes but its entries use {parsed}"
            ),
            Anomaly::DataBeforeFirstEntry { len, .. } => {
                write!(f, "{len} bytes precede the first entry")
            }
            Anomaly::DuplicateName {
                name,
                first,
                duplicate,
            } => write!(f, "entries {first} and {duplicate} are both named {name:?}"),
            Anomaly::BadLocalHeader { index, offset, why } => {
                write!(f, "entry {index}: local header at {offset}: {why}")
            }
            Anomaly::LocalHeaderMismatch {
                index,
                local_method,
                differs,
            } => write!(
                f,
                "entry {index}: the local header (method {local_method}) differs from the \
                 central directory: {differs:?}"
            ),
            Anomaly::UnknownCompressionMethod { index, method } => write!(
                f,
                "entry {index}: unknown compression method {method}, read as stored"
            ),
            Anomaly::EncryptedFlag { index } => {
                write!(f, "entry {index}: flagged encrypted, read as plain")
            }
            Anomaly::StoredSizeMismatch {
                index,
                compressed,
                uncompressed,
            } => write!(
                f,
                "entry {index}: stored with compressed size {compressed} and uncompressed size \
                 {uncompressed}"
            ),
            Anomaly::NameTraversal { index, name, issue } => {
                write!(f, "entry {index}: name {name:?} escapes ({issue:?})")
            }
            Anomaly::NonUtf8Name { index, .. } => write!(f, "entry {index}: name is not UTF-8"),
            Anomaly::DataOutsideArchive { index, end, limit } => {
                write!(f, "entry {index}: data ends at {end}, past {limit}")
            }
            Anomaly::OverlappingEntries { first, second } => {
                write!(f, "entries {first} and {second} overlap")
            }
        }
    }
}
