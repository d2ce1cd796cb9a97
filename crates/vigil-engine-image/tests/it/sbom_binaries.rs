//! Packages recorded inside executables, read by the `Binaries` inspector while layers stream:
//! a Go program built here (offline, module mode, a vendored dependency and a directory
//! replacement) compared with `go version -m`; Go binaries of this machine when there are
//! some; a `cargo auditable`-style `.dep-v0` section added with `objcopy`; and the safe twins
//! (a C binary, a non-executable copy, replaced and deleted binaries, truncated reads).
//! Needs `go` (Debian package `golang-go`) and `objcopy` (`binutils`): skipped without them
//! outside CI, failing in CI.

use crate::common::{go_build, have, inventory_of, inventory_with, run, w};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use vigil_engine_image::sbom::{self, golang, Inventory, Package};
use vigil_engine_image::testing::{file, whiteout, Layer, TempDir, TestImage};
use vigil_engine_image::Limits;

/// A C program of this machine (no Go build information, no audit data).
fn c_binary() -> Vec<u8> {
    let data = std::fs::read("/bin/ls")
        .or_else(|_| std::fs::read("/usr/bin/ls"))
        .unwrap();
    assert!(data.starts_with(b"\x7fELF"));
    data
}

/// Builds `example.com/app` offline: `example.com/dep v0.3.1` vendored, `example.com/lib
/// v1.2.3` replaced by `../lib`.
fn build_go_app(tmp: &Path) -> PathBuf {
    w(tmp, "lib/go.mod", "module example.com/lib\n\ngo 1.19\n");
    w(
        tmp,
        "lib/lib.go",
        "package lib\n\nfunc Hello() string { return \"hello\" }\n",
    );
    w(
        tmp,
        "app/go.mod",
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/dep v0.3.1\n\
         \texample.com/lib v1.2.3\n)\n\nreplace example.com/lib => ../lib\n",
    );
    w(
        tmp,
        "app/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/dep\"\n\t\"example.com/lib\"\n)\n\n\
         func main() { fmt.Println(lib.Hello(), dep.World()) }\n",
    );
    w(
        tmp,
        "app/vendor/example.com/dep/dep.go",
        "package dep\n\nfunc World() string { return \"world\" }\n",
    );
    w(
        tmp,
        "app/vendor/example.com/lib/lib.go",
        "package lib\n\nfunc Hello() string { return \"hello\" }\n",
    );
    w(
        tmp,
        "app/vendor/modules.txt",
        "# example.com/dep v0.3.1\n## explicit; go 1.19\nexample.com/dep\n\
         # example.com/lib v1.2.3 => ../lib\n## explicit; go 1.19\nexample.com/lib\n\
         # example.com/lib => ../lib\n",
    );
    let bin = tmp.join("app/appbin");
    go_build(&tmp.join("app"), tmp, &bin);
    bin
}

/// `go version -m BIN`: the toolchain version and the `path`, `mod`, `dep` and `=>` lines as
/// fields (trailing empty fields dropped).
fn go_version_m(bin: &Path) -> (String, Vec<Vec<String>>) {
    let out = run(Command::new("go").arg("version").arg("-m").arg(bin));
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    let version = first.rsplit(": ").next().unwrap().trim().to_string();
    let rows = lines
        .filter_map(|l| {
            let fields: Vec<String> = l
                .trim_start_matches('\t')
                .split('\t')
                .map(str::to_string)
                .collect();
            matches!(fields[0].as_str(), "path" | "mod" | "dep" | "=>").then(|| trim(fields))
        })
        .collect();
    (version, rows)
}

