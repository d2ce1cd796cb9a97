//! Secrets in file contents: private keys, cloud and SaaS credentials, passwords in
//! configuration files.
//!
//! Every rule has an id, a title, a severity and a remediation; a match carries its 1-based line
//! and **masked** evidence ([`crate::mask`]: at most the first four characters, then `****`). The
//! full secret is never put in a [`Detection`]. Matches are validated beyond their shape where
//! the format allows it: PEM and OpenSSH key bodies must decode as base64 into a DER structure or
//! an `openssh-key-v1` blob, PuTTY keys must have the announced number of base64 lines, token
//! prefixes must be followed by enough random-looking characters, and well-known placeholders
//! (documentation keys containing `EXAMPLE`, `changeme`, `${VAR}`, `<password>`, `xxx`, empty
//! values, ...) are skipped.
//!
//! Binary files (a NUL byte within the first 8 KiB) are searched for private keys only. At most
//! [`Secrets::max_bytes`] bytes of a file are searched and at most [`MAX_FINDINGS`] matches are
//! reported per file.

use std::collections::HashSet;

use base64::Engine as _;
use regex::bytes::Regex;

use crate::text::{self, is_placeholder, line_of, low_entropy, mask};
use crate::{Category, Detection, RuleText, Severity};

/// Most matches reported for one file.
pub const MAX_FINDINGS: usize = 50;
/// Longest PEM block considered (a 16384-bit RSA key is about 12 KiB).
const MAX_PEM_BYTES: usize = 64 * 1024;
/// How far from a key id its secret is looked for, in bytes each way.
const PAIR_WINDOW: usize = 1024;
/// Azurite's (the Azure storage emulator's) published development account key: not a secret.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The secret rules, compiled once.
#[derive(Debug)]
pub struct Secrets {
    max_bytes: usize,
    pem_begin: Regex,
    putty: Regex,
    aws_id: Regex,
    aws_secret: Regex,
    tencent_id: Regex,
    tencent_key: Regex,
    tencent_key_named: Regex,
    alibaba_id: Regex,
    alibaba_secret: Regex,
    gcp_type: Regex,
    gcp_key: Regex,
    gcp_key_id: Regex,
    azure_account_key: Regex,
    azure_client_secret: Regex,
    azure_client_secret_named: Regex,
    github: Regex,
    github_pat: Regex,
    gitlab: Regex,
    slack: Regex,
    stripe: Regex,
    config_line: Regex,
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants of this module; a test compiles every one of them.
    match Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => panic!("built-in secret pattern {pattern:?} does not compile: {e}"),
    }
}

const ROTATE: &str = "Remove it from the file (and from every image layer and history that contains it), pass it at run time instead (secret store, environment, mounted file), and revoke or rotate it: anything that was published must be considered compromised.";

