//! The nuclei-templates corpus survey: walks a templates tree (`VIGIL_NUCLEI_TEMPLATES`, by
//! default the snapshot in /work/shared/nuclei-templates), compiles every `matchers:` and
//! `extractors:` list under http/network/tcp/dns/ssl requests, compiles every `{{...}}`
//! placeholder, and prints the compile rate with the reasons for failures and the helpers used.
//! Ignored by default (it reads ~9k files); run with `cargo test -p vigil-engine-poc --test it
//! -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value as Yaml;
use vigil_engine_poc::dsl::{Expression, Template};
use vigil_engine_poc::operators::{
    CompileError, Data, ExtractorSpec, HttpParts, MatcherSpec, Operators,
};

const PROTOCOLS: &[&str] = &["http", "requests", "network", "tcp", "dns", "ssl"];

fn root() -> PathBuf {
    std::env::var_os("VIGIL_NUCLEI_TEMPLATES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/nuclei-templates"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn strings(v: &Yaml, out: &mut Vec<String>) {
    match v {
        Yaml::String(s) => out.push(s.clone()),
        Yaml::Sequence(seq) => seq.iter().for_each(|i| strings(i, out)),
        Yaml::Mapping(m) => m.values().for_each(|i| strings(i, out)),
        Yaml::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

#[derive(Default)]
struct Survey {
    templates_with_operators: usize,
    templates_ok: usize,
    matchers: usize,
    matchers_ok: usize,
    extractors: usize,
    extractors_ok: usize,
    failures: BTreeMap<String, usize>,
    examples: BTreeMap<String, String>,
    unknown_keys: BTreeMap<String, usize>,
    helpers: BTreeMap<String, usize>,
    placeholder_unknown: BTreeMap<String, usize>,
    placeholder_helpers: BTreeMap<String, usize>,
    compiled: Vec<Operators>,
    unsupported_helpers: BTreeMap<String, usize>,
}

impl Survey {
    fn fail(&mut self, e: &CompileError, file: &Path) {
        let c = e.category();
        if std::env::var_os("SURVEY_VERBOSE").is_some() {
            println!("FAIL {c} | {}: {e}", file.display());
        }
        *self.failures.entry(c.clone()).or_default() += 1;
        self.examples
            .entry(c)
            .or_insert_with(|| format!("{}: {e}", file.display()));
    }

    fn request(&mut self, req: &Yaml, file: &Path) -> bool {
        let mut ok = true;
        let mut ms = Vec::new();
        let mut es = Vec::new();
        if let Some(Yaml::Sequence(list)) = req.get("matchers") {
            for m in list {
                self.matchers += 1;
                match serde_yaml_ng::from_value::<MatcherSpec>(m.clone()) {
                    Ok(spec) => {
                        for k in spec.unknown.keys() {
                            *self.unknown_keys.entry(format!("matcher.{k}")).or_default() += 1;
                        }
                        for d in &spec.dsl {
                            self.count_helpers(d);
                        }
                        match vigil_engine_poc::operators::Matcher::compile(&spec) {
                            Ok(_) => self.matchers_ok += 1,
                            Err(e) => {
                                ok = false;
                                self.fail(&e, file);
                            }
                        }
                        ms.push(spec);
                    }
                    Err(e) => {
                        ok = false;
                        self.fail(&CompileError::Invalid(format!("yaml: {e}")), file);
                    }
                }
            }
        }
        if let Some(Yaml::Sequence(list)) = req.get("extractors") {
            for x in list {
                self.extractors += 1;
                match serde_yaml_ng::from_value::<ExtractorSpec>(x.clone()) {
                    Ok(spec) => {
                        for k in spec.unknown.keys() {
                            *self
                                .unknown_keys
                                .entry(format!("extractor.{k}"))
                                .or_default() += 1;
                        }
                        for d in &spec.dsl {
                            self.count_helpers(d);
                        }
                        match vigil_engine_poc::operators::Extractor::compile(&spec) {
                            Ok(_) => self.extractors_ok += 1,
                            Err(e) => {
                                ok = false;
                                self.fail(&e, file);
                            }
                        }
                        es.push(spec);
                    }
                    Err(e) => {
                        ok = false;
                        self.fail(&CompileError::Invalid(format!("yaml: {e}")), file);
                    }
                }
            }
        }
        let cond = req.get("matchers-condition").and_then(Yaml::as_str);
        if ok {
            match Operators::compile(&ms, cond, &es) {
                Ok(o) => self.compiled.push(o),
                Err(e) => {
                    self.fail(&e, file);
                    ok = false;
                }
            }
        }
        ok
    }

    fn count_helpers(&mut self, src: &str) {
        if let Ok(e) = Expression::parse(src) {
            for f in e.functions() {
                *self.helpers.entry(f.to_string()).or_default() += 1;
            }
            for (f, _) in e.unsupported_functions() {
                *self.unsupported_helpers.entry(f.to_string()).or_default() += 1;
            }
        }
    }

    fn placeholders(&mut self, doc: &Yaml) {
        let mut all = Vec::new();
        strings(doc, &mut all);
        for s in all.iter().filter(|s| s.contains("{{")) {
            let t = Template::compile(s);
            for name in t.unknown_helpers() {
                *self.placeholder_unknown.entry(name.clone()).or_default() += 1;
            }
            for f in t.functions() {
                *self.placeholder_helpers.entry(f.to_string()).or_default() += 1;
            }
            for (f, _) in t.unsupported_functions() {
                *self.unsupported_helpers.entry(f.to_string()).or_default() += 1;
            }
        }
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[test]
#[ignore = "reads the whole nuclei-templates snapshot; run with --ignored"]
fn corpus_operators_compile() {
    let root = root();
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    if files.is_empty() {
        eprintln!("no templates under {}", root.display());
        return;
    }
    files.sort();
    let mut s = Survey::default();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(doc) = serde_yaml_ng::from_str::<Yaml>(&text) else {
            continue;
        };
        s.placeholders(&doc);
        let mut has_ops = false;
        let mut ok = true;
        for proto in PROTOCOLS {
            if let Some(Yaml::Sequence(reqs)) = doc.get(*proto) {
                for r in reqs {
                    if r.get("matchers").is_some() || r.get("extractors").is_some() {
                        has_ops = true;
                        ok &= s.request(r, f);
                    }
                }
            }
        }
        if has_ops {
            s.templates_with_operators += 1;
            if ok {
                s.templates_ok += 1;
            }
        }
    }
    println!("files: {}", files.len());
    println!(
        "templates with operators: {} compiled: {} ({:.2} %)",
        s.templates_with_operators,
        s.templates_ok,
        pct(s.templates_ok, s.templates_with_operators)
    );
    println!(
        "matchers: {} compiled: {} ({:.2} %)",
        s.matchers,
        s.matchers_ok,
        pct(s.matchers_ok, s.matchers)
    );
    println!(
        "extractors: {} compiled: {} ({:.2} %)",
        s.extractors,
        s.extractors_ok,
        pct(s.extractors_ok, s.extractors)
    );
    println!("failures by reason:");
    for (k, v) in &s.failures {
        println!(
            "  {v:5}  {k}    e.g. {}",
            s.examples.get(k).map(String::as_str).unwrap_or("")
        );
    }
    println!("unknown keys: {:?}", s.unknown_keys);
    println!("helpers in dsl matchers/extractors: {:?}", s.helpers);
    println!("helpers in placeholders: {:?}", s.placeholder_helpers);
    println!(
        "unsupported helpers used (dsl + placeholders): {:?}",
        s.unsupported_helpers
    );
    println!(
        "unknown helpers in placeholders (left verbatim): {:?}",
        s.placeholder_unknown
    );
    evaluate_all(&s.compiled);
    assert!(pct(s.templates_ok, s.templates_with_operators) >= 99.0);
}

/// Evaluates every compiled request's operators on one synthetic 64 KiB HTML response, as a
/// clustered scan would, and prints the time taken.
fn evaluate_all(ops: &[Operators]) {
    let mut body = String::from("<html><head><title>Welcome to nginx</title></head><body>");
    while body.len() < 64 * 1024 {
        body.push_str(
            "<div class=\"item\">Lorem ipsum dolor sit amet, version 1.2.3 WordPress</div>\n",
        );
    }
    body.push_str("</body></html>");
    let data = Data::from_http(HttpParts {
        status_code: 200,
        headers: vec![
            ("Server".into(), "nginx/1.18.0".into()),
            ("Content-Type".into(), "text/html".into()),
        ],
        raw_headers: "HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Type: text/html\r\n\r\n"
            .into(),
        body: body.into_bytes(),
        host: "example.com".into(),
        matched: "http://example.com/".into(),
        duration_secs: 0.1,
        ..HttpParts::default()
    });
    for round in 0..2 {
        let start = std::time::Instant::now();
        let matched = ops.iter().filter(|o| o.evaluate(&data).matched).count();
        println!(
            "evaluation round {round}: {} requests' operators on one 64 KiB response in {:?} ({matched} matched)",
            ops.len(),
            start.elapsed()
        );
    }
}
