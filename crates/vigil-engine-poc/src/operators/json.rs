//! `json` extractors: jq programs run with jaq (a jq implementation in Rust) over the part
//! parsed as JSON. As in nuclei, string results are output raw, other scalars as text and
//! arrays/objects as compact JSON; a program that fails stops yielding. Programs are checked
//! when the extractor is compiled and compiled again lazily once per thread (jaq's compiled
//! form is not shareable across threads).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, Compiler, Ctx, Vars};
use jaq_json::Val;

use super::error::CompileError;

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// Most values one program may yield on one response.
const MAX_OUTPUTS: usize = 10_000;

fn compile_filter(code: &str) -> Result<Filter, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .filter(|d| available(d.name, d.args.len()));
    let funs = jaq_core::funs()
        .chain(jaq_std::base_funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errs| format!("jq syntax error ({} error(s))", errs.len()))?;
    Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            let names: Vec<String> = errs
                .iter()
                .flat_map(|(_, e)| e.iter().map(|(name, _)| name.to_string()))
                .collect();
            format!("jq: undefined {}", names.join(", "))
        })
}

/// jaq's standard definitions that need the optional natives (math, regex, time, logging,
/// format) left out of this build to keep it small.
const LEFT_OUT: &[&str] = &[
    "stderr",
    "debug",
    "halt_error",
    "logb",
    "significand",
    "pow10",
    "drem",
    "nexttoward",
    "scalb",
    "gamma",
    "capture_of_match",
    "test",
    "scan_",
    "match",
    "capture",
    "splits",
    "sub",
    "gsub",
    "scan",
    "todate",
    "fromdate",
];

fn available(name: &str, arity: usize) -> bool {
    if name == "split" {
        return arity < 2;
    }
    if name.starts_with('@') {
        return matches!(name, "@json" | "@text");
    }
    !LEFT_OUT.contains(&name)
}

thread_local! {
    static FILTERS: RefCell<HashMap<String, Rc<Filter>>> = RefCell::new(HashMap::new());
}

/// A checked jq program.
#[derive(Debug, Clone)]
pub struct JqProgram {
    code: String,
}

impl JqProgram {
    /// Checks a program (it must parse and use only defined filters).
    pub fn compile(code: &str) -> Result<JqProgram, CompileError> {
        let code = code.trim().to_string();
        compile_filter(&code)
            .map_err(|e| CompileError::Unsupported(format!("json extractor: {e}")))?;
        Ok(JqProgram { code })
    }

    /// The program text.
    pub fn source(&self) -> &str {
        &self.code
    }

    fn filter(&self) -> Option<Rc<Filter>> {
        FILTERS.with(|cell| {
            let mut map = cell.try_borrow_mut().ok()?;
            if let Some(f) = map.get(&self.code) {
                return Some(f.clone());
            }
            let f = Rc::new(compile_filter(&self.code).ok()?);
            if map.len() > 4096 {
                map.clear();
            }
            map.insert(self.code.clone(), f.clone());
            Some(f)
        })
    }

    /// Runs the program on a parsed document, appending each output as text.
    pub fn run(&self, input: &Val, out: &mut Vec<String>) {
        let Some(filter) = self.filter() else {
            return;
        };
        let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
        for v in filter.id.run((ctx, input.clone())).take(MAX_OUTPUTS) {
            let Ok(v) = jaq_core::unwrap_valr(v) else {
                break;
            };
            out.push(to_text(&v));
        }
    }
}

/// Parses a part as JSON for jaq.
pub fn parse(input: &[u8]) -> Option<Val> {
    jaq_json::read::parse_single(input).ok()
}

fn to_text(v: &Val) -> String {
    match v {
        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}
