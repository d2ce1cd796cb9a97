//! Loads a template directory or archive and prints what parsed, what runs and why the rest
//! does not (used by `bench/poc.sh`): `cargo run --release -p vigil-engine-poc --example corpus -- DIR
//! [--compile]` (`--compile` also compiles every template for running, as the engine does).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: corpus DIR|TAR");
        std::process::exit(2);
    };
    let start = std::time::Instant::now();
    let catalog = match vigil_engine_poc::template::Catalog::load(
        std::path::Path::new(&path),
        Default::default(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let took = start.elapsed();
    if std::env::args().any(|a| a == "--compile") {
        let start = std::time::Instant::now();
        let compiled: Vec<_> = catalog
            .templates
            .iter()
            .map(|t| vigil_engine_poc::exec::compile(t.clone()))
            .collect();
        let ok = compiled.iter().filter(|c| c.is_ok()).count();
        println!(
            "compiled {ok} of {} in {:.3}s",
            compiled.len(),
            start.elapsed().as_secs_f64()
        );
    }
    let s = catalog.summary();
    println!(
        "files {} parsed {} runnable {} in {:.3}s",
        s.files,
        s.parsed,
        s.runnable,
        took.as_secs_f64()
    );
    println!("parsed by protocol {:?}", s.parsed_by_protocol);
    println!("runnable by protocol {:?}", s.runnable_by_protocol);
    for (k, v) in &s.skipped {
        println!("skipped {v:5} {k}");
    }
    for (k, v) in &s.rejected {
        println!("rejected {v:5} {k}");
    }
    for r in catalog.rejected.iter().take(20) {
        println!("  {}: {}", r.path, r.reason);
    }
}
