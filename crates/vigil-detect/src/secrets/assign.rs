//! Credentials assigned to names: literal passwords in configuration files (`DB_PASSWORD=...`,
//! `password: "..."` in `.env`, YAML, INI, properties, JSON and TOML files) and credential
//! literals in program code (`password = "..."`, `apiKey: '...'`, `client_secret: "..."`), which
//! only code is read for: in prose such a line is an example, in code the literal is the value.

use regex::bytes::Regex;

use super::rules::{CODE_CREDENTIAL, CONFIG_PASSWORD};
use super::{part, re, Out};
use crate::text::{self, is_placeholder, mask};

/// The assignment patterns.
#[derive(Debug)]
pub(super) struct Assignments {
    config_line: Regex,
    code_literal: Regex,
}

impl Assignments {
    pub(super) fn new() -> Assignments {
        Assignments {
            config_line: re(
                r#"(?i-u)^[ \t]*(?:export[ \t]+)?["']?([A-Za-z0-9_.\-]{0,64}(?:password|passwd|passphrase|pwd)[A-Za-z0-9_.\-]{0,64})["']?[ \t]*[:=][ \t]*(.*)$"#,
            ),
            // Unicode mode: the value is 8 to 200 characters (not bytes), as in text.
            code_literal: re(
                r#"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|client[_-]?secret|secret[_-]?key|private[_-]?key)["']?\s*[:=]\s*["']([^"'\s\\]{8,200})["']"#,
            ),
        }
    }

    pub(super) fn config_passwords(&self, data: &[u8], out: &mut Out) {
        let mut offset = 0usize;
        for raw_line in data.split(|&b| b == b'\n') {
            let line_start = offset;
            offset = offset.saturating_add(raw_line.len() + 1);
            if out.full() {
                return;
            }
            if raw_line.len() > 4096 {
                continue;
            }
            let trimmed = raw_line.trim_ascii_start();
            if trimmed.starts_with(b"#") || trimmed.starts_with(b";") || trimmed.starts_with(b"//")
            {
                continue;
            }
            let Some(caps) = self.config_line.captures(raw_line) else {
                continue;
            };
            let (Some(key), Some(value)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            let key = String::from_utf8_lossy(key.as_bytes()).to_ascii_lowercase();
            if !password_key(&key) {
                continue;
            }
            let Some(secret) = config_value(value.as_bytes()) else {
                continue;
            };
            // The password itself where it is written as read, else the whole value.
            let at = line_start + value.start();
            let span = match super::find(value.as_bytes(), secret.as_bytes()) {
                Some(i) => at + i..at + i + secret.len(),
                None => at..line_start + value.end(),
            };
            out.push(
                &CONFIG_PASSWORD,
                data,
                line_start,
                format!("{key} = {}", mask(&secret)),
                vec![part("password", span)],
            );
        }
    }

    /// Literals assigned to credential names in code: 8 to 200 characters without spaces,
    /// letters and something else, not a placeholder.
    pub(super) fn code_literals(&self, data: &[u8], out: &mut Out) {
        for caps in self.code_literal.captures_iter(data) {
            if out.full() {
                return;
            }
            let Some(v) = caps.get(1) else { continue };
            let value = String::from_utf8_lossy(v.as_bytes());
            let letters = value.chars().any(|c| c.is_ascii_alphabetic());
            let others = value.chars().any(|c| !c.is_ascii_alphabetic());
            if !letters || !others || literal_placeholder(&value) {
                continue;
            }
            let evidence = format!("literal {}", mask(&value));
            let parts = vec![part("credential", v.range())];
            out.push(&CODE_CREDENTIAL, data, v.start(), evidence, parts);
        }
    }
}

/// A code literal that stands in for a credential: a placeholder (see
/// [`text::is_placeholder`]), a name rather than a value (`passwordInput`, `secretToken`), a
/// format string, or one repeated character.
fn literal_placeholder(v: &str) -> bool {
    const PARTS: [&str; 19] = [
        "example",
        "xxxx",
        "****",
        "your",
        "change",
        "placeholder",
        "dummy",
        "sample",
        "redacted",
        "<",
        "${",
        "{{",
        "%s",
        "null",
        "undefined",
        "password",
        "secret",
        "token",
        "....",
    ];
    let l = v.to_ascii_lowercase();
    is_placeholder(v) || PARTS.iter().any(|p| l.contains(p)) || v.chars().all(|c| v.starts_with(c))
}

/// Files whose `key = value` / `key: value` lines are read for passwords: `.env` files and
/// `*.conf`, `*.cnf`, `*.cfg`, `*.ini`, `*.yaml`, `*.yml`, `*.properties`, `*.json`, `*.toml`.
pub fn is_config_file(path: &str) -> bool {
    let name = text::file_name(path).to_ascii_lowercase();
    if name == "nsswitch.conf" {
        // Its `passwd:` lines name lookup services, not passwords.
        return false;
    }
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return true;
    }
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(
        ext,
        "conf" | "cnf" | "cfg" | "ini" | "yaml" | "yml" | "properties" | "json" | "toml"
    )
}

