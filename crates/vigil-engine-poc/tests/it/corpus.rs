//! The nuclei-templates snapshot of `../shared` (9,126 templates): at least 99 % parse and
//! at least 95 % of the HTTP and network templates compile to something the engine runs;
//! every file that does not is counted with its reason, none is dropped.

use std::path::Path;

#[test]
fn the_snapshot_parses_and_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/nuclei-templates");
    if !dir.exists() {
        panic!(
            "the nuclei-templates snapshot is missing at {}",
            dir.display()
        );
    }
    let loaded = vigil_engine_poc::Loaded::load(&dir).expect("load");
    let s = loaded.catalog.summary();
    assert!(s.files >= 9_000, "{s:?}");
    assert_eq!(s.files, s.parsed + loaded.catalog.rejected.len());
    assert!(
        s.parsed * 100 >= s.files * 99,
        "parsed {} of {}",
        s.parsed,
        s.files
    );
    let (runnable, skipped) = loaded.coverage();
    let http_tcp = s.parsed_by_protocol.get("http").copied().unwrap_or(0)
        + s.parsed_by_protocol.get("tcp").copied().unwrap_or(0);
    let run_http_tcp = loaded
        .catalog
        .templates
        .iter()
        .filter(|t| matches!(t.protocol(), "http" | "tcp"))
        .filter(|t| matches!(loaded.compiled.get(&t.id), Some(Ok(_))))
        .count();
    assert!(
        run_http_tcp * 100 >= http_tcp * 95,
        "runnable http+tcp {run_http_tcp} of {http_tcp}; not run: {skipped:?}"
    );
    assert_eq!(runnable + skipped.values().sum::<usize>(), s.parsed);
}
