//! The typed manifest: `AndroidManifest.xml` read from its binary XML [`Document`] the way
//! Android's package parser reads it, with an optional [`ResourceTable`] to resolve the
//! references attributes may hold (`@string/app_name`, `@bool/debug`,
//! `@xml/network_security_config`, `@mipmap/ic_launcher`).
//!
//! `android:` attributes are found by resource id only ([`attr`]), as Android finds them, so
//! mangled names in obfuscated files change nothing; `package` and the element names are read
//! by name. Defaults are Android's (`PackageParser`): `minSdkVersion` 1, `targetSdkVersion`
//! the minimum (0 when there is no `<uses-sdk>` at all),
//! `allowBackup` true, `debuggable` and `testOnly` false, cleartext traffic permitted below
//! target 28. A component is exported when it says so; without `android:exported`, an
//! activity, alias, service or receiver is exported exactly when it has an intent filter
//! (Android 12, target 31, refuses to install such a component, so [`Component::exported`]
//! is false there and [`Component::exported_missing`] tells), and a provider is exported
//! below target 17 only.

use crate::error::{ApkError, Result};
use crate::res::arsc::ResourceTable;
use crate::res::axml::{Attribute, Document, Element};
use crate::res::value::Value;

/// Resource ids of the framework's `android:` attributes the manifest reader uses (checked
/// against `aapt dump resources` of framework-res, API 29).
pub mod attr {
    /// `android:label`.
    pub const LABEL: u32 = 0x0101_0001;
    /// `android:icon`.
    pub const ICON: u32 = 0x0101_0002;
    /// `android:name`.
    pub const NAME: u32 = 0x0101_0003;
    /// `android:permission`.
    pub const PERMISSION: u32 = 0x0101_0006;
    /// `android:readPermission`.
    pub const READ_PERMISSION: u32 = 0x0101_0007;
    /// `android:writePermission`.
    pub const WRITE_PERMISSION: u32 = 0x0101_0008;
    /// `android:protectionLevel`.
    pub const PROTECTION_LEVEL: u32 = 0x0101_0009;
    /// `android:permissionGroup`.
    pub const PERMISSION_GROUP: u32 = 0x0101_000a;
    /// `android:sharedUserId`.
    pub const SHARED_USER_ID: u32 = 0x0101_000b;
    /// `android:enabled`.
    pub const ENABLED: u32 = 0x0101_000e;
    /// `android:debuggable`.
    pub const DEBUGGABLE: u32 = 0x0101_000f;
    /// `android:exported`.
    pub const EXPORTED: u32 = 0x0101_0010;
    /// `android:process`.
    pub const PROCESS: u32 = 0x0101_0011;
    /// `android:taskAffinity`.
    pub const TASK_AFFINITY: u32 = 0x0101_0012;
    /// `android:authorities`.
    pub const AUTHORITIES: u32 = 0x0101_0018;
    /// `android:grantUriPermissions`.
    pub const GRANT_URI_PERMISSIONS: u32 = 0x0101_001b;
    /// `android:launchMode`.
    pub const LAUNCH_MODE: u32 = 0x0101_001d;
    /// `android:mimeType`.
    pub const MIME_TYPE: u32 = 0x0101_0026;
    /// `android:scheme`.
    pub const SCHEME: u32 = 0x0101_0027;
    /// `android:host`.
    pub const HOST: u32 = 0x0101_0028;
    /// `android:port`.
    pub const PORT: u32 = 0x0101_0029;
    /// `android:path`.
    pub const PATH: u32 = 0x0101_002a;
    /// `android:pathPrefix`.
    pub const PATH_PREFIX: u32 = 0x0101_002b;
    /// `android:pathPattern`.
    pub const PATH_PATTERN: u32 = 0x0101_002c;
    /// `android:targetActivity`.
    pub const TARGET_ACTIVITY: u32 = 0x0101_0202;
    /// `android:minSdkVersion`.
    pub const MIN_SDK_VERSION: u32 = 0x0101_020c;
    /// `android:versionCode`.
    pub const VERSION_CODE: u32 = 0x0101_021b;
    /// `android:versionName`.
    pub const VERSION_NAME: u32 = 0x0101_021c;
    /// `android:targetSdkVersion`.
    pub const TARGET_SDK_VERSION: u32 = 0x0101_0270;
    /// `android:maxSdkVersion`.
    pub const MAX_SDK_VERSION: u32 = 0x0101_0271;
    /// `android:testOnly`.
    pub const TEST_ONLY: u32 = 0x0101_0272;
    /// `android:allowBackup`.
    pub const ALLOW_BACKUP: u32 = 0x0101_0280;
    /// `android:usesCleartextTraffic`.
    pub const USES_CLEARTEXT_TRAFFIC: u32 = 0x0101_04ec;
    /// `android:networkSecurityConfig`.
    pub const NETWORK_SECURITY_CONFIG: u32 = 0x0101_0527;
}

