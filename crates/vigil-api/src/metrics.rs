//! Prometheus text exposition of request counts by action and code, request durations and
//! task gauges. A handful of counters does not justify a metrics framework; this keeps them
//! in one map. The task gauges cost queries over the task table, so they are cached and
//! refreshed at most once per [`GAUGE_TTL`].

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long task gauges are served from the cache.
pub const GAUGE_TTL: Duration = Duration::from_secs(1);

/// Request metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String), u64>>,
    durations: Mutex<BTreeMap<String, (f64, u64)>>,
    gauges: tokio::sync::Mutex<Option<(Instant, i64, vigil_store::TaskStats)>>,
    gauge_reads: std::sync::atomic::AtomicU64,
}

impl Metrics {
    /// Queue depth and task figures, read from the store at most once per [`GAUGE_TTL`].
    pub async fn gauges(&self, store: &vigil_store::Store) -> (i64, vigil_store::TaskStats) {
        let mut cached = self.gauges.lock().await;
        if let Some((at, depth, tasks)) = cached.as_ref() {
            if at.elapsed() < GAUGE_TTL {
                return (*depth, tasks.clone());
            }
        }
        self.gauge_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let depth = store.queue_depth().await.unwrap_or(-1);
        let tasks = store.task_stats().await.unwrap_or_default();
        *cached = Some((Instant::now(), depth, tasks.clone()));
        (depth, tasks)
    }

    /// How many times the task gauges were read from the store.
    pub fn gauge_reads(&self) -> u64 {
        self.gauge_reads.load(std::sync::atomic::Ordering::Relaxed)
    }

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
