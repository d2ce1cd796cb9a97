//! Language ecosystems: Java archives (this machine's Maven jars compared with what `unzip`
//! reads from them, a nested war and a Spring-Boot-like jar built here, zip bombs), RubyGems
//! specifications (this machine's, compared with their file names and with Ruby's own
//! loader), Composer files, and this repository's own `Cargo.lock`.
//! Needs `maven`, `unzip` and `ruby` (Debian packages of those names): skipped without them
//! outside CI, failing in CI.

use crate::common::{inventory_of, inventory_with, require, run, runs};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use vigil_engine_image::sbom::Package;
use vigil_engine_image::testing::{file, Layer, TestImage};
use vigil_engine_image::Limits;

// ---------------------------------------------------------------------------------------
// Java

/// `unzip`'s view of a jar: the (group, artifact, version) of every pom.properties member.
fn unzip_poms(jar: &Path) -> BTreeSet<(String, String, String)> {
    let list = run(Command::new("unzip").arg("-Z1").arg(jar));
    let mut out = BTreeSet::new();
    for member in list
        .lines()
        .filter(|m| m.starts_with("META-INF/maven/") && m.ends_with("/pom.properties"))
    {
        let text = run(Command::new("unzip").arg("-p").arg(jar).arg(member));
        let kv: BTreeMap<&str, &str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        out.insert((
            kv["groupId"].to_string(),
            kv["artifactId"].to_string(),
            kv["version"].to_string(),
        ));
    }
    out
}

fn maven_coords(p: &Package) -> (String, String, String) {
    let (g, a) = p.name.split_once(':').unwrap_or(("", &p.name));
    (g.to_string(), a.to_string(), p.version.clone())
}

#[test]
fn this_machines_maven_jars_match_unzip() {
    let lib = Path::new("/usr/share/maven/lib");
    if !require(lib.is_dir(), "/usr/share/maven/lib", "maven")
        || !require(runs("unzip", "-v"), "unzip", "unzip")
    {
        return;
    }
    let mut jars: Vec<_> = std::fs::read_dir(lib)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jar"))
        .collect();
    jars.sort();
    assert!(jars.len() > 20, "{jars:?}");
    let mut entries = Vec::new();
    let mut want: BTreeMap<String, BTreeSet<(String, String, String)>> = BTreeMap::new();
    for jar in &jars {
        let name = jar.file_name().unwrap().to_string_lossy().into_owned();
        let path = format!("usr/share/maven/lib/{name}");
        entries.push(file(&path, std::fs::read(jar).unwrap()));
        want.insert(format!("/{path}"), unzip_poms(jar));
    }
    let inv = inventory_of(&TestImage::new(vec![Layer::new(entries)]));
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
    let mut got: BTreeMap<String, Vec<&Package>> = BTreeMap::new();
    for p in &inv.packages {
        assert_eq!(p.ecosystem, "maven");
        got.entry(p.path.clone()).or_default().push(p);
    }
    let mut with_poms = 0;
    for (path, poms) in &want {
        let found = got.get(path).cloned().unwrap_or_default();
        if poms.is_empty() {
            // No pom.properties: at most one package, from the manifest or file name.
            assert!(found.len() <= 1, "{path}: {found:?}");
            continue;
        }
        with_poms += 1;
        let coords: BTreeSet<_> = found.iter().map(|p| maven_coords(p)).collect();
        // Every pom.properties, plus the archive itself when they all belong to other
        // artifacts shaded into it (named by its manifest and file name).
        let stem = path.rsplit('/').next().unwrap().trim_end_matches(".jar");
        let owned = poms.iter().any(|(_, a, _)| stem.starts_with(a.as_str()));
        let extra: Vec<_> = coords.difference(poms).collect();
        assert!(poms.is_subset(&coords), "{path}: {coords:?} {poms:?}");
        assert!(extra.len() <= usize::from(!owned), "{path}: {extra:?}");
        for p in found
            .into_iter()
            .filter(|p| poms.contains(&maven_coords(p)))
        {
            let (g, a, v) = maven_coords(p);
            assert_eq!(p.purl, format!("pkg:maven/{g}/{a}@{v}"));
        }
    }
    assert!(with_poms > 20, "{with_poms}");
    // One known jar, exactly.
    let io = &got["/usr/share/maven/lib/commons-io.jar"];
    assert_eq!(io.len(), 1);
    assert_eq!(io[0].name, "commons-io:commons-io");
    assert_eq!(
        io[0].purl,
        format!("pkg:maven/commons-io/commons-io@{}", io[0].version)
    );
    assert_eq!(vigil_core::Component::from(io[0]).kind, "java");
    // guice without pom.properties: from its manifest's Bundle-Version.
    if let Some(g) = got.get("/usr/share/maven/lib/guice-no-aop.jar") {
        let mf = run(Command::new("unzip")
            .arg("-p")
            .arg(lib.join("guice-no-aop.jar"))
            .arg("META-INF/MANIFEST.MF"));
        assert!(
            mf.contains(&format!("Bundle-Version: {}", g[0].version)),
            "{g:?}"
        );
    }
}

