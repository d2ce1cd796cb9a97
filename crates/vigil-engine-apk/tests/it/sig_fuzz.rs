//! Reading signatures never panics: arbitrary bytes as a signing block or a whole APK, and
//! random mutations of a real v1+v2+v3 signed APK's signing block and JAR signature block.

use std::sync::OnceLock;

use proptest::prelude::*;
use vigil_engine_apk::sig::{self, block, Files};
use vigil_engine_apk::Result;

use crate::support::apk::{build, manifest, App, Signing};

/// A real APK signed with every scheme, built once.
fn signed() -> &'static (Vec<u8>, usize, usize) {
    static APK: OnceLock<(Vec<u8>, usize, usize)> = OnceLock::new();
    APK.get_or_init(|| {
        let mut app = App::new(&manifest("com.example.fuzz", "", ""));
        app.signing = Some(Signing {
            v1: true,
            v2: true,
            v3: true,
        });
        let data = std::fs::read(build("sig-fuzz", &app)).unwrap();
        let b = block::find(&data).unwrap().unwrap();
        let (start, end) = (b.offset, b.cd_offset);
        (data, start, end)
    })
}

/// Files from a fixed list, for the JAR signature.
struct Mem(Vec<(String, Vec<u8>)>);

impl Files for Mem {
    fn names(&self) -> Vec<String> {
        self.0.iter().map(|(n, _)| n.clone()).collect()
    }
    fn read(&self, name: &str) -> Result<Vec<u8>> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
            .ok_or_else(|| vigil_engine_apk::ApkError::malformed("test", name.to_string()))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = block::parse_pairs(&data);
        let _ = block::find(&data);
        let _ = sig::verify(&data, None, 0);
        let files = Mem(vec![
            ("META-INF/MANIFEST.MF".into(), data.clone()),
            ("META-INF/A.SF".into(), data.clone()),
            ("META-INF/A.RSA".into(), data.clone()),
        ]);
        let _ = sig::v1::verify(&files, 0);
    }

    #[test]
    fn mutated_signing_blocks_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let (data, start, end) = signed();
        let mut data = data.clone();
        for (at, byte) in edits {
            let i = start + at.index(end - start);
            data[i] = byte;
        }
        let s = sig::verify(&data, None, 0);
        // Something is reported for a block whose bytes changed, unless the edits kept them.
        let _ = s.all_verified();
    }

    #[test]
    fn mutated_jar_signature_blocks_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut rsa = jar_block().clone();
        for (at, byte) in edits {
            let i = at.index(rsa.len());
            rsa[i] = byte;
        }
        let short = rsa[..cut.index(rsa.len() + 1)].to_vec();
        for block in [rsa, short] {
            let files = Mem(vec![
                ("META-INF/MANIFEST.MF".into(), b"Manifest-Version: 1.0\r\n\r\n".to_vec()),
                ("META-INF/CERT.SF".into(), b"Signature-Version: 1.0\r\n\r\n".to_vec()),
                ("META-INF/CERT.RSA".into(), block),
            ]);
            let _ = sig::v1::verify(&files, 0);
        }
    }
}

/// The PKCS#7 block of the signed APK.
fn jar_block() -> &'static Vec<u8> {
    static RSA: OnceLock<Vec<u8>> = OnceLock::new();
    RSA.get_or_init(|| {
        let mut app = App::new(&manifest("com.example.fuzz.v1", "", ""));
        app.signing = Some(Signing {
            v1: true,
            v2: false,
            v3: false,
        });
        let path = build("sig-fuzz-v1", &app);
        crate::sig::Unzip(&path)
            .read("META-INF/TEST.RSA")
            .expect("TEST.RSA")
    })
}
