//! Reading images from a real registry (Debian's `docker-registry` on loopback): a pushed
//! image read through `registry:` with the same view as from a docker archive, an index with
//! a platform choice, basic auth, and the refusals (no access set up, out of scope, missing
//! tag).

use std::sync::Arc;

use vigil_engine::{ScopeGuard, ScopePolicy};
use vigil_engine_image::testing::{file, whiteout, Layer, TestImage};
use vigil_engine_image::{read, ImageError, Platform, ReadOptions, RegistryAccess, Source};
use vigil_registry::testing::{push_image, push_index, IndexEntry};
use vigil_registry::{
    Client, ClientConfig, Credentials, MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST,
};
use vigil_testkit::registry::Registry;

fn scope(cidr: &str) -> Arc<ScopeGuard> {
    Arc::new(ScopeGuard::new(ScopePolicy {
        allow: vec![cidr.parse().unwrap()],
        deny: vec![],
    }))
}

fn client(reg: &Registry, creds: Option<Credentials>, cidr: &str) -> Arc<Client> {
    let mut cfg = ClientConfig::new(&reg.addr(), scope(cidr));
    cfg.insecure_http = true;
    cfg.credentials = creds;
    Arc::new(Client::new(cfg).unwrap())
}

fn image(arch: &str, marker: &str) -> TestImage {
    TestImage::new(vec![
        Layer::new(vec![
            file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
            file("app/gone.txt", "deleted later"),
        ]),
        Layer::new(vec![file("app/arch.txt", marker), whiteout("app/gone.txt")])
            .compressed(vigil_engine_image::testing::Compression::Gzip),
    ])
    .platform("linux", arch, None)
}

async fn push(
    client: &Client,
    repo: &str,
    tag: &str,
    img: &TestImage,
    media: &str,
) -> vigil_registry::testing::Pushed {
    let layers = img.layers.iter().map(|l| l.blob().unwrap()).collect();
    push_image(client, repo, tag, img.config_json().unwrap(), layers, media)
        .await
        .unwrap()
}

/// Reads `source` on a blocking thread, as the engine does.
async fn read_from(
    source: &str,
    access: Option<RegistryAccess>,
    platform: Option<&str>,
) -> Result<vigil_engine_image::Image, ImageError> {
    let source = Source::parse(source)?;
    let opts = ReadOptions {
        registry: access,
        platform: platform.map(|p| Platform::parse(p).unwrap()),
        ..ReadOptions::default()
    };
    tokio::task::spawn_blocking(move || read(&source, &opts, &|_| true))
        .await
        .unwrap()
}

