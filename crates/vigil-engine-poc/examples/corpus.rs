//! Loads a template directory or archive as the engine does (parsed, then compiled for
//! running) and prints what parsed, what runs and why the rest does not (used by
//! `bench/poc.sh`): `cargo run --release -p vigil-engine-poc --example corpus -- DIR
//! [--parse-only]` (`--parse-only` stops after parsing, so "runnable" is what parsed without
//! a reason to skip).

use std::collections::BTreeMap;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: corpus DIR|TAR [--parse-only]");
        std::process::exit(2);
    };
    let parse_only = std::env::args().any(|a| a == "--parse-only");
    let start = std::time::Instant::now();
    let path = std::path::Path::new(&path);
    let (catalog, compiled) = if parse_only {
        match vigil_engine_poc::template::Catalog::load(path, Default::default()) {
            Ok(c) => (c, None),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    } else {
        match vigil_engine_poc::Loaded::load(path) {
            Ok(l) => (l.catalog, Some(l.compiled)),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    };
    let took = start.elapsed();
    let s = catalog.summary();
    let (runnable, by_protocol, skipped) = match &compiled {
        None => (
            s.runnable,
            s.runnable_by_protocol.clone(),
            s.skipped.clone(),
        ),
        Some(compiled) => {
            let mut by: BTreeMap<String, usize> = BTreeMap::new();
            let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
            for t in &catalog.templates {
                match compiled.get(&t.id) {
                    Some(Ok(_)) => *by.entry(t.protocol().to_string()).or_default() += 1,
                    Some(Err(skip)) => *skipped.entry(skip.label()).or_default() += 1,
                    None => {}
                }
            }
            (by.values().sum(), by, skipped)
        }
    };
    println!(
        "files {} parsed {} runnable {runnable} in {:.3}s",
        s.files,
        s.parsed,
        took.as_secs_f64()
    );
    println!("parsed by protocol {:?}", s.parsed_by_protocol);
    println!("runnable by protocol {by_protocol:?}");
    for (k, v) in &skipped {
        println!("skipped {v:5} {k}");
    }
    for (k, v) in &s.rejected {
        println!("rejected {v:5} {k}");
    }
    for r in catalog.rejected.iter().take(20) {
        println!("  {}: {}", r.path, r.reason);
    }
}
