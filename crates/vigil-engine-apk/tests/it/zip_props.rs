//! Properties of the container reader: opening and reading every entry (and every nested
//! archive) of arbitrary bytes, or of a real APK with random bytes changed, never panics
//! and stays within the limits.

use proptest::prelude::*;
use vigil_engine_apk::zip::{Archive, ZipLimits};

fn limits() -> ZipLimits {
    ZipLimits {
        max_entry_size: 4 << 20,
        max_total_inflated: 16 << 20,
        ..ZipLimits::default()
    }
}

/// Open `data` and read everything in it, nested archives included.
fn exercise(data: &[u8]) {
    let limits = limits();
    if let Ok(a) = Archive::new(data, &limits) {
        walk(&a);
        assert!(a.inflated_total() <= limits.max_total_inflated + 1);
    }
}

fn walk(a: &Archive<'_>) {
    for anomaly in a.anomalies() {
        let _ = anomaly.to_string();
    }
    for e in a.entries() {
        if let Ok(c) = a.read_entry(e) {
            assert!(c.data.len() as u64 <= a.limits().max_entry_size);
        }
        if let Ok(n) = a.nested(e) {
            walk(&n);
        }
    }
}

/// Changes to a real APK: (position as a fraction of the length, new byte) pairs, biased
/// towards the end where the central directory is, and an optional cut.
fn mutations() -> impl Strategy<Value = (Vec<(f64, bool, u8)>, Option<f64>)> {
    (
        prop::collection::vec((0.0..1.0f64, any::<bool>(), any::<u8>()), 1..12),
        prop::option::of(0.0..1.0f64),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&data);
    }

    #[test]
    fn zip_shaped_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..512),
        count in any::<u16>(),
        size in any::<u32>(),
        offset in any::<u32>(),
    ) {
        // Signatures in the right places, everything else arbitrary.
        let mut data = b"PK\x03\x04".to_vec();
        data.extend(&body);
        data.extend(b"PK\x01\x02");
        data.extend(&body);
        data.extend(b"PK\x05\x06\0\0\0\0");
        data.extend(count.to_le_bytes());
        data.extend(count.to_le_bytes());
        data.extend(size.to_le_bytes());
        data.extend(offset.to_le_bytes());
        data.extend([0, 0]);
        exercise(&data);
    }

    #[test]
    fn mutated_apks_never_panic((changes, cut) in mutations()) {
        let (_, apk) = crate::zip::small_apk();
        let mut data = apk.clone();
        let len = data.len();
        for (at, tail, byte) in changes {
            // Half the changes land in the last 2 KiB (central directory and end record).
            let i = if tail {
                len - 1 - ((at * 2048.0) as usize).min(len - 1)
            } else {
                ((at * len as f64) as usize).min(len - 1)
            };
            data[i] = byte;
        }
        if let Some(cut) = cut {
            data.truncate((cut * len as f64) as usize);
        }
        exercise(&data);
    }
}