const PRIVATE_KEY: RuleText = RuleText {
    id: "private-key",
    title: "Private key (PEM)",
    severity: Severity::High,
    description: "A PEM-encoded private key (PKCS#1, PKCS#8, SEC1 or DSA) whose body decodes as a key structure. Anyone who can read the file can impersonate its owner or decrypt its traffic.",
    remediation: ROTATE,
};
const OPENSSH_KEY: RuleText = RuleText {
    id: "openssh-private-key",
    title: "OpenSSH private key",
    severity: Severity::High,
    description: "An OpenSSH private key (openssh-key-v1). Anyone who can read the file can log in wherever the matching public key is authorised.",
    remediation: ROTATE,
};
const PUTTY_KEY: RuleText = RuleText {
    id: "putty-private-key",
    title: "PuTTY private key",
    severity: Severity::High,
    description: "A PuTTY private key file (PPK). Anyone who can read it can log in wherever the matching public key is authorised.",
    remediation: ROTATE,
};
const AWS_PAIR: RuleText = RuleText {
    id: "aws-access-key",
    title: "AWS access key with secret access key",
    severity: Severity::Critical,
    description: "An AWS access key id (AKIA/ASIA) with a secret access key next to it: together they sign requests to AWS as the key's owner.",
    remediation: "Deactivate and delete the access key in IAM, check CloudTrail for its use, and give the workload an IAM role or injected credentials instead.",
};
const AWS_ID: RuleText = RuleText {
    id: "aws-access-key-id",
    title: "AWS access key id",
    severity: Severity::Medium,
    description: "An AWS access key id (AKIA/ASIA). No secret access key was found near it; the id alone cannot sign requests but tells which account and user the key belongs to, and the secret is often stored elsewhere in the same image.",
    remediation: "Find where the matching secret access key is kept, deactivate the key if it was exposed, and use IAM roles or injected credentials.",
};
const TENCENT_PAIR: RuleText = RuleText {
    id: "tencent-cloud-secret-key",
    title: "Tencent Cloud API SecretKey",
    severity: Severity::Critical,
    description: "A Tencent Cloud API SecretKey (with its SecretId, or named as a Tencent Cloud secret key): it signs API calls as the key's owner.",
    remediation: "Disable and delete the key in CAM (API key management), review CloudAudit for its use, and use CAM roles or injected credentials instead.",
};
const TENCENT_ID: RuleText = RuleText {
    id: "tencent-cloud-secret-id",
    title: "Tencent Cloud API SecretId",
    severity: Severity::Medium,
    description: "A Tencent Cloud API SecretId (AKID...). No SecretKey was found near it; the id alone cannot sign calls but identifies the account's key.",
    remediation: "Find where the matching SecretKey is kept, disable the key if it was exposed, and use CAM roles or injected credentials.",
};
const ALIBABA_PAIR: RuleText = RuleText {
    id: "alibaba-cloud-access-key",
    title: "Alibaba Cloud AccessKey with secret",
    severity: Severity::Critical,
    description: "An Alibaba Cloud AccessKey id (LTAI...) with its AccessKey secret next to it: together they sign API calls as the key's owner.",
    remediation: "Disable and delete the AccessKey in RAM, review ActionTrail for its use, and use RAM roles or injected credentials instead.",
};
const ALIBABA_ID: RuleText = RuleText {
    id: "alibaba-cloud-access-key-id",
    title: "Alibaba Cloud AccessKey id",
    severity: Severity::Medium,
    description: "An Alibaba Cloud AccessKey id (LTAI...). No AccessKey secret was found near it.",
    remediation: "Find where the matching AccessKey secret is kept, disable the key if it was exposed, and use RAM roles or injected credentials.",
};
const GCP_SA: RuleText = RuleText {
    id: "gcp-service-account-key",
    title: "Google Cloud service account key",
    severity: Severity::Critical,
    description: "A Google Cloud service-account key file (JSON with type service_account and a private key): it authenticates as the service account.",
    remediation: "Delete the key in IAM (service account keys), check Cloud Audit Logs for its use, and use workload identity or attached service accounts instead of key files.",
};
const AZURE_STORAGE: RuleText = RuleText {
    id: "azure-storage-account-key",
    title: "Azure storage account key",
    severity: Severity::Critical,
    description: "An Azure storage connection string with an AccountKey: full access to the storage account's blobs, queues, tables and files.",
    remediation: "Rotate the storage account key, and use managed identities or short-lived SAS tokens instead of account keys.",
};
const AZURE_CLIENT: RuleText = RuleText {
    id: "azure-client-secret",
    title: "Azure AD application client secret",
    severity: Severity::Critical,
    description: "An Azure AD (Entra ID) application client secret: it authenticates as the application's service principal.",
    remediation: "Delete the secret from the app registration, review sign-in logs of the service principal, and use managed identities or certificates kept outside the image.",
};
const GITHUB: RuleText = RuleText {
    id: "github-token",
    title: "GitHub token",
    severity: Severity::High,
    description: "A GitHub token (personal access token, OAuth, app or refresh token): it acts on GitHub with its owner's permissions.",
    remediation: "Revoke the token in GitHub's settings (or through the credential revocation API) and pass tokens at run time.",
};
const GITLAB: RuleText = RuleText {
    id: "gitlab-pat",
    title: "GitLab personal access token",
    severity: Severity::High,
    description:
        "A GitLab personal access token (glpat-): it acts on GitLab with its owner's permissions.",
    remediation: "Revoke the token in GitLab's access token settings and pass tokens at run time.",
};
const SLACK: RuleText = RuleText {
    id: "slack-token",
    title: "Slack token",
    severity: Severity::High,
    description: "A Slack API token (xoxb/xoxa/xoxp/xoxr/xoxs): it reads and posts in the workspace with the token's scopes.",
    remediation: "Revoke the token (auth.revoke or the app's settings) and pass tokens at run time.",
};
const STRIPE: RuleText = RuleText {
    id: "stripe-live-key",
    title: "Stripe live secret key",
    severity: Severity::Critical,
    description: "A Stripe live-mode secret or restricted key: it moves money and reads customer data of the account.",
    remediation: "Roll the key in the Stripe dashboard and keep keys out of images.",
};
const CONFIG_PASSWORD: RuleText = RuleText {
    id: "config-password",
    title: "Password in configuration file",
    severity: Severity::High,
    description: "A configuration file sets a password (or passphrase) to a literal value. Anyone who can read the image can read it.",
    remediation: "Read the password from the environment or a secret store at run time instead of writing it into the file, and change it.",
};

