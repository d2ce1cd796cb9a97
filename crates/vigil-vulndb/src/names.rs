//! Package-name and distribution-release normalisation.
//!
//! Advisories and inventories spell the same package and the same release in
//! different ways: `Flask`, `flask` and `FLASK` are one PyPI project (PEP 503),
//! `Debian:12`, `VERSION_ID=12`, `12.5` and `bookworm` are one Debian release,
//! `Alpine:v3.11` is what an image with `VERSION_ID=3.11.6` runs. The database
//! stores every affected entry under a normalised name and a normalised
//! release key, and queries normalise the same way, so a lookup is one
//! indexed equality.
//!
//! Release keys (the part after the first `:` of an OSV ecosystem):
//!
//! | base | OSV ecosystem | key | query accepts |
//! |---|---|---|---|
//! | Debian | `Debian:12`, `Debian:6.0`, `Debian:3.1` | `12`, `6`, `3.1` | `12`, `12.5`, `bookworm` |
//! | Ubuntu | `Ubuntu:22.04:LTS`, `Ubuntu:23.10` | `22.04`, `23.10` | `22.04`, `jammy` |
//! | Ubuntu Pro (ESM) | `Ubuntu:Pro:16.04:LTS` | `pro:16.04` | `pro:16.04` only |
//! | Alpine | `Alpine:v3.11` | `3.11` | `3.11.6`, `v3.11`, `edge` |
//! | Rocky Linux, AlmaLinux | `Rocky Linux:9` | `9` | `9`, `9.3` |
//! | Red Hat | `Red Hat:enterprise_linux:9::appstream` | `9` | `9`, `9.3` |
//! | openSUSE | `openSUSE:Leap 15.5`, `openSUSE:Tumbleweed` | `15.5`, `tumbleweed` | `15.5`, a snapshot date (`20240101`) |
//! | SUSE | `SUSE:Linux Enterprise Server 15 SP5` | `15.5` (`15` for SP0) | `15.5`, `15` |
//! | others | `X:rest` | `rest` lowercased | the same |
//!
//! An entry without a release (`PyPI`, `Debian`) has the empty key and applies
//! to every release.

/// Normalises a package name the way `base` (an OSV ecosystem, release part
/// ignored) compares names:
///
/// * `PyPI`: PEP 503 — lowercase, runs of `-`, `_`, `.` become one `-`;
/// * `crates.io`: lowercase, `_` and `-` are the same;
/// * `Debian`, `Ubuntu`, `Packagist`, `NuGet`, `Hackage`, `Pub`, `Hex`: lowercase;
/// * everything else (npm, Go, Maven, RubyGems, Alpine, RPM distributions):
///   exact, only surrounding whitespace trimmed.
pub fn normalize_name(base: &str, name: &str) -> String {
    let name = name.trim();
    match base_of(base) {
        "PyPI" => pep503(name),
        "crates.io" => name.to_lowercase().replace('_', "-"),
        "Debian" | "Ubuntu" | "Packagist" | "NuGet" | "Hackage" | "Pub" | "Hex" => {
            name.to_lowercase()
        }
        _ => name.to_owned(),
    }
}

/// A Python project name normalised as PEP 503 says: lowercase, each run of `-`, `_` and `.`
/// one `-` (leading and trailing runs dropped). The one implementation: advisories are stored
/// under it and the image engine's purls use it.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The base of an OSV ecosystem string: the part before the first `:`,
/// trimmed (`Debian:12` → `Debian`).
pub fn base_of(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem).trim()
}

/// The release key of an OSV `affected[].package.ecosystem` string (see the
/// module table); the empty string for ecosystem-wide entries.
pub fn release_of(ecosystem: &str) -> String {
    let Some((base, rest)) = ecosystem.split_once(':') else {
        return String::new();
    };
    let rest = rest.trim();
    if rest.is_empty() {
        return String::new();
    }
    match base.trim() {
        "Debian" => debian_key(rest).unwrap_or_else(|| rest.to_lowercase()),
        "Ubuntu" => {
            let (pro, rest) = match rest.strip_prefix("Pro:") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let version = rest.split(':').next().unwrap_or(rest).trim().to_lowercase();
            if pro {
                format!("pro:{version}")
            } else {
                version
            }
        }
        "Alpine" => alpine_key(rest),
        "openSUSE" | "SUSE" => suse_key(rest),
        "Rocky Linux" | "AlmaLinux" => major(rest),
        "Red Hat" => {
            let mut parts = rest.split(':');
            match (parts.next(), parts.next()) {
                (Some("enterprise_linux"), Some(v)) => major(v),
                _ => rest.to_lowercase(),
            }
        }
        _ => rest.to_lowercase(),
    }
}

