//! Sensitive files, recognised by path and confirmed by content.
//!
//! * SSH private keys named `id_rsa`, `id_dsa`, `id_ecdsa`, `id_ed25519` (and the `_sk` variants)
//!   whose contents are a private key (`*.pub` files are public keys and never match).
//! * Shell and client histories (`.bash_history`, `.zsh_history`, `.mysql_history`,
//!   `.psql_history`, `.python_history`, ...) that are not empty.
//! * Credential stores: `.netrc` / `_netrc` with a `password`, `.pgpass` with a password field,
//!   `.git-credentials` with a password in a URL, `.docker/config.json` with an `auth` or
//!   `identitytoken` entry, `.aws/credentials` with an `aws_secret_access_key`.
//! * `/etc/shadow` (and its `shadow-` backup) entries with an empty password field or a weak hash
//!   scheme (traditional DES crypt, 13 characters; MD5 crypt, `$1$`). Locked entries (`!`, `*`,
//!   `!!`, or a hash prefixed with `!`) are fine.
//!
//! Parsers take untrusted bytes, never panic and are bounded (lines, fields, JSON size).
//! Evidence never includes a password or hash: only user names, hosts and masked values.

use crate::text::{file_name, line_of, mask, normalize_path};
use crate::{Category, Detection, RuleText, Severity};

/// Largest file whose contents are parsed.
const MAX_PARSE_BYTES: usize = 1 << 20;
/// Most lines of one file considered.
const MAX_LINES: usize = 100_000;
/// Most detections from one file.
const MAX_FINDINGS: usize = 50;

/// Which kind of sensitive file a path names, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `id_rsa`, `id_ed25519`, ...
    SshPrivateKey,
    /// A shell or client history.
    History,
    /// `.netrc` or `_netrc`.
    Netrc,
    /// `.pgpass`.
    Pgpass,
    /// `.git-credentials`.
    GitCredentials,
    /// `.docker/config.json`.
    DockerConfig,
    /// `.aws/credentials`.
    AwsCredentials,
    /// `/etc/shadow` or `/etc/shadow-`.
    Shadow,
}

impl Kind {
    /// Whether this kind holds credentials (so that secret rules on the same file add nothing).
    pub fn is_credential_store(self) -> bool {
        !matches!(self, Kind::History | Kind::Shadow)
    }
}

const SSH_KEY_NAMES: [&str; 6] = [
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
];

const HISTORY_NAMES: [&str; 10] = [
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".ash_history",
    ".history",
    ".mysql_history",
    ".psql_history",
    ".python_history",
    ".sqlite_history",
    ".rediscli_history",
];

/// The kind of sensitive file `path` names (by name only; contents decide later).
pub fn kind_of(path: &str) -> Option<Kind> {
    let norm = normalize_path(path);
    let name = file_name(norm);
    if SSH_KEY_NAMES.contains(&name) {
        return Some(Kind::SshPrivateKey);
    }
    if HISTORY_NAMES.contains(&name) {
        return Some(Kind::History);
    }
    match name {
        ".netrc" | "_netrc" => return Some(Kind::Netrc),
        ".pgpass" => return Some(Kind::Pgpass),
        ".git-credentials" => return Some(Kind::GitCredentials),
        _ => {}
    }
    if norm == ".docker/config.json" || norm.ends_with("/.docker/config.json") {
        return Some(Kind::DockerConfig);
    }
    if norm == ".aws/credentials" || norm.ends_with("/.aws/credentials") {
        return Some(Kind::AwsCredentials);
    }
    if norm == "etc/shadow" || norm == "etc/shadow-" {
        return Some(Kind::Shadow);
    }
    None
}

/// Checks one file; `size` is the file's real size (`data` may be a prefix of it).
pub fn scan(path: &str, data: &[u8], size: u64) -> Vec<Detection> {
    let Some(kind) = kind_of(path) else {
        return Vec::new();
    };
    let data = &data[..data.len().min(MAX_PARSE_BYTES)];
    let mut out = Vec::new();
    match kind {
        Kind::SshPrivateKey => ssh_key(data, &mut out),
        Kind::History => history(path, data, size, &mut out),
        Kind::Netrc => netrc(data, &mut out),
        Kind::Pgpass => pgpass(data, &mut out),
        Kind::GitCredentials => git_credentials(data, &mut out),
        Kind::DockerConfig => docker_config(data, &mut out),
        Kind::AwsCredentials => aws_credentials(data, &mut out),
        Kind::Shadow => shadow(data, &mut out),
    }
    out.truncate(MAX_FINDINGS);
    out
}

fn detection(
    id: &'static str,
    title: &'static str,
    severity: Severity,
    description: &'static str,
    remediation: &'static str,
    line: Option<u32>,
    evidence: String,
) -> Detection {
    let rule = RuleText {
        id,
        title,
        severity,
        description,
        remediation,
    };
    Detection::builtin(Category::SensitiveFile, &rule, severity, line, evidence)
}

