//! Cross-check of `version::pep440` against Python's `packaging.version`
//! (the venv at `~/.cache/vigil-compat-venv`, or `python3` with
//! `packaging`). Skipped (with a note) when neither is available.

use std::cmp::Ordering;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{sym, Rng};
use vigil_vulndb::version::pep440;

const SCRIPT: &str = r#"
import sys
from packaging.version import Version, InvalidVersion
def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None
for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    va, vb = parse(a), parse(b)
    na = str(va) if va is not None else "!"
    nb = str(vb) if vb is not None else "!"
    c = "?" if va is None or vb is None else ("<" if va < vb else ("=" if va == vb else ">"))
    print(na + "\t" + nb + "\t" + c)
"#;

fn python() -> Option<String> {
    let venv = std::env::var("HOME")
        .map(|h| format!("{h}/.cache/vigil-compat-venv/bin/python"))
        .unwrap_or_default();
    // scripts/test's venv (it names its interpreter), else the default venv, else python3.
    let named = std::env::var("VIGIL_WEBAPP_PYTHON").unwrap_or_default();
    [named, venv, "python3".to_string()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .find(|p| {
            Command::new(p)
                .args(["-c", "import packaging.version"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

fn gen(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(5) {
        v.push('v');
    }
    if rng.chance(10) {
        v.push_str(&format!("{}!", rng.below(3)));
    }
    let n = 1 + rng.below(4);
    let rel: Vec<String> = (0..n).map(|_| rng.digits()).collect();
    v.push_str(&rel.join("."));
    let sep = |rng: &mut Rng| rng.pick(&["", "", ".", "-", "_"]).to_string();
    if rng.chance(40) {
        v.push_str(&sep(rng));
        v.push_str(rng.pick(&["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "RC"]));
        v.push_str(&sep(rng));
        if rng.chance(80) {
            v.push_str(&rng.digits());
        }
    }
    if rng.chance(25) {
        if rng.chance(30) {
            v.push('-');
            v.push_str(&rng.digits());
        } else {
            v.push_str(&sep(rng));
            v.push_str(rng.pick(&["post", "rev", "r", "POST"]));
            v.push_str(&sep(rng));
            if rng.chance(70) {
                v.push_str(&rng.digits());
            }
        }
    }
    if rng.chance(25) {
        v.push_str(&sep(rng));
        v.push_str("dev");
        if rng.chance(70) {
            v.push_str(&rng.digits());
        }
    }
    if rng.chance(15) {
        v.push('+');
        let n = 1 + rng.below(3);
        let segs: Vec<String> = (0..n)
            .map(|_| {
                if rng.chance(50) {
                    rng.digits()
                } else {
                    rng.pick(&["ubuntu", "cpu", "cu118", "abc", "z"])
                        .to_string()
                }
            })
            .collect();
        v.push_str(&segs.join(rng.pick(&[".", "-", "_"])));
    }
    if rng.chance(4) {
        // Occasionally break it.
        let junk = rng.pick(&["..", "+", "-", "x", " 1", "!", "a.b"]);
        let at = rng.below(v.len() + 1);
        if v.is_char_boundary(at) {
            v.insert_str(at, junk);
        }
    }
    v
}

#[test]
fn matches_python_packaging() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "a Python with `packaging` must be present in CI (scripts/test's venv)"
        );
        eprintln!("NOTE: no Python with `packaging`; PEP 440 cross-check skipped");
        return;
    };
    let mut rng = Rng::new(0x9e9_440);
    let mut pairs: Vec<(String, String)> = Vec::new();
    for _ in 0..600 {
        let a = gen(&mut rng);
        let b = if rng.chance(40) {
            // Near-duplicate: same release, different suffixes.
            let base: String = a
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let g = gen(&mut rng);
            let tail: String = g
                .chars()
                .skip_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            format!("{base}{tail}")
        } else {
            gen(&mut rng)
        };
        pairs.push((a, b));
    }
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let mut child = Command::new(&py)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python output");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), pairs.len());

    let (mut compared, mut invalid) = (0, 0);
    let mut mismatches = Vec::new();
    for ((a, b), line) in pairs.iter().zip(lines) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [na, nb, c] = cols[..] else {
            panic!("bad line {line:?}")
        };
        for (v, n) in [(a, na), (b, nb)] {
            let mine = pep440::normalize(v);
            let theirs = (n != "!").then(|| n.to_string());
            if mine != theirs {
                mismatches.push(format!(
                    "normalize({v:?}): ours {mine:?}, packaging {theirs:?}"
                ));
            }
            if theirs.is_none() {
                invalid += 1;
            }
        }
        if c != "?" {
            compared += 1;
            let got = sym(pep440::compare(a, b));
            if got != c {
                mismatches.push(format!("{a} {got} {b} (packaging says {c})"));
            }
        }
    }
    eprintln!(
        "PEP 440 cross-check: {} pairs, {compared} compared, {invalid} invalid strings seen, {} mismatches",
        pairs.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
    assert_eq!(pep440::compare("1.0", "1.0"), Ordering::Equal);
}
