//! Helpers shared by the network engine's tests: whether servers are required (CI), where a
//! server's binary is, a free loopback port, and service detection on a loopback port.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;
use vigil_engine_net::service;

/// In CI (`CI` set) every server is required; elsewhere a missing one skips its case.
pub fn required() -> bool {
    std::env::var_os("CI").is_some()
}

/// The path of an installed program, looked up in the system directories.
pub fn find_bin(name: &str) -> Option<String> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| format!("{d}/{name}"))
        .find(|p| std::path::Path::new(p).exists())
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The service the engine detects on a loopback port.
pub async fn detect(port: u16) -> service::ServiceInfo {
    service::detect(
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
        "127.0.0.1",
        Duration::from_secs(3),
    )
    .await
}