/// The release key for a distribution release as an inventory reports it
/// (`os-release` `VERSION_ID` or a codename), for the base ecosystem `base`.
/// `None` when the input is empty.
///
/// `normalize_release("Debian", "bookworm") == Some("12")`,
/// `normalize_release("Alpine", "3.11.6") == Some("3.11")`,
/// `normalize_release("Ubuntu", "22.04") == Some("22.04")`.
pub fn normalize_release(base: &str, release: &str) -> Option<String> {
    let r = release.trim();
    if r.is_empty() {
        return None;
    }
    let lower = r.to_lowercase();
    Some(match base_of(base) {
        "Debian" => debian_key(&lower)
            .or_else(|| debian_codename(&lower).map(str::to_owned))
            .unwrap_or(lower),
        "Ubuntu" => {
            if let Some(v) = lower.strip_prefix("pro:") {
                let v = ubuntu_codename(v).unwrap_or(v);
                format!("pro:{}", v.trim_end_matches(":lts"))
            } else {
                let v = lower.trim_end_matches(":lts").trim_end_matches(" lts");
                ubuntu_codename(v)
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_owned())
            }
        }
        "Alpine" => alpine_key(&lower),
        "Rocky Linux" | "AlmaLinux" | "Red Hat" => major(&lower),
        // Tumbleweed's VERSION_ID is its snapshot date.
        "openSUSE" if lower.len() == 8 && lower.bytes().all(|c| c.is_ascii_digit()) => {
            "tumbleweed".to_owned()
        }
        "openSUSE" | "SUSE" => suse_key(&lower),
        _ => lower,
    })
}

/// The OSV ecosystem string a query release corresponds to, for display
/// (`("Debian", "bookworm")` → `Debian:12`, `("Alpine", "3.11.6")` →
/// `Alpine:v3.11`). `None` without a release.
pub fn osv_ecosystem(base: &str, release: Option<&str>) -> String {
    let base = base_of(base);
    match release.and_then(|r| normalize_release(base, r)) {
        None => base.to_owned(),
        Some(key) => match base {
            "Alpine" if key != "edge" => format!("Alpine:v{key}"),
            "Ubuntu" => match key.strip_prefix("pro:") {
                Some(v) => format!("Ubuntu:Pro:{v}"),
                None => format!("Ubuntu:{key}"),
            },
            _ => format!("{base}:{key}"),
        },
    }
}

/// Debian numeric release → key: point releases collapse onto the major
/// version from 4 (etch) on (`12.5` → `12`, `6.0` → `6`); the ancient
/// `2.x`/`3.x` releases keep their minor (`3.1`).
fn debian_key(r: &str) -> Option<String> {
    let mut parts = r.split('.');
    let first = parts.next()?;
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) || first.len() > 4 {
        return None;
    }
    let major: u32 = first.parse().ok()?;
    if major >= 4 {
        return Some(major.to_string());
    }
    match parts.next() {
        Some(minor) if !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("{major}.{minor}"))
        }
        _ => Some(major.to_string()),
    }
}

fn debian_codename(c: &str) -> Option<&'static str> {
    Some(match c {
        "buzz" => "1.1",
        "rex" => "1.2",
        "bo" => "1.3",
        "hamm" => "2.0",
        "slink" => "2.1",
        "potato" => "2.2",
        "woody" => "3.0",
        "sarge" => "3.1",
        "etch" => "4",
        "lenny" => "5",
        "squeeze" => "6",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        _ => return None,
    })
}

fn ubuntu_codename(c: &str) -> Option<&'static str> {
    Some(match c {
        "trusty" => "14.04",
        "xenial" => "16.04",
        "bionic" => "18.04",
        "focal" => "20.04",
        "jammy" => "22.04",
        "kinetic" => "22.10",
        "lunar" => "23.04",
        "mantic" => "23.10",
        "noble" => "24.04",
        "oracular" => "24.10",
        "plucky" => "25.04",
        "questing" => "25.10",
        _ => return None,
    })
}

/// `v3.11`, `3.11`, `3.11.6` → `3.11`; anything else lowercased.
fn alpine_key(r: &str) -> String {
    let r = r.trim().to_lowercase();
    let v = r.strip_prefix('v').unwrap_or(&r);
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b))
            if !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit()) =>
        {
            format!("{a}.{b}")
        }
        _ => r,
    }
}

/// The release key of a SUSE product name as OSV spells it (`Leap 15.5`, `Linux Enterprise
/// Server 15 SP5`, `Tumbleweed`) or a `VERSION_ID` (`15.5`): `major.sp`, `major` for SP0,
/// else the lowercased text.
fn suse_key(r: &str) -> String {
    let lower = r.trim().to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let number = |w: &str| !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit());
    match words.as_slice() {
        [.., major, sp] if number(major) && sp.strip_prefix("sp").is_some_and(number) => {
            let sp = sp.trim_start_matches("sp").trim_start_matches('0');
            if sp.is_empty() {
                (*major).to_owned()
            } else {
                format!("{major}.{sp}")
            }
        }
        [.., last] => {
            let parts: Vec<&str> = last.split('.').collect();
            match parts.as_slice() {
                [m] if number(m) && words.len() > 1 => (*m).to_owned(),
                [m, n] if number(m) && number(n) => {
                    if n.trim_start_matches('0').is_empty() {
                        (*m).to_owned()
                    } else {
                        format!("{m}.{n}")
                    }
                }
                _ => lower.clone(),
            }
        }
        [] => lower.clone(),
    }
}