/// The SDK level Android gives a codename (`minSdkVersion="Q"`): `CUR_DEVELOPMENT`.
pub const CODENAME_SDK: u32 = 10_000;

/// The `<application>` element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Application {
    /// Application class (resolved against the package).
    pub name: Option<String>,
    /// Label, resolved through the table when it is a reference.
    pub label: Option<String>,
    /// Icon: the file path of the resource (default configuration, else densest).
    pub icon: Option<String>,
    /// `android:debuggable` (default false).
    pub debuggable: bool,
    /// `android:allowBackup` (default true).
    pub allow_backup: bool,
    /// `android:testOnly` (default false).
    pub test_only: bool,
    /// `android:usesCleartextTraffic` as written (see [`Manifest::cleartext_permitted`]).
    pub uses_cleartext_traffic: Option<bool>,
    /// File path of the network security configuration (`res/xml/...xml`), or the reference
    /// as `@0x7f......` when there is no table to resolve it.
    pub network_security_config: Option<String>,
    /// Permission required to start any component.
    pub permission: Option<String>,
    /// Task affinity of its activities.
    pub task_affinity: Option<String>,
}

/// `<uses-permission>` (and `<uses-permission-sdk-23>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsesPermission {
    /// Permission name.
    pub name: String,
    /// Highest SDK level the permission is requested on.
    pub max_sdk: Option<u32>,
    /// Declared with `<uses-permission-sdk-23>` (requested on 23 and later only).
    pub sdk23: bool,
}

/// `<permission>`: a permission the app defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// Permission name.
    pub name: String,
    /// `android:protectionLevel` (base level in the low 4 bits, flags above); 0 (normal)
    /// when absent.
    pub protection_level: u32,
    /// Permission group.
    pub group: Option<String>,
}

impl Permission {
    /// The protection level as `attrs.xml` names it (`signature|privileged`).
    pub fn protection_names(&self) -> String {
        protection_names(self.protection_level)
    }
}

/// Name a protection level: base level then flags (`dangerous`, `signature|privileged`).
pub fn protection_names(level: u32) -> String {
    const BASE: [&str; 5] = [
        "normal",
        "dangerous",
        "signature",
        "signatureOrSystem",
        "internal",
    ];
    const FLAGS: [(u32, &str); 22] = [
        (0x10, "privileged"),
        (0x20, "development"),
        (0x40, "appop"),
        (0x80, "pre23"),
        (0x100, "installer"),
        (0x200, "verifier"),
        (0x400, "preinstalled"),
        (0x800, "setup"),
        (0x1000, "instant"),
        (0x2000, "runtime"),
        (0x4000, "oem"),
        (0x8000, "vendorPrivileged"),
        (0x1_0000, "textClassifier"),
        (0x2_0000, "wellbeing"),
        (0x4_0000, "documenter"),
        (0x8_0000, "configurator"),
        (0x10_0000, "incidentReportApprover"),
        (0x20_0000, "appPredictor"),
        (0x80_0000, "companion"),
        (0x100_0000, "retailDemo"),
        (0x200_0000, "recents"),
        (0x400_0000, "role"),
    ];
    let base = (level & 0xf) as usize;
    let mut out = vec![BASE
        .get(base)
        .map_or_else(|| format!("0x{base:x}"), |s| s.to_string())];
    let mut rest = level & !0xf;
    for (bit, name) in FLAGS {
        if rest & bit != 0 {
            out.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        out.push(format!("0x{rest:x}"));
    }
    out.join("|")
}

/// Kinds of components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    /// `<activity>`.
    Activity,
    /// `<activity-alias>`.
    ActivityAlias,
    /// `<service>`.
    Service,
    /// `<receiver>`.
    Receiver,
    /// `<provider>`.
    Provider,
}

