//! Golden files: outputs that users diff and machines read (reports, SBOMs, the action
//! catalogue, API responses), kept in the repository and compared byte for byte.
//!
//! `assert_text(path, actual)` and `assert_json(path, &value)` compare `actual` with the file at
//! `path` (relative paths are taken from the current directory, which `cargo test` sets to the
//! crate's root, so `tests/golden/x.json` names the crate's own golden). A difference fails
//! the test with a line diff. With `UPDATE_GOLDEN=1` in the environment the file is written
//! instead and the test passes: regenerate, then review the change with `git diff`. A missing
//! golden file fails unless `UPDATE_GOLDEN=1` is set, so CI never creates one silently.
//!
//! JSON goldens are pretty-printed with a final newline and compared as JSON values, so a
//! golden edited by hand only needs to mean the same. Values that differ from run to run are
//! replaced before comparing, in the test and visibly: [`redact_keys`] for named fields
//! anywhere in a document, [`redact_pointer`] for one place.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The environment variable that makes golden assertions write their files.
pub const UPDATE_VAR: &str = "UPDATE_GOLDEN";

/// Lines of unchanged context shown around each difference.
const CONTEXT: usize = 3;
/// Most diff lines shown before the rest is summarised.
const MAX_DIFF_LINES: usize = 200;

/// Whether this run writes golden files instead of comparing with them.
pub fn updating() -> bool {
    std::env::var(UPDATE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `actual` equals the text of the golden file at `path` (see the module documentation).
#[track_caller]
pub fn assert_text(path: impl AsRef<Path>, actual: &str) {
    let path = path.as_ref();
    if updating() {
        write(path, actual);
        return;
    }
    let expected = read(path);
    if expected != actual {
        panic!(
            "golden file {} differs (- golden, + actual); if the change is intended, run again with {UPDATE_VAR}=1 and review `git diff`:\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// `actual`, pretty-printed, equals the JSON golden file at `path` (see the module
/// documentation).
#[track_caller]
pub fn assert_json(path: impl AsRef<Path>, actual: &Value) {
    let path = path.as_ref();
    let text = pretty(actual);
    if updating() {
        write(path, &text);
        return;
    }
    let expected = read(path);
    let same = serde_json::from_str::<Value>(&expected).is_ok_and(|golden| golden == *actual);
    if !same {
        let golden = serde_json::from_str::<Value>(&expected)
            .map(|v| pretty(&v))
            .unwrap_or(expected);
        panic!(
            "golden file {} differs (- golden, + actual); if the change is intended, run again with {UPDATE_VAR}=1 and review `git diff`:\n{}",
            path.display(),
            diff(&golden, &text)
        );
    }
}

/// Replaces the value of every object member named by `keys` (anywhere in `value`, at any
/// depth) with the placeholder given for it, e.g. `[("RequestId", "<request-id>")]`. Empty
/// values (`""`, `null`) are kept: they do not vary, and the golden should show them. Returns
/// how many values were replaced, so a test can insist that the field was there at all.
pub fn redact_keys(value: &mut Value, keys: &[(&str, &str)]) -> usize {
    let mut n = 0;
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if let Some((_, placeholder)) = keys.iter().find(|(name, _)| name == k) {
                    if !(v.is_null() || v.as_str() == Some("")) {
                        *v = Value::from(*placeholder);
                        n += 1;
                    }
                } else {
                    n += redact_keys(v, keys);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                n += redact_keys(v, keys);
            }
        }
        _ => {}
    }
    n
}

/// Replaces the value at the JSON pointer `pointer` (`/Response/List/0/Id`) with
/// `placeholder`. Panics when there is no such value, so a stale normalisation is noticed.
#[track_caller]
pub fn redact_pointer(value: &mut Value, pointer: &str, placeholder: &str) {
    match value.pointer_mut(pointer) {
        Some(v) => *v = Value::from(placeholder),
        None => panic!("nothing at {pointer} to normalise in {value}"),
    }
}

/// Pretty JSON with sorted keys, so files and diffs read the same in every build.
fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&vigil_core::canonical::sorted(v))
        .expect("a JSON value serialises");
    s.push('\n');
    s
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {} ({e}); create it with {UPDATE_VAR}=1",
            shown(path).display()
        )
    })
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    std::fs::write(path, text)
        .unwrap_or_else(|e| panic!("cannot write golden file {}: {e}", path.display()));
    eprintln!("{UPDATE_VAR}: wrote {}", shown(path).display());
}

