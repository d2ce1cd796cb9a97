//! Cross-check of `version::dpkg` against the real `dpkg --compare-versions`.
//! Skipped (with a note) when dpkg is not installed.

use std::cmp::Ordering;
use std::process::Command;

use crate::common::{sym, Rng};
use vigil_vulndb::version::dpkg;

fn dpkg_available() -> bool {
    Command::new("dpkg")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn dpkg_is(a: &str, op: &str, b: &str) -> bool {
    let out = Command::new("dpkg")
        .args(["--compare-versions", a, op, b])
        .output()
        .expect("run dpkg");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "dpkg failed on {a:?} {op} {b:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.success()
}

fn dpkg_cmp(a: &str, b: &str) -> Ordering {
    if dpkg_is(a, "lt", b) {
        Ordering::Less
    } else if dpkg_is(a, "eq", b) {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

fn part(rng: &mut Rng, alphabet: &[&str], len: usize) -> String {
    let mut s = String::new();
    for _ in 0..len {
        match rng.below(3) {
            0 => s.push_str(&rng.digits()),
            _ => s.push_str(rng.pick(alphabet)),
        }
    }
    s
}

/// A syntactically valid Debian version from a realistic alphabet.
fn gen_version(rng: &mut Rng) -> String {
    const UP: &[&str] = &[
        ".", ".", ".", "~", "~rc", "~beta", "+", "+dfsg", "+git", "a", "b", "z", "A", "Z", "-",
        ".0", "~~",
    ];
    const REV: &[&str] = &[".", "+deb", "u", "~deb", "ubuntu", "+b", "~", "build", "."];
    let mut v = String::new();
    let epoch = rng.chance(15);
    if epoch {
        v.push_str(&format!("{}:", rng.below(3)));
    }
    v.push_str(&rng.digits());
    let n = rng.below(5);
    v.push_str(&part(rng, UP, n));
    let has_rev = rng.chance(60) || v.ends_with('-');
    if !epoch {
        // ':' is only allowed in upstream with an epoch.
        v = v.replace(':', ".");
    }
    if has_rev {
        let n = rng.below(4);
        v.push('-');
        v.push_str(&rng.digits());
        v.push_str(&part(rng, REV, n));
    } else {
        v = v.replace('-', ".");
    }
    v
}

/// A second version close to `a` so that comparisons exercise the details.
fn mutate(rng: &mut Rng, a: &str) -> String {
    let mut b = a.to_string();
    match rng.below(6) {
        0 => b.push_str(rng.pick(&["~", "~1", "a", ".0", "+1", "0"])),
        1 => {
            if let Some(i) = b.rfind(|c: char| c.is_ascii_digit()) {
                b.replace_range(i..=i, &rng.digits());
            }
        }
        2 => b = b.replacen('.', rng.pick(&["~", "+", ".0", "a"]), 1),
        3 => b = format!("{}:{b}", rng.below(2)).replacen("0:1:", "1:", 1),
        4 => b = b.replace("~", ""),
        _ => b = gen_version(rng),
    }
    if !dpkg::is_valid(&b) {
        b = gen_version(rng);
    }
    b
}

#[test]
fn matches_dpkg_compare_versions() {
    if !dpkg_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "dpkg must be present in CI (Debian)"
        );
        eprintln!("NOTE: dpkg not installed; dpkg cross-check skipped");
        return;
    }
    let mut rng = Rng::new(0xdeb1_a2b3);
    let mut fixed = vec![
        ("1.0~rc1", "1.0"),
        ("1:0.9", "2.0"),
        ("2.36-9+deb12u4", "2.36-9+deb12u10"),
        ("1.2.3-1", "1.2.3-1.1"),
        ("1.0", "1.00"),
        ("1.0~~", "1.0~"),
        ("1.0a", "1.0+"),
        ("1.0-0", "1.0"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect::<Vec<_>>();
    for _ in 0..400 {
        let a = gen_version(&mut rng);
        let b = if rng.chance(70) {
            mutate(&mut rng, &a)
        } else {
            gen_version(&mut rng)
        };
        fixed.push((a, b));
    }
    let mut mismatches = Vec::new();
    let mut by_result = [0usize; 3];
    for (a, b) in &fixed {
        assert!(
            dpkg::is_valid(a) && dpkg::is_valid(b),
            "generator: {a} / {b}"
        );
        let want = dpkg_cmp(a, b);
        by_result[(want as i8 + 1) as usize] += 1;
        let got = dpkg::compare(a, b);
        if got != want {
            mismatches.push(format!("{a} {} {b} (dpkg says {})", sym(got), sym(want)));
        }
    }
    eprintln!(
        "dpkg cross-check: {} pairs (<: {}, =: {}, >: {}), {} mismatches",
        fixed.len(),
        by_result[0],
        by_result[1],
        by_result[2],
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}
