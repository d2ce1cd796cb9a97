//! Choosing templates to run: by id (exact, or with `*` wildcards), tags, excluded tags and
//! severities, as nuclei's `-id`, `-tags`, `-etags` and `-severity` do. Empty criteria
//! select everything.

use crate::template::model::{Severity, Template};
use std::sync::Arc;

/// Selection criteria; every non-empty one must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Template ids or patterns with `*`; a template matching any is kept.
    pub ids: Vec<String>,
    /// Tags; a template with any of them is kept.
    pub tags: Vec<String>,
    /// Tags; a template with any of them is dropped.
    pub exclude_tags: Vec<String>,
    /// Template ids or patterns with `*`; a template matching any is dropped.
    pub exclude_ids: Vec<String>,
    /// Severities kept.
    pub severities: Vec<Severity>,
}

impl Filter {
    /// Whether `t` is selected.
    pub fn allows(&self, t: &Template) -> bool {
        let has_tag = |tags: &[String]| {
            tags.iter().any(|w| {
                t.info
                    .tags
                    .iter()
                    .any(|have| have.eq_ignore_ascii_case(w.trim()))
            })
        };
        (self.ids.is_empty() || self.ids.iter().any(|p| glob(p, &t.id)))
            && !self.exclude_ids.iter().any(|p| glob(p, &t.id))
            && (self.tags.is_empty() || has_tag(&self.tags))
            && !has_tag(&self.exclude_tags)
            && (self.severities.is_empty() || self.severities.contains(&t.info.severity))
    }

    /// The selected templates, in their order.
    pub fn apply(&self, templates: &[Arc<Template>]) -> Vec<Arc<Template>> {
        templates
            .iter()
            .filter(|t| self.allows(t))
            .cloned()
            .collect()
    }
}

/// Case-insensitive match of `name` against `pattern`, where `*` matches any run of
/// characters.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.trim().to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    // Iterative wildcard match with one backtrack point: linear in practice, never
    // exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("cve-2021-*", "CVE-2021-44228"));
        assert!(glob("*log4j*", "apache-log4j-rce"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("*", ""));
    }
}