fn zip_of(members: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, method) in members {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(*method)
            .large_file(data.len() > u32::MAX as usize);
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const DEFLATED: zip::CompressionMethod = zip::CompressionMethod::Deflated;
const STORED: zip::CompressionMethod = zip::CompressionMethod::Stored;

fn pom(g: &str, a: &str, v: &str) -> (String, Vec<u8>) {
    (
        format!("META-INF/maven/{g}/{a}/pom.properties"),
        format!("#Generated by Maven\ngroupId={g}\nartifactId={a}\nversion={v}\n").into_bytes(),
    )
}

fn jar_with_pom(g: &str, a: &str, v: &str) -> Vec<u8> {
    let (name, data) = pom(g, a, v);
    zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", DEFLATED),
        (&name, &data, DEFLATED),
        ("x/Y.class", b"\xca\xfe\xba\xbe", DEFLATED),
    ])
}

#[test]
fn nested_war_and_spring_boot_jar() {
    let log4j = jar_with_pom("org.apache.logging.log4j", "log4j-core", "2.14.1");
    let manifest_only = zip_of(&[(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\nImplementation-Title: helper\nImplementation-Version: 0.5\n\
Implementation-Vendor-Id: com.example\n",
        DEFLATED,
    )]);
    // Four levels: app.war > WEB-INF/lib/l2.jar > lib/l3.jar > lib/l4.jar; l4 is not read.
    let l4 = jar_with_pom("com.deep", "l4", "4.0");
    let l3 = {
        let (n, d) = pom("com.deep", "l3", "3.0");
        zip_of(&[(&n, &d, DEFLATED), ("lib/l4.jar", &l4, STORED)])
    };
    let l2 = {
        let (n, d) = pom("com.deep", "l2", "2.0");
        zip_of(&[(&n, &d, DEFLATED), ("lib/l3.jar", &l3, DEFLATED)])
    };
    let war = zip_of(&[
        ("WEB-INF/web.xml", b"<web-app/>", DEFLATED),
        ("WEB-INF/lib/log4j-core-2.14.1.jar", &log4j, DEFLATED),
        ("WEB-INF/lib/helper.jar", &manifest_only, DEFLATED),
        ("WEB-INF/lib/l2.jar", &l2, DEFLATED),
    ]);
    let (boot_pom, boot_pom_data) = pom("com.example", "demo", "0.0.1-SNAPSHOT");
    let boot = zip_of(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\n",
            DEFLATED,
        ),
        (&boot_pom, &boot_pom_data, DEFLATED),
        ("BOOT-INF/lib/log4j-core-2.14.1.jar", &log4j, STORED),
        ("BOOT-INF/classes/App.class", b"\xca\xfe\xba\xbe", DEFLATED),
    ]);
    let image = TestImage::new(vec![Layer::new(vec![
        file("app/app.war", war.clone()),
        file("app/demo.jar", boot),
        // Not a Java archive by name: not read.
        file("app/data.zip", log4j.clone()),
    ])]);
    let inv = inventory_of(&image);
    let got: Vec<(&str, &str, &str)> = inv
        .packages
        .iter()
        .map(|p| (p.path.as_str(), p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "/app/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1"
            ),
            (
                "/app/app.war!/WEB-INF/lib/helper.jar",
                "com.example:helper",
                "0.5"
            ),
            ("/app/app.war!/WEB-INF/lib/l2.jar", "com.deep:l2", "2.0"),
            (
                "/app/app.war!/WEB-INF/lib/l2.jar!/lib/l3.jar",
                "com.deep:l3",
                "3.0"
            ),
            ("/app/demo.jar", "com.example:demo", "0.0.1-SNAPSHOT"),
            (
                "/app/demo.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1"
            ),
        ]
    );
    assert_eq!(
        inv.packages[0].purl,
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
    assert!(inv.packages.iter().all(|p| p.layer == 0));
    // The fourth level is noted, not read.
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert_eq!(inv.skipped[0].path, "/app/app.war");
    assert!(inv.skipped[0].reason.contains("below depth 3"));

    // Archives larger than max_inspect_bytes (a 70 MB fat jar) are copied to a temporary
    // file as they stream by and read from their central directory: the same inventory.
    let spools = || {
        let prefix = format!("vigil-archive-{}-", std::process::id());
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            })
            .count()
    };
    let small_head = Limits {
        max_inspect_bytes: 100,
        ..Limits::default()
    };
    assert_eq!(inventory_with(&image, small_head), inv);
    assert_eq!(spools(), 0, "temporary copies are removed");
    // Cut short by the stream limit: noted, not read.
    let cut = Limits {
        max_inspect_bytes: 100,
        max_stream_bytes: war.len() as u64 / 2,
        ..Limits::default()
    };
    let short = inventory_with(&image, cut);
    assert!(short
        .packages
        .iter()
        .all(|p| !p.path.starts_with("/app/app.war")));
    assert!(
        short
            .skipped
            .iter()
            .any(|s| s.path == "/app/app.war" && s.reason.contains("not read to its end")),
        "{:?}",
        short.skipped
    );
    assert_eq!(spools(), 0);
}

