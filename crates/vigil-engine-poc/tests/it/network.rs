//! Network templates against a TCP service on loopback and its safe twin.

use crate::support::{run, tcp_service};

#[tokio::test]
async fn hex_inputs_are_sent_and_the_answer_matched() {
    let open = tcp_service(|got| {
        if got == b"PING\r\n" {
            b"+PONG\r\n".to_vec()
        } else {
            b"-ERR\r\n".to_vec()
        }
    })
    .await;
    let (found, sink) = run(&[format!("127.0.0.1:{open}")], &["t-tcp-ping"]).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let f = sink.findings.lock().unwrap()[0].clone();
    assert_eq!(f.evidence["request"], "PING\r\n");
    assert_eq!(f.evidence["matched_at"], format!("tcp://127.0.0.1:{open}"));
    let auth = tcp_service(|_| b"-NOAUTH Authentication required.\r\n".to_vec()).await;
    let (found, _) = run(&[format!("127.0.0.1:{auth}")], &["t-tcp-ping"]).await;
    assert!(found.is_empty());
}