impl ComponentKind {
    fn of(tag: &str) -> Option<ComponentKind> {
        Some(match tag {
            "activity" => ComponentKind::Activity,
            "activity-alias" => ComponentKind::ActivityAlias,
            "service" => ComponentKind::Service,
            "receiver" => ComponentKind::Receiver,
            "provider" => ComponentKind::Provider,
            _ => return None,
        })
    }
}

/// `<intent-filter>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntentFilter {
    /// Actions.
    pub actions: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Data schemes.
    pub schemes: Vec<String>,
    /// Data hosts (with `:port` when a port is given on the same element).
    pub hosts: Vec<String>,
    /// Data paths, path prefixes (`prefix*`) and patterns as written.
    pub paths: Vec<String>,
    /// Data MIME types.
    pub mime_types: Vec<String>,
}

/// An application component.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Component {
    /// Kind.
    pub kind: Option<ComponentKind>,
    /// Class name, resolved against the package (`.Foo` -> `com.example.Foo`).
    pub name: String,
    /// Whether other apps can reach it (explicit, else Android's implicit rule).
    pub exported: bool,
    /// `android:exported` as written.
    pub exported_explicit: Option<bool>,
    /// It has intent filters but no `android:exported` while targeting 31 or later: Android
    /// refuses to install the package.
    pub exported_missing: bool,
    /// `android:enabled` (default true).
    pub enabled: bool,
    /// `android:permission` (the application's when the component has none).
    pub permission: Option<String>,
    /// Provider `android:readPermission`.
    pub read_permission: Option<String>,
    /// Provider `android:writePermission`.
    pub write_permission: Option<String>,
    /// Provider `android:grantUriPermissions`.
    pub grant_uri_permissions: bool,
    /// Provider authorities (`;`-separated in the attribute).
    pub authorities: Vec<String>,
    /// Activity launch mode (`standard`, `singleTop`, `singleTask`, `singleInstance`,
    /// `singleInstancePerTask`).
    pub launch_mode: Option<String>,
    /// Activity task affinity.
    pub task_affinity: Option<String>,
    /// Alias target activity (resolved against the package).
    pub target_activity: Option<String>,
    /// Process name.
    pub process: Option<String>,
    /// Intent filters.
    pub intent_filters: Vec<IntentFilter>,
}

impl Component {
    /// Whether an intent filter has action `MAIN` and category `LAUNCHER`.
    pub fn is_launcher(&self) -> bool {
        self.intent_filters.iter().any(|f| {
            f.actions.iter().any(|a| a == "android.intent.action.MAIN")
                && f.categories
                    .iter()
                    .any(|c| c == "android.intent.category.LAUNCHER")
        })
    }
}

/// A typed manifest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    /// Package name.
    pub package: String,
    /// `android:versionCode`.
    pub version_code: Option<i64>,
    /// `android:versionName`.
    pub version_name: Option<String>,
    /// `android:sharedUserId`.
    pub shared_user_id: Option<String>,
    /// Minimum SDK (default 1; a codename is [`CODENAME_SDK`]).
    pub min_sdk: u32,
    /// Target SDK (default the minimum; 0 without `<uses-sdk>`, as Android has it).
    pub target_sdk: u32,
    /// Whether `targetSdkVersion` was written.
    pub target_sdk_explicit: bool,
    /// Maximum SDK, when written.
    pub max_sdk: Option<u32>,
    /// The application.
    pub application: Application,
    /// Requested permissions.
    pub uses_permissions: Vec<UsesPermission>,
    /// Declared permissions.
    pub permissions: Vec<Permission>,
    /// Components in file order.
    pub components: Vec<Component>,
    /// What could not be resolved (reference cycles, missing resources), bounded.
    pub warnings: Vec<String>,
}

