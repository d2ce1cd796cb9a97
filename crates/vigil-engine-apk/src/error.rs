//! Why an Android package (or one of its parts) could not be read. Every parser of this
//! crate reports one of these instead of panicking: a truncated or malformed structure names
//! what it was reading and where, and a structure larger than its limit names the limit.

/// An error reading an APK or one of its files.
#[derive(Debug, thiserror::Error)]
pub enum ApkError {
    /// The data ends before the structure does.
    #[error("{what} is truncated at offset {offset}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Offset where more bytes were needed.
        offset: u64,
    },
    /// The structure is not what its format says.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// Why it is refused.
        why: String,
    },
    /// The structure is larger than Vigil reads.
    #[error("{what} is too large: {size} over the limit of {limit}")]
    TooLarge {
        /// What was being read.
        what: &'static str,
        /// Its size (bytes, entries, ... as `what` says).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A valid feature this reader does not handle.
    #[error("unsupported {what}: {why}")]
    Unsupported {
        /// What was being read.
        what: &'static str,
        /// What is not supported.
        why: String,
    },
    /// Reading the file failed.
    #[error("cannot read the package: {0}")]
    Io(#[from] std::io::Error),
}

impl ApkError {
    /// A [`ApkError::Malformed`] error.
    pub fn malformed(what: &'static str, why: impl Into<String>) -> Self {
        ApkError::Malformed {
            what,
            why: why.into(),
        }
    }
}

/// Result of this crate.
pub type Result<T, E = ApkError> = std::result::Result<T, E>;
