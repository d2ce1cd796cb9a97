//! Prometheus text exposition of request counts by action and code and request durations.
//! A handful of counters does not justify a metrics framework; this keeps them in one map.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Request metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String), u64>>,
    durations: Mutex<BTreeMap<String, (f64, u64)>>,
}

impl Metrics {
    /// Count one request.
    pub fn record(&self, action: &str, code: &str, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((action.to_string(), code.to_string())).or_default() += 1;
        }
        if let Ok(mut d) = self.durations.lock() {
            let e = d.entry(action.to_string()).or_default();
            e.0 += seconds;
            e.1 += 1;
        }
    }

    /// Render in the Prometheus text format, with the current queue depth and task figures.
    pub fn render(&self, queue_depth: i64, tasks: &vigil_store::TaskStats) -> String {
        let mut out = String::new();
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        out.push_str("# HELP vigil_api_requests_total API requests by action and result code.\n# TYPE vigil_api_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((a, c), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "vigil_api_requests_total{{action=\"{}\",code=\"{}\"}} {n}",
                    esc(a),
                    esc(c)
                );
            }
        }
        out.push_str("# HELP vigil_api_request_seconds Time spent serving API requests.\n# TYPE vigil_api_request_seconds summary\n");
        if let Ok(d) = self.durations.lock() {
            for (a, (sum, count)) in d.iter() {
                let _ = writeln!(
                    out,
                    "vigil_api_request_seconds_sum{{action=\"{}\"}} {sum}",
                    esc(a)
                );
                let _ = writeln!(
                    out,
                    "vigil_api_request_seconds_count{{action=\"{}\"}} {count}",
                    esc(a)
                );
            }
        }
        out.push_str("# HELP vigil_tasks Tasks by state.\n# TYPE vigil_tasks gauge\n");
        for (state, n) in &tasks.by_state {
            let _ = writeln!(out, "vigil_tasks{{state=\"{}\"}} {n}", esc(state));
        }
        let _ = write!(
            out,
            "# HELP vigil_task_duration_seconds Run time of finished tasks.\n# TYPE vigil_task_duration_seconds summary\n\
             vigil_task_duration_seconds_sum {}\nvigil_task_duration_seconds_count {}\n",
            tasks.finished_ms as f64 / 1000.0,
            tasks.finished
        );
        let _ = write!(out, "# HELP vigil_queue_depth Tasks waiting to run.\n# TYPE vigil_queue_depth gauge\nvigil_queue_depth {queue_depth}\n");
        out
    }
}
