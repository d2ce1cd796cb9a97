//! YARA rules: Vigil's built-in rule set and the operator's rule directories, compiled with
//! `yara-x` into one rule set.
//!
//! The built-in rules live in `rules/*.yar` in this crate and are embedded in the binary. Every
//! built-in rule carries the metadata `description`, `severity` (`critical`, `high` or
//! `medium`), `category` (`virus`, `webshell`, `miner`, `reverse-shell`, `hack-tool` or
//! `test-file`) and `reference`; user rules may carry the same keys and get defaults otherwise
//! (severity `high`, no category). Each source file is compiled in a namespace of its own, so two
//! files may define rules of the same name.
//!
//! yara-x is built with the modules `elf`, `hash`, `math`, `string`, `time` and `console` only:
//! a user rule that imports another (`pe`, `dotnet`, `macho`, `dex`, `lnk`, `zip`, ...) fails to
//! compile with an "unknown module" error naming the file and line. Rules see the bytes they are
//! given; `filesize` is the length of those bytes.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;

/// The built-in rule files, by name.
const BUILTIN: [(&str, &str); 6] = [
    ("test_files.yar", include_str!("../rules/test_files.yar")),
    ("webshells.yar", include_str!("../rules/webshells.yar")),
    ("miners.yar", include_str!("../rules/miners.yar")),
    (
        "reverse_shells.yar",
        include_str!("../rules/reverse_shells.yar"),
    ),
    ("hack_tools.yar", include_str!("../rules/hack_tools.yar")),
    ("android.yar", include_str!("../rules/android.yar")),
];

/// Bounds on reading rule directories.
const MAX_RULE_FILES: usize = 10_000;
const MAX_RULE_FILE_BYTES: u64 = 16 << 20;
const MAX_DIR_DEPTH: usize = 16;

/// A compiled YARA rule set: the built-in rules, user rules, or both.
pub struct Rules {
    pub(crate) inner: yara_x::Rules,
    count: usize,
    files: Vec<PathBuf>,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("count", &self.count)
            .field("files", &self.files)
            .finish()
    }
}

impl Rules {
    /// Vigil's built-in rule set alone.
    pub fn builtin() -> Result<Rules, Error> {
        Rules::compile::<PathBuf>(true, &[])
    }

    /// The rules of every `*.yar` / `*.yara` file under `dirs` (recursively, in sorted order,
    /// without following symbolic links to directories), without the built-in set. A file that
    /// does not compile is an [`Error::RuleCompile`] naming the file and line.
    pub fn load<P: AsRef<Path>>(dirs: &[P]) -> Result<Rules, Error> {
        Rules::compile(false, dirs)
    }

    /// The built-in set (when `builtin`) together with the rule files under `dirs`.
    pub fn compile<P: AsRef<Path>>(builtin: bool, dirs: &[P]) -> Result<Rules, Error> {
        let mut compiler = yara_x::Compiler::new();
        // Rule files are plain files given by the operator; includes would reach other paths.
        compiler.enable_includes(false);
        if builtin {
            for (name, src) in BUILTIN {
                compiler.new_namespace(&format!("vigil/{name}"));
                let origin = format!("builtin:{name}");
                let code = yara_x::SourceCode::from(src).with_origin(origin.clone());
                if let Err(err) = compiler.add_source(code) {
                    return Err(compile_error(PathBuf::from(origin), src, &err));
                }
            }
        }
        let mut files = Vec::new();
        for dir in dirs {
            collect_rule_files(dir.as_ref(), 0, &mut files)?;
        }
        for path in &files {
            let meta = fs::metadata(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            if meta.len() > MAX_RULE_FILE_BYTES {
                return Err(Error::Limit {
                    path: path.clone(),
                    reason: format!("rule file larger than {MAX_RULE_FILE_BYTES} bytes"),
                });
            }
            let bytes = fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let src = String::from_utf8_lossy(&bytes);
            compiler.new_namespace(&format!("user/{}", path.display()));
            let code =
                yara_x::SourceCode::from(src.as_ref()).with_origin(path.display().to_string());
            if let Err(err) = compiler.add_source(code) {
                return Err(compile_error(path.clone(), &src, &err));
            }
        }
        let inner = compiler.build();
        let count = inner.iter().len();
        Ok(Rules {
            inner,
            count,
            files,
        })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the set has no rules at all.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The user rule files that were compiled, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Names of the built-in rules with their metadata, for listings and tests.
    pub fn rule_infos(&self) -> Vec<RuleInfo> {
        self.inner
            .iter()
            .map(|r| {
                let meta = Meta::of(r.metadata());
                RuleInfo {
                    name: r.identifier().to_string(),
                    namespace: r.namespace().to_string(),
                    description: meta.description,
                    severity: meta.severity,
                    category: meta.category,
                    reference: meta.reference,
                }
            })
            .collect()
    }
}

/// A rule's name and metadata as written in its source (before defaults are applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// Rule identifier.
    pub name: String,
    /// Namespace: `vigil/<file>` for built-in rules, `user/<path>` for user rules.
    pub namespace: String,
    /// `description` meta.
    pub description: Option<String>,
    /// `severity` meta.
    pub severity: Option<String>,
    /// `category` meta.
    pub category: Option<String>,
    /// `reference` meta.
    pub reference: Option<String>,
}

/// The metadata Vigil reads from a rule.
pub(crate) struct Meta {
    pub description: Option<String>,
    pub severity: Option<String>,
    pub category: Option<String>,
    pub reference: Option<String>,
}

impl Meta {
    pub(crate) fn of(meta: yara_x::Metadata<'_, '_>) -> Meta {
        let mut out = Meta {
            description: None,
            severity: None,
            category: None,
            reference: None,
        };
        for (key, value) in meta {
            let text = match value {
                yara_x::MetaValue::String(s) => s.to_string(),
                yara_x::MetaValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                yara_x::MetaValue::Integer(i) => i.to_string(),
                yara_x::MetaValue::Float(f) => f.to_string(),
                yara_x::MetaValue::Bool(b) => b.to_string(),
            };
            let slot = match key.to_ascii_lowercase().as_str() {
                "description" | "desc" => &mut out.description,
                "severity" => &mut out.severity,
                "category" => &mut out.category,
                "reference" | "ref" | "url" => &mut out.reference,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(text);
            }
        }
        out
    }
}

fn compile_error(path: PathBuf, src: &str, err: &yara_x::errors::CompileError) -> Error {
    let offset = err
        .labels()
        .next()
        .map(|l| l.span().range().start)
        .unwrap_or(0);
    let end = offset.min(src.len());
    let line = src.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    Error::RuleCompile {
        path,
        line,
        message: err.title().to_string(),
        report: err.to_string(),
    }
}

fn collect_rule_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    if depth > MAX_DIR_DEPTH {
        return Err(Error::Limit {
            path: dir.to_path_buf(),
            reason: format!("rule directories nested deeper than {MAX_DIR_DEPTH}"),
        });
    }
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for path in entries {
        let link_meta = fs::symlink_metadata(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if link_meta.is_dir() {
            collect_rule_files(&path, depth + 1, out)?;
            continue;
        }
        let is_rule = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara"));
        // A symbolic link to a rule file is followed (it is the operator's own directory); one to
        // a directory is not.
        if is_rule && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            if out.len() >= MAX_RULE_FILES {
                return Err(Error::Limit {
                    path: dir.to_path_buf(),
                    reason: format!("more than {MAX_RULE_FILES} rule files"),
                });
            }
            out.push(path);
        }
    }
    Ok(())
}
