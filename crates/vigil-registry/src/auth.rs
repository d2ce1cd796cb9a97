//! Credentials and the parsing of what registries answer about authentication and paging:
//! `WWW-Authenticate` challenges (`Basic`, `Bearer realm=..,service=..,scope=..`) and `Link`
//! headers. Both parsers read untrusted header values: they are bounded in length and in the
//! number of items and never panic.

use std::fmt;

/// Longest header value parsed.
const MAX_HEADER_LEN: usize = 8 * 1024;
/// Most challenges or parameters read from one header value.
const MAX_ITEMS: usize = 32;

/// Credentials for a registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A username and password: sent as HTTP Basic to the registry when it asks for Basic,
    /// or to its token service when it asks for a Bearer token.
    Basic {
        /// User name.
        username: String,
        /// Password (never logged or shown).
        password: String,
    },
    /// A bearer token issued out of band, sent as is to the registry host only (never to a
    /// token service or a redirect target).
    Token(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// One authentication challenge from `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=..`.
    Basic,
    /// `Bearer realm=..,service=..,scope=..`.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The service name to ask the token for.
        service: Option<String>,
        /// The scope the registry says the request needs.
        scope: Option<String>,
    },
    /// Any other scheme (not supported).
    Other(String),
}

/// Parses one `WWW-Authenticate` value into its challenges (several may share one value).
/// Bounded; anything unparseable ends the parse with what was read so far.
pub fn parse_challenges(value: &str) -> Vec<Challenge> {
    let mut out = Vec::new();
    if value.len() > MAX_HEADER_LEN {
        return out;
    }
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    let mut items = 0;
    loop {
        p.skip(|b| b == b' ' || b == b'\t' || b == b',');
        let Some(scheme) = p.token() else { break };
        let mut params: Vec<(String, String)> = Vec::new();
        loop {
            items += 1;
            if items > MAX_ITEMS {
                break;
            }
            p.skip(|b| b == b' ' || b == b'\t');
            let save = p.i;
            let Some(name) = p.token() else { break };
            p.skip(|b| b == b' ' || b == b'\t');
            if !p.eat(b'=') {
                // The next challenge's scheme.
                p.i = save;
                break;
            }
            p.skip(|b| b == b' ' || b == b'\t');
            let Some(val) = p.value() else { break };
            params.push((name.to_ascii_lowercase(), val));
            p.skip(|b| b == b' ' || b == b'\t');
            if !p.eat(b',') {
                break;
            }
        }
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let ch = match scheme.to_ascii_lowercase().as_str() {
            "basic" => Challenge::Basic,
            "bearer" => match get("realm") {
                Some(realm) => Challenge::Bearer {
                    realm,
                    service: get("service"),
                    scope: get("scope"),
                },
                None => Challenge::Other("Bearer without realm".into()),
            },
            other => Challenge::Other(other.chars().take(40).collect()),
        };
        out.push(ch);
        if items > MAX_ITEMS || out.len() >= MAX_ITEMS {
            break;
        }
    }
    out
}

/// The target of the `rel="next"` link of a `Link` header value, if any. Bounded.
pub fn next_link(value: &str) -> Option<String> {
    if value.len() > MAX_HEADER_LEN {
        return None;
    }
    for link in value.split(',').take(MAX_ITEMS) {
        let link = link.trim();
        let Some(rest) = link.strip_prefix('<') else {
            continue;
        };
        let Some((target, params)) = rest.split_once('>') else {
            continue;
        };
        let is_next = params.split(';').take(MAX_ITEMS).any(|p| {
            let Some((k, v)) = p.trim().split_once('=') else {
                return false;
            };
            k.trim().eq_ignore_ascii_case("rel")
                && v.trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_string());
        }
    }
    None
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip(&mut self, f: impl Fn(u8) -> bool) {
        while self.i < self.s.len() && f(self.s[self.i]) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// An RFC 7230 token.
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        self.skip(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// A token or a quoted string (with `\` escapes).
    fn value(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            // token68 values may end in `=`.
            let start = self.i;
            self.skip(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/=:".contains(&b));
            return Some(String::from_utf8_lossy(&self.s[start..self.i]).into_owned());
        }
        let mut out = Vec::new();
        while let Some(&b) = self.s.get(self.i) {
            self.i += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let &e = self.s.get(self.i)?;
                    self.i += 1;
                    out.push(e);
                }
                _ => out.push(b),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bearer_with_commas_in_scope() {
        let v = r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#;
        assert_eq!(
            parse_challenges(v),
            vec![Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:a/b:pull,push".into()),
            }]
        );
    }

    #[test]
    fn several_challenges_and_cases() {
        let v =
            r#"basic realm="Registry Realm", BEARER Realm=https://t.example/x , Negotiate abc=="#;
        let c = parse_challenges(v);
        assert_eq!(c[0], Challenge::Basic);
        assert_eq!(
            c[1],
            Challenge::Bearer {
                realm: "https://t.example/x".into(),
                service: None,
                scope: None
            }
        );
        assert!(matches!(c[2], Challenge::Other(_)));
        assert_eq!(
            parse_challenges(r#"Bearer service="x""#),
            vec![Challenge::Other("Bearer without realm".into())]
        );
        assert_eq!(
            parse_challenges(r#"Bearer realm="a\"b""#),
            vec![Challenge::Bearer {
                realm: "a\"b".into(),
                service: None,
                scope: None
            }]
        );
        assert!(parse_challenges("").is_empty());
        assert!(parse_challenges(&"a".repeat(MAX_HEADER_LEN + 1)).is_empty());
    }

    #[test]
    fn links() {
        assert_eq!(
            next_link(r#"</v2/_catalog?last=b&n=1>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=1")
        );
        assert_eq!(
            next_link(r#"<https://x/a>; rel="prev", <https://x/b>; rel=next"#).as_deref(),
            Some("https://x/b")
        );
        assert_eq!(next_link(r#"<https://x/a>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn debug_redacts() {
        let b = Credentials::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{b:?}").contains("hunter2"));
        let t = Credentials::Token("tok-secret".into());
        assert!(!format!("{t:?}").contains("tok-secret"));
    }

    proptest! {
        #[test]
        fn challenge_parser_never_panics(s in "\\PC{0,400}") {
            let c = parse_challenges(&s);
            prop_assert!(c.len() <= MAX_ITEMS);
        }

        #[test]
        fn challenge_parser_near_valid(s in "(Basic|Bearer|[a-z]{1,5})( [a-z]{1,6}=(\"[^\"]{0,20}\"?|[a-z:/.]{0,10}),?){0,6}") {
            let _ = parse_challenges(&s);
        }

        #[test]
        fn link_parser_never_panics(s in "\\PC{0,400}") {
            let _ = next_link(&s);
        }
    }
}
