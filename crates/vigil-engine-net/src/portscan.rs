//! TCP connect scanning: a sliding window of in-flight connection attempts (refilled one per
//! completion, sized from the file-descriptor limit), per-host timeouts adapted from measured
//! round-trip times (Jacobson/Karels, as TCP itself does), retries for silent ports, and the
//! task's packets-per-second limit. A port is `open` when the handshake completes, `closed`
//! when the host answers with a reset, `filtered` when nothing answers after the retries.

use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::TcpSocket;
use vigil_engine::{EngineError, ScanCtx};

/// State of one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortState {
    /// Accepts connections.
    Open,
    /// Answers with a reset.
    Closed,
    /// No answer.
    Filtered,
}

/// Result for one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortResult {
    /// Port.
    pub port: u16,
    /// State.
    pub state: PortState,
    /// Handshake or reset time, when there was an answer.
    pub rtt: Option<Duration>,
}

/// Tuning of a port scan.
#[derive(Debug, Clone)]
pub struct ScanTuning {
    /// Most connection attempts in flight at once.
    pub max_in_flight: usize,
    /// Timeout before any round trip was measured.
    pub initial_timeout: Duration,
    /// Lower bound of the adaptive timeout.
    pub min_timeout: Duration,
    /// Upper bound of the adaptive timeout.
    pub max_timeout: Duration,
    /// Extra attempts for a port that did not answer.
    pub retries: u8,
}

impl Default for ScanTuning {
    fn default() -> Self {
        ScanTuning {
            max_in_flight: default_window(),
            initial_timeout: Duration::from_millis(1000),
            min_timeout: Duration::from_millis(100),
            max_timeout: Duration::from_secs(3),
            retries: 1,
        }
    }
}

/// Window size from the open-file limit: half of it, between 64 and 4096.
pub fn default_window() -> usize {
    let soft = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    ((soft / 2) as usize).clamp(64, 4096)
}

/// Smoothed round-trip estimate of one host.
#[derive(Debug, Clone)]
pub struct RttEstimator {
    srtt: Option<f64>,
    rttvar: f64,
    tuning_min: Duration,
    tuning_max: Duration,
    initial: Duration,
}

impl RttEstimator {
    /// A fresh estimator.
    pub fn new(t: &ScanTuning) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: 0.0,
            tuning_min: t.min_timeout,
            tuning_max: t.max_timeout,
            initial: t.initial_timeout,
        }
    }

    /// Feed one measured round trip.
    pub fn observe(&mut self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2.0;
            }
            Some(s) => {
                self.rttvar = 0.75 * self.rttvar + 0.25 * (s - r).abs();
                self.srtt = Some(0.875 * s + 0.125 * r);
            }
        }
    }

    /// Current timeout: srtt + 4 * rttvar, with a floor of three round trips, clamped.
    pub fn timeout(&self) -> Duration {
        match self.srtt {
            None => self.initial,
            Some(s) => {
                let t = (s + 4.0 * self.rttvar).max(3.0 * s);
                Duration::from_secs_f64(t).clamp(self.tuning_min, self.tuning_max)
            }
        }
    }
}

enum Probe {
    Open(Duration),
    Closed(Duration),
    Silent,
    /// Local resource exhaustion (too many open files): try again later.
    Busy,
}

async fn probe(addr: SocketAddr, timeout: Duration) -> Probe {
    let start = Instant::now();
    let sock = match if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    } {
        Ok(s) => s,
        Err(_) => return Probe::Busy,
    };
    // Close with a reset instead of lingering in TIME_WAIT; a zero linger never blocks.
    #[allow(deprecated)]
    let _ = sock.set_linger(Some(Duration::ZERO));
    match tokio::time::timeout(timeout, sock.connect(addr)).await {
        // A connection to itself (TCP simultaneous open when the kernel picks the target
        // port as the source port, possible on loopback) is not a listening service.
        Ok(Ok(stream)) if stream.local_addr().ok() == stream.peer_addr().ok() => {
            Probe::Closed(start.elapsed())
        }
        Ok(Ok(_stream)) => Probe::Open(start.elapsed()),
        Ok(Err(e)) => match e.kind() {
            std::io::ErrorKind::ConnectionRefused => Probe::Closed(start.elapsed()),
            _ if e.raw_os_error() == Some(24)
                || e.raw_os_error() == Some(23)
                || e.raw_os_error() == Some(99) =>
            {
                Probe::Busy
            }
            // Unreachable or reset by a middlebox: no service answered.
            _ => Probe::Silent,
        },
        Err(_) => Probe::Silent,
    }
}