impl Default for Secrets {
    fn default() -> Self {
        Secrets::new(4 << 20)
    }
}

impl Secrets {
    /// The rules, searching at most `max_bytes` bytes of each file.
    pub fn new(max_bytes: usize) -> Secrets {
        Secrets {
            max_bytes,
            pem_begin: re(
                r"(?-u)-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |ANY )?PRIVATE KEY)-----",
            ),
            putty: re(r"(?-u)PuTTY-User-Key-File-([23]): *([A-Za-z0-9@.\-]{1,64})\r?\n"),
            aws_id: re(r"(?-u)(?:^|[^A-Za-z0-9])((?:AKIA|ASIA)[A-Z2-7]{16})(?:[^A-Za-z0-9]|$)"),
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
            gcp_type: re(r#"(?-u)"type"\s*:\s*"service_account""#),
            gcp_key: re(
                r#"(?-u)"private_key"\s*:\s*"(-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[A-Za-z0-9+/=\\\r\n ]{64,16384}-----END [A-Z ]{0,20}PRIVATE KEY-----(?:\\n)?)""#,
            ),
            gcp_key_id: re(r#"(?-u)"private_key_id"\s*:\s*"([0-9a-f]{40})""#),
            azure_account_key: re(r"(?-u)AccountKey=([A-Za-z0-9+/]{86}==)"),
            azure_client_secret: re(
                r"(?-u)(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)",
            ),
            azure_client_secret_named: re(
                r#"(?i-u)(?:azure|arm)_client_secret["']?\s*[:=]\s*["']?([A-Za-z0-9_~.\-]{32,64})(?:[^A-Za-z0-9_~.\-]|$)"#,
            ),
            github: re(r"(?-u)(?:^|[^A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36})(?:[^A-Za-z0-9_]|$)"),
            github_pat: re(
                r"(?-u)(?:^|[^A-Za-z0-9_])(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?:[^A-Za-z0-9_]|$)",
            ),
            gitlab: re(
                r"(?-u)(?:^|[^A-Za-z0-9_\-])(glpat-[A-Za-z0-9_\-]{20,200}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)(?:[^A-Za-z0-9_\-.]|\.(?:[^0-9a-z]|$)|$)",
            ),
            slack: re(
                r"(?-u)(?:^|[^A-Za-z0-9])(xox[baprs]-[0-9]{8,14}-[0-9A-Za-z\-]{8,120})(?:[^A-Za-z0-9\-]|$)",
            ),
            stripe: re(
                r"(?-u)(?:^|[^A-Za-z0-9_])((?:sk|rk)_live_[0-9A-Za-z]{24,99})(?:[^A-Za-z0-9_]|$)",
            ),
            config_line: re(
                r#"(?i-u)^[ \t]*(?:export[ \t]+)?["']?([A-Za-z0-9_.\-]{0,64}(?:password|passwd|passphrase|pwd)[A-Za-z0-9_.\-]{0,64})["']?[ \t]*[:=][ \t]*(.*)$"#,
            ),
        }
    }

    /// Bytes of a file that are searched.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Searches one file. `path` decides whether configuration-file password rules apply.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<Detection> {
        let data = &data[..data.len().min(self.max_bytes)];
        let mut out = Out::default();
        let binary = text::is_binary(data);
        self.private_keys(data, binary, &mut out);
        self.putty_keys(data, &mut out);
        if binary {
            return out.finish();
        }
        self.gcp(data, &mut out);
        self.aws(data, &mut out);
        self.tencent(data, &mut out);
        self.alibaba(data, &mut out);
        self.azure(data, &mut out);
        self.tokens(data, &mut out);
        if is_config_file(path) {
            self.config_passwords(data, &mut out);
        }
        out.finish()
    }

    fn private_keys(&self, data: &[u8], binary: bool, out: &mut Out) {
        for caps in self.pem_begin.captures_iter(data) {
            if out.full() {
                return;
            }
            let (Some(whole), Some(label)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let label = String::from_utf8_lossy(label.as_bytes()).into_owned();
            let body_start = whole.end();
            let window_end = data.len().min(body_start.saturating_add(MAX_PEM_BYTES));
            let end_marker = format!("-----END {label}-----");
            let Some(rel_end) = find(&data[body_start..window_end], end_marker.as_bytes()) else {
                continue;
            };
            let block = &data[body_start..body_start + rel_end];
            let Some(key) = pem_body(&label, block) else {
                continue;
            };
            let rule = if key.openssh {
                &OPENSSH_KEY
            } else {
                &PRIVATE_KEY
            };
            // Keys inside binaries are often libraries' public self-test vectors (GnuTLS embeds
            // several); they are reported one level lower and said to be embedded.
            let severity = if key.encrypted || binary {
                Severity::Medium
            } else {
                rule.severity
            };
            let evidence = format!(
                "-----BEGIN {label}----- ({} bytes{}{}) {}",
                key.decoded_len,
                if key.encrypted {
                    ", passphrase-protected"
                } else {
                    ""
                },
                if binary {
                    ", embedded in a binary file"
                } else {
                    ""
                },
                mask(&key.first_line)
            );
            out.push_with(rule, severity, data, whole.start(), evidence);
        }
    }

    fn putty_keys(&self, data: &[u8], out: &mut Out) {
        for caps in self.putty.captures_iter(data) {
            if out.full() {
                return;
            }
            let (Some(whole), Some(alg)) = (caps.get(0), caps.get(2)) else {
                continue;
            };
            let rest = &data[whole.end()..data.len().min(whole.end() + MAX_PEM_BYTES)];
            let Some(ppk) = putty_body(rest) else {
                continue;
            };
            let severity = if ppk.encrypted {
                Severity::Medium
            } else {
                PUTTY_KEY.severity
            };
            let evidence = format!(
                "PuTTY-User-Key-File {} ({} private lines{}) {}",
                String::from_utf8_lossy(alg.as_bytes()),
                ppk.private_lines,
                if ppk.encrypted { ", encrypted" } else { "" },
                mask(&ppk.first_private_line)
            );
            out.push_with(&PUTTY_KEY, severity, data, whole.start(), evidence);
        }
    }

    fn gcp(&self, data: &[u8], out: &mut Out) {
        if !self.gcp_type.is_match(data) {
            return;
        }
        for caps in self.gcp_key.captures_iter(data) {
            let Some(key) = caps.get(1) else { continue };
            let unescaped = String::from_utf8_lossy(key.as_bytes()).replace("\\n", "\n");
            let Some(begin) = self.pem_begin.captures(unescaped.as_bytes()) else {
                continue;
            };
            let (Some(whole), Some(label)) = (begin.get(0), begin.get(1)) else {
                continue;
            };
            let label = String::from_utf8_lossy(label.as_bytes()).into_owned();
            let rest = &unescaped.as_bytes()[whole.end()..];
            let Some(end) = find(rest, format!("-----END {label}-----").as_bytes()) else {
                continue;
            };
            if pem_body(&label, &rest[..end]).is_none() {
                continue;
            }
            let key_id = self
                .gcp_key_id
                .captures(data)
                .and_then(|c| c.get(1))
                .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
            let evidence = match key_id {
                Some(id) => format!(
                    "\"type\": \"service_account\", private_key_id {}",
                    mask(&id)
                ),
                None => "\"type\": \"service_account\" with a private_key".to_string(),
            };
            out.push(&GCP_SA, data, key.start(), evidence);
            out.cover(key.start(), key.end());
        }
    }

    /// Cloud access keys: an id recognised by its prefix, reported as a pair (critical) when a
    /// secret that looks generated is within [`PAIR_WINDOW`] bytes, else as an id alone.
    /// Returns the offsets of the secrets that were paired.
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
            let id_text = String::from_utf8_lossy(id.as_bytes()).into_owned();
            let secret = self.nearby_match(p.secret, data, id.start(), id.end(), |s| {
                random_secret(s) && !contains_ci(s, b"EXAMPLE")
            });
            match secret {
                Some((at, s)) => {
                    paired.insert(at);
                    out.push(
                        p.pair_rule,
                        data,
                        id.start(),
                        format!(
                            "{} {} with {} {}",
                            p.id_label,
                            mask(&id_text),
                            p.secret_label,
                            mask(&s)
                        ),
                    );
                }
                None => out.push(
                    p.id_rule,
                    data,
                    id.start(),
                    format!("{} {}", p.id_label, mask(&id_text)),
                ),
            }
        }
        paired
    }

