//! Cloud access keys: an id recognised by its prefix, reported as a pair (critical) when its
//! secret is near it, else as an id alone (medium); and keys that need no id (Tencent Cloud
//! SecretKeys named as such, Azure storage account keys and client secrets).
//!
//! AWS access key ids follow gitleaks' `aws-access-token` rule: `AKIA` (access key), `ASIA`
//! (temporary STS key), `ABIA` (STS service bearer token), `ACCA` (context-specific credential)
//! or `A3T` plus one character, then 16 characters of the base-32 alphabet `A-Z2-7`. A secret
//! access key is exactly 40 characters of base64 with upper case, lower case and digits (a
//! hex digest next to an id is not one).

use std::collections::HashSet;

use base64::Engine as _;
use regex::bytes::Regex;

use super::rules::{
    ALIBABA_ID, ALIBABA_PAIR, AWS_ID, AWS_PAIR, AZURE_CLIENT, AZURE_STORAGE, TENCENT_ID,
    TENCENT_PAIR,
};
use super::{contains_ci, lossy, part, random_secret, re, Out};
use crate::text::{is_placeholder, low_entropy, mask};
use crate::RuleText;

/// How far from a key id its secret is looked for, in bytes each way.
const PAIR_WINDOW: usize = 1024;
/// Azurite's (the Azure storage emulator's) published development account key: not a secret.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The cloud key patterns.
#[derive(Debug)]
pub(super) struct Cloud {
    aws_id: Regex,
    aws_secret: Regex,
    tencent_id: Regex,
    tencent_key: Regex,
    tencent_key_named: Regex,
    alibaba_id: Regex,
    alibaba_secret: Regex,
    azure_account_key: Regex,
    azure_client_secret: Regex,
    azure_client_secret_named: Regex,
}

/// A cloud key id pattern with its secret pattern and rules.
struct Pair<'a> {
    id: &'a Regex,
    secret: &'a Regex,
    /// Which secrets count, beyond [`random_secret`] and not being a documentation example.
    secret_ok: fn(&[u8]) -> bool,
    pair_rule: &'static RuleText,
    id_rule: &'static RuleText,
    id_label: &'static str,
    secret_label: &'static str,
}

/// An AWS secret access key: base64 of random bytes has all three character classes.
fn aws_secret_ok(s: &[u8]) -> bool {
    s.iter().any(u8::is_ascii_uppercase)
        && s.iter().any(u8::is_ascii_lowercase)
        && s.iter().any(u8::is_ascii_digit)
}

impl Cloud {
    pub(super) fn new() -> Cloud {
        Cloud {
            aws_id: re(
                r"(?-u)(?:^|[^A-Za-z0-9])((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9]|$)",
            ),
            aws_secret: re(r"(?-u)(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"),
            tencent_id: re(
                r"(?-u)(?:^|[^A-Za-z0-9])(AKID[A-Za-z0-9]{32}(?:[A-Za-z0-9]{4})?)(?:[^A-Za-z0-9]|$)",
            ),
            tencent_key: re(
                r#"(?i-u)secret_?key["']?\s*[:=]\s*["']?([A-Za-z0-9]{32})(?:[^A-Za-z0-9]|$)"#,
            ),
            tencent_key_named: re(
                r#"(?i-u)(?:tencent(?:cloud)?|qcloud)[_.\-]?(?:api[_.\-]?)?secret[_.\-]?key["']?\s*[:=]\s*["']?([A-Za-z0-9]{32})(?:[^A-Za-z0-9]|$)"#,
            ),
            alibaba_id: re(r"(?-u)(?:^|[^A-Za-z0-9])(LTAI[A-Za-z0-9]{12,22})(?:[^A-Za-z0-9]|$)"),
            alibaba_secret: re(
                r#"(?i-u)(?:access_?key_?secret|secret_?access_?key|accesskeysecret)["']?\s*[:=]\s*["']?([A-Za-z0-9]{30})(?:[^A-Za-z0-9]|$)"#,
            ),
            azure_account_key: re(r"(?-u)AccountKey=([A-Za-z0-9+/]{86}==)"),
            azure_client_secret: re(
                r"(?-u)(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)",
            ),
            azure_client_secret_named: re(
                r#"(?i-u)(?:azure|arm)_client_secret["']?\s*[:=]\s*["']?([A-Za-z0-9_~.\-]{32,64})(?:[^A-Za-z0-9_~.\-]|$)"#,
            ),
        }
    }