impl Manifest {
    /// Read `AndroidManifest.xml` from its bytes, resolving references through `table`.
    pub fn parse(data: &[u8], table: Option<&ResourceTable<'_>>) -> Result<Manifest> {
        Manifest::from_document(&Document::parse(data)?, table)
    }

    /// Read the manifest of `doc`, resolving references through `table` when given.
    pub fn from_document(doc: &Document, table: Option<&ResourceTable<'_>>) -> Result<Manifest> {
        let root = &doc.root;
        if root.name != "manifest" {
            return Err(ApkError::malformed(
                "manifest",
                format!("root element <{}>", root.name),
            ));
        }
        let mut m = Manifest::default();
        let mut cx = Cx {
            table,
            warnings: Vec::new(),
        };
        m.package = root
            .plain("package")
            .and_then(|a| cx.string(a))
            .unwrap_or_default();
        m.version_code = root.android(attr::VERSION_CODE).and_then(|a| cx.int(a));
        m.version_name = root.android(attr::VERSION_NAME).and_then(|a| cx.string(a));
        m.shared_user_id = root
            .android(attr::SHARED_USER_ID)
            .and_then(|a| cx.string(a));
        m.min_sdk = 1;
        if let Some(sdk) = root.children_named("uses-sdk").next() {
            if let Some(v) = sdk.android(attr::MIN_SDK_VERSION) {
                m.min_sdk = cx.sdk(v).unwrap_or(1);
            }
            let target = sdk
                .android(attr::TARGET_SDK_VERSION)
                .and_then(|a| cx.sdk(a));
            m.target_sdk_explicit = target.is_some();
            m.target_sdk = target.unwrap_or(m.min_sdk);
            m.max_sdk = sdk.android(attr::MAX_SDK_VERSION).and_then(|a| cx.sdk(a));
        }
        for e in root.elements() {
            match e.name.as_str() {
                "uses-permission" | "uses-permission-sdk-23" | "uses-permission-sdk-m" => {
                    if let Some(name) = e.android(attr::NAME).and_then(|a| cx.string(a)) {
                        m.uses_permissions.push(UsesPermission {
                            name,
                            max_sdk: e.android(attr::MAX_SDK_VERSION).and_then(|a| cx.sdk(a)),
                            sdk23: e.name != "uses-permission",
                        });
                    }
                }
                "permission" => {
                    if let Some(name) = e.android(attr::NAME).and_then(|a| cx.string(a)) {
                        m.permissions.push(Permission {
                            name,
                            protection_level: e
                                .android(attr::PROTECTION_LEVEL)
                                .and_then(|a| cx.int(a))
                                .unwrap_or(0) as u32,
                            group: e.android(attr::PERMISSION_GROUP).and_then(|a| cx.string(a)),
                        });
                    }
                }
                _ => {}
            }
        }
        if let Some(app) = root.children_named("application").next() {
            m.application = application(app, &m.package, &mut cx);
            for e in app.elements() {
                if let Some(kind) = ComponentKind::of(&e.name) {
                    let c = component(kind, e, &m, &mut cx);
                    m.components.push(c);
                }
            }
        }
        m.warnings = cx.warnings;
        Ok(m)
    }

    /// Whether cleartext traffic is permitted by the manifest alone: `usesCleartextTraffic`
    /// when written, else true below target 28. (On Android 7 and later a network security
    /// configuration, when present, decides instead.)
    pub fn cleartext_permitted(&self) -> bool {
        self.application
            .uses_cleartext_traffic
            .unwrap_or(self.target_sdk < 28)
    }

