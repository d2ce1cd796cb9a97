//! Tests of the pure response decoder: examples of every framing, and properties: no input,
//! split anywhere, makes it panic; chunked bodies of any shape decode to what was encoded;
//! the caps hold whatever the server sends.

use super::decode::*;
use proptest::prelude::*;

const LIMITS: DecodeLimits = DecodeLimits {
    max_head: 64 * 1024,
    max_headers: 256,
    max_body: 1024,
};

/// Feed `bytes` in pieces split at `cuts`, then EOF if still incomplete.
fn run(
    bytes: &[u8],
    cuts: &[usize],
    head: bool,
    limits: DecodeLimits,
) -> Result<(ResponseDecoder, Progress, bool), DecodeError> {
    let mut d = ResponseDecoder::new(limits, head);
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    let mut last = Progress::More;
    for w in points.windows(2) {
        last = d.feed(&bytes[w[0]..w[1]])?;
        if last != Progress::More {
            return Ok((d, last, true));
        }
    }
    let complete = d.eof()?;
    Ok((d, last, complete))
}

fn body_of(bytes: &[u8]) -> (Vec<u8>, Progress, bool, Vec<(String, String)>) {
    let (d, p, complete) = run(bytes, &[], false, LIMITS).unwrap();
    (d.body.clone(), p, complete, d.trailers.clone())
}

#[test]
fn framings() {
    let (b, p, ..) = body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA");
    assert_eq!(
        (b.as_slice(), p),
        (&b"hello"[..], Progress::Complete { leftover: 5 })
    );
    let (b, _, _, t) = body_of(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1;q=\"x\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\nX-Other: two\r\n\r\n",
    );
    assert_eq!(b, b"hello world");
    assert_eq!(
        t,
        vec![
            ("X-Sum".into(), "1".into()),
            ("X-Other".into(), "two".into())
        ]
    );
    let (b, p, complete, _) = body_of(b"HTTP/1.0 200 OK\r\n\r\nuntil close");
    assert_eq!(
        (b.as_slice(), p, complete),
        (&b"until close"[..], Progress::More, true)
    );
    // Interim responses are skipped; 204/304 and HEAD answers have no body.
    let (d, p, _) = run(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", &[3, 30, 60], false, LIMITS).unwrap();
    assert_eq!(
        (d.head.as_ref().map(|h| h.status), d.body.as_slice(), p),
        (Some(201), &b"ok"[..], Progress::Complete { leftover: 0 })
    );
    assert!(d.head_bytes.starts_with(b"HTTP/1.1 201"));
    for (resp, head) in [
        (
            &b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n"[..],
            false,
        ),
        (b"HTTP/1.1 304 Not Modified\r\n\r\n", false),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true),
    ] {
        let (d, p, _) = run(resp, &[], head, LIMITS).unwrap();
        assert_eq!((d.body.len(), p), (0, Progress::Complete { leftover: 0 }));
    }
    // Bare LF line endings are tolerated.
    let (b, ..) = body_of(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi");
    assert_eq!(b, b"hi");
}

#[test]
fn malformed_and_capped() {
    let proto = |bytes: &[u8]| {
        matches!(
            run(bytes, &[], false, LIMITS),
            Err(DecodeError::Protocol(_))
        )
    };
    assert!(proto(b"HTTX/1.1 200 OK\r\n\r\n"));
    assert!(proto(b"SSH-2.0-OpenSSH_9.6\r\n"));
    assert!(proto(b"HTTP/1.1 2000 OK\r\n\r\n"));
    assert!(proto(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
    ));
    assert!(proto(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"));
    assert!(proto(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    ));
    assert!(proto(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX"
    ));
    assert!(proto(b"HTTP/1.1 200 OK\r\nContent-Le")); // EOF inside the head
                                                      // Found by the property test: a non-UTF-8 chunk-size line.
    assert!(proto(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\x80\x80\x80\x80\x80\0\x80\x80\x80\x80\x80\x80\x80\0\x80\0\0\0\n"
    ));
    let mut d = ResponseDecoder::new(LIMITS, false);
    assert!(matches!(d.eof(), Err(DecodeError::Protocol(m)) if m.contains("before any response")));
    // Equal repeated lengths are one length.
    let (b, ..) =
        body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!(b, b"ok");
    // Head caps.
    let big = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(70_000));
    assert!(matches!(
        run(big.as_bytes(), &[100], false, LIMITS),
        Err(DecodeError::TooLarge)
    ));
    let many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "X: 1\r\n".repeat(300));
    assert!(matches!(
        run(many.as_bytes(), &[], false, LIMITS),
        Err(DecodeError::TooLarge)
    ));
    // Body caps: announced, streamed, chunked.
    let long = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n{}",
        "x".repeat(5000)
    );
    let (d, p, _) = run(long.as_bytes(), &[], false, LIMITS).unwrap();
    assert_eq!((d.body.len(), p), (1024, Progress::Capped));
    let chunked = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n{}\r\n0\r\n\r\n",
        "y".repeat(5000)
    );
    let (d, p, _) = run(chunked.as_bytes(), &[77], false, LIMITS).unwrap();
    assert_eq!((d.body.len(), p), (1024, Progress::Capped));
    // Cut short: the body is kept, incomplete.
    let (d, _, complete) = run(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        &[],
        false,
        LIMITS,
    )
    .unwrap();
    assert_eq!((d.body.as_slice(), complete), (&b"abc"[..], false));
}