/// Lines of a text file, bounded, with their byte offsets.
fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut offset = 0usize;
    data.split(|&b| b == b'\n').take(MAX_LINES).map(move |l| {
        let start = offset;
        offset = offset.saturating_add(l.len() + 1);
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        (start, l)
    })
}

fn ssh_key(data: &[u8], out: &mut Vec<Detection>) {
    let text = String::from_utf8_lossy(data);
    let Some(begin) = text.find("-----BEGIN ") else {
        return;
    };
    let after = &text[begin + "-----BEGIN ".len()..];
    let Some(label_end) = after.find("-----") else {
        return;
    };
    let label = &after[..label_end];
    if !label.ends_with("PRIVATE KEY") || label.len() > 40 {
        return;
    }
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let Some(end) = after[body_start..].find(&end_marker) else {
        return;
    };
    let Some(key) =
        crate::secrets::pem_body(label, &after.as_bytes()[body_start..body_start + end])
    else {
        return;
    };
    let (severity, state) = if key.encrypted {
        (Severity::Medium, "passphrase-protected")
    } else {
        (Severity::High, "not passphrase-protected")
    };
    out.push(detection(
        "ssh-private-key-file",
        "SSH private key file",
        severity,
        "An SSH private key in its usual file name. Anyone who can read the image can log in wherever the matching public key is authorised.",
        "Do not build keys into images: mount them at run time or use an SSH agent or a secret store, and replace this key (remove its public key from every authorized_keys).",
        Some(line_of(data, begin)),
        format!("{label} ({state}) {}", mask(&key.first_line)),
    ));
}

fn history(path: &str, data: &[u8], size: u64, out: &mut Vec<Detection>) {
    if size == 0 {
        return;
    }
    let non_blank = lines(data)
        .filter(|(_, l)| !l.trim_ascii().is_empty())
        .count();
    if non_blank == 0 {
        return;
    }
    out.push(detection(
        "shell-history",
        "Shell or client history file",
        Severity::Medium,
        "A command history was left in the file system. Histories record commands as typed, often with passwords, tokens, host names and internal paths.",
        "Delete the history in the same build step that created it (or build with HISTFILE=/dev/null) so that no layer keeps it.",
        None,
        format!("{} ({size} bytes, {non_blank} non-empty lines)", file_name(normalize_path(path))),
    ));
}

const CREDENTIAL_REMEDIATION: &str = "Remove the file from the image (and every layer that added it), pass credentials at run time, and change the passwords or tokens it held.";

fn netrc(data: &[u8], out: &mut Vec<Detection>) {
    // Tokens are whitespace-separated; `machine NAME`, `login NAME`, `password VALUE`.
    let text = String::from_utf8_lossy(data);
    let mut machine = String::from("default");
    let mut offset = 0usize;
    let mut tokens = text
        .split_inclusive(char::is_whitespace)
        .map(|raw| {
            let start = offset;
            offset += raw.len();
            (start, raw.trim())
        })
        .filter(|(_, t)| !t.is_empty())
        .take(MAX_LINES);
    while let Some((_, tok)) = tokens.next() {
        match tok {
            "machine" => {
                if let Some((_, m)) = tokens.next() {
                    machine = m.chars().take(128).collect();
                }
            }
            "default" => machine = "default".to_string(),
            "password" | "passwd" => {
                let Some((start, pw)) = tokens.next() else {
                    continue;
                };
                if pw.is_empty() {
                    continue;
                }
                out.push(detection(
                    "netrc-password",
                    "Password in .netrc",
                    Severity::High,
                    "A .netrc file stores a login password for a remote host (ftp, curl, git and others read it).",
                    CREDENTIAL_REMEDIATION,
                    Some(line_of(data, start)),
                    format!("machine {machine} password {}", mask(pw)),
                ));
            }
            _ => {}
        }
    }
}

/// Splits a `.pgpass` line at unescaped colons, unescaping `\:` and `\\`.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(last)) = (chars.next(), fields.last_mut()) {
                    last.push(n);
                }
            }
            ':' => {
                if fields.len() >= 16 {
                    break;
                }
                fields.push(String::new());
            }
            _ => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

fn pgpass(data: &[u8], out: &mut Vec<Detection>) {
    for (start, raw) in lines(data) {
        let line = String::from_utf8_lossy(raw);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields = pgpass_fields(&line);
        if fields.len() < 5 {
            continue;
        }
        let password = fields[4..].join(":");
        if password.is_empty() {
            continue;
        }
        out.push(detection(
            "pgpass-password",
            "PostgreSQL password file (.pgpass)",
            Severity::High,
            "A .pgpass file stores a PostgreSQL password that libpq clients use without asking.",
            CREDENTIAL_REMEDIATION,
            Some(line_of(data, start)),
            format!(
                "{}:{}:{}:{} password {}",
                fields[0],
                fields[1],
                fields[2],
                fields[3],
                mask(&password)
            ),
        ));
    }
}