    /// Reports each id, with its secret when one is within [`PAIR_WINDOW`] bytes. Returns the
    /// offsets of the secrets that were paired.
    fn id_with_secret(&self, data: &[u8], out: &mut Out, p: &Pair<'_>) -> HashSet<usize> {
        let mut paired = HashSet::new();
        for caps in p.id.captures_iter(data) {
            if out.full() {
                break;
            }
            let Some(id) = caps.get(1) else { continue };
            let body = id.as_bytes().get(4..).unwrap_or_default();
            if contains_ci(id.as_bytes(), b"EXAMPLE") || low_entropy(body) {
                continue;
            }
            let id_text = lossy(id.as_bytes());
            let secret = nearby_match(p.secret, data, id.start(), id.end(), |s| {
                random_secret(s) && !contains_ci(s, b"EXAMPLE") && (p.secret_ok)(s)
            });
            match secret {
                Some(s) => {
                    paired.insert(s.start);
                    let evidence = format!(
                        "{} {} with {} {}",
                        p.id_label,
                        mask(&id_text),
                        p.secret_label,
                        mask(&lossy(&data[s.clone()]))
                    );
                    let parts = vec![part(p.id_label, id.range()), part(p.secret_label, s)];
                    out.push(p.pair_rule, data, id.start(), evidence, parts);
                }
                None => out.push(
                    p.id_rule,
                    data,
                    id.start(),
                    format!("{} {}", p.id_label, mask(&id_text)),
                    vec![part(p.id_label, id.range())],
                ),
            }
        }
        paired
    }

    pub(super) fn aws(&self, data: &[u8], out: &mut Out) {
        self.id_with_secret(
            data,
            out,
            &Pair {
                id: &self.aws_id,
                secret: &self.aws_secret,
                secret_ok: aws_secret_ok,
                pair_rule: &AWS_PAIR,
                id_rule: &AWS_ID,
                id_label: "access key id",
                secret_label: "secret access key",
            },
        );
    }

    pub(super) fn tencent(&self, data: &[u8], out: &mut Out) {
        let paired = self.id_with_secret(
            data,
            out,
            &Pair {
                id: &self.tencent_id,
                secret: &self.tencent_key,
                secret_ok: |_| true,
                pair_rule: &TENCENT_PAIR,
                id_rule: &TENCENT_ID,
                id_label: "SecretId",
                secret_label: "SecretKey",
            },
        );
        // A SecretKey named as Tencent Cloud's needs no SecretId next to it.
        for caps in self.tencent_key_named.captures_iter(data) {
            let Some(k) = caps.get(1) else { continue };
            if paired.contains(&k.start()) || !random_secret(k.as_bytes()) {
                continue;
            }
            let evidence = format!("SecretKey {}", mask(&lossy(k.as_bytes())));
            let parts = vec![part("SecretKey", k.range())];
            out.push(&TENCENT_PAIR, data, k.start(), evidence, parts);
        }
    }

    pub(super) fn alibaba(&self, data: &[u8], out: &mut Out) {
        self.id_with_secret(
            data,
            out,
            &Pair {
                id: &self.alibaba_id,
                secret: &self.alibaba_secret,
                secret_ok: |_| true,
                pair_rule: &ALIBABA_PAIR,
                id_rule: &ALIBABA_ID,
                id_label: "AccessKey id",
                secret_label: "AccessKey secret",
            },
        );
    }

