//! Excel workbooks (`.xlsx`) of rendered list rows: one sheet, a header row of column names,
//! one row per list row. Every cell is data, never a formula: text is written as a string
//! cell (a value starting with `=`, `+`, `-` or `@` also gets Excel's quote prefix, so the
//! cell stays text when edited), numbers as numbers, booleans as booleans, lists and objects
//! as compact JSON text, and null as an empty cell.

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;

/// Excel's limit on the characters of one cell; longer text is cut there.
pub(crate) const MAX_CELL_CHARS: usize = 32_767;
/// Excel's limit on the rows of one sheet (the header included).
pub(crate) const MAX_SHEET_ROWS: usize = 1_048_576;
/// Integers beyond this magnitude are written as text (an Excel number is an f64).
const MAX_EXACT_INT: i64 = 1 << 53;

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SheetError {
    /// More rows or columns than a sheet holds.
    #[error("{0} rows or {1} columns do not fit in one Excel sheet")]
    TooLarge(usize, usize),
    /// The writer failed.
    #[error("cannot write the workbook: {0}")]
    Write(#[from] XlsxError),
}

/// Text that spreadsheet programs could read as a formula when typed in.
fn formula_like(s: &str) -> bool {
    matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

fn cut(s: &str) -> &str {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A workbook with one sheet named `sheet`: `columns` as the header, then for each row the
/// value of each column (missing fields are empty cells).
pub(crate) fn workbook(
    sheet: &str,
    columns: &[&str],
    rows: &[Value],
) -> Result<Vec<u8>, SheetError> {
    if rows.len() >= MAX_SHEET_ROWS || columns.len() > 16_384 {
        return Err(SheetError::TooLarge(rows.len(), columns.len()));
    }
    let mut book = Workbook::new();
    let header = Format::new().set_bold();
    let quoted = Format::new().set_quote_prefix();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    for (c, name) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| SheetError::TooLarge(rows.len(), columns.len()))?;
        ws.write_string_with_format(0, c, cut(name), &header)?;
    }
    if !columns.is_empty() {
        ws.set_freeze_panes(1, 0)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r =
            u32::try_from(r + 1).map_err(|_| SheetError::TooLarge(rows.len(), columns.len()))?;
        for (c, name) in columns.iter().enumerate() {
            let c =
                u16::try_from(c).map_err(|_| SheetError::TooLarge(rows.len(), columns.len()))?;
            let text = match row.get(*name).unwrap_or(&Value::Null) {
                Value::Null => continue,
                Value::Bool(b) => {
                    ws.write_boolean(r, c, *b)?;
                    continue;
                }
                Value::Number(n) => {
                    let exact = match (n.as_i64(), n.as_u64()) {
                        (Some(i), _) => i.unsigned_abs() <= MAX_EXACT_INT.unsigned_abs(),
                        (None, Some(_)) => false,
                        (None, None) => true,
                    };
                    match n.as_f64().filter(|f| exact && f.is_finite()) {
                        Some(f) => {
                            ws.write_number(r, c, f)?;
                            continue;
                        }
                        None => n.to_string(),
                    }
                }
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let text = cut(&text);
            if formula_like(text) {
                ws.write_string_with_format(r, c, text, &quoted)?;
            } else {
                ws.write_string(r, c, text)?;
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Read;

    fn part(xlsx: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
        let mut out = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut out).unwrap();
        out
    }

    /// The shared strings of a workbook, in order.
    fn shared(xlsx: &[u8]) -> Vec<String> {
        let sst = part(xlsx, "xl/sharedStrings.xml");
        sst.split("<t")
            .skip(1)
            .map(|s| {
                let body = &s[s.find('>').unwrap() + 1..];
                body[..body.find("</t>").unwrap()].to_string()
            })
            .collect()
    }

    #[test]
    fn header_values_and_types() {
        let rows = vec![
            json!({"Name": "openssl", "Level": 3, "Tag": ["CanBeFixed"], "Fix": true,
                   "Score": 7.5, "Obj": {"a": 1}, "_Hidden": "x"}),
            json!({"Name": "zlib", "Level": 1, "Tag": [], "Fix": false, "Score": null}),
        ];
        let cols = ["Name", "Level", "Tag", "Fix", "Score", "Obj"];
        let x = workbook("Vulnerabilities", &cols, &rows).unwrap();
        let sheet = part(&x, "xl/worksheets/sheet1.xml");
        let strings = shared(&x);
        for want in [
            "Name",
            "Level",
            "openssl",
            "zlib",
            r#"["CanBeFixed"]"#,
            "[]",
            r#"{"a":1}"#,
        ] {
            assert!(strings.iter().any(|s| s == want), "{want} in {strings:?}");
        }
        assert!(!strings.iter().any(|s| s == "x"), "only the named columns");
        assert!(sheet.contains(r#"<c r="B2"><v>3</v></c>"#), "{sheet}");
        assert!(sheet.contains(r#"<c r="E2"><v>7.5</v></c>"#), "{sheet}");
        assert!(sheet.contains(r#"<c r="D2" t="b"><v>1</v></c>"#), "{sheet}");
        assert!(sheet.contains(r#"<c r="D3" t="b"><v>0</v></c>"#), "{sheet}");
        assert!(!sheet.contains(r#"r="E3""#), "null is an empty cell");
        let book = part(&x, "xl/workbook.xml");
        assert!(book.contains(r#"name="Vulnerabilities""#), "{book}");
    }

    #[test]
    fn formulas_are_text() {
        let rows =
            vec![json!({"A": "=1+1", "B": "+SUM(A1:A2)", "C": "-2", "D": "@cmd", "E": "ok"})];
        let x = workbook("S", &["A", "B", "C", "D", "E"], &rows).unwrap();
        let sheet = part(&x, "xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>"), "no formula cells: {sheet}");
        let strings = shared(&x);
        for (col, want) in [
            ("A", "=1+1"),
            ("B", "+SUM(A1:A2)"),
            ("C", "-2"),
            ("D", "@cmd"),
        ] {
            let idx = strings.iter().position(|s| s == want).unwrap();
            // A shared-string cell whose style has the quote prefix.
            let cell = format!(r#"<c r="{col}2" s="2" t="s"><v>{idx}</v></c>"#);
            assert!(sheet.contains(&cell), "{cell} in {sheet}");
        }
        let idx = strings.iter().position(|s| s == "ok").unwrap();
        assert!(sheet.contains(&format!(r#"<c r="E2" t="s"><v>{idx}</v></c>"#)));
        let styles = part(&x, "xl/styles.xml");
        assert!(styles.contains(r#"quotePrefix="1""#), "{styles}");
    }

    #[test]
    fn big_values_are_bounded() {
        let long = "x".repeat(MAX_CELL_CHARS + 10);
        let rows = vec![json!({"A": long, "B": i64::MAX, "C": u64::MAX})];
        let x = workbook("S", &["A", "B", "C"], &rows).unwrap();
        let strings = shared(&x);
        assert!(strings.iter().any(|s| s.len() == MAX_CELL_CHARS));
        assert!(
            strings.iter().any(|s| s == &i64::MAX.to_string()),
            "exact as text"
        );
        assert!(strings.iter().any(|s| s == &u64::MAX.to_string()));
        let header_only = workbook("S", &["A"], &[]).unwrap();
        assert_eq!(shared(&header_only), vec!["A"]);
    }
}
