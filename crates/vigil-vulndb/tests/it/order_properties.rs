//! Property tests: every comparator is a total preorder on arbitrary input
//! (reflexive, antisymmetric, transitive) and never panics.
//!
//! Exception: Maven. `ComparableVersion` itself (maven-artifact 3.8.7) is
//! not transitive — `1-alpha < 1 < 1.foo.2 < 1-alpha` — and our port follows
//! it exactly, so Maven is checked for reflexivity, antisymmetry and
//! no-panic only.

use std::cmp::Ordering;

use proptest::prelude::*;
use vigil_vulndb::Ecosystem;

const ALL: [Ecosystem; 9] = [
    Ecosystem::Debian,
    Ecosystem::Ubuntu,
    Ecosystem::Alpine,
    Ecosystem::Rpm,
    Ecosystem::SemVer,
    Ecosystem::Pep440,
    Ecosystem::Maven,
    Ecosystem::RubyGems,
    Ecosystem::Packagist,
];

/// Version-like strings: mostly from the characters versions are made of,
/// plus some arbitrary Unicode.
fn version_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-z.~^+_:!-]{0,12}",
        2 => "v?[0-9]{1,3}(\\.[0-9]{1,2}){0,3}([-_.~^+]?(alpha|beta|rc|pre|post|dev|p|r|git|a|b|sp|snapshot)[0-9]{0,2}){0,2}(-r?[0-9])?",
        1 => "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_preorder(a in version_like(), b in version_like(), c in version_like()) {
        for eco in ALL {
            let ab = eco.compare(&a, &b);
            prop_assert_eq!(eco.compare(&a, &a), Ordering::Equal, "{:?} reflexive {:?}", eco, a);
            prop_assert_eq!(eco.compare(&b, &a), ab.reverse(), "{:?} antisymmetric {:?} {:?}", eco, a, b);
            if eco == Ecosystem::Maven {
                continue;
            }
            let bc = eco.compare(&b, &c);
            let ac = eco.compare(&a, &c);
            if ab != Ordering::Greater && bc != Ordering::Greater {
                prop_assert!(ac != Ordering::Greater, "{:?}: {:?} <= {:?} <= {:?} but a > c", eco, a, b, c);
            }
            if ab == Ordering::Equal && bc == Ordering::Equal {
                prop_assert_eq!(ac, Ordering::Equal, "{:?}: equality not transitive {:?} {:?} {:?}", eco, a, b, c);
            }
            let _ = eco.is_valid(&a);
        }
    }

    /// Sorting with the comparator is consistent: every adjacent pair of a
    /// sorted list is in order (catches intransitivity over longer chains).
    #[test]
    fn sort_is_consistent(mut vs in proptest::collection::vec(version_like(), 2..12)) {
        for eco in ALL.into_iter().filter(|e| *e != Ecosystem::Maven) {
            vs.sort_by(|a, b| eco.compare(a, b));
            for i in 0..vs.len() {
                for j in i + 1..vs.len() {
                    prop_assert!(eco.compare(&vs[i], &vs[j]) != Ordering::Greater,
                        "{:?}: sorted list out of order: {:?}", eco, vs);
                }
            }
        }
    }
}
