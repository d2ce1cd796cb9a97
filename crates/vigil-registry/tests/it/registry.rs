//! The client against a real registry (Debian's `docker-registry`, distribution 2.8) on
//! loopback: anonymous, Basic, Bearer token and TLS setups, each with its refusal twin, and the
//! scope guard refusing registries and token services outside the operator's scope.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::support::*;
use vigil_registry::testing::{push_image, push_index, IndexEntry};
use vigil_registry::{
    Client, ClientConfig, Credentials, Digest, Reference, RegistryError, MEDIA_DOCKER_LIST,
    MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST,
};

fn reference(reg: &Registry, s: &str) -> Reference {
    Reference::parse(&format!("{}/{s}", reg.addr())).unwrap()
}

async fn read_all(client: &Client, repo: &str, d: &Digest, size: Option<u64>) -> Vec<u8> {
    let mut r = client.blob(repo, d, size).await.unwrap();
    let mut out = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut r, &mut out)
        .await
        .unwrap();
    assert!(r.is_verified());
    out
}

#[tokio::test]
async fn anonymous_push_list_and_read() {
    if !have_registry() {
        return;
    }
    let reg = Registry::launch(Auth::None, None, "");
    let c = client(&reg.addr(), None);
    c.ping().await.unwrap();

    let layers = vec![layer(1, 3000), layer(2, 70_000)];
    let pushed = push_image(
        &c,
        "alpha/one",
        "v1",
        config("amd64"),
        layers.clone(),
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    for t in ["v2", "v3"] {
        push_image(
            &c,
            "alpha/one",
            t,
            config("amd64"),
            layers.clone(),
            MEDIA_OCI_MANIFEST,
        )
        .await
        .unwrap();
    }
    push_image(
        &c,
        "beta",
        "latest",
        config("amd64"),
        vec![layer(3, 10)],
        MEDIA_DOCKER_MANIFEST,
    )
    .await
    .unwrap();
    push_image(
        &c,
        "gamma/x/y",
        "1",
        config("amd64"),
        vec![],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();

    // Catalog one name per page: every page followed through Link headers.
    let repos = c.catalog(1).await.unwrap();
    assert_eq!(repos, vec!["alpha/one", "beta", "gamma/x/y"]);
    // Tags, paged and unpaged.
    let mut tags = c.tags("alpha/one", Some(1)).await.unwrap();
    tags.sort();
    assert_eq!(tags, vec!["v1", "v2", "v3"]);
    let mut all = c.tags("alpha/one", None).await.unwrap();
    all.sort();
    assert_eq!(all, tags);

    // Manifest by tag, then by digest: same bytes, verified digest, media type kept.
    let by_tag = c.manifest(&reference(&reg, "alpha/one:v1")).await.unwrap();
    assert_eq!(by_tag.media_type, MEDIA_OCI_MANIFEST);
    assert_eq!(by_tag.digest, pushed.digest);
    assert_eq!(by_tag.bytes, pushed.bytes);
    let pinned = reference(&reg, "alpha/one").with_digest(pushed.digest.clone());
    let by_digest = c.manifest(&pinned).await.unwrap();
    assert_eq!(by_digest, by_tag);
    let docker = c.manifest(&reference(&reg, "beta")).await.unwrap();
    assert_eq!(docker.media_type, MEDIA_DOCKER_MANIFEST);

    // Blobs: streamed and verified against digest and size.
    for (d, l) in pushed.layers.iter().zip(&layers) {
        assert_eq!(&read_all(&c, "alpha/one", d, Some(l.len() as u64)).await, l);
        assert_eq!(&read_all(&c, "alpha/one", d, None).await, l);
    }
    let cfg_digest = pushed.config.clone().unwrap();
    assert_eq!(
        c.blob_bytes("alpha/one", &cfg_digest, 1 << 20)
            .await
            .unwrap(),
        config("amd64")
    );

    // Refusals: wrong size, unknown blob and manifest, size limit, too many pages.
    let err = c
        .blob("alpha/one", &pushed.layers[0], Some(5))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::SizeMismatch { .. }), "{err}");
    let missing = Digest::of(b"never pushed");
    let err = c.blob("alpha/one", &missing, None).await.unwrap_err();
    assert!(matches!(err, RegistryError::NotFound { .. }), "{err}");
    let err = c
        .manifest(&reference(&reg, "alpha/one:nope"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotFound { .. }), "{err}");
    let err = c
        .blob_bytes("alpha/one", &pushed.layers[1], 1000)
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::TooLarge { .. }), "{err}");
    let mut cfg = c.config().clone();
    cfg.max_blob_bytes = 1000;
    cfg.max_manifest_bytes = 100;
    cfg.max_pages = 2;
    let small = Client::new(cfg).unwrap();
    let err = small
        .blob("alpha/one", &pushed.layers[1], None)
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::TooLarge { .. }), "{err}");
    let err = small
        .manifest(&reference(&reg, "alpha/one:v1"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::TooLarge { .. }), "{err}");
    let err = small.catalog(1).await.unwrap_err();
    assert!(matches!(err, RegistryError::TooManyPages { .. }), "{err}");
    assert_eq!(
        small.catalog(2).await.unwrap().len(),
        3,
        "two pages suffice"
    );
    // A reference on another registry is not sent to this one.
    let other = Reference::parse("registry.example/alpha/one:v1").unwrap();
    assert!(c.manifest(&other).await.is_err());
}

