//! CSIP's list parameters (`MemberId` and the common `Filter`: paging, sorting,
//! `WhereFilter` conditions and a time window) and the filter applied to rendered rows: a
//! condition names an output field of the listed objects, so the filterable and sortable
//! fields are exactly the ones the response shows.

use super::Members;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use serde::Deserialize;
use serde_json::{json, Value};
use std::cmp::Ordering;

/// One condition (`WhereFilter`).
#[derive(Debug, Clone, Default, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub struct WhereReq {
    /// Field to filter on.
    #[param(max_len = 64)]
    name: Option<String>,
    /// Values; any may match.
    #[serde(default)]
    #[param(max_items = 100)]
    values: Vec<String>,
    /// 1 or 7 equal, 2 >, 3 <, 4 >=, 5 <=, 6 not equal, 9 contains, 13 does not contain, 14
    /// bitwise and.
    #[param(one_of = [1, 2, 3, 4, 5, 6, 7, 9, 13, 14])]
    operator_type: Option<i64>,
}

/// A `Filter` as sent.
#[derive(Debug, Clone, Default, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub struct FilterReq {
    /// Rows to return (default 10, at most 1000).
    #[param(range(0, 1000))]
    limit: Option<i64>,
    /// Rows to skip.
    #[param(range(0, i64::MAX))]
    offset: Option<i64>,
    /// asc or desc.
    #[param(max_len = 8)]
    order: Option<String>,
    /// Field to sort by.
    #[param(max_len = 64)]
    by: Option<String>,
    /// Conditions; all must hold.
    #[serde(default)]
    #[param(max_items = 20)]
    filters: Vec<WhereReq>,
    /// Earliest time (YYYY-MM-DD HH:MM:SS).
    #[param(max_len = 32)]
    start_time: Option<String>,
    /// Latest time (YYYY-MM-DD HH:MM:SS).
    #[param(max_len = 32)]
    end_time: Option<String>,
}

/// The parameters of a list: `MemberId` and `Filter`.
#[derive(Debug, Default, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub struct ListReq {
    #[serde(flatten)]
    pub(super) members: Members,
    /// Paging, sorting, conditions.
    #[serde(default)]
    pub(super) filter: FilterReq,
}

/// How a listing may be filtered: its field names, the field the time window applies to and
/// the default sort field (newest first).
pub struct Listing<'a> {
    /// Fields conditions and sorting may name.
    pub fields: &'a [&'a str],
    /// Field compared with `StartTime` / `EndTime`.
    pub time_field: &'a str,
    /// Default sort field (descending).
    pub default_by: &'a str,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Values of a field: the elements of a list field, else the field itself.
fn values_of(row: &Value, field: &str) -> Vec<Value> {
    match row.get(field) {
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
        None => vec![],
    }
}

fn check_time(t: &str, name: &str) -> ApiResult<()> {
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .map(|_| ())
        .map_err(|_| {
            ApiError::invalid_value(format!(
                "`Filter.{name}` must look like 2026-01-31 23:59:59, not `{t}`."
            ))
        })
}

fn holds(row: &Value, w: &WhereReq, name: &str) -> ApiResult<bool> {
    let have = values_of(row, name);
    let op = w.operator_type.unwrap_or(1);
    let cmp_num = |f: &dyn Fn(f64, f64) -> bool| -> ApiResult<bool> {
        let want = w
            .values
            .first()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| {
                ApiError::invalid_value(format!(
                    "The condition on `{name}` compares numbers; its value must be a number."
                ))
            })?;
        Ok(have.iter().filter_map(number).any(|h| f(h, want)))
    };
    Ok(match op {
        1 | 7 => have.iter().any(|h| w.values.iter().any(|v| text(h) == *v)),
        6 => !have.iter().any(|h| w.values.iter().any(|v| text(h) == *v)),
        9 => have.iter().any(|h| {
            let h = text(h).to_lowercase();
            w.values.iter().any(|v| h.contains(&v.to_lowercase()))
        }),
        13 => !have.iter().any(|h| {
            let h = text(h).to_lowercase();
            w.values.iter().any(|v| h.contains(&v.to_lowercase()))
        }),
        2 => cmp_num(&|h, v| h > v)?,
        3 => cmp_num(&|h, v| h < v)?,
        4 => cmp_num(&|h, v| h >= v)?,
        5 => cmp_num(&|h, v| h <= v)?,
        _ => cmp_num(&|h, v| (h as i64) & (v as i64) != 0)?,
    })
}

/// Numbers (and numeric strings such as ids and counts) compare as numbers, the rest as text.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => text(a).cmp(&text(b)),
    }
}

