//! Image references: `HOST[:PORT]/REPO[:TAG][@sha256:HEX]`. The registry host is required:
//! Vigil never silently assumes Docker Hub. `docker.io` (and `index.docker.io`) is accepted
//! and mapped to `registry-1.docker.io`, with `library/` before a single-component repository.
//! Without a tag or digest the tag is `latest`. Everything is bounded and checked against the
//! distribution specification's grammar, so a reference can be put into a URL path as is.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::digest::Digest;
use crate::error::ReferenceError;

/// Longest reference string accepted.
const MAX_REFERENCE_LEN: usize = 1024;
/// Longest repository name (the distribution specification's bound).
const MAX_REPOSITORY_LEN: usize = 255;
/// Longest tag.
const MAX_TAG_LEN: usize = 128;

/// Docker Hub's registry host, to which `docker.io` is mapped.
pub const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io";

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    host: String,
    port: Option<u16>,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses `HOST[:PORT]/REPO[:TAG][@sha256:HEX]`.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let shown = || s.chars().take(120).collect::<String>();
        if s.is_empty() || s.len() > MAX_REFERENCE_LEN {
            return Err(ReferenceError::Malformed(format!(
                "length must be 1 to {MAX_REFERENCE_LEN} bytes"
            )));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ReferenceError::Malformed(format!(
                "`{}` contains whitespace or control characters",
                shown().escape_default()
            )));
        }
        let Some((host_part, rest)) = s.split_once('/') else {
            return Err(ReferenceError::MissingRegistry(shown()));
        };
        let looks_like_host = host_part.contains('.')
            || host_part.contains(':')
            || host_part.starts_with('[')
            || host_part == "localhost";
        if !looks_like_host {
            return Err(ReferenceError::MissingRegistry(shown()));
        }
        let (host, port) = parse_host_port(host_part)?;

        let (name_tag, digest) = match rest.split_once('@') {
            Some((n, d)) => (n, Some(Digest::parse(d)?)),
            None => (rest, None),
        };
        let (repository, tag) = match name_tag.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t)),
            Some(_) => return Err(ReferenceError::BadRepository(name_tag.into())),
            None => (name_tag, None),
        };
        if let Some(t) = tag {
            if !valid_tag(t) {
                return Err(ReferenceError::BadTag(t.chars().take(140).collect()));
            }
        }
        if !valid_repository(repository) {
            return Err(ReferenceError::BadRepository(
                repository.chars().take(260).collect(),
            ));
        }

        let mut reference = Reference {
            host,
            port,
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest,
        };
        if reference.port.is_none()
            && matches!(
                reference.host.as_str(),
                "docker.io" | "index.docker.io" | DOCKER_HUB_REGISTRY
            )
        {
            reference.host = DOCKER_HUB_REGISTRY.to_string();
            if !reference.repository.contains('/') {
                reference.repository = format!("library/{}", reference.repository);
            }
        }
        if reference.tag.is_none() && reference.digest.is_none() {
            reference.tag = Some("latest".to_string());
        }
        Ok(reference)
    }

    /// The registry host (lower case; an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The registry port, when given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `host[:port]`, as it goes into a URL.
    pub fn registry(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The repository path (`library/debian`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag (`latest` when the reference named neither tag nor digest).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, when the reference pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What is asked of the registry: the digest when there is one, else the tag.
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }

    /// The same image pinned to `digest` (the tag is kept for display).
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            digest: Some(digest),
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry(), self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

pub(crate) fn parse_host_port(s: &str) -> Result<(String, Option<u16>), ReferenceError> {
    let bad = || ReferenceError::BadHost(s.chars().take(260).collect());
    let (host, port) = if let Some(inner) = s.strip_prefix('[') {
        let (addr, after) = inner.split_once(']').ok_or_else(bad)?;
        addr.parse::<Ipv6Addr>().map_err(|_| bad())?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (format!("[{}]", addr.to_ascii_lowercase()), port)
    } else {
        let (h, p) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        let h = h.to_ascii_lowercase();
        if h.parse::<Ipv4Addr>().is_err() && !valid_domain(&h) {
            return Err(bad());
        }
        (h, p)
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(bad()),
            }
        }
    };
    Ok((host, port))
}

