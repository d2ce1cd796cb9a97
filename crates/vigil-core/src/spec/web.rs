//! The `web` engine's contract: the sites to scan ([`WebTargets`], each a [`WebTarget`]) and
//! how ([`WebOptions`]).

use serde::{Deserialize, Serialize};

/// The sites of one run, scanned one after another: `{"sites": [...]}`, or one site's
/// object alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebTargets {
    /// The sites.
    pub sites: Vec<WebTarget>,
}

impl<'de> Deserialize<'de> for WebTargets {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Many {
            sites: Vec<WebTarget>,
        }
        let v = serde_json::Value::deserialize(d)?;
        let sites = if v.get("sites").is_some() {
            serde_json::from_value::<Many>(v)
                .map_err(serde::de::Error::custom)?
                .sites
        } else {
            vec![serde_json::from_value::<WebTarget>(v).map_err(serde::de::Error::custom)?]
        };
        Ok(WebTargets { sites })
    }
}

/// One site to scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebTarget {
    /// Start URL (http or https).
    pub url: String,
    /// Cookie header sent with every request (`a=b; c=d`), for authenticated scans run
    /// from the command line (tasks carry it sealed instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_cookie: Option<String>,
    /// The same, sealed by the service (tasks never hold it in clear); opened with the
    /// engine's `Unseal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_cookie_sealed: Option<SealedCookie>,
    /// A URL that shows `login_check_keyword` only while the session is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_check_url: Option<String>,
    /// Keyword of a logged-in page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_check_keyword: Option<String>,
    /// Path keywords never requested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disallow: Vec<String>,
    /// User-Agent (default: Vigil's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// A login cookie sealed under the master key for `purpose`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedCookie {
    /// The sealed text.
    pub sealed: String,
    /// What it was sealed for (bound into the seal).
    pub purpose: String,
}

/// Scan mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Crawl budget of 300 pages, depth 5; no time-based tests, no cookie or header points.
    #[default]
    Normal,
    /// Crawl budget of 2,000 pages, depth 10; time-based SQL and command injection; cookies
    /// and selected headers are injection points too.
    Deep,
}

/// How to scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebOptions {
    /// Normal or deep.
    #[serde(default)]
    pub mode: Mode,
    /// Page budget (default by mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<usize>,
    /// Depth budget (default by mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
    /// Regular expressions of URLs never requested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Most requests in flight (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Only these finding kinds (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<String>>,
    /// Hosts the caller owns but the operator's scope does not name: they must not resolve
    /// to an internal address (checked again at every run, after DNS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_only: Vec<String>,
    /// Timeout of one request in seconds (default 15); the run's own timeout is the
    /// worker's `timeout_secs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u64>,
}
