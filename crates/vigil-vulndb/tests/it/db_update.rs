//! `update` against a loopback HTTP server serving an osv.dev-style bucket
//! (`/{ECOSYSTEM}/all.zip`). No traffic leaves 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::support::{ids, json_entries, scratch, shared_present, write_zip, PYPA};
use vigil_vulndb::{update, update_with, Database, DbError, ImportLimits, Query, SourceKind};

/// A loopback server answering `routes` (path → (status, body)), for at
/// most `max_requests` connections; it records the request paths.
struct Server {
    base: String,
    paths: Arc<Mutex<Vec<String>>>,
}

fn serve(routes: Vec<(String, u16, Vec<u8>)>, max_requests: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&paths);
    thread::spawn(move || {
        for stream in listener.incoming().take(max_requests) {
            let Ok(stream) = stream else { continue };
            handle(stream, &routes, &seen);
        }
    });
    Server { base, paths }
}

fn handle(mut stream: TcpStream, routes: &[(String, u16, Vec<u8>)], seen: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    // Headers until the blank line (bounded).
    for _ in 0..100 {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h == "\r\n" || h == "\n" => break,
            Ok(_) => {}
        }
    }
    if let Ok(mut s) = seen.lock() {
        s.push(path.clone());
    }
    let (status, body): (u16, &[u8]) = routes
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, s, b)| (*s, b.as_slice()))
        .unwrap_or((404, b"not found"));
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/zip\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

#[test]
fn update_downloads_and_imports_each_ecosystem() {
    if !shared_present(PYPA) {
        return;
    }
    let tmp = scratch();
    let zip = tmp.path().join("pypi.zip");
    let entries: Vec<_> = json_entries(PYPA)
        .into_iter()
        .filter(|(n, _)| n.starts_with("PYSEC-2018-") || n.starts_with("PYSEC-2023-"))
        .collect();
    write_zip(&zip, &entries);
    let body = std::fs::read(&zip).expect("zip bytes");
    let server = serve(
        vec![
            ("/PyPI/all.zip".into(), 200, body.clone()),
            (
                "/Rocky%20Linux/all.zip".into(),
                200,
                b"<html>not a zip</html>".to_vec(),
            ),
        ],
        8,
    );
    let data = tmp.path().join("data");
    let out = update(
        &data,
        &server.base,
        &["PyPI", "npm", "Rocky Linux"],
        &client(),
    )
    .expect("update");
    assert_eq!(out.len(), 3);

    let pypi = &out[0];
    assert_eq!(
        (pypi.ecosystem.as_str(), pypi.source.as_str()),
        ("PyPI", "osv:PyPI")
    );
    assert_eq!(pypi.url, format!("{}/PyPI/all.zip", server.base));
    assert_eq!(pypi.downloaded_bytes, body.len() as u64);
    let summary = pypi.result.as_ref().expect("PyPI imported");
    assert_eq!(summary.kind, SourceKind::OsvDownload);
    // Every entry is accounted for: stored, withdrawn upstream, or rejected.
    assert_eq!(
        (summary.advisories + summary.withdrawn + summary.skipped) as usize,
        entries.len(),
        "{summary:#?}"
    );
    assert!(summary.advisories as usize > entries.len() - 10);
    assert!(
        matches!(&out[1].result, Err(DbError::Download { reason, .. }) if reason.contains("404"))
    );
    match &out[2].result {
        Err(DbError::Import { path, reason }) => {
            assert_eq!(path.to_string_lossy(), out[2].url);
            assert!(reason.contains("not a zip"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(out[2].url, format!("{}/Rocky%20Linux/all.zip", server.base));

    let db = Database::open_existing(&data).expect("db exists");
    let ms = db
        .matches(&Query::new("PyPI", "requests", "2.19.1"))
        .expect("m");
    assert_eq!(ids(&ms), vec!["PYSEC-2018-28", "PYSEC-2023-74"]);
    let st = db.status().expect("status");
    assert_eq!(st.sources.len(), 1);
    assert_eq!(st.sources[0].name, "osv:PyPI");
    assert_eq!(st.sources[0].kind, SourceKind::OsvDownload);
    assert_eq!(st.sources[0].origin, pypi.url);
    // The temporary download is gone.
    let leftovers: Vec<_> = std::fs::read_dir(data.join("vulndb"))
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());
    let paths = server.paths.lock().expect("paths").clone();
    assert!(paths.contains(&"/npm/all.zip".to_owned()), "{paths:?}");

    // Updating again replaces the source (same count, not doubled).
    let again = update(&data, &server.base, &["PyPI"], &client()).expect("update");
    assert!(again[0].result.is_ok());
    let db = Database::open_existing(&data).expect("db");
    assert_eq!(db.status().expect("status").advisories, summary.advisories);
}

#[test]
fn update_download_is_size_capped() {
    let tmp = scratch();
    let big = vec![b'x'; 256 * 1024];
    let server = serve(vec![("/PyPI/all.zip".into(), 200, big)], 4);
    let limits = ImportLimits {
        max_download_bytes: 64 * 1024,
        ..ImportLimits::default()
    };
    let out = update_with(tmp.path(), &server.base, &["PyPI"], &client(), &limits).expect("update");
    match &out[0].result {
        Err(DbError::Download { reason, .. }) => assert!(reason.contains("limit"), "{reason}"),
        other => panic!("expected a size refusal, got {other:?}"),
    }
}

#[test]
fn update_rejects_bad_arguments() {
    let tmp = scratch();
    let c = client();
    assert!(matches!(
        update(tmp.path(), "ftp://example.invalid", &["PyPI"], &c),
        Err(DbError::Invalid {
            what: "base URL",
            ..
        })
    ));
    assert!(matches!(
        update(tmp.path(), "http://127.0.0.1:9", &["../PyPI"], &c),
        Err(DbError::Invalid {
            what: "ecosystem",
            ..
        })
    ));
}
