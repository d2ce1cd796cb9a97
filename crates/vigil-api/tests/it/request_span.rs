//! Every request runs in a tracing span carrying its request id: an internal error's cause
//! is logged under the RequestId the caller receives, as the error message promises.

use crate::support::{start, Tc3};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use vigil_api::ApiConfig;

/// Log lines written by the subscriber under test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The log of this test binary. A subscriber set for one thread is not enough: its tests share
/// one process, and a callsite first reached on another thread (with no subscriber) may stay
/// disabled for it; the global subscriber sees every thread from the start.
fn captured() -> &'static Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other test of this binary sets a global subscriber");
        logs
    })
}

#[tokio::test]
async fn an_internal_error_is_logged_under_the_request_id_the_caller_gets() {
    let logs = captured();
    let s = start(ApiConfig::default()).await;
    // A store that fails: the credential lookup becomes an internal error.
    s.store.close().await;
    let r = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    let resp = &r["Response"];
    assert_eq!(resp["Error"]["Code"], "InternalError", "{r}");
    let id = resp["RequestId"].as_str().unwrap();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        // This test's cause (other tests of the binary log here too).
        .find(|l| l.contains("internal error") && l.contains("closed pool"))
        .unwrap_or_else(|| panic!("no internal error logged:\n{text}"));
    assert!(line.contains(id), "{line}");
    // The cause is in the log, not in the answer.
    assert!(!resp["Error"]["Message"].as_str().unwrap().contains("pool"));
}