fn trim(mut fields: Vec<String>) -> Vec<String> {
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

/// Our parse in the same shape.
fn rows_of(info: &golang::BuildInfo) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let m = |kind: &str, m: &golang::Module| {
        trim(vec![
            kind.to_string(),
            m.path.clone(),
            m.version.clone(),
            m.sum.clone().unwrap_or_default(),
        ])
    };
    if let Some(p) = &info.path {
        rows.push(vec!["path".to_string(), p.clone()]);
    }
    for (kind, module) in info
        .main
        .iter()
        .map(|x| ("mod", x))
        .chain(info.deps.iter().map(|x| ("dep", x)))
    {
        rows.push(m(kind, module));
        if let Some(r) = &module.replace {
            rows.push(m("=>", r));
        }
    }
    rows
}

fn golang_pkgs(inv: &Inventory) -> Vec<(String, String, String)> {
    inv.packages
        .iter()
        .filter(|p| p.ecosystem == "golang")
        .map(|p| (p.name.clone(), p.version.clone(), p.purl.clone()))
        .collect()
}

#[test]
fn go_program_built_here_matches_go_version_m() {
    if !have("go", "version", "golang-go") {
        return;
    }
    let tmp = TempDir::new().unwrap();
    let bin = build_go_app(tmp.path());
    let data = std::fs::read(&bin).unwrap();
    let (go_version, want_rows) = go_version_m(&bin);
    let info = golang::read(&data).expect("build information");
    assert_eq!(info.go_version, go_version);
    assert_eq!(rows_of(&info), want_rows);
    assert!(want_rows.len() >= 5, "{want_rows:?}");
    let stdlib = go_version.trim_start_matches("go").to_string();

    // In an image, under a bin directory (the test builder writes mode 0644).
    let l1 = Layer::new(vec![
        file("usr/local/bin/app", data.clone()),
        // The same bytes outside any bin directory and not executable: not inspected.
        file("srv/data/app.bin", data.clone()),
        // A C binary: no packages.
        file("usr/bin/ls", c_binary()),
    ]);
    let inv = inventory_of(&TestImage::new(vec![l1]));
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
    let t = |n: &str, v: &str, p: &str| (n.to_string(), v.to_string(), p.to_string());
    assert_eq!(
        golang_pkgs(&inv),
        vec![
            t("stdlib", &stdlib, &format!("pkg:golang/stdlib@{stdlib}")),
            t(
                "example.com/app",
                "(devel)",
                "pkg:golang/example.com/app@%28devel%29"
            ),
            t(
                "example.com/dep",
                "v0.3.1",
                "pkg:golang/example.com/dep@v0.3.1"
            ),
            // Replaced by a directory: the module path, at "(devel)".
            t(
                "example.com/lib",
                "(devel)",
                "pkg:golang/example.com/lib@%28devel%29"
            ),
        ]
    );
    assert_eq!(inv.packages.len(), 4);
    assert!(inv
        .packages
        .iter()
        .all(|p| p.path == "/usr/local/bin/app" && p.layer == 0 && !p.dev));
    assert_eq!(vigil_core::Component::from(&inv.packages[0]).kind, "go");

    // Replaced by a C binary in a later layer, and deleted by a whiteout: nothing left.
    let l1 = Layer::new(vec![
        file("usr/local/bin/app", data.clone()),
        file("usr/local/bin/gone", data.clone()),
    ]);
    let l2 = Layer::new(vec![
        file("usr/local/bin/app", c_binary()),
        whiteout("usr/local/bin/gone"),
    ]);
    let inv = inventory_of(&TestImage::new(vec![l1, l2]));
    assert!(inv.packages.is_empty(), "{:?}", inv.packages);
    assert!(inv.skipped.is_empty());

    // One layer writing the path twice, the C binary last: nothing.
    let l1 = Layer::new(vec![
        file("usr/local/bin/app", data.clone()),
        file("usr/local/bin/app", c_binary()),
    ]);
    let inv = inventory_of(&TestImage::new(vec![l1]));
    assert!(inv.packages.is_empty(), "{:?}", inv.packages);

    // A later layer that writes it again: reported at that layer.
    let l1 = Layer::new(vec![file("usr/local/bin/app", c_binary())]);
    let l2 = Layer::new(vec![file("usr/local/bin/app", data.clone())]);
    let inv = inventory_of(&TestImage::new(vec![l1, l2]));
    assert_eq!(inv.packages.len(), 4);
    assert!(inv.packages.iter().all(|p| p.layer == 1));

    // A file larger than the inspected head: the build information is found in the rest as
    // it streams by (as in a 90 MB terraform binary), wherever the head ends...
    let image = TestImage::new(vec![Layer::new(vec![file(
        "usr/local/bin/app",
        data.clone(),
    )])]);
    let whole = inventory_of(&image);
    for head in [4096, 100_000, 1 << 20] {
        let inv = inventory_with(
            &image,
            Limits {
                max_inspect_bytes: head,
                ..Limits::default()
            },
        );
        assert_eq!(inv, whole, "head of {head} bytes");
    }
    // ...unless the stream is cut before it: then a note says so.
    let cut = Limits {
        max_inspect_bytes: 4096,
        max_stream_bytes: 8192,
        ..Limits::default()
    };
    let inv = inventory_with(&image, cut);
    assert!(inv.packages.is_empty());
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert!(
        inv.skipped[0].reason.contains("not read to its end"),
        "{:?}",
        inv.skipped
    );
    let section = sbom::elf::Elf::parse(&data)
        .unwrap()
        .section(".go.buildinfo")
        .unwrap();
    let offset = section.as_ptr() as usize - data.as_ptr() as usize;
    let prefix = (offset + 64 * 1024) as u64;
    assert!(prefix < data.len() as u64, "the prefix must cut the file");
    let inv = inventory_with(
        &image,
        Limits {
            max_inspect_bytes: prefix,
            ..Limits::default()
        },
    );
    assert_eq!(inv.packages.len(), 4, "{:?}", inv.skipped);

    // Without a usable section table (e_shoff pointing past the end), the magic is found by
    // scanning.
    let mut no_sections = data.clone();
    no_sections[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(sbom::elf::Elf::parse(&no_sections)
        .unwrap()
        .section(".go.buildinfo")
        .is_none());
    assert_eq!(golang::read(&no_sections), Some(info));
}

/// Go programs that may be installed on this machine (none is required).
const MACHINE_GO_BINARIES: [&str; 6] = [
    "/usr/local/bin/docker",
    "/usr/bin/docker",
    "/usr/libexec/docker/cli-plugins/docker-compose",
    "/usr/libexec/docker/cli-plugins/docker-buildx",
    "/usr/lib/google-cloud-sdk/bin/kpt",
    "/usr/lib/google-cloud-sdk/bin/cbt",
];

#[test]
fn go_binaries_of_this_machine() {
    let found: Vec<(&str, Vec<u8>)> = MACHINE_GO_BINARIES
        .iter()
        .filter_map(|p| {
            let meta = std::fs::metadata(p).ok()?;
            (meta.is_file() && meta.len() <= Limits::default().max_inspect_bytes)
                .then(|| std::fs::read(p).ok().map(|d| (*p, d)))
                .flatten()
        })
        .filter(|(_, d)| d.starts_with(b"\x7fELF"))
        .collect();
    if found.is_empty() {
        eprintln!("note: no Go binary of this machine found; test skipped");
        return;
    }
    let go = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    for (path, data) in &found {
        let info = golang::read(data).unwrap_or_else(|| panic!("{path}: no build information"));
        if go {
            let (version, rows) = go_version_m(Path::new(path));
            assert_eq!(info.go_version, version, "{path}");
            assert_eq!(rows_of(&info), rows, "{path}");
        } else if *path == "/usr/local/bin/docker" {
            // Checked by hand (`objcopy --dump-section .go.buildinfo`) for the docker 28.2.2
            // CLI installed here: built outside module mode, so no `mod`/`dep` lines.
            if info.go_version == "go1.24.3" {
                assert_eq!(
                    info.path.as_deref(),
                    Some("github.com/docker/cli/cmd/docker")
                );
                assert!(info.main.is_none() && info.deps.is_empty());
            }
        }
    }
    // The first one through an image.
    let (path, data) = &found[0];
    let name = path.rsplit('/').next().unwrap();
    let info = golang::read(data).unwrap();
    let image = TestImage::new(vec![Layer::new(vec![file(
        &format!("usr/local/bin/{name}"),
        data.clone(),
    )])]);
    let inv = inventory_of(&image);
    let got: Vec<(String, String)> = golang_pkgs(&inv)
        .into_iter()
        .map(|(n, v, _)| (n, v))
        .collect();
    let want: Vec<(String, String)> = info
        .components()
        .into_iter()
        .map(|c| (c.name, c.version))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got[0].0, "stdlib");
    assert_eq!(
        format!("go{}", got[0].1),
        info.go_version.split_whitespace().next().unwrap()
    );
}