/// `9.3` → `9`; non-numeric input lowercased as is.
fn major(r: &str) -> String {
    let r = r.trim().to_lowercase();
    match r.split('.').next() {
        Some(m) if !m.is_empty() && m.bytes().all(|c| c.is_ascii_digit()) => m.to_owned(),
        _ => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suse_releases() {
        assert_eq!(release_of("openSUSE:Leap 15.5"), "15.5");
        assert_eq!(release_of("openSUSE:Tumbleweed"), "tumbleweed");
        assert_eq!(release_of("SUSE:Linux Enterprise Server 15 SP5"), "15.5");
        assert_eq!(release_of("SUSE:Linux Enterprise Server 15"), "15");
        assert_eq!(
            release_of("SUSE:Linux Enterprise Module for Basesystem 15 SP4"),
            "15.4"
        );
        assert_eq!(
            normalize_release("openSUSE", "15.5").as_deref(),
            Some("15.5")
        );
        assert_eq!(
            normalize_release("openSUSE", "20240101").as_deref(),
            Some("tumbleweed")
        );
        assert_eq!(normalize_release("SUSE", "15.5").as_deref(), Some("15.5"));
        assert_eq!(normalize_release("SUSE", "15").as_deref(), Some("15"));
        assert_eq!(normalize_release("SUSE", "15.0").as_deref(), Some("15"));
        // Other SUSE products: major.minor, a zero minor dropped as for SP0.
        assert_eq!(release_of("SUSE:Linux Micro 6.0"), "6");
    }

    #[test]
    fn names() {
        assert_eq!(normalize_name("PyPI", "Requests"), "requests");
        assert_eq!(normalize_name("PyPI", "zope.interface"), "zope-interface");
        assert_eq!(normalize_name("PyPI", "Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(normalize_name("PyPI", "_leading"), "leading");
        assert_eq!(normalize_name("crates.io", "Serde_JSON"), "serde-json");
        assert_eq!(normalize_name("Debian:12", "LibSSL3"), "libssl3");
        assert_eq!(normalize_name("npm", "@Scope/Pkg"), "@Scope/Pkg");
        assert_eq!(normalize_name("Maven", " g:a "), "g:a");
    }

    #[test]
    fn releases_from_osv() {
        assert_eq!(release_of("Debian:12"), "12");
        assert_eq!(release_of("Debian:6.0"), "6");
        assert_eq!(release_of("Debian:3.1"), "3.1");
        assert_eq!(release_of("Ubuntu:22.04:LTS"), "22.04");
        assert_eq!(release_of("Ubuntu:23.10"), "23.10");
        assert_eq!(release_of("Ubuntu:Pro:16.04:LTS"), "pro:16.04");
        assert_eq!(release_of("Alpine:v3.11"), "3.11");
        assert_eq!(release_of("Rocky Linux:9"), "9");
        assert_eq!(release_of("Red Hat:enterprise_linux:9::appstream"), "9");
        assert_eq!(release_of("PyPI"), "");
        assert_eq!(release_of("Debian"), "");
        assert_eq!(release_of("Debian:"), "");
    }

    #[test]
    fn releases_from_queries() {
        let n = |b, r| normalize_release(b, r);
        assert_eq!(n("Debian", "12").as_deref(), Some("12"));
        assert_eq!(n("Debian", "12.5").as_deref(), Some("12"));
        assert_eq!(n("Debian", "Bookworm").as_deref(), Some("12"));
        assert_eq!(n("Ubuntu", "22.04").as_deref(), Some("22.04"));
        assert_eq!(n("Ubuntu", "jammy").as_deref(), Some("22.04"));
        assert_eq!(n("Alpine", "3.11.6").as_deref(), Some("3.11"));
        assert_eq!(n("Alpine", "v3.11").as_deref(), Some("3.11"));
        assert_eq!(n("Rocky Linux", "9.3").as_deref(), Some("9"));
        assert_eq!(n("Debian", " "), None);
        assert_eq!(osv_ecosystem("Alpine", Some("3.11.6")), "Alpine:v3.11");
        assert_eq!(osv_ecosystem("Debian", Some("bookworm")), "Debian:12");
        assert_eq!(osv_ecosystem("Ubuntu", Some("22.04")), "Ubuntu:22.04");
        assert_eq!(osv_ecosystem("PyPI", None), "PyPI");
    }
}
