//! The parsers of untrusted advisory data never panic: arbitrary bytes,
//! and mutations of valid documents, into the OSV and secdb parsers and the
//! CVSS scorer.

use proptest::prelude::*;
use vigil_vulndb::{osv, secdb, severity};

const OSV_SAMPLE: &str = r#"{"id":"PYSEC-2018-28","modified":"2021-06-16T00:03:24.800813Z",
"aliases":["CVE-2018-18074"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
"affected":[{"package":{"name":"requests","ecosystem":"PyPI"},"ranges":[{"type":"ECOSYSTEM",
"events":[{"introduced":"0"},{"fixed":"2.20.0"}]}],"versions":["2.19.1"]}],
"references":[{"type":"WEB","url":"https://example.org"}]}"#;

const SECDB_SAMPLE: &str = "distroversion: v3.11\nreponame: main\npackages:\n  - pkg:\n      name: openssl\n      secfixes:\n        1.1.1d-r3:\n          - CVE-2019-1551\n        \"0\":\n          - CVE-2016-0682\n";

fn mutate(base: &str, edits: &[(usize, u8)]) -> Vec<u8> {
    let mut b = base.as_bytes().to_vec();
    for (pos, byte) in edits {
        if b.is_empty() {
            break;
        }
        let i = pos % b.len();
        match byte % 3 {
            0 => b[i] = *byte,
            1 => {
                b.remove(i);
            }
            _ => b.insert(i, *byte),
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn osv_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = osv::parse_record(&bytes);
    }

    #[test]
    fn osv_mutated(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12)) {
        if let Ok(r) = osv::parse_record(&mutate(OSV_SAMPLE, &edits)) {
            prop_assert!(!r.id.is_empty());
        }
    }

    #[test]
    fn secdb_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = secdb::parse(&bytes);
    }

    #[test]
    fn secdb_arbitrary_text(text in "[ -~\n]{0,600}") {
        let _ = secdb::parse(text.as_bytes());
        let _ = secdb::parse(format!("distroversion: v3.1\npackages:\n{text}").as_bytes());
    }

    #[test]
    fn secdb_mutated(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12)) {
        if let Ok(db) = secdb::parse(&mutate(SECDB_SAMPLE, &edits)) {
            for r in db.records {
                prop_assert!(r.id.starts_with("ALPINE-SECDB:"));
            }
        }
    }

    #[test]
    fn cvss_arbitrary(text in "(CVSS:[34]\\.[01]/)?([A-Z]{1,3}:[A-Z]{1,2}/?){0,14}") {
        if let Some(s) = severity::cvss_score(&text) {
            prop_assert!((0.0..=10.0).contains(&s.score));
        }
    }
}
