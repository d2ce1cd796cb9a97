//! The one masking policy for secrets shown in evidence, reports and logs: at most the first
//! four characters, never more than a quarter of the value, then `****`. The rest of the value
//! and its length are never shown. Every engine masks through [`mask`] (the content detectors
//! of `vigil-detect`, the web engine's evidence, the network engine's weak passwords).

/// Masks a secret for display: its first `min(4, chars / 4)` characters (control characters
/// shown as `?`), then `****`.
///
/// ```
/// use vigil_core::mask;
/// assert_eq!(mask("ghp_abcdefghijklmnopqrstuvwxyz0123456789"), "ghp_****");
/// assert_eq!(mask("hunter22"), "hu****");
/// assert_eq!(mask("abc"), "****");
/// ```
pub fn mask(secret: &str) -> String {
    let chars = secret.chars().count();
    let shown = (chars / 4).min(4);
    let mut out: String = secret
        .chars()
        .take(shown)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    out.push_str("****");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn never_more_than_four_chars_or_a_quarter() {
        assert_eq!(mask(""), "****");
        assert_eq!(mask("abc"), "****");
        assert_eq!(mask("short"), "s****");
        assert_eq!(mask("123456"), "1****");
        assert_eq!(mask("abcdefgh"), "ab****");
        assert_eq!(mask("sk_live_0123456789abcdefghij"), "sk_l****");
        assert_eq!(mask("AKIAY3VIGILFIXTURE7Q"), "AKIA****");
        assert_eq!(mask("äöüßäöüß"), "äö****");
        assert_eq!(
            mask("\u{1b}\u{1b}\u{1b}\u{1b}\u{1b}\u{1b}\u{1b}\u{1b}"),
            "??****"
        );
    }

    proptest! {
        #[test]
        fn shows_no_more_than_the_policy_allows(secret in "\\PC{0,80}") {
            let m = mask(&secret);
            let shown = m.strip_suffix("****").map(|s| s.chars().count());
            let n = secret.chars().count();
            prop_assert_eq!(shown, Some((n / 4).min(4)));
        }
    }
}