fn access(client: Arc<Client>) -> Option<RegistryAccess> {
    Some(RegistryAccess {
        client,
        handle: tokio::runtime::Handle::current(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_pushed_images_and_indexes() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let c = client(&reg, None, "127.0.0.0/8");
    let amd = image("amd64", "amd64 build");
    let pushed = push(&c, "team/app", "1.0", &amd, MEDIA_DOCKER_MANIFEST).await;

    let got = read_from(
        &format!("registry:{}/team/app:1.0", reg.addr()),
        access(c.clone()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(got.digest, pushed.digest.to_string());
    assert_eq!(got.config_digest, pushed.config.unwrap().to_string());
    assert_eq!(got.layers.len(), 2);
    assert_eq!(&got.fs.contents["/app/arch.txt"][..], b"amd64 build");
    assert!(
        !got.fs.entries.contains_key("/app/gone.txt"),
        "whiteout applied"
    );
    assert_eq!(got.repo_tags, [format!("{}/team/app:1.0", reg.addr())]);

    // The same image from a docker archive gives the same view.
    let tmp = vigil_engine_image::testing::TempDir::new().unwrap();
    amd.write_docker_archive(&tmp.path().join("a.tar")).unwrap();
    let local = read(
        &Source::DockerArchive(tmp.path().join("a.tar")),
        &ReadOptions::default(),
        &|_| true,
    )
    .unwrap();
    assert_eq!(
        local.fs.entries.keys().collect::<Vec<_>>(),
        got.fs.entries.keys().collect::<Vec<_>>()
    );
    assert_eq!(local.config_digest, got.config_digest);

    // A multi-platform index: default linux/amd64, or the wanted platform.
    let arm = image("arm64", "arm64 build");
    let p_amd = push(&c, "team/multi", "amd", &amd, MEDIA_OCI_MANIFEST).await;
    let p_arm = push(&c, "team/multi", "arm", &arm, MEDIA_OCI_MANIFEST).await;
    let entry = |p: &vigil_registry::testing::Pushed, arch: &str| IndexEntry {
        digest: p.digest.clone(),
        size: p.size,
        media_type: MEDIA_OCI_MANIFEST.into(),
        os: "linux".into(),
        architecture: arch.into(),
        variant: None,
    };
    push_index(
        &c,
        "team/multi",
        "latest",
        &[entry(&p_amd, "amd64"), entry(&p_arm, "arm64")],
        MEDIA_OCI_INDEX,
    )
    .await
    .unwrap();
    let multi = format!("registry:{}/team/multi:latest", reg.addr());
    let d = read_from(&multi, access(c.clone()), None).await.unwrap();
    assert_eq!(&d.fs.contents["/app/arch.txt"][..], b"amd64 build");
    assert_eq!(d.digest, p_amd.digest.to_string());
    let a = read_from(&multi, access(c.clone()), Some("linux/arm64"))
        .await
        .unwrap();
    assert_eq!(&a.fs.contents["/app/arch.txt"][..], b"arm64 build");
    let none = read_from(&multi, access(c.clone()), Some("linux/s390x"))
        .await
        .unwrap_err();
    assert!(
        matches!(none, ImageError::NoMatchingPlatform { .. }),
        "{none}"
    );

    // Refusals: no access set up; a tag that does not exist; a scope without loopback.
    let e = read_from(&format!("registry:{}/team/app:1.0", reg.addr()), None, None)
        .await
        .unwrap_err();
    assert!(matches!(e, ImageError::NoRegistryAccess(_)), "{e}");
    let e = read_from(
        &format!("registry:{}/team/app:nope", reg.addr()),
        access(c.clone()),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ImageError::Registry(_)), "{e}");
    let outside = client(&reg, None, "10.0.0.0/8");
    let e = read_from(
        &format!("registry:{}/team/app:1.0", reg.addr()),
        access(outside),
        None,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("scope"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_registry() {
    let hash = bcrypt_line("reader", "s3cret-pass");
    let Some(reg) = Registry::start(Some(&hash)) else {
        return;
    };
    let good = client(
        &reg,
        Some(Credentials::Basic {
            username: "reader".into(),
            password: "s3cret-pass".into(),
        }),
        "127.0.0.0/8",
    );
    push(
        &good,
        "private/app",
        "1",
        &image("amd64", "private"),
        MEDIA_DOCKER_MANIFEST,
    )
    .await;
    let src = format!("registry:{}/private/app:1", reg.addr());
    let got = read_from(&src, access(good), None).await.unwrap();
    assert_eq!(&got.fs.contents["/app/arch.txt"][..], b"private");
    // Anonymous and wrong password: refused, and the password never shows.
    let anon = client(&reg, None, "127.0.0.0/8");
    let e = read_from(&src, access(anon), None).await.unwrap_err();
    assert!(matches!(e, ImageError::Registry(_)), "{e}");
    let bad = client(
        &reg,
        Some(Credentials::Basic {
            username: "reader".into(),
            password: "wrong-pass".into(),
        }),
        "127.0.0.0/8",
    );
    let e = read_from(&src, access(bad), None).await.unwrap_err();
    assert!(!e.to_string().contains("wrong-pass"), "{e}");
}

/// An htpasswd line as the registry accepts it (bcrypt, `$2y$`).
fn bcrypt_line(user: &str, pass: &str) -> String {
    let h = bcrypt::hash(pass, 5).unwrap();
    format!("{user}:{}\n", h.replacen("$2b$", "$2y$", 1))
}