    pub(super) fn azure(&self, data: &[u8], out: &mut Out) {
        for caps in self.azure_account_key.captures_iter(data) {
            let Some(k) = caps.get(1) else { continue };
            let key = lossy(k.as_bytes());
            if key == AZURITE_KEY || !random_secret(k.as_bytes()) {
                continue;
            }
            // A real account key is 64 random bytes in base64.
            if base64::engine::general_purpose::STANDARD
                .decode(k.as_bytes())
                .map(|d| d.len())
                != Ok(64)
            {
                continue;
            }
            let evidence = format!("AccountKey={}", mask(&key));
            let parts = vec![part("AccountKey", k.range())];
            out.push(&AZURE_STORAGE, data, k.start(), evidence, parts);
        }
        let mut seen = HashSet::new();
        for regex in [&self.azure_client_secret, &self.azure_client_secret_named] {
            for caps in regex.captures_iter(data) {
                let Some(s) = caps.get(1) else { continue };
                if !seen.insert(s.start()) || !random_secret(s.as_bytes()) {
                    continue;
                }
                let secret = lossy(s.as_bytes());
                if is_placeholder(&secret) {
                    continue;
                }
                let evidence = format!("client secret {}", mask(&secret));
                let parts = vec![part("client secret", s.range())];
                out.push(&AZURE_CLIENT, data, s.start(), evidence, parts);
            }
        }
    }
}

/// The first match of `regex` within [`PAIR_WINDOW`] bytes of `[start, end)` whose group 1
/// passes `ok`: its byte range in `data`.
fn nearby_match(
    regex: &Regex,
    data: &[u8],
    start: usize,
    end: usize,
    ok: impl Fn(&[u8]) -> bool,
) -> Option<std::ops::Range<usize>> {
    let from = start.saturating_sub(PAIR_WINDOW);
    let to = data.len().min(end.saturating_add(PAIR_WINDOW));
    let window = &data[from..to];
    regex
        .captures_iter(window)
        .filter_map(|c| c.get(1))
        .find(|m| ok(m.as_bytes()))
        .map(|m| from + m.start()..from + m.end())
}

#[cfg(test)]
mod tests {
    use super::super::rules_in as rules;

    #[test]
    fn aws_key_id_prefixes_and_alphabet() {
        // Every prefix gitleaks knows, with a base-32 body.
        for prefix in ["AKIA", "ASIA", "ABIA", "ACCA", "A3TX"] {
            let id = format!("{prefix}Y3VIGILFIXTURE7Q");
            assert_eq!(
                rules(&format!("key {id}\n")),
                vec!["aws-access-key-id"],
                "{id}"
            );
        }
        // Safe twins: digits 0, 1, 8 and 9 are not in the alphabet, unknown prefixes, lower case.
        for safe in [
            "AKIAY3VIGILFIXTURE81",
            "AKIAY3VIGILF0XTURE7Q",
            "AKIBY3VIGILFIXTURE7Q",
            "akiay3vigilfixture7q",
        ] {
            assert!(rules(safe).is_empty(), "{safe}");
        }
    }

    #[test]
    fn aws_secret_needs_all_character_classes() {
        let id = ["AKIA", "Y3VIGILFIXTURE7Q"].concat();
        let secret = ["q9Xw", "Lr2VigilFixtureNotARealSecret0kT4mPz"].concat();
        assert_eq!(rules(&format!("{id}\n{secret}\n")), vec!["aws-access-key"]);
        // A SHA-1 hex digest next to the id is not its secret, nor are 41 characters.
        let sha1 = "3f786850e387550fdab836ed7e6dc881de23001b";
        assert_eq!(rules(&format!("{id}\n{sha1}\n")), vec!["aws-access-key-id"]);
        assert_eq!(
            rules(&format!("{id}\nsecret = {secret}8\n")),
            vec!["aws-access-key-id"]
        );
    }
}
