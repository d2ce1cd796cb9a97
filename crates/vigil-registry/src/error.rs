//! Errors of the registry client. No message ever carries a password, a token, or the query
//! of a URL (blob storage redirects put signatures there): URLs in errors are redacted to
//! scheme, host, port and path.

use vigil_engine::ScopeError;

/// Why a reference string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Empty, too long, or containing characters no reference may hold.
    #[error("invalid image reference: {0}")]
    Malformed(String),
    /// No registry host before the first `/` (Vigil never assumes Docker Hub).
    #[error(
        "image reference `{0}` names no registry host; write it as HOST[:PORT]/REPO[:TAG] \
         (for Docker Hub: docker.io/REPO)"
    )]
    MissingRegistry(String),
    /// The registry host or port is not valid.
    #[error("invalid registry host in image reference: {0}")]
    BadHost(String),
    /// The repository path is not valid.
    #[error("invalid repository name `{0}`: lower-case letters, digits and separators (. _ __ -) in components joined by /")]
    BadRepository(String),
    /// The tag is not valid.
    #[error("invalid tag `{0}`: up to 128 of letters, digits, _ . - (not starting with . or -)")]
    BadTag(String),
    /// The digest is not a valid `sha256:` digest.
    #[error("invalid digest `{0}`: expected sha256: and 64 lower-case hex digits")]
    BadDigest(String),
}

/// An error talking to a registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A reference or digest that cannot be used.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The scope guard refused a host (registry, token realm or redirect target); nothing
    /// was sent to it.
    #[error("refused by the scope guard: {0}")]
    OutOfScope(#[from] ScopeError),
    /// A plain-HTTP URL while `insecure_http` is off (or a scheme that is not HTTP at all).
    #[error("refusing {url}: {reason}")]
    InsecureScheme {
        /// The URL, redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// The client configuration cannot be used (bad CA bundle, for instance).
    #[error("registry client configuration: {0}")]
    Config(String),
    /// Connection, TLS or protocol failure, or a timeout.
    #[error("cannot reach {url}: {message}")]
    Transport {
        /// The URL, redacted.
        url: String,
        /// What went wrong (never contains credentials).
        message: String,
    },
    /// Authentication failed or is required (the message says which).
    #[error("authentication failed at {host}: {reason}")]
    Unauthorized {
        /// The registry or token service.
        host: String,
        /// Why.
        reason: String,
    },
    /// Authenticated but not allowed (HTTP 403).
    #[error("access denied at {url}: {message}")]
    Denied {
        /// The URL, redacted.
        url: String,
        /// The registry's error text.
        message: String,
    },
    /// The repository, manifest or blob does not exist.
    #[error("not found: {what} ({message})")]
    NotFound {
        /// What was asked for.
        what: String,
        /// The registry's error text.
        message: String,
    },
    /// An unexpected status.
    #[error("{url} answered HTTP {status}: {message}")]
    Status {
        /// The URL, redacted.
        url: String,
        /// Status code.
        status: u16,
        /// The registry's error text, bounded.
        message: String,
    },
    /// A blob not read to its end within the client's `blob_deadline`.
    #[error("{what} was not read within the blob deadline of {deadline:?} (blob_deadline)")]
    Deadline {
        /// What was being read.
        what: String,
        /// The deadline it was given.
        deadline: std::time::Duration,
    },
    /// A body larger than the configured limit.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was being read.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// Content whose sha256 is not the digest it was asked for or announced with.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was read.
        what: String,
        /// The digest expected.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// Content of another size than its descriptor says.
    #[error("size mismatch for {what}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was read.
        what: String,
        /// The size expected.
        expected: u64,
        /// The bytes received.
        actual: u64,
    },
    /// More redirects than allowed.
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    /// A listing longer than the page bound; the result would be incomplete.
    #[error("listing at {url} has more than {limit} pages; refusing an incomplete result")]
    TooManyPages {
        /// The listing, redacted.
        url: String,
        /// The page bound.
        limit: usize,
    },
    /// A response that does not follow the distribution protocol.
    #[error("protocol error from {url}: {message}")]
    Protocol {
        /// The URL, redacted.
        url: String,
        /// What was wrong.
        message: String,
    },
}

impl RegistryError {
    /// The registry error carried by an I/O error from a [`crate::BlobReader`] (digest or
    /// size mismatch, limit, transport), if any.
    pub fn from_io(err: &std::io::Error) -> Option<&RegistryError> {
        err.get_ref()
            .and_then(|e| e.downcast_ref::<RegistryError>())
    }

    pub(crate) fn protocol(url: &url::Url, message: impl Into<String>) -> Self {
        RegistryError::Protocol {
            url: redact(url),
            message: message.into(),
        }
    }
}

/// A URL as it may appear in errors and logs: scheme, host, port and path; no user
/// information, query or fragment.
pub fn redact(url: &url::Url) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(p) = url.port() {
        s.push_str(&format!(":{p}"));
    }
    s.push_str(url.path());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_secrets() {
        let u = url::Url::parse("https://user:pw@blobs.example:8443/a/b?X-Amz-Signature=abc#f")
            .unwrap();
        assert_eq!(redact(&u), "https://blobs.example:8443/a/b");
    }
}
