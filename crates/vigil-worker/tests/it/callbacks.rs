//! The callback outbox end to end: a receiver on loopback that refuses twice (an error status,
//! then an answer that is not `{"Result":"ok"}`) and then accepts, with the store's manual
//! clock moved past each backoff; an attempt spent on every failure and none after delivery;
//! a callback whose attempts run out; and a URL the tenant guard refuses, given up at once.

use crate::support::clocked;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vigil_engine::{ScopeGuard, ScopePolicy};
use vigil_store::{Accept, CallbackState, NewCallback, Store};
use vigil_worker::{backoff_ms, deliver_due};

/// A receiver answering its n-th request with `answers[n]` (the last one repeated); counts
/// the requests and keeps the last body.
async fn receiver(answers: Vec<(&'static str, &'static str)>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let (status, body) = answers[n.min(answers.len() - 1)];
            let mut buf = vec![0u8; 8192];
            let _ = sock.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    (format!("http://{addr}/cb"), hits)
}

async fn store() -> Vec<(Store, vigil_core::ManualClock, i64)> {
    let mut out = Vec::new();
    for url in vigil_testkit::database_urls("callbacks").await {
        let s = Store::open(&url, vigil_testkit::secrets()).await.unwrap();
        let (s, clock) = clocked(s, "2026-03-02T10:00:00Z");
        let a = s.create_account("a").await.unwrap();
        out.push((s, clock, a.id));
    }
    out
}

#[tokio::test]
async fn a_callback_is_retried_until_the_receiver_says_ok() {
    for (store, clock, account) in store().await {
        let (url, hits) = receiver(vec![
            ("500 Internal Server Error", ""),
            ("200 OK", r#"{"Result":"later"}"#),
            ("200 OK", r#"{"Result":"ok","Reason":""}"#),
        ])
        .await;
        let operator = ScopeGuard::operator(ScopePolicy::default());
        let id = store
            .enqueue_callback(&NewCallback {
                account_id: account,
                url,
                body: r#"{"Response":{"ItemId":"1"}}"#.into(),
                accept: Accept::ResultOk,
                max_attempts: 5,
            })
            .await
            .unwrap();
        for attempt in 1..=3i64 {
            assert_eq!(
                deliver_due(&store, &operator).await.unwrap(),
                usize::from(attempt == 3)
            );
            let c = &store.callbacks(account, 10).await.unwrap()[0];
            assert_eq!((c.id, c.attempts), (id, attempt));
            if attempt < 3 {
                assert_eq!(c.state, CallbackState::Pending, "{c:?}");
                assert!(c.last_error.is_some());
                // Not due again before its backoff.
                assert_eq!(deliver_due(&store, &operator).await.unwrap(), 0);
                assert_eq!(hits.load(Ordering::SeqCst), attempt as usize);
                clock.advance(Duration::from_millis(backoff_ms(attempt) as u64));
            } else {
                assert_eq!(c.state, CallbackState::Delivered, "{c:?}");
                assert!(c.delivered_at.is_some());
            }
        }
        clock.advance(Duration::from_secs(3600));
        assert_eq!(deliver_due(&store, &operator).await.unwrap(), 0);
        assert_eq!(hits.load(Ordering::SeqCst), 3, "nothing after delivery");
    }
}

#[tokio::test]
async fn spent_attempts_and_refused_urls_give_up() {
    for (store, clock, account) in store().await {
        let (url, hits) = receiver(vec![("503 Service Unavailable", "")]).await;
        let operator = ScopeGuard::operator(ScopePolicy::default());
        let new = |url: &str| NewCallback {
            account_id: account,
            url: url.to_string(),
            body: "{}".into(),
            accept: Accept::Success,
            max_attempts: 2,
        };
        store.enqueue_callback(&new(&url)).await.unwrap();
        deliver_due(&store, &operator).await.unwrap();
        clock.advance(Duration::from_millis(backoff_ms(1) as u64));
        deliver_due(&store, &operator).await.unwrap();
        let c = &store.callbacks(account, 10).await.unwrap()[0];
        assert_eq!((c.state, c.attempts), (CallbackState::Failed, 2), "{c:?}");
        clock.advance(Duration::from_secs(7200));
        deliver_due(&store, &operator).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2);

        // The tenant guard never reaches loopback: given up at the first attempt, no request.
        let tenant = ScopeGuard::new(ScopePolicy::default());
        let (url, hits) = receiver(vec![("200 OK", "")]).await;
        store.enqueue_callback(&new(&url)).await.unwrap();
        deliver_due(&store, &tenant).await.unwrap();
        let c = &store.callbacks(account, 10).await.unwrap()[0];
        assert_eq!((c.state, c.attempts), (CallbackState::Failed, 1), "{c:?}");
        assert!(
            c.last_error.as_deref().unwrap_or("").contains("internal"),
            "{c:?}"
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test]
async fn a_claimed_attempt_is_not_claimed_twice() {
    for (store, clock, account) in store().await {
        store
            .enqueue_callback(&NewCallback {
                account_id: account,
                url: "http://192.0.2.1/x".into(),
                body: "{}".into(),
                accept: Accept::Success,
                max_attempts: 3,
            })
            .await
            .unwrap();
        assert_eq!(store.claim_callbacks(10, 60_000).await.unwrap().len(), 1);
        assert!(store.claim_callbacks(10, 60_000).await.unwrap().is_empty());
        // A deliverer that died: the attempt is due again after its lease.
        clock.advance(Duration::from_secs(61));
        let again = store.claim_callbacks(10, 60_000).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
    }
}