    fn aws(&self, data: &[u8], out: &mut Out) {
        self.id_with_secret(
            data,
            out,
            &Pair {
                id: &self.aws_id,
                secret: &self.aws_secret,
                pair_rule: &AWS_PAIR,
                id_rule: &AWS_ID,
                id_label: "access key id",
                secret_label: "secret access key",
            },
        );
    }

    fn tencent(&self, data: &[u8], out: &mut Out) {
        let paired = self.id_with_secret(
            data,
            out,
            &Pair {
                id: &self.tencent_id,
                secret: &self.tencent_key,
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
            let k_text = String::from_utf8_lossy(k.as_bytes()).into_owned();
            out.push(
                &TENCENT_PAIR,
                data,
                k.start(),
                format!("SecretKey {}", mask(&k_text)),
            );
        }
    }

    fn alibaba(&self, data: &[u8], out: &mut Out) {
        self.id_with_secret(
            data,
            out,
            &Pair {
                id: &self.alibaba_id,
                secret: &self.alibaba_secret,
                pair_rule: &ALIBABA_PAIR,
                id_rule: &ALIBABA_ID,
                id_label: "AccessKey id",
                secret_label: "AccessKey secret",
            },
        );
    }

    fn azure(&self, data: &[u8], out: &mut Out) {
        for caps in self.azure_account_key.captures_iter(data) {
            let Some(k) = caps.get(1) else { continue };
            let key = String::from_utf8_lossy(k.as_bytes()).into_owned();
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
            out.push(
                &AZURE_STORAGE,
                data,
                k.start(),
                format!("AccountKey={}", mask(&key)),
            );
        }
        let mut seen = HashSet::new();
        for regex in [&self.azure_client_secret, &self.azure_client_secret_named] {
            for caps in regex.captures_iter(data) {
                let Some(s) = caps.get(1) else { continue };
                if !seen.insert(s.start()) || !random_secret(s.as_bytes()) {
                    continue;
                }
                let secret = String::from_utf8_lossy(s.as_bytes()).into_owned();
                if is_placeholder(&secret) {
                    continue;
                }
                out.push(
                    &AZURE_CLIENT,
                    data,
                    s.start(),
                    format!("client secret {}", mask(&secret)),
                );
            }
        }
    }

    fn tokens(&self, data: &[u8], out: &mut Out) {
        let groups: [(&Regex, &RuleText, usize); 5] = [
            (&self.github, &GITHUB, 4),
            (&self.github_pat, &GITHUB, 11),
            (&self.gitlab, &GITLAB, 6),
            (&self.slack, &SLACK, 5),
            (&self.stripe, &STRIPE, 8),
        ];
        for (regex, rule, prefix_len) in groups {
            for caps in regex.captures_iter(data) {
                if out.full() {
                    return;
                }
                let Some(t) = caps.get(1) else { continue };
                let body = t.as_bytes().get(prefix_len..).unwrap_or_default();
                if low_entropy(body)
                    || contains_ci(body, b"EXAMPLE")
                    || contains_ci(body, b"XXXXXX")
                {
                    continue;
                }
                let token = String::from_utf8_lossy(t.as_bytes()).into_owned();
                let kind = token_kind(&token);
                out.push(rule, data, t.start(), format!("{kind} {}", mask(&token)));
            }
        }
    }

    fn config_passwords(&self, data: &[u8], out: &mut Out) {
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
            out.push(
                &CONFIG_PASSWORD,
                data,
                line_start,
                format!("{key} = {}", mask(&secret)),
            );
        }
    }

