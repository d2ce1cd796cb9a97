//! Cross-check of `version::maven` against Maven's own `ComparableVersion`
//! (its `main` compares consecutive arguments). Skipped (with a note) when
//! java or the maven-artifact jar is absent.

use std::process::Command;

use crate::common::{sym, Rng};
use vigil_vulndb::version::maven;

fn jar() -> Option<String> {
    let dir = std::fs::read_dir("/usr/share/maven/lib").ok()?;
    let jar = dir
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("maven-artifact") && n.ends_with(".jar"))
        })?
        .to_string_lossy()
        .into_owned();
    Command::new("java")
        .arg("-version")
        .output()
        .ok()?
        .status
        .success()
        .then_some(jar)
}

fn gen(rng: &mut Rng) -> String {
    const PARTS: &[&str] = &[
        "alpha",
        "beta",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "SNAPSHOT",
        "ga",
        "final",
        "release",
        "sp",
        "a",
        "b",
        "m",
        "foo",
        "RELEASE",
        "Final",
        "pom",
        "",
    ];
    let mut v = rng.digits();
    for _ in 0..rng.below(5) {
        v.push_str(rng.pick(&[".", ".", "-", "-", ""]));
        if rng.chance(55) {
            v.push_str(&rng.digits());
        } else {
            v.push_str(rng.pick(PARTS));
        }
    }
    if rng.chance(3) {
        v.push_str(&"0".repeat(10 + rng.below(12)));
    }
    v
}

#[test]
fn matches_comparable_version() {
    let Some(jar) = jar() else {
        eprintln!("NOTE: java or maven-artifact jar not found; Maven cross-check skipped");
        return;
    };
    let mut rng = Rng::new(0x3a7e_0001);
    let mut versions = vec![
        "1.0".to_string(),
        "1.0-SNAPSHOT".into(),
        "1-1".into(),
        "1.1".into(),
        "1.0.0".into(),
        "1-sp".into(),
        "1-ga".into(),
        "1-RC1".into(),
        "1-cr1".into(),
        "1.0alpha1".into(),
        "1.0-alpha-1".into(),
    ];
    for _ in 0..500 {
        let base = versions.last().cloned().unwrap_or_default();
        let v = if rng.chance(50) {
            // Share a prefix with the previous one to hit the interesting cases.
            let cut = rng.below(base.len() + 1);
            let g = gen(&mut rng);
            let tail: String = g.chars().skip(rng.below(g.len() + 1)).collect();
            format!("{}{tail}", base.get(..cut).unwrap_or(""))
        } else {
            gen(&mut rng)
        };
        if !v.is_empty() {
            versions.push(v);
        }
    }
    let out = Command::new("java")
        .args([
            "-cp",
            &jar,
            "org.apache.maven.artifact.versioning.ComparableVersion",
        ])
        .args(&versions)
        .output()
        .expect("run java");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("   "))
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            (parts.len() == 3).then(|| parts[1])
        })
        .collect();
    assert_eq!(
        results.len(),
        versions.len() - 1,
        "unexpected output:\n{text}"
    );
    let mut mismatches = Vec::new();
    for (w, want) in versions.windows(2).zip(&results) {
        let want = if *want == "==" { "=" } else { *want };
        let got = sym(maven::compare(&w[0], &w[1]));
        if got != want {
            mismatches.push(format!("{} {got} {} (Maven says {want})", w[0], w[1]));
        }
    }
    eprintln!(
        "Maven cross-check: {} pairs, {} mismatches",
        results.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}