#[test]
fn zip_bombs_fail_cleanly() {
    let start = Instant::now();
    // A manifest of 100 MiB of spaces (about 100 KiB deflated).
    let spaces = vec![b' '; 100 << 20];
    let manifest_bomb = zip_of(&[("META-INF/MANIFEST.MF", &spaces, DEFLATED)]);
    assert!(manifest_bomb.len() < 1 << 20);
    // A nested archive of 100 MiB (over the 64 MiB cap for one nested archive).
    let nested_bomb = zip_of(&[("BOOT-INF/lib/huge.jar", &spaces, DEFLATED)]);
    drop(spaces);
    // Many 60 MiB members under the nested cap: the 256 MiB budget runs out. The same
    // compressed member is copied under six names without recompressing.
    let zeros = zip_of(&[("lib/a.jar", &vec![0u8; 60 << 20], DEFLATED)]);
    let budget_bomb = {
        let mut src = zip::ZipArchive::new(Cursor::new(zeros.as_slice())).unwrap();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..6 {
            let f = src.by_index(0).unwrap();
            w.raw_copy_file_rename(f, format!("lib/z{i}.jar")).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    assert!(budget_bomb.len() < 2 << 20);
    // An end record claiming 2^40 entries.
    let mut claim = jar_with_pom("a", "b", "1");
    claim.extend_from_slice(b"PK\x06\x06");
    let mut rec = [0u8; 52];
    rec[20..28].copy_from_slice(&(1u64 << 40).to_le_bytes());
    rec[28..36].copy_from_slice(&(1u64 << 40).to_le_bytes());
    claim.extend_from_slice(&rec);

    let image = TestImage::new(vec![Layer::new(vec![
        file("app/bomb-1.0.jar", manifest_bomb),
        file("app/nested.jar", nested_bomb),
        file("app/budget.jar", budget_bomb),
        file("app/claim.jar", claim),
        file("app/garbage.jar", vec![0x50u8; 4096]),
    ])]);
    let inv = inventory_of(&image);
    let noted = |path: &str, needle: &str| {
        inv.skipped
            .iter()
            .any(|s| s.path == path && s.reason.contains(needle))
    };
    assert!(
        noted("/app/bomb-1.0.jar", "larger than 1048576"),
        "{:?}",
        inv.skipped
    );
    assert!(
        noted("/app/nested.jar", "larger than 67108864"),
        "{:?}",
        inv.skipped
    );
    assert!(noted("/app/budget.jar", "budget"), "{:?}", inv.skipped);
    assert!(noted("/app/claim.jar", "claims"), "{:?}", inv.skipped);
    assert!(
        noted("/app/garbage.jar", "not a readable zip"),
        "{:?}",
        inv.skipped
    );
    // The manifest bomb still has its file name; the budget bomb's members have theirs (the
    // first four 60 MiB members fit the budget).
    let names: Vec<(&str, &str)> = inv
        .packages
        .iter()
        .map(|p| (p.path.as_str(), p.name.as_str()))
        .collect();
    assert!(names.contains(&("/app/bomb-1.0.jar", "bomb")), "{names:?}");
    assert!(start.elapsed().as_secs() < 120);
}

// ---------------------------------------------------------------------------------------
// Ruby

const GEM_DIRS: [&str; 3] = [
    "/usr/share/rubygems-integration/all/specifications",
    "/usr/lib/ruby/gems/3.1.0/specifications",
    "/usr/lib/ruby/gems/3.1.0/specifications/default",
];

#[test]
fn this_machines_gemspecs() {
    let mut specs: Vec<std::path::PathBuf> = GEM_DIRS
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gemspec") && p.is_file())
        .collect();
    if !require(!specs.is_empty(), "RubyGems specifications", "ruby") {
        return;
    }
    specs.sort();
    let entries: Vec<_> = specs
        .iter()
        .map(|p| {
            file(
                p.to_str().unwrap().trim_start_matches('/'),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    let inv = inventory_of(&TestImage::new(vec![Layer::new(entries)]));
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
    assert_eq!(inv.packages.len(), specs.len());
    let ruby = runs("ruby", "--version");
    for p in &inv.packages {
        assert_eq!(p.ecosystem, "gem");
        // RubyGems names the file after the gem's full name: NAME-VERSION[-PLATFORM].
        let stem = p
            .path
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".gemspec");
        let full = format!("{}-{}", p.name, p.version);
        assert!(
            stem == full || stem.starts_with(&format!("{full}-")),
            "{stem} vs {full}"
        );
        assert!(p
            .purl
            .starts_with(&format!("pkg:gem/{}@{}", p.name, p.version)));
        if ruby {
            let out = run(Command::new("ruby").arg("-e").arg(
                "s = Gem::Specification.load(ARGV[0]); print s.name, ' ', s.version, ' ', s.platform",
            ).arg(&p.path));
            let platform = p
                .purl
                .split_once("?platform=")
                .map_or("ruby".to_string(), |(_, pl)| pl.to_string());
            assert_eq!(
                out,
                format!("{} {} {platform}", p.name, p.version),
                "{}",
                p.path
            );
        }
    }
    assert_eq!(vigil_core::Component::from(&inv.packages[0]).kind, "ruby");
    let rake = inv
        .packages
        .iter()
        .find(|p| p.name == "rake")
        .expect("rake is installed with ruby");
    assert_eq!(rake.purl, format!("pkg:gem/rake@{}", rake.version));
}

#[test]
fn gemspec_layouts() {
    // As RubyGems 3 writes them (`Gem::Specification#to_ruby`), plus a gem's own gemspec in
    // its source directory, which is not an installed specification.
    let spec = |name: &str, version: &str, platform: Option<&str>| {
        let mut s = format!(
            "# -*- encoding: utf-8 -*-\n# stub: {name} {version} {} lib\n\n\
Gem::Specification.new do |s|\n  s.name = \"{name}\".freeze\n  s.version = \"{version}\"\n",
            platform.unwrap_or("ruby")
        );
        if let Some(p) = platform {
            s.push_str(&format!("  s.platform = \"{p}\".freeze\n"));
        }
        s.push_str("  s.require_paths = [\"lib\".freeze]\nend\n");
        s
    };
    let l = Layer::new(vec![
        file(
            "usr/local/bundle/specifications/nokogiri-1.15.4-x86_64-linux.gemspec",
            spec("nokogiri", "1.15.4", Some("x86_64-linux")),
        ),
        file(
            "usr/local/lib/ruby/gems/3.2.0/specifications/rack-3.0.8.gemspec",
            spec("rack", "3.0.8", None),
        ),
        file(
            "usr/local/bundle/gems/rack-3.0.8/rack.gemspec",
            spec("rack", "3.0.8", None),
        ),
        file(
            "usr/local/lib/ruby/gems/3.2.0/specifications/broken-1.gemspec",
            "Gem::Specification.new do |s|\nend\n",
        ),
    ]);
    let inv = inventory_of(&TestImage::new(vec![l]));
    let purls: Vec<&str> = inv.packages.iter().map(|p| p.purl.as_str()).collect();
    assert_eq!(
        purls,
        vec![
            "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux",
            "pkg:gem/rack@3.0.8"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// PHP

#[test]
fn composer_lock_and_installed_json() {
    // Shapes as Composer 2 writes them (trimmed: real files carry source, dist, autoload...).
    let lock = r#"{
    "_readme": ["This file locks the dependencies of your project to a known state"],
    "content-hash": "2c4ca1e2c3c1b4a1a37d8e1c1c0a2a91",
    "packages": [
        {"name": "guzzlehttp/guzzle", "version": "7.4.5", "type": "library"},
        {"name": "symfony/yaml", "version": "v5.4.0", "type": "library"}
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "9.5.10", "type": "library"}
    ],
    "aliases": [], "minimum-stability": "stable", "plugin-api-version": "2.3.0"
}"#;
    let installed_v2 = r#"{
    "packages": [
        {"name": "guzzlehttp/guzzle", "version": "7.4.5", "version_normalized": "7.4.5.0", "install-path": "../guzzlehttp/guzzle"},
        {"name": "phpunit/phpunit", "version": "9.5.10", "version_normalized": "9.5.10.0", "install-path": "../phpunit/phpunit"}
    ],
    "dev": true,
    "dev-package-names": ["phpunit/phpunit"]
}"#;
    let installed_v1 =
        r#"[{"name": "monolog/monolog", "version": "1.27.1", "version_normalized": "1.27.1.0"}]"#;
    let l = Layer::new(vec![
        file("srv/app/composer.lock", lock),
        file("srv/app/vendor/composer/installed.json", installed_v2),
        file("srv/old/vendor/composer/installed.json", installed_v1),
        file(
            "srv/app/composer.json",
            r#"{"require": {"guzzlehttp/guzzle": "^7.4"}}"#,
        ),
        file("srv/bad/composer.lock", "{not json"),
    ]);
    let inv = inventory_of(&TestImage::new(vec![l]));
    let got: Vec<(&str, &str, &str, bool)> = inv
        .packages
        .iter()
        .map(|p| (p.path.as_str(), p.purl.as_str(), p.version.as_str(), p.dev))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "/srv/app/composer.lock",
                "pkg:composer/guzzlehttp/guzzle@7.4.5",
                "7.4.5",
                false
            ),
            (
                "/srv/app/composer.lock",
                "pkg:composer/symfony/yaml@v5.4.0",
                "v5.4.0",
                false
            ),
            (
                "/srv/app/composer.lock",
                "pkg:composer/phpunit/phpunit@9.5.10",
                "9.5.10",
                true
            ),
            (
                "/srv/app/vendor/composer/installed.json",
                "pkg:composer/guzzlehttp/guzzle@7.4.5",
                "7.4.5",
                false
            ),
            (
                "/srv/app/vendor/composer/installed.json",
                "pkg:composer/phpunit/phpunit@9.5.10",
                "9.5.10",
                true
            ),
            (
                "/srv/old/vendor/composer/installed.json",
                "pkg:composer/monolog/monolog@1.27.1",
                "1.27.1",
                false
            ),
        ]
    );
    assert_eq!(vigil_core::Component::from(&inv.packages[0]).kind, "php");
    assert_eq!(inv.skipped.len(), 1);
    assert_eq!(inv.skipped[0].path, "/srv/bad/composer.lock");
}

// ---------------------------------------------------------------------------------------
// Rust

#[test]
fn this_repositorys_cargo_lock() {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    // An independent reading: every `[[package]]` block with a `source` line.
    let blocks: Vec<(String, String)> = lock
        .split("[[package]]")
        .skip(1)
        .filter(|b| b.lines().any(|l| l.starts_with("source = ")))
        .map(|b| {
            let field = |k: &str| {
                b.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k} = \"")))
                    .unwrap()
                    .trim_end_matches('"')
                    .to_string()
            };
            (field("name"), field("version"))
        })
        .collect();
    assert!(blocks.len() > 100);
    let l = Layer::new(vec![
        file("src/vigil/Cargo.lock", lock.clone()),
        file("src/vigil/Cargo.toml", "[workspace]\n"),
    ]);
    let inv = inventory_of(&TestImage::new(vec![l]));
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
    let got: Vec<(String, String)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(got, blocks);
    // Workspace members are not packages.
    assert!(!inv.packages.iter().any(|p| p.name.starts_with("vigil-")));
    let zip = inv
        .packages
        .iter()
        .find(|p| p.name == "zip")
        .expect("zip is a dependency");
    assert_eq!(zip.purl, format!("pkg:cargo/zip@{}", zip.version));
    assert_eq!(zip.path, "/src/vigil/Cargo.lock");
    assert_eq!(vigil_core::Component::from(zip).kind, "rust");
}
