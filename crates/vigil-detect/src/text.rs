//! Small helpers on bytes and paths shared by the detectors: masking (the workspace's one policy,
//! re-exported from `vigil-core`), line numbers, binary sniffing, entropy, placeholder values and
//! path normalisation.

/// How many leading bytes are looked at to decide that a file is binary.
pub(crate) const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// The one masking policy (see [`vigil_core::mask`]): at most the first four characters, never
/// more than a quarter of the value, then `****`.
pub use vigil_core::mask;

/// 1-based line number of byte `offset` in `data` (offsets past the end count the whole data).
pub(crate) fn line_of(data: &[u8], offset: usize) -> u32 {
    let end = offset.min(data.len());
    let newlines = data[..end].iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines.saturating_add(1)).unwrap_or(u32::MAX)
}

/// Whether the file looks binary: a NUL byte within its first 8 KiB.
pub(crate) fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Number of distinct bytes.
pub(crate) fn distinct(s: &[u8]) -> usize {
    let mut seen = [false; 256];
    let mut n = 0;
    for &b in s {
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            n += 1;
        }
    }
    n
}

/// Whether a value is a placeholder rather than a real secret: empty, a variable reference
/// (`${VAR}`, `$VAR`, `{{ var }}`, `%(var)s`, `<password>`, `%VAR%`), masked (`xxx`, `***`), or a
/// well-known stand-in (`changeme`, `example`, `password`, `secret`, `null`, ...).
pub(crate) fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if v.starts_with('$')
        || v.contains("${")
        || v.contains("{{")
        || v.contains("%(")
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('%') && v.ends_with('%') && v.len() > 2)
        || (v.starts_with('[') && v.ends_with(']'))
    {
        return true;
    }
    // Masked or filler values: only x, *, ., -, _, # or 0 characters.
    if lower
        .chars()
        .all(|c| matches!(c, 'x' | '*' | '.' | '-' | '_' | '#' | '0' | '?' | ' '))
    {
        return true;
    }
    const WORDS: [&str; 14] = [
        "changeme",
        "change_me",
        "change-me",
        "example",
        "placeholder",
        "your_",
        "your-",
        "yourpassword",
        "redacted",
        "replace",
        "dummy",
        "sample",
        "xxxx",
        "todo",
    ];
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    const EXACT: [&str; 22] = [
        "password",
        "passwd",
        "pass",
        "secret",
        "null",
        "nil",
        "none",
        "true",
        "false",
        "undefined",
        "empty",
        "test",
        "testing",
        "foo",
        "bar",
        "foobar",
        "default",
        "required",
        "optional",
        "string",
        "str",
        "env",
    ];
    EXACT.contains(&lower.as_str())
}

/// Whether a token has too little variety to be a real generated secret (`AAAAAAAA...`,
/// `abcabcabc...`).
pub(crate) fn low_entropy(token: &[u8]) -> bool {
    distinct(token) < 6 || entropy(token) < 3.0
}

/// A bounded, printable rendering of matched bytes for malware evidence.
#[cfg(feature = "yara")]
pub(crate) fn printable(data: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in data.iter().take(max) {
        match b {
            b' '..=b'~' => out.push(char::from(b)),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if data.len() > max {
        out.push('…');
    }
    out
}

/// The path with leading `/` and `./` removed, so that image paths (`etc/shadow`) and host paths
/// (`/etc/shadow`) compare alike.
pub(crate) fn normalize_path(path: &str) -> &str {
    let mut p = path;
    loop {
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else {
            return p;
        }
    }
}

/// The last component of a path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_never_shows_more_than_four_chars_or_a_quarter() {
        assert_eq!(mask(""), "****");
        assert_eq!(mask("abcdefgh"), "ab****");
        assert_eq!(mask("sk_live_0123456789abcdefghij"), "sk_l****");
        assert_eq!(mask("äöüßäöüß"), "äö****");
    }

    #[test]
    fn line_numbers_are_one_based() {
        assert_eq!(line_of(b"a\nb\nc", 0), 1);
        assert_eq!(line_of(b"a\nb\nc", 2), 2);
        assert_eq!(line_of(b"a\nb\nc", 4), 3);
        assert_eq!(line_of(b"a\nb\nc", 99), 3);
    }

    #[test]
    fn placeholders_and_real_values() {
        for p in [
            "",
            "changeme",
            "${DB_PASS}",
            "$PASSWORD",
            "{{ vault_pw }}",
            "<password>",
            "xxx",
            "********",
            "example123",
            "%(pw)s",
            "your_password_here",
            "None",
            "%DB_PASS%",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for real in ["Tr0ub4dor&3", "hunter22", "s3cr3t-Pa55w0rd!", "k9QpL2mX"] {
            assert!(!is_placeholder(real), "{real}");
        }
    }

    #[test]
    fn entropy_separates_random_from_repetitive() {
        assert!(low_entropy(b"AAAAAAAAAAAAAAAAAAAA"));
        assert!(low_entropy(b"abababababababababab"));
        assert!(!low_entropy(b"q8Zr2LmX0pVt7KcW4nYs"));
    }

    #[test]
    fn paths_normalise() {
        assert_eq!(normalize_path("/etc/shadow"), "etc/shadow");
        assert_eq!(normalize_path("./etc/shadow"), "etc/shadow");
        assert_eq!(normalize_path("etc/shadow"), "etc/shadow");
        assert_eq!(file_name("root/.ssh/id_rsa"), "id_rsa");
        assert_eq!(file_name("id_rsa"), "id_rsa");
    }
}