fn valid_domain(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` per component, components joined by `/`.
fn valid_repository(r: &str) -> bool {
    !r.is_empty() && r.len() <= MAX_REPOSITORY_LEN && r.split('/').all(valid_component)
}

fn valid_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok =
            matches!(sep, "." | "_" | "__") || (!sep.is_empty() && sep.bytes().all(|b| b == b'-'));
        if !ok {
            return false;
        }
    }
    true
}

fn valid_tag(t: &str) -> bool {
    let bytes = t.as_bytes();
    match bytes.first() {
        Some(&b) if b.is_ascii_alphanumeric() || b == b'_' => {}
        _ => return false,
    }
    t.len() <= MAX_TAG_LEN
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Whether `r` is a valid repository name (for listings and the testing helpers).
pub fn is_valid_repository(r: &str) -> bool {
    valid_repository(r)
}

/// Whether `t` is a valid tag.
pub fn is_valid_tag(t: &str) -> bool {
    valid_tag(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn full_forms() {
        let r = Reference::parse("registry.example.com:5000/team/app:1.2-rc").unwrap();
        assert_eq!(r.host(), "registry.example.com");
        assert_eq!(r.port(), Some(5000));
        assert_eq!(r.registry(), "registry.example.com:5000");
        assert_eq!(r.repository(), "team/app");
        assert_eq!(r.tag(), Some("1.2-rc"));
        assert_eq!(r.target(), "1.2-rc");
        assert_eq!(r.to_string(), "registry.example.com:5000/team/app:1.2-rc");

        let r = Reference::parse(&format!("127.0.0.1:5000/app@sha256:{HEX}")).unwrap();
        assert_eq!(r.tag(), None);
        assert_eq!(r.target(), format!("sha256:{HEX}"));

        let r = Reference::parse(&format!("localhost/a/b:t@sha256:{HEX}")).unwrap();
        assert_eq!(r.tag(), Some("t"));
        assert_eq!(r.target(), format!("sha256:{HEX}"));

        let r = Reference::parse("[::1]:5000/app").unwrap();
        assert_eq!(r.host(), "[::1]");
        assert_eq!(r.registry(), "[::1]:5000");
        assert_eq!(r.tag(), Some("latest"));

        let r = Reference::parse("Quay.IO/org/img").unwrap();
        assert_eq!(r.host(), "quay.io");
    }

    #[test]
    fn docker_hub_is_explicit_and_mapped() {
        let r = Reference::parse("docker.io/debian:12").unwrap();
        assert_eq!(r.host(), DOCKER_HUB_REGISTRY);
        assert_eq!(r.repository(), "library/debian");
        let r = Reference::parse("docker.io/bitnami/redis").unwrap();
        assert_eq!(r.repository(), "bitnami/redis");
        assert_eq!(r.tag(), Some("latest"));
        // No host: refused, never guessed.
        for s in ["debian", "debian:12", "library/debian", "bitnami/redis:7"] {
            assert!(
                matches!(Reference::parse(s), Err(ReferenceError::MissingRegistry(_))),
                "{s}"
            );
        }
        let msg = Reference::parse("debian:12").unwrap_err().to_string();
        assert!(msg.contains("names no registry host"), "{msg}");
    }

    #[test]
    fn refusals() {
        for s in [
            "",
            "host.example/",
            "host.example/App",
            "host.example/a//b",
            "host.example/a-",
            "host.example/a...b",
            "host.example/a___b",
            "host.example/a:",
            "host.example/a:.tag",
            "host.example/a:t/b",
            "host.example:0/a",
            "host.example:65536/a",
            "host.example:x/a",
            "-bad.example/a",
            "[::1/a",
            "[zz]:5/a",
            "host.example/a@sha256:abc",
            "host.example/a@md5:abc",
            "host example/a",
            "host.example/a\n",
        ] {
            assert!(Reference::parse(s).is_err(), "{s:?}");
        }
        let long_tag = format!("h.example/a:{}", "t".repeat(129));
        assert!(matches!(
            Reference::parse(&long_tag),
            Err(ReferenceError::BadTag(_))
        ));
        let long_repo = format!("h.example/{}", "a".repeat(256));
        assert!(matches!(
            Reference::parse(&long_repo),
            Err(ReferenceError::BadRepository(_))
        ));
        assert!(Reference::parse(&"a".repeat(2000)).is_err());
    }

    #[test]
    fn separators() {
        for ok in ["a.b", "a_b", "a__b", "a---b", "a-b.c_d"] {
            assert!(valid_component(ok), "{ok}");
        }
        for bad in ["a.-b", "a-.b", "_a", "a_", "a._b", "a..b"] {
            assert!(!valid_component(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = Reference::parse(&s);
        }

        #[test]
        fn parse_never_panics_near_valid(
            host in "[a-z0-9.:\\[\\]-]{0,20}",
            repo in "[a-z0-9._/-]{0,40}",
            tail in "[a-zA-Z0-9:@._-]{0,80}",
        ) {
            let _ = Reference::parse(&format!("{host}/{repo}{tail}"));
        }

        #[test]
        fn valid_references_round_trip(
            host in "[a-z][a-z0-9]{0,10}\\.[a-z]{2,5}",
            port in proptest::option::of(1u16..),
            repo in "[a-z0-9]{1,8}(/[a-z0-9]{1,8}(-[a-z0-9]{1,4})?){0,3}",
            tag in "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,20}",
        ) {
            prop_assume!(host != "docker.io");
            let registry = match port { Some(p) => format!("{host}:{p}"), None => host.clone() };
            let s = format!("{registry}/{repo}:{tag}");
            let r = Reference::parse(&s).unwrap();
            prop_assert_eq!(r.to_string(), s.clone());
            prop_assert_eq!(Reference::parse(&r.to_string()).unwrap(), r);
        }
    }
}
