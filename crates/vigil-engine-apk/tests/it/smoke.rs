//! The test builder makes an APK whose end of central directory Vigil finds.

use crate::support::apk::{build, manifest, reference, App};

#[test]
fn a_built_apk_has_an_end_of_central_directory() {
    let apk = build("smoke", &App::new(&manifest("com.example.smoke", "", "")));
    let data = std::fs::read(&apk).unwrap();
    let eocd = vigil_engine_apk::zip::find_eocd(&data).unwrap();
    assert!(eocd.entries >= 3, "{eocd:?}");
    assert!((eocd.cd_offset as usize) < eocd.offset);
    let listing = reference("aapt", &["list", apk.to_str().unwrap()]);
    assert_eq!(
        listing.lines().count(),
        usize::from(eocd.entries),
        "{listing}"
    );
}