    /// The first match of `regex` within [`PAIR_WINDOW`] bytes of `[start, end)` whose group 1
    /// passes `ok`: its offset and text.
    fn nearby_match(
        &self,
        regex: &Regex,
        data: &[u8],
        start: usize,
        end: usize,
        ok: impl Fn(&[u8]) -> bool,
    ) -> Option<(usize, String)> {
        let from = start.saturating_sub(PAIR_WINDOW);
        let to = data.len().min(end.saturating_add(PAIR_WINDOW));
        let window = &data[from..to];
        regex
            .captures_iter(window)
            .filter_map(|c| c.get(1))
            .filter(|m| ok(m.as_bytes()))
            .map(|m| {
                (
                    from + m.start(),
                    String::from_utf8_lossy(m.as_bytes()).into_owned(),
                )
            })
            .next()
    }
}

/// A cloud key id pattern with its secret pattern and rules.
struct Pair<'a> {
    id: &'a Regex,
    secret: &'a Regex,
    pair_rule: &'static RuleText,
    id_rule: &'static RuleText,
    id_label: &'static str,
    secret_label: &'static str,
}

/// Collected detections of one file, bounded and deduplicated.
#[derive(Default)]
struct Out {
    found: Vec<Detection>,
    seen: HashSet<(String, u32, String)>,
    covered: Vec<(usize, usize)>,
}

