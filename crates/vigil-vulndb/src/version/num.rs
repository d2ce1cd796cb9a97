//! Arbitrary-length comparison of ASCII digit strings.

use std::cmp::Ordering;

/// Strips leading `'0'` characters (the empty string stands for zero).
pub(crate) fn strip_zeros(s: &str) -> &str {
    s.trim_start_matches('0')
}

/// Compares two strings of ASCII digits as non-negative integers of any
/// length, ignoring leading zeros. The empty string counts as zero.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A borrowed run of ASCII digits ordered by numeric value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Digits<'a>(pub(crate) &'a str);

impl Digits<'_> {
    /// True when the value is zero.
    pub(crate) fn is_zero(&self) -> bool {
        strip_zeros(self.0).is_empty()
    }
}

impl PartialEq for Digits<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Digits<'_> {}

impl PartialOrd for Digits<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Digits<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.0, other.0)
    }
}

/// Length of the leading run of ASCII digits in `s`.
pub(crate) fn digit_prefix_len(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        assert_eq!(cmp_digits("010", "10"), Ordering::Equal);
        assert_eq!(cmp_digits("", "0"), Ordering::Equal);
        assert_eq!(cmp_digits("9", "10"), Ordering::Less);
        assert_eq!(
            cmp_digits(
                "123456789012345678901234567890",
                "123456789012345678901234567891"
            ),
            Ordering::Less
        );
    }
}
