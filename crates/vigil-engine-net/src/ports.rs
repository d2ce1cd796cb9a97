//! Port sets: `top100`, `top1000`, `all`, or a list such as `22,80,8000-8100`. The frequency
//! lists are data files; `top1000` is the top 100, then further service ports, then the
//! lowest remaining ports of 1-1024, cut at 1000.

use std::collections::BTreeSet;

const TOP: &str = include_str!("../data/top-ports.txt");
const SERVICE: &str = include_str!("../data/service-ports.txt");

fn numbers(text: &str) -> impl Iterator<Item = u16> + '_ {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .filter_map(|t| t.parse::<u16>().ok())
        .filter(|p| *p != 0)
}

fn push_unique(out: &mut Vec<u16>, seen: &mut BTreeSet<u16>, p: u16) {
    if seen.insert(p) {
        out.push(p);
    }
}

/// The `n` most common TCP ports (n <= 1000), most common first.
pub fn top(n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for p in numbers(TOP) {
        push_unique(&mut out, &mut seen, p);
    }
    for p in numbers(SERVICE) {
        push_unique(&mut out, &mut seen, p);
    }
    for p in 1..=1024u16 {
        push_unique(&mut out, &mut seen, p);
    }
    out.truncate(n.min(1000));
    out
}

/// Error for a port specification that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid port specification `{0}`: use top100, top1000, all, or a list like 22,80,8000-8100"
)]
pub struct PortSpecError(pub String);

/// Parse a port specification into an ordered, duplicate-free list.
pub fn parse(spec: &str) -> Result<Vec<u16>, PortSpecError> {
    let err = || PortSpecError(spec.to_string());
    match spec.trim().to_ascii_lowercase().as_str() {
        "top100" | "quick" => return Ok(top(100)),
        "top1000" | "standard" => return Ok(top(1000)),
        "all" | "advanced" | "-" | "1-65535" => return Ok((1..=65535).collect()),
        _ => {}
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for part in spec.split(',').map(str::trim) {
        if part.is_empty() {
            return Err(err());
        }
        let named = match part.to_ascii_lowercase().as_str() {
            "top100" | "quick" => Some(top(100)),
            "top1000" | "standard" => Some(top(1000)),
            _ => None,
        };
        if let Some(list) = named {
            for p in list {
                push_unique(&mut out, &mut seen, p);
            }
            continue;
        }
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (
                a.trim().parse::<u16>().map_err(|_| err())?,
                b.trim().parse::<u16>().map_err(|_| err())?,
            ),
            None => {
                let p = part.parse::<u16>().map_err(|_| err())?;
                (p, p)
            }
        };
        if lo == 0 || hi < lo {
            return Err(err());
        }
        for p in lo..=hi {
            push_unique(&mut out, &mut seen, p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_set_with_extra_ports() {
        let l = parse("top100,60000,22").unwrap();
        assert_eq!(l.len(), 101);
        assert_eq!(l[100], 60000);
        assert!(parse("top100,0").is_err());
    }

    #[test]
    fn named_sets() {
        let t100 = parse("top100").unwrap();
        assert_eq!(t100.len(), 100);
        assert_eq!(&t100[..3], &[80, 23, 443]);
        let t1000 = parse("top1000").unwrap();
        assert_eq!(t1000.len(), 1000);
        assert_eq!(&t1000[..100], &t100[..]);
        for p in [6379, 5432, 27017, 11211, 9200, 2375, 10250, 2379, 6443] {
            assert!(t1000.contains(&p), "{p} belongs in top1000");
        }
        let set: BTreeSet<u16> = t1000.iter().copied().collect();
        assert_eq!(set.len(), 1000, "no duplicates");
        assert_eq!(parse("all").unwrap().len(), 65535);
    }

    #[test]
    fn lists_and_errors() {
        assert_eq!(
            parse("22,80,8000-8002,80").unwrap(),
            vec![22, 80, 8000, 8001, 8002]
        );
        for bad in ["", "0", "10-5", "a", "1,,2", "70000", "5-"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "[0-9,\\-a-z]{0,20}") {
            let _ = parse(&s);
        }
    }
}
