//! The tokenizer: govaluate's lexical syntax. Strings in single or double quotes where a
//! backslash takes the next character literally (as govaluate does), numbers (decimal, float,
//! `0x` hex), names of letters, digits, `_` and `.`, `[escaped names]` holding any character
//! but `]`, and the operator symbols.

use super::error::ParseError;

/// A token and the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub tok: Tok,
    pub pos: usize,
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
    True,
    False,
    Nil,
    In,
    LParen,
    RParen,
    Comma,
    Question,
    Colon,
    Coalesce,
    Op(&'static str),
}

/// Operator symbols, longest first so that `**` wins over `*`.
const SYMBOLS: &[&str] = &[
    "**", "<<", ">>", "&&", "||", "==", "!=", "<=", ">=", "=~", "!~", "+", "-", "*", "/", "%", "&",
    "|", "^", "<", ">", "!", "~",
];

/// Splits an expression into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Spanned>, ParseError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b':' => {
                i += 1;
                Tok::Colon
            }
            b'?' => {
                if bytes.get(i + 1) == Some(&b'?') {
                    i += 2;
                    Tok::Coalesce
                } else {
                    i += 1;
                    Tok::Question
                }
            }
            b'\'' | b'"' => {
                let (s, next) = read_string(src, i)?;
                i = next;
                Tok::Str(s)
            }
            b'[' => {
                let end = src[i + 1..].find(']').ok_or_else(|| ParseError::Syntax {
                    pos: start,
                    msg: "unclosed [escaped name]".into(),
                })?;
                let name = &src[i + 1..i + 1 + end];
                i += end + 2;
                Tok::Ident(name.to_string())
            }
            b'0'..=b'9' | b'.' if c != b'.' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let (t, next) = read_number(src, i)?;
                i = next;
                t
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let mut j = i;
                while j < bytes.len() {
                    let ch = bytes[j];
                    if ch.is_ascii_alphanumeric() || ch == b'_' || ch == b'.' || ch >= 0x80 {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let word = &src[i..j];
                i = j;
                match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "nil" | "null" => Tok::Nil,
                    "in" | "IN" => Tok::In,
                    w => Tok::Ident(w.to_string()),
                }
            }
            _ => {
                let rest = &src[i..];
                match SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
                    Some(sym) => {
                        i += sym.len();
                        Tok::Op(sym)
                    }
                    None => {
                        let ch = rest.chars().next().unwrap_or('?');
                        return Err(ParseError::Syntax {
                            pos: start,
                            msg: format!("unexpected character {ch:?}"),
                        });
                    }
                }
            }
        };
        out.push(Spanned { tok, pos: start });
    }
    Ok(out)
}

fn read_string(src: &str, start: usize) -> Result<(String, usize), ParseError> {
    let quote = src.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((off, ch)) = chars.next() {
        if ch == '\\' {
            match chars.next() {
                Some((_, next)) => out.push(next),
                None => break,
            }
        } else if ch == quote {
            return Ok((out, start + 1 + off + 1));
        } else {
            out.push(ch);
        }
    }
    Err(ParseError::Syntax {
        pos: start,
        msg: "unclosed string".into(),
    })
}

fn read_number(src: &str, start: usize) -> Result<(Tok, usize), ParseError> {
    let bytes = src.as_bytes();
    if bytes[start] == b'0' && matches!(bytes.get(start + 1), Some(b'x' | b'X')) {
        let mut j = start + 2;
        while j < bytes.len() && bytes[j].is_ascii_hexdigit() {
            j += 1;
        }
        let digits = &src[start + 2..j];
        return match i64::from_str_radix(digits, 16) {
            Ok(v) => Ok((Tok::Int(v), j)),
            Err(_) => u64::from_str_radix(digits, 16)
                .map(|v| (Tok::Float(v as f64), j))
                .map_err(|_| ParseError::Syntax {
                    pos: start,
                    msg: format!("bad hex number {:?}", &src[start..j]),
                }),
        };
    }
    let mut j = start;
    while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
        j += 1;
    }
    let text = &src[start..j];
    let bad = || ParseError::Syntax {
        pos: start,
        msg: format!("bad number {text:?}"),
    };
    if text.contains('.') {
        text.parse::<f64>()
            .map(|f| (Tok::Float(f), j))
            .map_err(|_| bad())
    } else {
        match text.parse::<i64>() {
            Ok(v) => Ok((Tok::Int(v), j)),
            Err(_) => text
                .parse::<f64>()
                .map(|f| (Tok::Float(f), j))
                .map_err(|_| bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s)
            .map(|v| v.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn tokens_of_a_typical_matcher() {
        assert_eq!(
            toks("status_code_1 == 200 && contains(body, 'a\\'b')"),
            vec![
                Tok::Ident("status_code_1".into()),
                Tok::Op("=="),
                Tok::Int(200),
                Tok::Op("&&"),
                Tok::Ident("contains".into()),
                Tok::LParen,
                Tok::Ident("body".into()),
                Tok::Comma,
                Tok::Str("a'b".into()),
                Tok::RParen,
            ]
        );
    }

    #[test]
    fn numbers_and_escaped_names() {
        assert_eq!(
            toks("0x1F 1.5 [template-id]"),
            vec![
                Tok::Int(31),
                Tok::Float(1.5),
                Tok::Ident("template-id".into())
            ]
        );
        assert!(tokenize("'open").is_err());
        assert!(tokenize("1.2.3").is_err());
    }
}