fn git_credentials(data: &[u8], out: &mut Vec<Detection>) {
    for (start, raw) in lines(data) {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim();
        let Some((scheme, rest)) = line.split_once("://") else {
            continue;
        };
        let Some((userinfo, host)) = rest.split_once('@') else {
            continue;
        };
        let Some((user, password)) = userinfo.split_once(':') else {
            continue;
        };
        if password.is_empty() {
            continue;
        }
        let host: String = host.chars().take_while(|c| *c != '/').take(128).collect();
        out.push(detection(
            "git-credentials",
            "Git credential store (.git-credentials)",
            Severity::High,
            "git's credential store keeps passwords or tokens for remote repositories in clear text.",
            CREDENTIAL_REMEDIATION,
            Some(line_of(data, start)),
            format!("{scheme}://{user}:{}@{host}", mask(password)),
        ));
    }
}

fn docker_config(data: &[u8], out: &mut Vec<Detection>) {
    // serde_json bounds recursion depth (128) itself; the input is bounded by MAX_PARSE_BYTES.
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Some(auths) = json.get("auths").and_then(|a| a.as_object()) else {
        return;
    };
    for (registry, entry) in auths.iter().take(1000) {
        for key in ["auth", "identitytoken", "password"] {
            let Some(value) = entry.get(key).and_then(|v| v.as_str()) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let needle = format!("\"{key}\"");
            let offset = find_after(data, registry.as_bytes(), needle.as_bytes());
            out.push(detection(
                "docker-config-auth",
                "Registry credentials in .docker/config.json",
                Severity::High,
                "A Docker client configuration stores registry credentials (`auth` is base64 of user:password). They let anyone pull and push as that user.",
                CREDENTIAL_REMEDIATION,
                offset.map(|o| line_of(data, o)),
                format!("registry {registry} {key} {}", mask(value)),
            ));
        }
    }
}

/// Offset of `needle` after the first occurrence of `anchor`, for line numbers.
fn find_after(data: &[u8], anchor: &[u8], needle: &[u8]) -> Option<usize> {
    let find = |hay: &[u8], n: &[u8]| -> Option<usize> {
        if n.is_empty() || hay.len() < n.len() {
            return None;
        }
        hay.windows(n.len()).position(|w| w == n)
    };
    let a = find(data, anchor)?;
    find(&data[a..], needle).map(|n| a + n)
}

fn aws_credentials(data: &[u8], out: &mut Vec<Detection>) {
    let mut profile = String::from("default");
    for (start, raw) in lines(data) {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim();
        if let Some(p) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            profile = p.trim().chars().take(128).collect();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key != "aws_secret_access_key" || value.is_empty() {
            continue;
        }
        out.push(detection(
            "aws-credentials-file",
            "AWS credentials file",
            Severity::Critical,
            "An AWS shared credentials file with a secret access key: it signs requests to AWS as the key's owner.",
            "Remove the file from the image, deactivate the access key in IAM, and give the workload an IAM role or injected credentials.",
            Some(line_of(data, start)),
            format!("profile [{profile}] aws_secret_access_key {}", mask(value)),
        ));
    }
}

/// How an `/etc/shadow` password field is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShadowField {
    /// Empty: the account logs in without a password.
    Empty,
    /// Locked or disabled (`!`, `*`, `!!`, `!` before a hash, ...).
    Locked,
    /// Traditional DES crypt (13 characters): 8-character passwords, crackable in hours.
    Des,
    /// MD5 crypt (`$1$`): fast to brute-force.
    Md5,
    /// A modern scheme (SHA-crypt, bcrypt, yescrypt, ...).
    Strong,
}

/// Classifies an `/etc/shadow` password field.
pub fn classify_shadow_field(field: &str) -> ShadowField {
    if field.is_empty() {
        return ShadowField::Empty;
    }
    if field.starts_with('!') || field.starts_with('*') {
        return ShadowField::Locked;
    }
    if field.starts_with("$1$") {
        return ShadowField::Md5;
    }
    if field.starts_with('$') {
        return ShadowField::Strong;
    }
    if field.len() == 13
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
    {
        return ShadowField::Des;
    }
    // Anything else cannot be produced by crypt(3): no password matches it, like `*`.
    ShadowField::Locked
}