    /// Enabled activities and aliases with a `MAIN`/`LAUNCHER` intent filter.
    pub fn launchable_activities(&self) -> impl Iterator<Item = &Component> {
        self.components.iter().filter(|c| {
            matches!(
                c.kind,
                Some(ComponentKind::Activity | ComponentKind::ActivityAlias)
            ) && c.enabled
                && c.is_launcher()
        })
    }
}

/// Resolution context: the table, and the warnings of what did not resolve.
struct Cx<'t, 'a> {
    table: Option<&'t ResourceTable<'a>>,
    warnings: Vec<String>,
}

impl Cx<'_, '_> {
    /// The value of `a`, references resolved through the table.
    fn value(&mut self, a: &Attribute) -> Value {
        let Some(t) = self.table else {
            return a.value.clone();
        };
        if a.value.as_reference().is_none() {
            return a.value.clone();
        }
        match t.resolve(&a.value) {
            Ok(v) => v,
            Err(e) => {
                if self.warnings.len() < 32 {
                    self.warnings.push(format!("attribute {}: {e}", a.name));
                }
                a.value.clone()
            }
        }
    }

    fn string(&mut self, a: &Attribute) -> Option<String> {
        match self.value(a) {
            Value::String(Some(s)) => Some(s),
            Value::String(None) => a.raw.clone(),
            v @ (Value::Reference(_) | Value::DynamicReference(_)) => {
                Some(a.raw.clone().unwrap_or_else(|| v.to_string()))
            }
            Value::Null => a.raw.clone(),
            v => Some(v.to_string()),
        }
    }

    fn bool(&mut self, a: &Attribute) -> Option<bool> {
        self.value(a).as_bool()
    }

    fn int(&mut self, a: &Attribute) -> Option<i64> {
        self.value(a).as_int()
    }

    fn sdk(&mut self, a: &Attribute) -> Option<u32> {
        match self.value(a) {
            Value::String(Some(s)) => Some(s.trim().parse().unwrap_or(CODENAME_SDK)),
            v => v.as_int().and_then(|i| u32::try_from(i).ok()),
        }
    }

    /// A file resource: the path the table gives, else the reference as written.
    fn file(&mut self, a: &Attribute) -> Option<String> {
        let Some(t) = self.table else {
            return self.string(a);
        };
        let Some(id) = a.value.as_reference() else {
            return self.string(a);
        };
        // Follow aliases (@drawable/x -> @mipmap/y) to the entry holding the path.
        let mut id = id;
        for _ in 0..crate::res::arsc::MAX_HOPS {
            match t.best(id) {
                Ok(Some(e)) => match e.simple() {
                    Some(Value::String(Some(s))) => return Some(s.clone()),
                    Some(v) => match v.as_reference() {
                        Some(next) => id = next,
                        None => break,
                    },
                    None => break,
                },
                _ => break,
            }
        }
        self.string(a)
    }
}

/// Android's `buildClassName`: `.Foo` and `Foo` are in the package, `a.b.Foo` is as is.
pub fn class_name(package: &str, name: &str) -> String {
    if name.starts_with('.') {
        format!("{package}{name}")
    } else if !name.contains('.') {
        format!("{package}.{name}")
    } else {
        name.to_string()
    }
}

fn application(e: &Element, package: &str, cx: &mut Cx<'_, '_>) -> Application {
    Application {
        name: e
            .android(attr::NAME)
            .and_then(|a| cx.string(a))
            .map(|n| class_name(package, &n)),
        label: e.android(attr::LABEL).and_then(|a| cx.string(a)),
        icon: e.android(attr::ICON).and_then(|a| cx.file(a)),
        debuggable: e.android(attr::DEBUGGABLE).and_then(|a| cx.bool(a)) == Some(true),
        allow_backup: e.android(attr::ALLOW_BACKUP).and_then(|a| cx.bool(a)) != Some(false),
        test_only: e.android(attr::TEST_ONLY).and_then(|a| cx.bool(a)) == Some(true),
        uses_cleartext_traffic: e
            .android(attr::USES_CLEARTEXT_TRAFFIC)
            .and_then(|a| cx.bool(a)),
        network_security_config: e
            .android(attr::NETWORK_SECURITY_CONFIG)
            .and_then(|a| cx.file(a)),
        permission: e.android(attr::PERMISSION).and_then(|a| cx.string(a)),
        task_affinity: e.android(attr::TASK_AFFINITY).and_then(|a| cx.string(a)),
    }
}