#[tokio::test]
async fn index_round_trip() {
    if !have_registry() {
        return;
    }
    let reg = Registry::launch(Auth::None, None, "");
    let c = client(&reg.addr(), None);
    for (index_type, manifest_type, repo) in [
        (MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, "multi/oci"),
        (MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, "multi/docker"),
    ] {
        let mut entries = Vec::new();
        for (arch, seed) in [("amd64", 10u8), ("arm64", 20u8)] {
            let p = push_image(
                &c,
                repo,
                arch,
                config(arch),
                vec![layer(seed, 500)],
                manifest_type,
            )
            .await
            .unwrap();
            entries.push(IndexEntry {
                digest: p.digest,
                size: p.size,
                media_type: manifest_type.into(),
                os: "linux".into(),
                architecture: arch.into(),
                variant: (arch == "arm64").then(|| "v8".to_string()),
            });
        }
        let idx = push_index(&c, repo, "latest", &entries, index_type)
            .await
            .unwrap();
        let got = c.manifest(&reference(&reg, repo)).await.unwrap();
        assert_eq!(got.media_type, index_type);
        assert_eq!(got.digest, idx.digest);
        assert_eq!(got.bytes, idx.bytes);
        // Every platform's manifest is reachable by the digest the index names.
        let v: serde_json::Value = serde_json::from_slice(&got.bytes).unwrap();
        let listed = v["manifests"].as_array().unwrap();
        assert_eq!(listed.len(), 2);
        for (m, e) in listed.iter().zip(&entries) {
            let d = Digest::parse(m["digest"].as_str().unwrap()).unwrap();
            let child = c
                .manifest(&reference(&reg, repo).with_digest(d.clone()))
                .await
                .unwrap();
            assert_eq!(child.digest, e.digest);
            assert_eq!(child.media_type, manifest_type);
            assert_eq!(child.bytes.len() as u64, e.size);
        }
    }
}

