//! Go (RE2) regex syntax as the `regex` crate reads it. The two differ where nuclei's
//! templates rely on Go: Go's `\d \w \s \b` are ASCII-only (and the ASCII form also keeps
//! compiled programs small); a `{` that does not start a valid repetition (`{"id":`, `{,60}`)
//! is a literal in Go; a `[` inside a character class is a literal in Go (`[[0-9]`), but
//! starts a nested class in the `regex` crate.

/// Rewrites a Go pattern into an equivalent one for the `regex` crate.
pub fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&n) = chars.get(i + 1) else {
                out.push('\\');
                break;
            };
            out.push_str(&escape(n, in_class));
            i += 2;
            continue;
        }
        if in_class {
            match c {
                ']' if i > class_start => in_class = false,
                '[' if chars.get(i + 1) == Some(&':') => {
                    // a POSIX class such as [:alpha:]: copy it whole
                    let rest: String = chars[i..].iter().collect();
                    if let Some(end) = rest.find(":]") {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                        continue;
                    }
                    out.push_str("\\[");
                    i += 1;
                    continue;
                }
                '[' => {
                    out.push_str("\\[");
                    i += 1;
                    continue;
                }
                '&' | '~' | '-' if chars.get(i + 1) == Some(&c) => {
                    // `&&`, `~~`, `--` are class operators in the regex crate, literals in Go
                    out.push('\\');
                    out.push(c);
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // a `]` first in the class is a literal
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                class_start = i;
                continue;
            }
            '{' if !is_repetition(&chars[i..]) => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            _ => out.push(c),
        }
        if c == '{' && is_repetition(&chars[i..]) {
            // copy the repetition up to its `}`
            while i + 1 < chars.len() && chars[i + 1] != '}' {
                i += 1;
                out.push(chars[i]);
            }
            if i + 1 < chars.len() {
                i += 1;
                out.push('}');
            }
        }
        i += 1;
    }
    out
}

fn escape(n: char, in_class: bool) -> String {
    let s = match (n, in_class) {
        ('d', false) => "[0-9]",
        ('D', false) => "[^0-9]",
        ('w', false) => "[0-9A-Za-z_]",
        ('W', false) => "[^0-9A-Za-z_]",
        ('s', false) => "[\\t\\n\\f\\r ]",
        ('S', false) => "[^\\t\\n\\f\\r ]",
        ('b', false) => "(?-u:\\b)",
        ('B', false) => "(?-u:\\B)",
        ('d', true) => "0-9",
        ('w', true) => "0-9A-Za-z_",
        ('s', true) => "\\t\\n\\f\\r ",
        _ => return format!("\\{n}"),
    };
    s.to_string()
}

/// Whether `{...` at the start of `s` is a Go repetition `{n}`, `{n,}` or `{n,m}`.
fn is_repetition(s: &[char]) -> bool {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if s.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    s.get(i) == Some(&'}')
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn go_forms_become_regex_crate_forms() {
        assert_eq!(translate(r"a\d{2,3}"), r"a[0-9]{2,3}");
        assert_eq!(translate(r#"{"id":(\w+)}"#), r#"\{"id":([0-9A-Za-z_]+)\}"#);
        assert_eq!(translate(r"[a-z]{,60}"), r"[a-z]\{,60\}");
        assert_eq!(translate(r"[[0-9]{2}]"), r"[\[0-9]{2}]");
        assert_eq!(translate(r"[\w_]+"), r"[0-9A-Za-z__]+");
        assert_eq!(translate(r"[]a]"), r"[\]a]");
        assert_eq!(translate(r"[[:alpha:]]"), r"[[:alpha:]]");
        assert_eq!(translate(r"\{\}"), r"\{\}");
    }
}