/// Apply a filter: conditions, time window, sort, page. Returns the total before paging and
/// the page.
pub fn apply(rows: Vec<Value>, f: &FilterReq, l: &Listing<'_>) -> ApiResult<(usize, Vec<Value>)> {
    let known = |name: &str| -> ApiResult<()> {
        if l.fields.contains(&name) {
            Ok(())
        } else {
            Err(ApiError::invalid_value(format!(
                "`{name}` is not a field of this list; fields are {}.",
                l.fields.join(", ")
            )))
        }
    };
    let mut conds = Vec::new();
    for w in &f.filters {
        let Some(name) = w.name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        known(name)?;
        if !w.values.is_empty() {
            conds.push((name.to_string(), w.clone()));
        }
    }
    for (t, n) in [(&f.start_time, "StartTime"), (&f.end_time, "EndTime")] {
        if let Some(t) = t.as_deref().filter(|t| !t.is_empty()) {
            check_time(t, n)?;
        }
    }
    let by =
        f.by.as_deref()
            .filter(|b| !b.is_empty())
            .unwrap_or(l.default_by);
    known(by)?;
    let desc = match f.order.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("desc") => true,
        Some("asc") => false,
        Some(o) => {
            return Err(ApiError::invalid_value(format!(
                "`Filter.Order` must be asc or desc, not `{o}`."
            )))
        }
    };
    let mut kept = Vec::new();
    'rows: for row in rows {
        for (name, w) in &conds {
            if !holds(&row, w, name)? {
                continue 'rows;
            }
        }
        let at = row.get(l.time_field).map(text).unwrap_or_default();
        if let Some(s) = f.start_time.as_deref().filter(|t| !t.is_empty()) {
            if at.as_str() < s {
                continue;
            }
        }
        if let Some(e) = f.end_time.as_deref().filter(|t| !t.is_empty()) {
            if at.as_str() > e {
                continue;
            }
        }
        kept.push(row);
    }
    kept.sort_by(|a, b| {
        let o = compare(
            a.get(by).unwrap_or(&Value::Null),
            b.get(by).unwrap_or(&Value::Null),
        );
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    let total = kept.len();
    let offset = f.offset.unwrap_or(0).max(0) as usize;
    let limit = match f.limit {
        None | Some(0) => 10,
        Some(n) => n as usize,
    };
    Ok((total, kept.into_iter().skip(offset).take(limit).collect()))
}

/// `FilterDataObject`s for the distinct values of a field (for the console's filter menus).
pub fn choices(rows: &[Value], field: &str, label: &dyn Fn(&str) -> String) -> Vec<Value> {
    let mut vals: Vec<String> = rows
        .iter()
        .flat_map(|r| values_of(r, field))
        .map(|v| text(&v))
        .filter(|v| !v.is_empty())
        .collect();
    vals.sort();
    vals.dedup();
    vals.into_iter()
        .map(|v| json!({"Value": v, "Text": label(&v)}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Listing = Listing {
        fields: &["Port", "Level", "AffectAsset", "RecentTime"],
        time_field: "RecentTime",
        default_by: "RecentTime",
    };

    fn rows() -> Vec<Value> {
        vec![
            json!({"Port": 22, "Level": "middle", "AffectAsset": "10.0.0.1", "RecentTime": "2026-01-02 00:00:00"}),
            json!({"Port": 6379, "Level": "high", "AffectAsset": "10.0.0.2", "RecentTime": "2026-01-03 00:00:00"}),
            json!({"Port": 80, "Level": "low", "AffectAsset": "web.example", "RecentTime": "2026-01-01 00:00:00"}),
        ]
    }

    fn filter(v: Value) -> FilterReq {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn conditions_sort_and_page() {
        let (n, page) = apply(rows(), &filter(json!({})), &L).unwrap();
        assert_eq!(n, 3);
        assert_eq!(page[0]["Port"], 6379);
        let f = filter(
            json!({"Filters": [{"Name": "Port", "Values": ["100"], "OperatorType": 2}], "By": "Port", "Order": "asc"}),
        );
        let (n, page) = apply(rows(), &f, &L).unwrap();
        assert_eq!(n, 1);
        assert_eq!(page[0]["Port"], 6379);
        let f = filter(
            json!({"Filters": [{"Name": "AffectAsset", "Values": ["EXAMPLE"], "OperatorType": 9}]}),
        );
        assert_eq!(apply(rows(), &f, &L).unwrap().0, 1);
        let f = filter(
            json!({"Filters": [{"Name": "Level", "Values": ["high", "low"]}], "Limit": 1, "Offset": 1}),
        );
        let (n, page) = apply(rows(), &f, &L).unwrap();
        assert_eq!((n, page.len()), (2, 1));
        assert_eq!(page[0]["Level"], "low");
        let f =
            filter(json!({"StartTime": "2026-01-02 00:00:00", "EndTime": "2026-01-02 23:59:59"}));
        assert_eq!(apply(rows(), &f, &L).unwrap().0, 1);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        for f in [
            json!({"Filters": [{"Name": "Nope", "Values": ["1"]}]}),
            json!({"By": "Nope"}),
            json!({"Order": "sideways"}),
            json!({"StartTime": "yesterday"}),
            json!({"Filters": [{"Name": "Port", "Values": ["x"], "OperatorType": 2}]}),
        ] {
            let e = apply(rows(), &filter(f), &L).unwrap_err();
            assert_eq!(e.code, "InvalidParameterValue");
        }
    }
}