impl Out {
    fn full(&self) -> bool {
        self.found.len() >= MAX_FINDINGS
    }

    /// Marks a byte range as reported by a more specific rule (a service-account JSON's key).
    fn cover(&mut self, start: usize, end: usize) {
        self.covered.push((start, end));
    }

    fn push(&mut self, rule: &RuleText, data: &[u8], offset: usize, evidence: String) {
        self.push_with(rule, rule.severity, data, offset, evidence);
    }

    fn push_with(
        &mut self,
        rule: &RuleText,
        severity: Severity,
        data: &[u8],
        offset: usize,
        evidence: String,
    ) {
        if self.full() || self.covered.iter().any(|&(s, e)| offset >= s && offset < e) {
            return;
        }
        let line = line_of(data, offset);
        if !self
            .seen
            .insert((rule.id.to_string(), line, evidence.clone()))
        {
            return;
        }
        self.found.push(Detection::builtin(
            Category::Secret,
            rule,
            severity,
            Some(line),
            evidence,
        ));
    }

    fn finish(self) -> Vec<Detection> {
        self.found
    }
}

/// The base64 lines of a key body, collected for decoding.
#[derive(Default)]
struct Base64Lines {
    text: String,
    first: String,
}

impl Base64Lines {
    /// Adds a non-empty line of base64 characters; `None` for anything else.
    fn push(&mut self, line: &str) -> Option<()> {
        let ok = !line.is_empty()
            && line
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        if !ok {
            return None;
        }
        if self.first.is_empty() {
            self.first = line.to_string();
        }
        self.text.push_str(line);
        Some(())
    }

    fn decode(&self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(self.text.as_bytes())
            .ok()
    }
}

/// What a validated key body looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyBody {
    pub openssh: bool,
    pub encrypted: bool,
    pub decoded_len: usize,
    pub first_line: String,
}

/// Validates the text between a PEM private-key BEGIN line and its END line: optional RFC 1421
/// headers (`Proc-Type`, `DEK-Info`), then base64 that decodes into a DER SEQUENCE (or, for
/// `OPENSSH PRIVATE KEY`, an `openssh-key-v1` blob).
pub(crate) fn pem_body(label: &str, block: &[u8]) -> Option<KeyBody> {
    let text = std::str::from_utf8(block).ok()?;
    let mut encrypted = label.starts_with("ENCRYPTED");
    let mut body = Base64Lines::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("Proc-Type") && value.contains("ENCRYPTED") {
                encrypted = true;
            }
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                continue;
            }
            return None;
        }
        body.push(line)?;
    }
    let decoded = body.decode()?;
    if decoded.len() < 32 {
        return None;
    }
    let openssh = label == "OPENSSH PRIVATE KEY";
    if openssh {
        let cipher = openssh_cipher(&decoded)?;
        encrypted = cipher != "none";
    } else if !encrypted && decoded.first() != Some(&0x30) {
        // Unencrypted PKCS#1 / PKCS#8 / SEC1 / DSA keys are DER SEQUENCEs.
        return None;
    }
    Some(KeyBody {
        openssh,
        encrypted,
        decoded_len: decoded.len(),
        first_line: body.first,
    })
}