/// Adds a `.dep-v0` section holding zlib-compressed `json` to a copy of a C binary.
fn audited_binary(tmp: &Path, json: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json).unwrap();
    let section = tmp.join("audit.z");
    std::fs::write(&section, z.finish().unwrap()).unwrap();
    let src = tmp.join("plain");
    std::fs::write(&src, c_binary()).unwrap();
    let dst = tmp.join("audited");
    run(Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".dep-v0={}", section.display()))
        .args(["--set-section-flags", ".dep-v0=noload,readonly"])
        .arg(&src)
        .arg(&dst));
    std::fs::read(dst).unwrap()
}

#[test]
fn cargo_auditable_section() {
    if !have("objcopy", "--version", "binutils") {
        return;
    }
    let tmp = TempDir::new().unwrap();
    let json = br#"{"packages":[
        {"name":"rusty","version":"0.1.0","source":"local","dependencies":[1,2,3],"root":true},
        {"name":"serde","version":"1.0.200","source":"crates.io","dependencies":[2]},
        {"name":"serde_derive","version":"1.0.200","source":"crates.io","kind":"build"},
        {"name":"fork","version":"0.2.0","source":"git"}],"format":1}"#;
    let audited = audited_binary(tmp.path(), json);
    let bad = {
        let dir = tmp.path().join("bad");
        std::fs::create_dir_all(&dir).unwrap();
        let mut b = audited_binary(&dir, b"{}");
        // Keep the section but make its contents garbage: find the zlib stream of `{}`.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"{}").unwrap();
        let stream = z.finish().unwrap();
        let at = b
            .windows(stream.len())
            .position(|w| w == stream.as_slice())
            .unwrap();
        b[at] ^= 0xff;
        b
    };
    let image = TestImage::new(vec![Layer::new(vec![
        file("usr/local/bin/rusty", audited),
        file("usr/local/bin/broken", bad),
        file("usr/bin/ls", c_binary()),
    ])]);
    let inv = inventory_of(&image);
    let got: Vec<(&str, &str, &str, bool, &str)> = inv
        .packages
        .iter()
        .map(|p: &Package| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.purl.as_str(),
                p.dev,
                p.path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "serde",
                "1.0.200",
                "pkg:cargo/serde@1.0.200",
                false,
                "/usr/local/bin/rusty"
            ),
            (
                "serde_derive",
                "1.0.200",
                "pkg:cargo/serde_derive@1.0.200",
                true,
                "/usr/local/bin/rusty"
            ),
            (
                "fork",
                "0.2.0",
                "pkg:cargo/fork@0.2.0",
                false,
                "/usr/local/bin/rusty"
            ),
        ]
    );
    assert_eq!(vigil_core::Component::from(&inv.packages[0]).kind, "rust");
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert_eq!(inv.skipped[0].path, "/usr/local/bin/broken");
    assert!(inv.skipped[0].reason.contains("cargo-auditable"));
}