/// Whether a configuration key names a password itself (not a file, length, policy, ...).
fn password_key(key: &str) -> bool {
    const NOT: [&str; 31] = [
        "file", "path", "dir", "length", "len", "min", "max", "policy", "hash", "salt", "reset",
        "expir", "prompt", "field", "regex", "pattern", "valid", "encod", "url", "enable",
        "required", "command", "cmd", "type", "mode", "timeout", "strength", "change", "last",
        "date", "time",
    ];
    !NOT.iter().any(|w| key.contains(w))
}

/// The literal value of a `key = value` line, if it is a real-looking password.
fn config_value(raw: &[u8]) -> Option<String> {
    let raw = String::from_utf8_lossy(raw);
    let v = raw.trim();
    let value = if let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let inner = &v[1..];
        // The value runs to the closing quote (backslash escapes skipped).
        let mut end = None;
        let mut escaped = false;
        for (i, c) in inner.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                end = Some(i);
                break;
            }
        }
        inner[..end?].to_string()
    } else {
        // Unquoted: one token, up to a comment or the end of the line; trailing JSON/YAML
        // punctuation removed.
        let token = v.trim_end_matches([',', ';']).trim();
        if token.is_empty() || token.contains(char::is_whitespace) {
            return None;
        }
        if token.starts_with('!')
            || token.starts_with('{')
            || token.starts_with('[')
            || token.starts_with('|')
            || token.starts_with('>')
            || token.starts_with('&')
            || token.starts_with('*')
        {
            // YAML tags (`!vault`), block scalars, anchors/aliases, nested structures.
            return None;
        }
        token.to_string()
    };
    if value.chars().count() < 4 || value.len() > 256 || is_placeholder(&value) {
        return None;
    }
    // Prose ("The password for the key store"), ARNs and timestamps are not passwords.
    if value.chars().filter(|c| c.is_whitespace()).count() >= 2
        || value.starts_with("arn:")
        || is_timestamp(&value)
    {
        return None;
    }
    if text::distinct(value.as_bytes()) < 3 {
        return None;
    }
    // Encrypted values (Jasypt `ENC(...)`, Spring `{cipher}`) and numbers are not passwords.
    let upper = value.to_ascii_uppercase();
    if upper.starts_with("ENC(")
        || value.starts_with("{cipher}")
        || value.parse::<f64>().is_ok() && value.len() < 6
    {
        return None;
    }
    Some(value)
}

/// `2016-09-13...`: an ISO 8601 date or timestamp.
fn is_timestamp(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::super::{Context, Secrets};
    use super::*;

    #[test]
    fn config_files_by_name() {
        for p in [
            ".env",
            "app/.env.production",
            "etc/my.cnf",
            "a/b/config.yaml",
            "x.properties",
            "settings.json",
            "php.ini",
            "foo.conf",
            "prod.env",
        ] {
            assert!(is_config_file(p), "{p}");
        }
        for p in [
            "main.rs",
            "README.md",
            "etc/nsswitch.conf",
            "envoy",
            "Dockerfile",
        ] {
            assert!(!is_config_file(p), "{p}");
        }
    }

    #[test]
    fn config_values() {
        assert_eq!(
            config_value(b"\"s3cr3t-Pa55\",").as_deref(),
            Some("s3cr3t-Pa55")
        );
        assert_eq!(
            config_value(b"'it\\'s-a-secret'").as_deref(),
            Some("it\\'s-a-secret")
        );
        assert_eq!(config_value(b"hunter22").as_deref(), Some("hunter22"));
        for v in [
            &b""[..],
            b"\"\"",
            b"changeme",
            b"${DB_PASSWORD}",
            b"\"<password>\"",
            b"xxx",
            b"files systemd",
            b"!vault |",
            b"ENC(abcdef)",
            b"1234",
            b"\"aaaaaa\"",
            b"null,",
            b"example-pass",
        ] {
            assert_eq!(config_value(v), None, "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn code_literals_and_their_safe_twins() {
        let found = |js: &str| -> Vec<String> {
            Secrets::shared()
                .find(js.as_bytes(), Context::code())
                .into_iter()
                .flat_map(|f| f.parts)
                .map(|p| js[p.span].to_string())
                .collect()
        };
        assert_eq!(
            found(r#"const db = {password: "Tr0ub4dor&3x", api_key: 'k3y-9f8e7d6c5b'};"#),
            vec!["Tr0ub4dor&3x", "k3y-9f8e7d6c5b"]
        );
        for safe in [
            r#"input.type = 'password'; var password = "";"#,
            r#"{password: 'your-password-here', apiKey: "<API_KEY>", secret: "${SECRET}"}"#,
            r#"var passwordField = "passwordInput";"#,
            r#"token: "abcdefghijk""#,
            r#"secret: "aaaaaaaaaaaa""#,
            r#"apiKey: "%s-%s-%s-%s""#,
        ] {
            assert!(found(safe).is_empty(), "{safe}");
        }
    }
}
