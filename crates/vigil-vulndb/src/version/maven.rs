//! Maven version ordering: `org.apache.maven.artifact.versioning.ComparableVersion`
//! as shipped in maven-artifact 3.8.x.
//!
//! The version is lowercased and split into items: `.` separates items,
//! `-` starts a sub-list, and a switch between digits and letters also
//! starts a sub-list (`1.0alpha1` = `1.0-alpha-1`). Numbers compare
//! numerically (any length; Maven's int/long/BigInteger split is kept: a
//! number of ≤ 9 digits is below one of 10–18 digits, which is below longer
//! ones, even if all zeros). Qualifiers order as
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
//! release < sp < (any other qualifier, alphabetically)`; `a1`, `b1`, `m1`
//! (a letter directly followed by a digit) mean alpha/beta/milestone.
//! A trailing qualifier, or one followed by digits, after other items opens
//! a sub-list too (`1.0.foo` = `1.0-foo`). A qualifier sorts before a number; a sub-list sorts below a number and
//! above a qualifier; trailing "null" items (`0`, `""`, `ga`, …) are dropped
//! (`1.0.0 = 1`, `1-ga = 1`).
//!
//! **Not a total order:** Maven's algorithm is not transitive on some
//! inputs — maven-artifact 3.8.7 reports `1-alpha < 1 < 1.foo.2 < 1-alpha`
//! (a qualifier sorts below a sub-list, but a sub-list starting with a
//! pre-release sorts below "nothing", which sorts below an unknown
//! qualifier). This port reproduces Maven exactly, cycles included, since
//! matching Maven's answer is what matters for advisories; sorting a set of
//! such versions may give an order-dependent result. Antisymmetry holds.
//!
//! Every string is accepted (as by Maven), so no fallback is needed. Only
//! ASCII digits count as digits (Java's `Character.isDigit` also accepts
//! other Unicode digits).

use std::cmp::Ordering;

use super::num::{cmp_digits, strip_zeros};

#[derive(Debug, Clone)]
enum Item {
    /// Digits as Maven keeps them (leading zeros stripped unless all zeros)
    /// and the size class: 0 = int (≤ 9 digits), 1 = long, 2 = BigInteger.
    Num(String, u8),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// Maven's `comparableQualifier`: the index in [`QUALIFIERS`], or
/// `"7-<qualifier>"` for unknown ones; compared as strings.
fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

const RELEASE_INDEX: &str = "5";

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        s
    };
    let s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(s.to_string())
}

fn parse_item(is_digit: bool, s: &str) -> Item {
    if is_digit {
        let stripped = strip_zeros(s);
        let kept = if stripped.is_empty() { s } else { stripped };
        let kept = if kept.is_empty() { "0" } else { kept };
        let class = match kept.len() {
            0..=9 => 0,
            10..=18 => 1,
            _ => 2,
        };
        Item::Num(kept.to_string(), class)
    } else {
        string_item(s, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Num(d, _) => strip_zeros(d).is_empty(),
            Item::Str(s) => comparable_qualifier(s) == RELEASE_INDEX,
            Item::List(l) => l.is_empty(),
        }
    }

    /// `Item.compareTo(other)`, `None` standing for Java's `null`.
    fn cmp_to(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Num(d, _), None) => {
                if strip_zeros(d).is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Num(a, ca), Some(Item::Num(b, cb))) => ca.cmp(cb).then_with(|| cmp_digits(a, b)),
            (Item::Num(..), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => comparable_qualifier(s).as_str().cmp(RELEASE_INDEX),
            (Item::Str(a), Some(Item::Str(b))) => {
                comparable_qualifier(a).cmp(&comparable_qualifier(b))
            }
            (Item::Str(_), Some(_)) => Ordering::Less,
            (Item::List(l), None) => l
                .iter()
                .map(|i| i.cmp_to(None))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Num(..))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => {
                let n = a.len().max(b.len());
                for k in 0..n {
                    let r = match (a.get(k), b.get(k)) {
                        (None, None) => Ordering::Equal,
                        (None, Some(r)) => r.cmp_to(None).reverse(),
                        (Some(l), r) => l.cmp_to(r),
                    };
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
        }
    }
}