/// Scan `ports` of `host`, calling `on_done(done, total)` as ports settle. Results come back
/// sorted by port.
///
/// Connection set-up is mostly kernel work, so the port list is split into one shard per
/// core, each a task of its own with its share of the window.
pub async fn scan(
    ctx: &ScanCtx,
    host: IpAddr,
    ports: &[u16],
    tuning: &ScanTuning,
    mut on_done: impl FnMut(usize, usize),
) -> Result<Vec<PortResult>, EngineError> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let shards = cores.clamp(1, 8).min(ports.len().div_ceil(256)).max(1);
    if shards == 1 {
        return scan_shard(ctx, host, ports, tuning, &mut on_done).await;
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..shards {
        // Interleave so every shard gets a mix of common and rare ports.
        let part: Vec<u16> = ports.iter().skip(i).step_by(shards).copied().collect();
        let (ctx, done) = (ctx.clone(), done.clone());
        let mut t = tuning.clone();
        t.max_in_flight = (tuning.max_in_flight / shards).max(1);
        tasks.spawn(async move {
            scan_shard(&ctx, host, &part, &t, |_, _| {
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
            .await
        });
    }
    let total = ports.len();
    let mut results = Vec::with_capacity(total);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok(Ok(mut r))) => results.append(&mut r),
                // Dropping the set aborts the other shards.
                Some(Ok(Err(e))) => return Err(e),
                Some(Err(e)) => return Err(EngineError::Failed(format!("port scan task failed: {e}"))),
            },
            _ = tick.tick() => on_done(done.load(std::sync::atomic::Ordering::Relaxed), total),
        }
    }
    on_done(total, total);
    results.sort_by_key(|r| r.port);
    Ok(results)
}

async fn scan_shard(
    ctx: &ScanCtx,
    host: IpAddr,
    ports: &[u16],
    tuning: &ScanTuning,
    mut on_done: impl FnMut(usize, usize),
) -> Result<Vec<PortResult>, EngineError> {
    let mut rtt = RttEstimator::new(tuning);
    let mut queue: VecDeque<(u16, u8)> = ports.iter().map(|p| (*p, 0u8)).collect();
    let mut in_flight = FuturesUnordered::new();
    let mut results = Vec::with_capacity(ports.len());
    let mut window = tuning.max_in_flight.max(1);
    let total = ports.len();
    loop {
        while in_flight.len() < window {
            let Some((port, attempt)) = queue.pop_front() else {
                break;
            };
            ctx.check_cancelled()?;
            ctx.rate.acquire().await;
            let t = rtt.timeout();
            in_flight
                .push(async move { (port, attempt, probe(SocketAddr::new(host, port), t).await) });
        }
        let Some((port, attempt, outcome)) = in_flight.next().await else {
            break;
        };
        match outcome {
            Probe::Open(d) => {
                rtt.observe(d);
                results.push(PortResult {
                    port,
                    state: PortState::Open,
                    rtt: Some(d),
                });
            }
            Probe::Closed(d) => {
                rtt.observe(d);
                results.push(PortResult {
                    port,
                    state: PortState::Closed,
                    rtt: Some(d),
                });
            }
            Probe::Silent if attempt < tuning.retries => queue.push_back((port, attempt + 1)),
            Probe::Silent => results.push(PortResult {
                port,
                state: PortState::Filtered,
                rtt: None,
            }),
            Probe::Busy => {
                // Out of sockets: shrink the window and try the port again.
                window = (in_flight.len()).max(16);
                queue.push_front((port, attempt));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        if matches!(outcome, Probe::Open(_) | Probe::Closed(_))
            || (matches!(outcome, Probe::Silent) && attempt >= tuning.retries)
        {
            on_done(results.len(), total);
        }
    }
    results.sort_by_key(|r| r.port);
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_adapts_to_measured_rtt() {
        let t = ScanTuning::default();
        let mut e = RttEstimator::new(&t);
        assert_eq!(e.timeout(), t.initial_timeout);
        for _ in 0..20 {
            e.observe(Duration::from_millis(25));
        }
        let to = e.timeout();
        assert!(
            to >= Duration::from_millis(75) && to <= Duration::from_millis(150),
            "{to:?}"
        );
        for _ in 0..20 {
            e.observe(Duration::from_micros(50));
        }
        assert_eq!(e.timeout(), t.min_timeout);
        for _ in 0..20 {
            e.observe(Duration::from_secs(5));
        }
        assert_eq!(e.timeout(), t.max_timeout);
    }
}