/// A chunked encoding of `body` in chunks of the given sizes, with extensions and trailers.
fn chunked(body: &[u8], sizes: &[usize], upper: bool) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes.get(i).copied().unwrap_or(7).clamp(1, rest.len());
        i += 1;
        let size = if upper {
            format!("{n:X}")
        } else {
            format!("{n:x}")
        };
        out.extend_from_slice(format!("{size};n={i}\r\n").as_bytes());
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    out.extend_from_slice(b"0\r\nTrailer: yes\r\n\r\n");
    out
}

proptest! {
    #[test]
    fn head_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), n in 0usize..300) {
        let _ = parse_response_head(&bytes, n);
        let _ = head_end(&bytes, n);
    }

    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096), cuts in proptest::collection::vec(any::<usize>(), 0..8), head in any::<bool>(), max_body in 0usize..2048) {
        let limits = DecodeLimits { max_head: 512, max_headers: 8, max_body };
        if let Ok((d, ..)) = run(&bytes, &cuts, head, limits) {
            prop_assert!(d.body.len() <= max_body);
        }
    }

    #[test]
    fn decoder_never_panics_on_http_like_input(
        status in 0u16..1000,
        headers in proptest::collection::vec(("(?i)(content-length|transfer-encoding|connection|x)", "[ -~]{0,12}"), 0..6),
        body in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut bytes = format!("HTTP/1.1 {status} X\r\n").into_bytes();
        for (n, v) in &headers {
            bytes.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(&body);
        if let Ok((d, ..)) = run(&bytes, &cuts, false, LIMITS) {
            prop_assert!(d.body.len() <= LIMITS.max_body);
        }
    }

    #[test]
    fn chunked_round_trips(body in proptest::collection::vec(any::<u8>(), 0..1000), sizes in proptest::collection::vec(1usize..300, 0..10), cuts in proptest::collection::vec(any::<usize>(), 0..10), upper in any::<bool>()) {
        let wire = chunked(&body, &sizes, upper);
        let (d, p, complete) = run(&wire, &cuts, false, LIMITS).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(p, Progress::Complete { leftover: 0 });
        prop_assert!(complete);
        prop_assert_eq!(&d.body, &body);
        prop_assert_eq!(d.trailers, vec![("Trailer".to_string(), "yes".to_string())]);
    }

    #[test]
    fn chunk_decoder_alone_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cap in 0usize..512) {
        let mut c = ChunkedDecoder::new(256);
        let mut out = Vec::new();
        if let Ok(used) = c.feed(&bytes, &mut out, cap) {
            prop_assert!(used <= bytes.len());
        }
        prop_assert!(out.len() <= cap);
    }
}
