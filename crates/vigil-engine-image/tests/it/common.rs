//! Helpers shared by the image engine's tests: inventories of images built in memory, the
//! outside tools the tests compare against (present, or the test is skipped outside CI and
//! fails in CI), running them, writing source trees for the Go builds, and a vulnerability
//! database of the advisory records in `tests/data/advisories/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use vigil_engine_image::sbom::{self, Inventory};
use vigil_engine_image::testing::{TempDir, TestImage};
use vigil_engine_image::{Limits, ReadOptions, Source};

/// The package inventory of `img`, read as a docker archive within `limits`.
pub fn inventory_with(img: &TestImage, limits: Limits) -> Inventory {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path).unwrap();
    let opts = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    sbom::read_inventory(&Source::DockerArchive(path), &opts)
        .unwrap()
        .1
}

/// The package inventory of `img` within the default limits.
pub fn inventory_of(img: &TestImage) -> Inventory {
    inventory_with(img, Limits::default())
}

/// Whether `tool arg` runs and exits successfully.
pub fn runs(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `present`, noting the skip when it is not; in CI (`CI` set) a missing `what` (from Debian
/// package `package`) fails the test.
pub fn require(present: bool, what: &str, package: &str) -> bool {
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} (Debian package {package}) must be installed in CI"
        );
        eprintln!("note: {what} missing (Debian package {package}); test skipped");
    }
    present
}

/// Whether `tool arg` runs (see [`require`] for what happens when it does not).
pub fn have(tool: &str, arg: &str, package: &str) -> bool {
    require(runs(tool, arg), tool, package)
}

/// Runs `cmd`, which must succeed; its standard output.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The advisory records of `tests/data/advisories/` (see its README).
pub fn advisories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/advisories")
}

/// A fresh data directory holding every record of `tests/data/advisories/`.
pub fn vulndb() -> TempDir {
    let data = TempDir::new().unwrap();
    let mut db = vigil_vulndb::Database::open(data.path()).unwrap();
    let s = db.import_as(&advisories(), "advisory-fixtures").unwrap();
    assert_eq!((s.files, s.advisories, s.skipped), (6, 6, 0), "{s:?}");
    data
}

/// Builds the Go program in `src` offline (vendored modules only; caches under `scratch`)
/// into `out`.
pub fn go_build(src: &Path, scratch: &Path, out: &Path) {
    run(Command::new("go")
        .current_dir(src)
        .env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .env("GOCACHE", scratch.join("gocache"))
        .env("GOPATH", scratch.join("gopath"))
        .env("CGO_ENABLED", "0")
        .args(["build", "-buildvcs=false", "-trimpath", "-o"])
        .arg(out)
        .arg("."));
}

/// Writes `text` to `dir/rel`, creating the directories on the way.
pub fn w(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}