fn shown(path: &Path) -> PathBuf {
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// A line diff of `old` and `new`: `-`/`+` lines with a little unchanged context, hunks headed
/// by their line numbers, long diffs cut short.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = line_ops(&a, &b);
    // Which operations to show: every change, with CONTEXT equal lines either side.
    let mut show = vec![false; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        if !matches!(op, Op::Same(..)) {
            let lo = i.saturating_sub(CONTEXT);
            let hi = (i + CONTEXT + 1).min(ops.len());
            show[lo..hi].iter_mut().for_each(|s| *s = true);
        }
    }
    let mut out = Vec::new();
    let mut gap = true;
    for (op, shown) in ops.iter().zip(show) {
        if !shown {
            gap = true;
            continue;
        }
        if gap {
            let (ia, ib) = op.lines();
            out.push(format!(
                "@@ golden line {}, actual line {} @@",
                ia + 1,
                ib + 1
            ));
            gap = false;
        }
        out.push(match op {
            Op::Same(i, _) => format!(" {}", a[*i]),
            Op::Del(i, _) => format!("-{}", a[*i]),
            Op::Add(_, j) => format!("+{}", b[*j]),
        });
    }
    if old.ends_with('\n') != new.ends_with('\n') {
        out.push("(the files differ in their final newline)".into());
    }
    if out.len() > MAX_DIFF_LINES {
        let more = out.len() - MAX_DIFF_LINES;
        out.truncate(MAX_DIFF_LINES);
        out.push(format!("... {more} more diff lines"));
    }
    out.join("\n")
}

/// One step of a line diff, with the line numbers (0-based) in the old and new text at it.
enum Op {
    Same(usize, usize),
    Del(usize, usize),
    Add(usize, usize),
}

impl Op {
    fn lines(&self) -> (usize, usize) {
        match *self {
            Op::Same(i, j) | Op::Del(i, j) | Op::Add(i, j) => (i, j),
        }
    }
}

/// Most cells of the longest-common-subsequence table; beyond it the changed middle is shown
/// as all removed, then all added.
const MAX_TABLE: usize = 16_000_000;

/// The operations turning `a` into `b`: common prefix and suffix, and a longest common
/// subsequence of the lines in between.
fn line_ops(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Same(i, i)).collect();
    let (n, m) = (ma.len(), mb.len());
    if n.saturating_mul(m) > MAX_TABLE {
        ops.extend((0..n).map(|i| Op::Del(prefix + i, prefix)));
        ops.extend((0..m).map(|j| Op::Add(prefix + n, prefix + j)));
    } else {
        // lcs[i][j]: length of the LCS of ma[i..] and mb[j..].
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        let at = |i: usize, j: usize| i * (m + 1) + j;
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[at(i, j)] = if ma[i] == mb[j] {
                    lcs[at(i + 1, j + 1)] + 1
                } else {
                    lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                ops.push(Op::Same(prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if j == m || (i < n && lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
                ops.push(Op::Del(prefix + i, prefix + j));
                i += 1;
            } else {
                ops.push(Op::Add(prefix + i, prefix + j));
                j += 1;
            }
        }
    }
    let (ea, eb) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|k| Op::Same(ea + k, eb + k)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_shows_changes_with_context() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replacen("5\n", "five\n", 1).replacen("17\n", "", 1) + "21\n";
        assert_eq!(
            diff(&old, &new),
            "@@ golden line 2, actual line 2 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n\
             @@ golden line 14, actual line 14 @@\n 14\n 15\n 16\n-17\n 18\n 19\n 20\n+21"
        );
        assert_eq!(
            diff("x", "x\n"),
            "(the files differ in their final newline)"
        );
    }

    #[test]
    fn redaction_is_counted() {
        let mut v = json!({"Response": {"RequestId": "r1", "List": [{"Id": 7, "RequestId": "x"}, {"RequestId": ""}]}});
        assert_eq!(redact_keys(&mut v, &[("RequestId", "<request-id>")]), 2);
        redact_pointer(&mut v, "/Response/List/0/Id", "<id>");
        assert_eq!(
            v,
            json!({"Response": {"RequestId": "<request-id>", "List": [{"Id": "<id>", "RequestId": "<request-id>"}, {"RequestId": ""}]}})
        );
    }

    #[test]
    fn golden_files_are_compared_and_written() {
        let dir = crate::scratch_dir("golden");
        let path = dir.join("sub/x.json");
        // No file yet: fails (unless this run updates goldens).
        if !updating() {
            let missing = std::panic::catch_unwind(|| assert_json(&path, &json!({"a": 1})));
            assert!(missing.is_err());
        }
        write(&path, &pretty(&json!({"a": 1, "b": [1, 2]})));
        // The same value in another layout passes; another value fails with a diff.
        std::fs::write(&path, "{\"b\": [1, 2], \"a\": 1}").unwrap();
        assert_json(&path, &json!({"a": 1, "b": [1, 2]}));
        if !updating() {
            let changed = std::panic::catch_unwind(|| assert_json(&path, &json!({"a": 2})));
            let msg = changed.unwrap_err();
            let msg = msg.downcast_ref::<String>().unwrap();
            assert!(
                msg.contains("-  \"a\": 1,") && msg.contains("+  \"a\": 2"),
                "{msg}"
            );
        }
    }
}