fn shadow(data: &[u8], out: &mut Vec<Detection>) {
    for (start, raw) in lines(data) {
        let line = String::from_utf8_lossy(raw);
        let mut fields = line.splitn(3, ':');
        let (Some(user), Some(field)) = (fields.next(), fields.next()) else {
            continue;
        };
        if user.is_empty() || user.starts_with('#') {
            continue;
        }
        let user: String = user.chars().take(64).collect();
        let (rule, title, severity, description, what) = match classify_shadow_field(field) {
            ShadowField::Locked | ShadowField::Strong => continue,
            ShadowField::Empty => (
                "shadow-empty-password",
                "Account without a password",
                Severity::Critical,
                "An /etc/shadow entry has an empty password field: the account logs in (su, console, and SSH where PermitEmptyPasswords is on) without any password.",
                "empty password field",
            ),
            ShadowField::Des => (
                "shadow-weak-hash",
                "Password hashed with traditional DES crypt",
                Severity::High,
                "An /etc/shadow entry uses traditional DES crypt: passwords are cut to 8 characters and the hash is cracked in hours.",
                "DES crypt hash",
            ),
            ShadowField::Md5 => (
                "shadow-weak-hash",
                "Password hashed with MD5 crypt",
                Severity::High,
                "An /etc/shadow entry uses MD5 crypt ($1$), which current hardware brute-forces quickly.",
                "MD5 crypt ($1$) hash",
            ),
        };
        out.push(detection(
            rule,
            title,
            severity,
            description,
            "Lock the account (passwd -l) or set its password with a modern scheme (yescrypt or SHA-512 crypt), and do not ship images with login passwords.",
            Some(line_of(data, start)),
            format!("user {user}: {what}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_by_path() {
        assert_eq!(kind_of("/root/.ssh/id_rsa"), Some(Kind::SshPrivateKey));
        assert_eq!(kind_of("home/u/.ssh/id_ed25519"), Some(Kind::SshPrivateKey));
        assert_eq!(kind_of("home/u/.ssh/id_ed25519.pub"), None);
        assert_eq!(kind_of("root/.bash_history"), Some(Kind::History));
        assert_eq!(kind_of("/etc/shadow"), Some(Kind::Shadow));
        assert_eq!(kind_of("etc/shadow-"), Some(Kind::Shadow));
        assert_eq!(kind_of("srv/etc/shadow"), None);
        assert_eq!(
            kind_of("root/.docker/config.json"),
            Some(Kind::DockerConfig)
        );
        assert_eq!(kind_of("app/config.json"), None);
        assert_eq!(kind_of("root/.aws/credentials"), Some(Kind::AwsCredentials));
        assert_eq!(kind_of("root/.aws/config"), None);
    }

    #[test]
    fn shadow_fields() {
        assert_eq!(classify_shadow_field(""), ShadowField::Empty);
        for locked in ["!", "*", "!!", "!$6$abc$def", "*LK*", "!*"] {
            assert_eq!(
                classify_shadow_field(locked),
                ShadowField::Locked,
                "{locked}"
            );
        }
        assert_eq!(classify_shadow_field("abJnggxhB/yWI"), ShadowField::Des);
        assert_eq!(classify_shadow_field("$1$salt$hash"), ShadowField::Md5);
        for strong in ["$6$salt$hash", "$y$j9T$a$b", "$2b$10$abc", "$5$x$y"] {
            assert_eq!(
                classify_shadow_field(strong),
                ShadowField::Strong,
                "{strong}"
            );
        }
    }

    #[test]
    fn pgpass_escapes() {
        assert_eq!(
            pgpass_fields("db\\:host:5432:*:app:pa\\:ss"),
            ["db:host", "5432", "*", "app", "pa:ss"]
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for path in ["root/.ssh/id_rsa", "root/.bash_history", "root/.netrc", "root/.pgpass", "root/.git-credentials", "root/.docker/config.json", "root/.aws/credentials", "etc/shadow"] {
                let _ = scan(path, &data, data.len() as u64);
            }
        }

        #[test]
        fn text_parsers_never_panic(text in "([a-z:!*$/.=@\\[\\] \\\\\"{},]|\n|\\PC){0,400}") {
            for path in ["root/.netrc", "root/.pgpass", "root/.git-credentials", "root/.docker/config.json", "root/.aws/credentials", "etc/shadow"] {
                let _ = scan(path, text.as_bytes(), text.len() as u64);
            }
        }

        #[test]
        fn shadow_lines_with_strong_or_locked_fields_never_match(user in "[a-z_][a-z0-9_-]{0,16}", field in "(!|\\*|!!|\\$6\\$[a-zA-Z0-9./]{8}\\$[a-zA-Z0-9./]{86}|\\$y\\$[a-zA-Z0-9./$]{40,60})") {
            let line = format!("{user}:{field}:19000:0:99999:7:::\n");
            prop_assert!(scan("etc/shadow", line.as_bytes(), line.len() as u64).is_empty());
        }
    }
}