fn component(kind: ComponentKind, e: &Element, m: &Manifest, cx: &mut Cx<'_, '_>) -> Component {
    let s = |id: u32, cx: &mut Cx<'_, '_>| e.android(id).and_then(|a| cx.string(a));
    let intent_filters: Vec<IntentFilter> = e
        .children_named("intent-filter")
        .map(|f| intent_filter(f, cx))
        .collect();
    let exported_explicit = e.android(attr::EXPORTED).and_then(|a| cx.bool(a));
    let (exported, exported_missing) = match exported_explicit {
        Some(x) => (x, false),
        None if kind == ComponentKind::Provider => (m.target_sdk < 17, false),
        None if intent_filters.is_empty() => (false, false),
        None if m.target_sdk >= 31 => (false, true),
        None => (true, false),
    };
    let launch_mode = e.android(attr::LAUNCH_MODE).map(|a| match cx.int(a) {
        Some(0) => "standard".to_string(),
        Some(1) => "singleTop".to_string(),
        Some(2) => "singleTask".to_string(),
        Some(3) => "singleInstance".to_string(),
        Some(4) => "singleInstancePerTask".to_string(),
        _ => a.value.to_string(),
    });
    Component {
        kind: Some(kind),
        name: s(attr::NAME, cx)
            .map(|n| class_name(&m.package, &n))
            .unwrap_or_default(),
        exported,
        exported_explicit,
        exported_missing,
        enabled: e.android(attr::ENABLED).and_then(|a| cx.bool(a)) != Some(false),
        permission: s(attr::PERMISSION, cx).or_else(|| m.application.permission.clone()),
        read_permission: s(attr::READ_PERMISSION, cx),
        write_permission: s(attr::WRITE_PERMISSION, cx),
        grant_uri_permissions: e
            .android(attr::GRANT_URI_PERMISSIONS)
            .and_then(|a| cx.bool(a))
            == Some(true),
        authorities: s(attr::AUTHORITIES, cx)
            .map(|a| {
                a.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        launch_mode,
        task_affinity: s(attr::TASK_AFFINITY, cx),
        target_activity: s(attr::TARGET_ACTIVITY, cx).map(|n| class_name(&m.package, &n)),
        process: s(attr::PROCESS, cx),
        intent_filters,
    }
}

fn intent_filter(f: &Element, cx: &mut Cx<'_, '_>) -> IntentFilter {
    let mut out = IntentFilter::default();
    for e in f.elements() {
        let s = |id: u32, cx: &mut Cx<'_, '_>| e.android(id).and_then(|a| cx.string(a));
        match e.name.as_str() {
            "action" => out.actions.extend(s(attr::NAME, cx)),
            "category" => out.categories.extend(s(attr::NAME, cx)),
            "data" => {
                out.schemes.extend(s(attr::SCHEME, cx));
                if let Some(h) = s(attr::HOST, cx) {
                    out.hosts.push(match s(attr::PORT, cx) {
                        Some(p) => format!("{h}:{p}"),
                        None => h,
                    });
                }
                out.paths.extend(s(attr::PATH, cx));
                out.paths
                    .extend(s(attr::PATH_PREFIX, cx).map(|p| format!("{p}*")));
                out.paths.extend(s(attr::PATH_PATTERN, cx));
                out.mime_types.extend(s(attr::MIME_TYPE, cx));
            }
            _ => {}
        }
    }
    out
}