/// `ListItem.normalize`: walking back from the end, drop null items,
/// stepping over non-null sub-lists, until a non-null number or qualifier.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Parses like `ComparableVersion.parseVersion`, returning the root list.
fn parse(version: &str) -> Vec<Item> {
    let v = version.to_lowercase();
    // A stack of open lists; each nested list is attached to its parent
    // when closed, which (as in Maven) happens only at the end.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0usize;
    let bytes = v.as_bytes();
    let push = |stack: &mut Vec<Vec<Item>>, item: Item| {
        if let Some(top) = stack.last_mut() {
            top.push(item);
        }
    };
    for (i, &c) in bytes.iter().enumerate() {
        let sub = |a: usize, b: usize| v.get(a..b).unwrap_or("");
        if c == b'.' {
            let item = if i == start {
                Item::Num("0".into(), 0)
            } else {
                parse_item(is_digit, sub(start, i))
            };
            push(&mut stack, item);
            start = i + 1;
        } else if c == b'-' {
            let item = if i == start {
                Item::Num("0".into(), 0)
            } else {
                parse_item(is_digit, sub(start, i))
            };
            push(&mut stack, item);
            start = i + 1;
            stack.push(Vec::new());
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // 3.8.x: a qualifier followed by a digit opens a sub-list
                // unless the current list is empty.
                if stack.last().is_some_and(|l| !l.is_empty()) {
                    stack.push(Vec::new());
                }
                push(&mut stack, string_item(sub(start, i), true));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut stack, parse_item(true, sub(start, i)));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if v.len() > start {
        // "treat .X as -X for any string qualifier X" (1.0.0.X1 < 1.0.0-X2)
        if !is_digit && stack.last().is_some_and(|l| !l.is_empty()) {
            stack.push(Vec::new());
        }
        let item = parse_item(is_digit, v.get(start..).unwrap_or(""));
        push(&mut stack, item);
    }
    // Close the nested lists innermost first, normalizing each.
    while stack.len() > 1 {
        let mut inner = stack.pop().unwrap_or_default();
        normalize(&mut inner);
        push(&mut stack, Item::List(inner));
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    root
}

/// Compares two Maven versions (total order, never panics).
///
/// Every `-` and every switch between digits and letters opens a nested list, and comparing
/// and dropping nested lists recurse, so versions are compared on their first
/// [`MAX_PARSED`] bytes only (real versions are far shorter); the order stays consistent
/// because every version is compared by the same head.
pub fn compare(a: &str, b: &str) -> Ordering {
    Item::List(parse(clip(a))).cmp_to(Some(&Item::List(parse(clip(b)))))
}

/// Most bytes of a version that are parsed.
pub const MAX_PARSED: usize = 256;

fn clip(v: &str) -> &str {
    &v[..v.floor_char_boundary(MAX_PARSED)]
}

/// Maven accepts every string; this only rejects the empty one and
/// whitespace, which never appear in real coordinates.
pub fn is_valid(v: &str) -> bool {
    !v.is_empty() && !v.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    /// A version of a million `-` (or alternating digits and letters) would nest that
    /// deep; only its head is parsed, and the comparison stays total and quick.
    #[test]
    fn hostile_versions_do_not_nest_without_bound() {
        let dashes = "1-".repeat(500_000);
        let mixed = "1a".repeat(500_000);
        assert_eq!(compare(&dashes, &dashes), Equal);
        assert_eq!(compare(&mixed, &mixed), Equal);
        assert_eq!(compare(&dashes, &mixed), compare(&mixed, &dashes).reverse());
        let long_tail = format!("1.0{}", "é".repeat(MAX_PARSED));
        assert_eq!(compare(&long_tail, "1.0"), Greater);
    }

    #[track_caller]
    fn check(a: &str, op: Ordering, b: &str) {
        assert_eq!(compare(a, b), op, "{a} vs {b}");
        assert_eq!(compare(b, a), op.reverse(), "{b} vs {a}");
    }

    /// Orderings confirmed with maven-artifact 3.8.7's `ComparableVersion`.
    #[test]
    fn maven_examples() {
        let chain = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
            "2",
            "2-1",
        ];
        for w in chain.windows(2) {
            check(w[0], Less, w[1]);
        }
        // Checked against maven-artifact 3.8.7's `ComparableVersion` main.
        check("2.0-a", Less, "2-1");
        check("2.0-0", Less, "2.0-a");
        check("2.0-0", Less, "2.0.a");
        check("2.0.a", Less, "2.1");
        check("07.foo4", Greater, "7.0-alpha.3-beta");
        for (a, b) in [
            ("1", "1.0.0"),
            ("1-ga", "1"),
            ("1-final", "1"),
            ("1.0-RELEASE", "1"),
            ("1-cr1", "1-rc1"),
            ("1a1", "1-alpha-1"),
            ("1.0alpha1", "1.0-alpha-1"),
        ] {
            check(a, Equal, b);
        }
        check("1.0", Greater, "1.0-SNAPSHOT");
        check("1-1", Less, "1.1");
    }
}