/// The cipher name of an `openssh-key-v1` blob.
fn openssh_cipher(blob: &[u8]) -> Option<String> {
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    let rest = blob.strip_prefix(MAGIC)?;
    let len_bytes: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    if len > 64 {
        return None;
    }
    let name = rest.get(4..4 + len)?;
    std::str::from_utf8(name).ok().map(str::to_string)
}

/// What a validated PuTTY key body looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PuttyBody {
    pub encrypted: bool,
    pub private_lines: usize,
    pub first_private_line: String,
}

/// Validates the lines after `PuTTY-User-Key-File-N: alg`: `Encryption`, then `Private-Lines: N`
/// followed by N base64 lines.
pub(crate) fn putty_body(rest: &[u8]) -> Option<PuttyBody> {
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.lines();
    let mut encrypted = None;
    let mut seen = 0;
    while let Some(line) = lines.next() {
        seen += 1;
        if seen > 200 {
            return None;
        }
        if let Some(v) = line.strip_prefix("Encryption:") {
            encrypted = Some(v.trim() != "none");
        } else if let Some(v) = line.strip_prefix("Private-Lines:") {
            let n: usize = v.trim().parse().ok()?;
            if n == 0 || n > 1000 {
                return None;
            }
            let mut body = Base64Lines::default();
            for _ in 0..n {
                body.push(lines.next()?.trim())?;
            }
            if body.decode()?.len() < 16 {
                return None;
            }
            return Some(PuttyBody {
                encrypted: encrypted?,
                private_lines: n,
                first_private_line: body.first,
            });
        }
    }
    None
}

/// Whether a token looks generated: mixed character classes and enough entropy.
fn random_secret(s: &[u8]) -> bool {
    let digits = s.iter().any(u8::is_ascii_digit);
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let classes = usize::from(digits) + usize::from(lower) + usize::from(upper);
    classes >= 2 && !low_entropy(s) && text::entropy(s) >= 3.5
}

fn token_kind(token: &str) -> &'static str {
    match token.get(..4) {
        Some("ghp_") => "personal access token",
        Some("gho_") => "OAuth access token",
        Some("ghu_") => "app user-to-server token",
        Some("ghs_") => "app server-to-server token",
        Some("ghr_") => "refresh token",
        Some("gith") => "fine-grained personal access token",
        Some("glpa") => "personal access token",
        Some("xoxb") => "bot token",
        Some("xoxa") => "app token",
        Some("xoxp") => "user token",
        Some("xoxr") => "refresh token",
        Some("xoxs") => "session token",
        Some("sk_l") => "live secret key",
        Some("rk_l") => "live restricted key",
        _ => "token",
    }
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

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One rule set for all property cases (compiling the patterns per case is slow).
    fn shared() -> &'static Secrets {
        static S: std::sync::OnceLock<Secrets> = std::sync::OnceLock::new();
        S.get_or_init(Secrets::default)
    }

    #[test]
    fn every_pattern_compiles() {
        let _ = Secrets::default();
    }

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

    proptest! {
        #[test]
        fn scanning_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..4096), config in any::<bool>()) {
            let s = shared();
            let path = if config { "app/.env" } else { "bin/tool" };
            for d in s.scan(path, &data) {
                prop_assert!(d.line.is_some());
            }
        }

        #[test]
        fn scanning_arbitrary_text_never_panics(text in "(\\PC|\n){0,600}") {
            let _ = shared().scan("config.yaml", text.as_bytes());
        }

        #[test]
        fn key_body_validators_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), label in "(RSA |OPENSSH |ENCRYPTED |)PRIVATE KEY") {
            let _ = pem_body(&label, &data);
            let _ = putty_body(&data);
            let _ = openssh_cipher(&data);
        }

        #[test]
        fn key_fragments_never_panic(prefix in "(-----BEGIN (RSA |OPENSSH )?PRIVATE KEY-----\n|PuTTY-User-Key-File-3: ssh-ed25519\n|\"type\": \"service_account\"|AKIA|AKID|LTAI|ghp_|glpat-|xoxb-|sk_live_|AccountKey=)", body in "[A-Za-z0-9+/=:\\-\n ]{0,300}") {
            let _ = shared().scan(".env", format!("{prefix}{body}").as_bytes());
        }
    }
}