#[tokio::test]
async fn corrupted_content_is_detected() {
    if !have_registry() {
        return;
    }
    let reg = Registry::launch(Auth::None, None, "");
    let c = client(&reg.addr(), None);
    let good = layer(7, 4096);
    let p = push_image(
        &c,
        "corrupt/me",
        "v1",
        config("amd64"),
        vec![good.clone()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    // Safe twin first: intact content reads and verifies.
    assert_eq!(read_all(&c, "corrupt/me", &p.layers[0], None).await, good);
    c.manifest(&reference(&reg, "corrupt/me:v1")).await.unwrap();

    // Flip bytes of the stored layer (same length): the registry serves it, the digest
    // check at the end of the stream refuses it.
    let path = reg.blob_path(p.layers[0].hex());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let mut r = c
        .blob("corrupt/me", &p.layers[0], Some(4098))
        .await
        .unwrap();
    let mut out = Vec::new();
    let err = tokio::io::AsyncReadExt::read_to_end(&mut r, &mut out)
        .await
        .unwrap_err();
    assert!(
        matches!(
            RegistryError::from_io(&err),
            Some(RegistryError::DigestMismatch { .. })
        ),
        "{err}"
    );
    assert!(!r.is_verified());
    // finish() on a fresh reader reports the same.
    let mut r = c.blob("corrupt/me", &p.layers[0], None).await.unwrap();
    let err = r.finish().await.unwrap_err();
    assert!(matches!(err, RegistryError::DigestMismatch { .. }), "{err}");

    // A manifest changed in its whitespace still parses, but no longer matches the digest
    // the registry announces (Docker-Content-Digest) nor the one asked for.
    let mpath = reg.blob_path(p.digest.hex());
    let m = std::fs::read_to_string(&mpath).unwrap();
    assert!(m.contains("\n  "), "pretty-printed manifest");
    std::fs::write(&mpath, m.replacen("\n  ", "\n\t ", 1)).unwrap();
    let err = c
        .manifest(&reference(&reg, "corrupt/me:v1"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::DigestMismatch { .. }), "{err}");
    let err = c
        .manifest(&reference(&reg, "corrupt/me").with_digest(p.digest.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::DigestMismatch { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_reader_consumes_blob() {
    if !have_registry() {
        return;
    }
    let reg = Registry::launch(Auth::None, None, "");
    let c = client(&reg.addr(), None);
    let big = layer(9, 300_000);
    let p = push_image(
        &c,
        "sync/read",
        "v1",
        config("amd64"),
        vec![big.clone(), layer(4, 64)],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();

    // Read to the end with std::io::Read inside spawn_blocking.
    let mut blocking = c
        .blob_reader_blocking("sync/read", &p.layers[0], Some(big.len() as u64))
        .await
        .unwrap();
    let got = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        blocking.read_to_end(&mut out).map(|_| out)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(got, big);

    // A reader that stops early (as a tar reader at its end marker) verifies through finish().
    let blocking = c
        .blob_reader_blocking("sync/read", &p.layers[0], None)
        .await
        .unwrap();
    let digest = tokio::task::spawn_blocking(move || {
        let mut blocking = blocking;
        let mut head = [0u8; 512];
        blocking.read_exact(&mut head).unwrap();
        blocking.finish()
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(digest, p.layers[0]);

    // Corrupted: the synchronous reader fails with the registry's digest error.
    let path = reg.blob_path(p.layers[1].hex());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let blocking = c
        .blob_reader_blocking("sync/read", &p.layers[1], None)
        .await
        .unwrap();
    let err = tokio::task::spawn_blocking(move || {
        let mut blocking = blocking;
        let mut out = Vec::new();
        blocking.read_to_end(&mut out).unwrap_err()
    })
    .await
    .unwrap();
    assert!(
        matches!(
            RegistryError::from_io(&err),
            Some(RegistryError::DigestMismatch { .. })
        ),
        "{err}"
    );
}

#[tokio::test]
async fn basic_auth_wrong_and_right_password() {
    if !have_registry() {
        return;
    }
    let reg = Registry::launch(
        Auth::Htpasswd(htpasswd_line("alice", "correct horse")),
        None,
        "",
    );

    // Without credentials: a clear request for them.
    let anon = client(&reg.addr(), None);
    let err = anon.ping().await.unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().contains("requires a username and password"),
        "{err}"
    );

    // Wrong password: refused, and the password is never in the message.
    let wrong = client(&reg.addr(), basic("alice", "battery staple"));
    let err = wrong.ping().await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{msg}");
    assert!(msg.contains("rejected the username or password"), "{msg}");
    assert!(!msg.contains("battery staple"), "{msg}");
    let err = wrong.catalog(10).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");

    // Right password: everything works.
    let ok = client(&reg.addr(), basic("alice", "correct horse"));
    ok.ping().await.unwrap();
    let p = push_image(
        &ok,
        "private/app",
        "1.0",
        config("amd64"),
        vec![layer(5, 100)],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    assert_eq!(ok.catalog(10).await.unwrap(), vec!["private/app"]);
    assert_eq!(ok.tags("private/app", None).await.unwrap(), vec!["1.0"]);
    let m = ok
        .manifest(&reference(&reg, "private/app:1.0"))
        .await
        .unwrap();
    assert_eq!(m.digest, p.digest);
    assert_eq!(
        read_all(&ok, "private/app", &p.layers[0], None).await,
        layer(5, 100)
    );
    // And the anonymous client still cannot read it.
    let err = anon
        .manifest(&reference(&reg, "private/app:1.0"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");
}

#[tokio::test]
async fn bearer_token_auth_with_scopes() {
    if !have_registry() {
        return;
    }
    let ts = TokenServer::start(
        "127.0.0.1",
        TokenPolicy {
            users: vec![
                (
                    "writer".into(),
                    "w-secret".into(),
                    vec!["pull".into(), "push".into()],
                    true,
                ),
                (
                    "reader".into(),
                    "r-secret".into(),
                    vec!["pull".into()],
                    false,
                ),
            ],
            use_access_token_field: false,
            expired_token: Some(1),
        },
    );
    let reg = Registry::launch(ts.auth(), None, "");

    // The writer's second token (its first for pushing) is already expired: the registry's
    // 401 makes the client fetch a fresh one and retry once.
    let writer = client(&reg.addr(), basic("writer", "w-secret"));
    writer.ping().await.unwrap();
    let p = push_image(
        &writer,
        "team/app",
        "v1",
        config("amd64"),
        vec![layer(6, 2000)],
        MEDIA_DOCKER_MANIFEST,
    )
    .await
    .unwrap();
    assert_eq!(writer.catalog(5).await.unwrap(), vec!["team/app"]);
    {
        let reqs = ts.requests.lock().unwrap();
        assert!(reqs
            .iter()
            .all(|r| r.service.as_deref() == Some("vigil-test-registry")));
        // Expired token, then a fresh one, then cached for the rest of the push.
        let push_tokens = reqs
            .iter()
            .filter(|r| r.scopes == vec!["repository:team/app:pull,push".to_string()])
            .count();
        assert_eq!(push_tokens, 2, "{reqs:?}");
        assert!(reqs
            .iter()
            .any(|r| r.scopes == vec!["registry:catalog:*".to_string()]));
    }

    // The reader pulls; tokens are cached per scope (one token request for many pulls).
    let reader = client(&reg.addr(), basic("reader", "r-secret"));
    let before = ts.requests.lock().unwrap().len();
    let m = reader
        .manifest(&reference(&reg, "team/app:v1"))
        .await
        .unwrap();
    assert_eq!(m.digest, p.digest);
    assert_eq!(m.media_type, MEDIA_DOCKER_MANIFEST);
    assert_eq!(
        read_all(&reader, "team/app", &p.layers[0], None).await,
        layer(6, 2000)
    );
    assert_eq!(reader.tags("team/app", None).await.unwrap(), vec!["v1"]);
    let pull_requests: Vec<_> = ts.requests.lock().unwrap()[before..].to_vec();
    assert_eq!(pull_requests.len(), 1, "{pull_requests:?}");
    assert_eq!(pull_requests[0].user.as_deref(), Some("reader"));
    assert_eq!(pull_requests[0].scopes, vec!["repository:team/app:pull"]);

    // The token's scope is enforced: the reader's token does not allow pushing, nor the
    // catalog.
    let err = push_image(
        &reader,
        "team/app",
        "v2",
        config("amd64"),
        vec![],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().contains("repository:team/app:pull,push"),
        "{err}"
    );
    let err = reader.catalog(5).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");

    // Wrong password and no credentials: the token service's refusal, clearly.
    let wrong = client(&reg.addr(), basic("writer", "guess"));
    let err = wrong.ping().await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("token service rejected the credentials"),
        "{msg}"
    );
    assert!(!msg.contains("guess"), "{msg}");
    let anon = client(&reg.addr(), None);
    let err = anon
        .manifest(&reference(&reg, "team/app:v1"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("token service requires credentials"),
        "{err}"
    );

    // No issued token ever shows up in an error.
    for t in ts.issued.lock().unwrap().iter() {
        assert!(!msg.contains(t.as_str()));
    }
}

#[tokio::test]
async fn bearer_access_token_field_and_static_token() {
    if !have_registry() {
        return;
    }
    let ts = TokenServer::start(
        "127.0.0.1",
        TokenPolicy {
            users: vec![(
                "u".into(),
                "p".into(),
                vec!["pull".into(), "push".into()],
                true,
            )],
            use_access_token_field: true,
            expired_token: None,
        },
    );
    let reg = Registry::launch(ts.auth(), None, "");
    let c = client(&reg.addr(), basic("u", "p"));
    push_image(
        &c,
        "x/y",
        "t",
        config("amd64"),
        vec![layer(1, 10)],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    assert_eq!(c.tags("x/y", None).await.unwrap(), vec!["t"]);

    // A token issued out of band is sent as is; a registry refusing it gives a clear error
    // that does not contain it.
    let issued = ts.issued.lock().unwrap().last().cloned().unwrap();
    let good = client(&reg.addr(), Some(Credentials::Token(issued.clone())));
    assert_eq!(good.tags("x/y", None).await.unwrap(), vec!["t"]);
    let bad = client(&reg.addr(), Some(Credentials::Token("not-a-jwt".into())));
    let err = bad.tags("x/y", None).await.unwrap_err();
    assert!(
        err.to_string().contains("rejected the configured token"),
        "{err}"
    );
    assert!(!err.to_string().contains("not-a-jwt"));
}

#[tokio::test]
async fn tls_needs_the_custom_ca() {
    if !have_registry() {
        return;
    }
    let pki = test_pki();
    let reg = Registry::launch(
        Auth::None,
        Some((&pki.server_cert_pem, &pki.server_key_pem)),
        "",
    );
    // By name: resolved by the scope guard (only 127.0.0.0/8 allowed) and pinned, SNI and
    // certificate check for `localhost`.
    for registry in [format!("localhost:{}", reg.port), reg.addr()] {
        let mut cfg = ClientConfig::new(&registry, loopback_scope());
        cfg.timeout = Duration::from_secs(10);
        let without = Client::new(cfg.clone()).unwrap();
        let err = without.ping().await.unwrap_err();
        assert!(matches!(err, RegistryError::Transport { .. }), "{err}");
        assert!(
            err.to_string().to_lowercase().contains("certificate"),
            "{err}"
        );

        // The explicit opt-out of certificate checks (the cloud's `Insecure` 1) reaches it
        // without the CA, still only over HTTPS.
        let mut skip = cfg.clone();
        skip.skip_tls_verify = true;
        Client::new(skip).unwrap().ping().await.unwrap();

        cfg.ca_pem = Some(pki.ca_pem.clone().into_bytes());
        let with = Client::new(cfg).unwrap();
        with.ping().await.unwrap();
        let p = push_image(
            &with,
            "tls/app",
            "v1",
            config("amd64"),
            vec![layer(2, 10)],
            MEDIA_OCI_MANIFEST,
        )
        .await
        .unwrap();
        let r = Reference::parse(&format!("{registry}/tls/app:v1")).unwrap();
        assert_eq!(with.manifest(&r).await.unwrap().digest, p.digest);
    }
    // The registry speaks TLS: a client opted into plain HTTP gets no answer it accepts.
    let mut cfg = ClientConfig::new(&reg.addr(), loopback_scope());
    cfg.insecure_http = true;
    cfg.ca_pem = Some(pki.ca_pem.into_bytes());
    assert!(Client::new(cfg).unwrap().ping().await.is_err());
}

#[tokio::test]
async fn plain_http_needs_the_opt_in() {
    if !have_registry() {
        return;
    }
    let reg = Registry::launch(Auth::None, None, "");
    let mut cfg = ClientConfig::new(&reg.addr(), loopback_scope());
    cfg.timeout = Duration::from_secs(10);
    let strict = Client::new(cfg.clone()).unwrap();
    let err = strict.ping().await.unwrap_err();
    assert!(matches!(err, RegistryError::Transport { .. }), "{err}");
    assert!(err.to_string().contains("insecure_http"), "{err}");
    cfg.insecure_http = true;
    Client::new(cfg).unwrap().ping().await.unwrap();
}

#[tokio::test]
async fn plain_http_realm_refused_without_opt_in() {
    if !have_registry() {
        return;
    }
    let ts = TokenServer::start(
        "127.0.0.1",
        TokenPolicy {
            users: vec![("u".into(), "p".into(), vec!["pull".into()], true)],
            use_access_token_field: false,
            expired_token: None,
        },
    );
    let pki = test_pki();
    let reg = Registry::launch(
        ts.auth(),
        Some((&pki.server_cert_pem, &pki.server_key_pem)),
        "",
    );
    let mut cfg = ClientConfig::new(&reg.addr(), loopback_scope());
    cfg.ca_pem = Some(pki.ca_pem.into_bytes());
    cfg.credentials = basic("u", "p");
    let c = Client::new(cfg).unwrap();
    let err = c.catalog(5).await.unwrap_err();
    assert!(matches!(err, RegistryError::InsecureScheme { .. }), "{err}");
    assert_eq!(
        ts.connections.load(Ordering::SeqCst),
        0,
        "realm never contacted"
    );
}

#[tokio::test]
async fn scope_guard_refuses_before_connecting() {
    // A listener standing in for a registry counts every connection.
    let counter = Counter::start("127.0.0.1");
    let registry = counter.addr.to_string();
    let denied = [
        // Allow rules that do not name the registry.
        scope_allowing("10.255.255.0/24"),
        // A deny rule naming it.
        std::sync::Arc::new(vigil_engine::ScopeGuard::new(vigil_engine::ScopePolicy {
            allow: vec![],
            deny: vec!["127.0.0.0/8".parse().unwrap()],
        })),
    ];
    let d = Digest::of(b"x");
    for scope in denied {
        let mut cfg = ClientConfig::new(&registry, scope);
        cfg.insecure_http = true;
        cfg.credentials = basic("u", "p");
        let c = Client::new(cfg).unwrap();
        let r = Reference::parse(&format!("{registry}/a/b:c")).unwrap();
        let errs = vec![
            c.ping().await.unwrap_err(),
            c.catalog(10).await.unwrap_err(),
            c.tags("a/b", None).await.unwrap_err(),
            c.manifest(&r).await.unwrap_err(),
            c.blob("a/b", &d, None).await.unwrap_err(),
            vigil_registry::testing::push_blob(&c, "a/b", b"x")
                .await
                .unwrap_err(),
        ];
        for e in errs {
            assert!(matches!(e, RegistryError::OutOfScope(_)), "{e}");
            assert!(e.to_string().contains("out of scope"), "{e}");
        }
    }
    assert_eq!(counter.count.load(Ordering::SeqCst), 0, "nothing connected");

    // Safe twin: the same client inside scope does connect (and fails only because the
    // listener is no registry).
    let c = client(&registry, None);
    let err = c.ping().await.unwrap_err();
    assert!(!matches!(err, RegistryError::OutOfScope(_)), "{err}");
    assert!(counter.count.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn token_realm_outside_scope_refused() {
    if !have_registry() {
        return;
    }
    if !can_bind("127.0.0.2") {
        assert!(
            std::env::var_os("CI").is_none(),
            "127.0.0.2 must be bindable"
        );
        eprintln!("note: cannot bind 127.0.0.2; test skipped");
        return;
    }
    // The token service lives on 127.0.0.2; the registry on 127.0.0.1.
    let ts = TokenServer::start(
        "127.0.0.2",
        TokenPolicy {
            users: vec![(
                "u".into(),
                "p".into(),
                vec!["pull".into(), "push".into()],
                true,
            )],
            use_access_token_field: false,
            expired_token: None,
        },
    );
    let reg = Registry::launch(ts.auth(), None, "");

    // Only the registry's address is in scope: the realm is refused before any connection,
    // and the Basic credentials never leave.
    let mut cfg = ClientConfig::new(&reg.addr(), scope_allowing("127.0.0.1/32"));
    cfg.insecure_http = true;
    cfg.credentials = basic("u", "p");
    let c = Client::new(cfg.clone()).unwrap();
    let err = c.ping().await.unwrap_err();
    assert!(matches!(err, RegistryError::OutOfScope(_)), "{err}");
    assert!(err.to_string().contains("127.0.0.2"), "{err}");
    let err = c.catalog(5).await.unwrap_err();
    assert!(matches!(err, RegistryError::OutOfScope(_)), "{err}");
    assert_eq!(ts.connections.load(Ordering::SeqCst), 0);

    // Safe twin: with the realm's host in scope the same setup works.
    cfg.scope = loopback_scope();
    let c = Client::new(cfg).unwrap();
    c.ping().await.unwrap();
    push_image(&c, "r/s", "t", config("amd64"), vec![], MEDIA_OCI_MANIFEST)
        .await
        .unwrap();
    assert_eq!(c.catalog(5).await.unwrap(), vec!["r/s"]);
    assert!(ts.connections.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn blob_redirects_to_storage_through_the_scope_guard() {
    if !have_registry() {
        return;
    }
    if !can_bind("127.0.0.2") {
        assert!(
            std::env::var_os("CI").is_none(),
            "127.0.0.2 must be bindable"
        );
        eprintln!("note: cannot bind 127.0.0.2; test skipped");
        return;
    }
    // The registry (Basic auth) redirects blob reads to "storage" on 127.0.0.2.
    let store = BlobStore::start("127.0.0.2");
    let reg = Registry::launch(
        Auth::Htpasswd(htpasswd_line("bob", "pw-bob")),
        None,
        &store.middleware_yaml(),
    );
    *store.root.lock().unwrap() = Some(reg.dir.join("data"));
    let c = client(&reg.addr(), basic("bob", "pw-bob"));
    let content = layer(8, 50_000);
    let p = push_image(
        &c,
        "redir/app",
        "v1",
        config("amd64"),
        vec![content.clone()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();

    // Followed, verified, and the registry's credentials never reach the storage host.
    let before = store.connections.load(Ordering::SeqCst);
    assert_eq!(
        read_all(&c, "redir/app", &p.layers[0], Some(content.len() as u64)).await,
        content
    );
    assert!(
        store.connections.load(Ordering::SeqCst) > before,
        "went through storage"
    );
    let seen = store.auth_seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(Option::is_none), "{seen:?}");

    // Storage outside the operator's scope: refused before connecting.
    let mut cfg = c.config().clone();
    cfg.scope = scope_allowing("127.0.0.1/32");
    let narrow = Client::new(cfg).unwrap();
    let before = store.connections.load(Ordering::SeqCst);
    let err = narrow
        .blob("redir/app", &p.layers[0], None)
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::OutOfScope(_)), "{err}");
    assert!(err.to_string().contains("127.0.0.2"), "{err}");
    assert_eq!(store.connections.load(Ordering::SeqCst), before);
    // The manifest (served by the registry itself) still works there.
    narrow
        .manifest(&reference(&reg, "redir/app:v1"))
        .await
        .unwrap();

    // A redirect loop ends after MAX_REDIRECTS.
    store.redirect_loop.store(true, Ordering::SeqCst);
    let before = store.connections.load(Ordering::SeqCst);
    let err = c.blob("redir/app", &p.layers[0], None).await.unwrap_err();
    assert!(matches!(err, RegistryError::TooManyRedirects(_)), "{err}");
    assert_eq!(
        store.connections.load(Ordering::SeqCst) - before,
        vigil_registry::MAX_REDIRECTS
    );
}
