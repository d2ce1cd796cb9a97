//! The network security configuration of a built app, found through the manifest's
//! `android:networkSecurityConfig` and the resource table, read from its binary XML (whose
//! tree is first checked against `aapt dump xmltree`).

use vigil_engine_apk::res::nsc::NetworkSecurityConfig;
use vigil_engine_apk::res::ResourceTable;

use crate::axml::{member, same_as_aapt};
use crate::manifest::manifest_of;
use crate::support::apk::{build, manifest, App};

const NSC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
  <base-config cleartextTrafficPermitted="false">
    <trust-anchors>
      <certificates src="system"/>
    </trust-anchors>
  </base-config>
  <domain-config cleartextTrafficPermitted="true">
    <domain includeSubdomains="true">insecure.example.com</domain>
    <domain>10.0.2.2</domain>
    <trust-anchors>
      <certificates src="user"/>
      <certificates src="@raw/extra_ca" overridePins="true"/>
    </trust-anchors>
    <pin-set expiration="2030-01-01">
      <pin digest="SHA-256">7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=</pin>
      <pin digest="SHA-256">fwza0LRMXouZHRC8Ei+4PyuldPDcf3UKgO/04cDM1oE=</pin>
    </pin-set>
    <domain-config>
      <domain>deep.insecure.example.com</domain>
    </domain-config>
  </domain-config>
  <debug-overrides>
    <trust-anchors>
      <certificates src="user"/>
    </trust-anchors>
  </debug-overrides>
</network-security-config>
"#;

#[test]
fn network_security_config_with_user_cas_and_cleartext() {
    let mut app = App::new(&manifest(
        "com.example.nsc",
        r#"android:networkSecurityConfig="@xml/network_security_config" android:usesCleartextTraffic="false""#,
        "",
    ));
    app.res.push((
        "xml/network_security_config.xml".into(),
        NSC.as_bytes().to_vec(),
    ));
    app.res.push((
        "raw/extra_ca.pem".into(),
        b"not a real certificate\n".to_vec(),
    ));
    let apk = build("nsc", &app);
    let m = manifest_of(&apk);
    let path = m.application.network_security_config.clone().unwrap();
    assert_eq!(path, "res/xml/network_security_config.xml");
    assert_eq!(m.application.uses_cleartext_traffic, Some(false));
    same_as_aapt(&apk, &path);
    let arsc = member(&apk, "resources.arsc");
    let table = ResourceTable::parse(&arsc).unwrap();
    let nsc = NetworkSecurityConfig::parse(&member(&apk, &path), Some(&table)).unwrap();

    let base = nsc.base.as_ref().unwrap();
    assert_eq!(base.cleartext_permitted, Some(false));
    assert!(!nsc.base_cleartext_permitted(m.target_sdk));
    assert!(nsc.cleartext_permitted_anywhere(m.target_sdk));
    assert_eq!(nsc.domains.len(), 2);
    let d = &nsc.domains[0];
    assert_eq!(d.domains[0].name, "insecure.example.com");
    assert!(d.domains[0].include_subdomains);
    assert!(!d.domains[1].include_subdomains);
    let anchors = d.trust_anchors.as_ref().unwrap();
    assert_eq!(anchors[0].src, "user");
    assert_eq!(anchors[1].src, "res/raw/extra_ca.pem");
    assert!(anchors[1].override_pins);
    let pins = d.settings.pin_set.as_ref().unwrap();
    assert_eq!(pins.expiration.as_deref(), Some("2030-01-01"));
    assert_eq!(pins.pins.len(), 2);
    assert_eq!(pins.pins[0].digest, "SHA-256");
    assert_eq!(
        pins.pins[0].value,
        "7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y="
    );
    // The nested domain inherits cleartext and anchors from its parent.
    let nested = &nsc.domains[1];
    assert_eq!(nested.domains[0].name, "deep.insecure.example.com");
    assert_eq!(nested.cleartext_permitted, Some(true));
    assert_eq!(nested.settings.cleartext_permitted, None);
    assert_eq!(nested.trust_anchors.as_ref().unwrap()[0].src, "user");
    assert_eq!(nested.pin_set.as_ref(), Some(pins));
    assert!(nested.settings.pin_set.is_none());
    assert!(nsc.trusts_user_certificates(m.target_sdk, false));
    let debug = nsc.debug_overrides.as_ref().unwrap();
    assert_eq!(debug.trust_anchors.as_ref().unwrap()[0].src, "user");

    // An empty configuration falls back to Android's defaults for the target.
    let empty = NetworkSecurityConfig::parse(
        &member(
            &build("nsc-empty", &{
                let mut a = App::new(&manifest("com.example.e", "", ""));
                a.res
                    .push(("xml/n.xml".into(), b"<network-security-config/>".to_vec()));
                a
            }),
            "res/xml/n.xml",
        ),
        None,
    )
    .unwrap();
    assert!(empty.base_cleartext_permitted(27) && !empty.base_cleartext_permitted(28));
    assert!(empty.trusts_user_certificates(23, false) && !empty.trusts_user_certificates(24, true));
}
