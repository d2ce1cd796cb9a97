//! Slicing text that came from a scanned server or a file without ever splitting a
//! character. A byte offset found in one string (an ASCII-lowercased copy, a fixed width, an
//! offset plus a window length) may fall inside a multi-byte character of the text it is
//! applied to, and `&s[a..b]` then panics. These helpers move such offsets to the nearest
//! character boundary instead (std's `floor_char_boundary` and `ceil_char_boundary`): a start
//! is rounded up and an end down, so a slice never grows past its requested width and never
//! panics, whatever the offsets.

/// At most the first `max_bytes` bytes of `s`, cut at a character boundary.
pub fn clip(s: &str, max_bytes: usize) -> &str {
    s.get(..s.floor_char_boundary(max_bytes))
        .unwrap_or_default()
}

/// At most `len` bytes of `s` from byte offset `start`: the start rounded up and the end
/// rounded down to character boundaries (empty when `start` is past the end).
pub fn window(s: &str, start: usize, len: usize) -> &str {
    let from = s.ceil_char_boundary(start);
    let to = s.floor_char_boundary(start.saturating_add(len)).max(from);
    s.get(from..to).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn boundaries_inside_characters_move() {
        let s = "aİb😀"; // 1 + 2 + 1 + 4 bytes
        assert_eq!(s.floor_char_boundary(2), 1);
        assert_eq!(s.ceil_char_boundary(2), 3);
        assert_eq!(s.floor_char_boundary(6), 4);
        assert_eq!(s.ceil_char_boundary(6), 8);
        assert_eq!(s.floor_char_boundary(99), 8);
        assert_eq!(s.ceil_char_boundary(99), 8);
        assert_eq!(clip(s, 2), "a");
        assert_eq!(clip(s, 3), "aİ");
        assert_eq!(clip(s, 100), s);
        assert_eq!(window(s, 2, 3), "b");
        assert_eq!(window(s, 1, 3), "İb");
        assert_eq!(window(s, 4, 2), "");
        assert_eq!(window(s, 4, 4), "😀");
        assert_eq!(window(s, 50, 4), "");
        assert_eq!(window(s, 1, usize::MAX), "İb😀");
        let mut t = String::from("ẞẞ");
        t.truncate(t.floor_char_boundary(4));
        assert_eq!(t, "ẞ");
    }

    proptest! {
        #[test]
        fn never_panic_and_stay_in_bounds(
            s in "\\PC{0,40}",
            a in 0usize..200,
            n in 0usize..200,
        ) {
            let c = clip(&s, a);
            prop_assert!(c.len() <= a && s.starts_with(c));
            prop_assert!(a < s.len() || c == s);
            let w = window(&s, a, n);
            prop_assert!(w.len() <= n);
            prop_assert!(s.contains(w));
            let f = s.floor_char_boundary(a);
            let e = s.ceil_char_boundary(a);
            prop_assert!(f <= e && s.is_char_boundary(f) && s.is_char_boundary(e));
            prop_assert!(e - f <= 4);
            let mut t = s.clone();
            t.truncate(t.floor_char_boundary(a));
            prop_assert_eq!(t.as_str(), c);
        }
    }
}
