//! Reading images built in memory by `vigil_engine_image::testing`, hostile layers, bounds,
//! and this machine's own `/etc` through a `dir:` source.

use std::collections::BTreeMap;

use vigil_engine_image::layers::{apply_layer, Budget, LayerId, NoInspection, Visitor};
use vigil_engine_image::testing::{
    blob_path, build_tar, compress, dir, file, hardlink, opaque, raw, symlink, tar_dir, whiteout,
    write_oci_index, Compression, Layer, TempDir, TestImage,
};
use vigil_engine_image::{
    read, FileKind, FileMeta, Filesystem, Image, ImageError, KeptBudget, Limits, Platform,
    ReadOptions, Source,
};

fn keep_none(_: &FileMeta) -> bool {
    false
}

/// Layer 1 writes /etc, /opt and /keep; layer 2 deletes /etc/shadow, makes /opt opaque and
/// replaces /etc/passwd.
fn two_layer_image(compression: Compression) -> TestImage {
    let l1 = Layer::new(vec![
        dir("etc"),
        file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
        file("etc/shadow", "root:*:1::::::\n"),
        dir("opt"),
        file("opt/a", "a"),
        file("opt/sub/b", "b"),
        dir("keep"),
        file("keep/x", "x"),
        dir("gone"),
        file("gone/inner", "i"),
    ])
    .compressed(compression);
    let mut l2 = Layer::new(vec![
        whiteout("etc/shadow"),
        whiteout("gone"),
        dir("opt"),
        opaque("opt"),
        file("opt/new", "n"),
        file(
            "etc/passwd",
            "root:x:0:0::/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n",
        ),
    ])
    .compressed(compression);
    l2.created_by = "RUN useradd app".into();
    TestImage::new(vec![l1, l2])
}

fn keep_etc(m: &FileMeta) -> bool {
    m.path.starts_with("/etc/") || m.path == "/opt/a"
}

fn kinds(fs: &Filesystem) -> BTreeMap<String, (FileKind, usize)> {
    fs.entries
        .iter()
        .map(|(k, v)| (k.clone(), (v.kind.clone(), v.layer)))
        .collect()
}

fn check_two_layer(img: &Image) {
    let expected: BTreeMap<String, (FileKind, usize)> = [
        ("/etc", FileKind::Dir, 0),
        ("/etc/passwd", FileKind::File, 1),
        ("/keep", FileKind::Dir, 0),
        ("/keep/x", FileKind::File, 0),
        ("/opt", FileKind::Dir, 1),
        ("/opt/new", FileKind::File, 1),
    ]
    .into_iter()
    .map(|(p, k, l)| (p.to_string(), (k, l)))
    .collect();
    assert_eq!(kinds(&img.fs), expected);
    // Contents: only chosen files that survive (/etc/shadow and /opt/a were deleted).
    let kept: Vec<&String> = {
        let mut k: Vec<&String> = img.fs.contents.keys().collect();
        k.sort();
        k
    };
    assert_eq!(kept, vec!["/etc/passwd"]);
    assert!(img.fs.contents["/etc/passwd"].ends_with(b"app:x:1000:1000::/home/app:/bin/sh\n"));
    let passwd = &img.fs.entries["/etc/passwd"];
    assert_eq!(passwd.size, img.fs.contents["/etc/passwd"].len() as u64);
    assert_eq!(passwd.mode, 0o644);
    assert_eq!(passwd.layer_digest, img.layers[1].digest);
    // Config and layers.
    assert_eq!(img.config.config.user.as_deref(), Some("app"));
    assert_eq!(img.config.config.cmd, Some(vec!["/bin/sh".to_string()]));
    assert_eq!(img.config.os.as_deref(), Some("linux"));
    assert_eq!(img.config.architecture.as_deref(), Some("amd64"));
    assert_eq!(img.layers.len(), 2);
    assert_eq!(img.layers[0].created_by.as_deref(), Some("test layer"));
    assert_eq!(img.layers[1].created_by.as_deref(), Some("RUN useradd app"));
    assert_eq!(img.layers[1].diff_id, img.config.rootfs.diff_ids[1]);
    assert!(img.fs.through_symlink.is_empty());
}

fn read_docker(img: &TestImage, opts: &ReadOptions) -> Result<Image, ImageError> {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path).unwrap();
    let source = Source::parse(&format!("docker-archive:{}", path.display())).unwrap();
    read(&source, opts, &keep_etc)
}

fn read_oci(img: &TestImage, opts: &ReadOptions) -> Result<Image, ImageError> {
    let tmp = TempDir::new().unwrap();
    img.write_oci_dir(tmp.path()).unwrap();
    read(&Source::Oci(tmp.path().to_path_buf()), opts, &keep_etc)
}

#[test]
fn two_layers_docker_archive() {
    let test = two_layer_image(Compression::None);
    let img = read_docker(&test, &ReadOptions::default()).unwrap();
    check_two_layer(&img);
    assert_eq!(img.repo_tags, vec!["example/test:1".to_string()]);
    assert_eq!(img.digest, img.config_digest);
    // Uncompressed docker-save layers: digest and diff id coincide.
    assert_eq!(img.layers[0].digest, img.layers[0].diff_id);
}

#[test]
fn two_layers_oci_dir_and_tar() {
    let test = two_layer_image(Compression::Gzip);
    let tmp = TempDir::new().unwrap();
    let layout = tmp.path().join("layout");
    let digest = test.write_oci_dir(&layout).unwrap();
    let img = read(
        &Source::Oci(layout.clone()),
        &ReadOptions::default(),
        &keep_etc,
    )
    .unwrap();
    check_two_layer(&img);
    assert_eq!(img.digest, digest);
    assert_eq!(img.repo_tags, vec!["example/test:1".to_string()]);
    assert_eq!(
        img.layers[0].media_type.as_deref(),
        Some("application/vnd.oci.image.layer.v1.tar+gzip")
    );
    assert_ne!(img.layers[0].digest, img.layers[0].diff_id);

    let tarball = tmp.path().join("layout.tar");
    tar_dir(&layout, &tarball).unwrap();
    let from_tar = read(
        &Source::parse(&format!("oci:{}", tarball.display())).unwrap(),
        &ReadOptions::default(),
        &keep_etc,
    )
    .unwrap();
    check_two_layer(&from_tar);
    assert_eq!(from_tar.fs, img.fs);
}

#[test]
fn plain_gzip_zstd_and_mixed_layers() {
    let plain = read_oci(&two_layer_image(Compression::None), &ReadOptions::default()).unwrap();
    for c in [Compression::Gzip, Compression::Zstd] {
        let img = read_oci(&two_layer_image(c), &ReadOptions::default()).unwrap();
        check_two_layer(&img);
        assert_eq!(kinds(&img.fs), kinds(&plain.fs));
        assert_eq!(img.fs.contents, plain.fs.contents);
        let docker = read_docker(&two_layer_image(c), &ReadOptions::default()).unwrap();
        check_two_layer(&docker);
    }
    let mut mixed = two_layer_image(Compression::Zstd);
    mixed.layers[1].compression = Compression::Gzip;
    check_two_layer(&read_oci(&mixed, &ReadOptions::default()).unwrap());
}

#[test]
fn zstd_of_several_frames() {
    // Two zstd frames back to back (as `cat a.zst b.zst` makes) decode as one stream.
    let tar = build_tar(&[file("a", vec![7u8; 3000]), file("b", "bee")]).unwrap();
    let (first, second) = tar.split_at(1536);
    let mut blob = compress(first, Compression::Zstd).unwrap();
    blob.extend(compress(second, Compression::Zstd).unwrap());
    let mut fs = Filesystem::default();
    let got = apply_layer(
        &mut fs,
        blob.as_slice(),
        LayerId {
            index: 0,
            digest: "x",
        },
        &Limits::default(),
        &mut Budget::default(),
        &mut Visitor {
            keep: &|_| true,
            inspector: &mut NoInspection,
            cancel: None,
            budget: &KeptBudget::unlimited(),
        },
    )
    .unwrap();
    assert_eq!(&fs.contents["/b"][..], b"bee");
    assert_eq!(fs.contents["/a"].len(), 3000);
    assert_eq!(got.diff_id, vigil_engine_image::testing::sha256(&tar));
}

fn platform_images() -> (TestImage, TestImage) {
    let amd = TestImage::new(vec![Layer::new(vec![file("arch", "amd64")])]);
    let arm = TestImage::new(vec![Layer::new(vec![file("arch", "arm64")])]).platform(
        "linux",
        "arm64",
        Some("v8"),
    );
    (amd, arm)
}

fn read_arch(layout: &std::path::Path, platform: Option<&str>) -> Result<String, ImageError> {
    let opts = ReadOptions {
        platform: platform.map(|p| Platform::parse(p).unwrap()),
        ..ReadOptions::default()
    };
    let img = read(&Source::Oci(layout.to_path_buf()), &opts, &|m| {
        m.path == "/arch"
    })?;
    Ok(String::from_utf8(img.fs.contents["/arch"].to_vec()).unwrap())
}

#[test]
fn oci_index_platforms() {
    let (amd, arm) = platform_images();
    let tmp = TempDir::new().unwrap();
    // arm64 listed first, so the default must really look for amd64.
    write_oci_index(tmp.path(), &[&arm, &amd]).unwrap();
    assert_eq!(read_arch(tmp.path(), Some("linux/arm64")).unwrap(), "arm64");
    assert_eq!(
        read_arch(tmp.path(), Some("linux/arm64/v8")).unwrap(),
        "arm64"
    );
    assert_eq!(read_arch(tmp.path(), None).unwrap(), "amd64");
    assert_eq!(read_arch(tmp.path(), Some("linux/amd64")).unwrap(), "amd64");
    let err = read_arch(tmp.path(), Some("linux/s390x")).unwrap_err();
    match &err {
        ImageError::NoMatchingPlatform { wanted, available } => {
            assert_eq!(wanted, "linux/s390x");
            assert_eq!(available, &["linux/arm64/v8", "linux/amd64"]);
        }
        e => panic!("unexpected {e}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("linux/arm64/v8") && msg.contains("linux/amd64"),
        "{msg}"
    );

    // Without amd64, the only image is the default; several others are ambiguous.
    let only_arm = TempDir::new().unwrap();
    write_oci_index(only_arm.path(), &[&arm]).unwrap();
    assert_eq!(read_arch(only_arm.path(), None).unwrap(), "arm64");
    let armv7 = TestImage::new(vec![Layer::new(vec![file("arch", "arm")])]).platform(
        "linux",
        "arm",
        Some("v7"),
    );
    let two_arm = TempDir::new().unwrap();
    write_oci_index(two_arm.path(), &[&arm, &armv7]).unwrap();
    let err = read_arch(two_arm.path(), None).unwrap_err();
    assert!(err.to_string().contains("linux/arm/v7"), "{err}");
    assert_eq!(
        read_arch(two_arm.path(), Some("linux/arm/v7")).unwrap(),
        "arm"
    );
}

#[test]
fn mismatched_blob_digests_are_refused() {
    let test = two_layer_image(Compression::Gzip);
    // A layer blob whose bytes differ from its name.
    let tmp = TempDir::new().unwrap();
    test.write_oci_dir(tmp.path()).unwrap();
    let img = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap();
    let layer = blob_path(tmp.path(), &img.layers[1].digest);
    let mut bytes = std::fs::read(&layer).unwrap();
    let forged = two_layer_image(Compression::Gzip).layers[0].blob().unwrap();
    bytes.clear();
    bytes.extend(forged);
    std::fs::write(&layer, &bytes).unwrap();
    let err = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap_err();
    assert!(
        matches!(
            err.root(),
            ImageError::DigestMismatch { .. } | ImageError::SizeMismatch { .. }
        ),
        "{err}"
    );

    // Same size, different bytes: the digest check itself refuses it.
    let tmp = TempDir::new().unwrap();
    test.write_oci_dir(tmp.path()).unwrap();
    let layer = blob_path(tmp.path(), &img.layers[1].digest);
    let mut bytes = std::fs::read(&layer).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&layer, &bytes).unwrap();
    let err = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap_err();
    assert!(
        matches!(
            err.root(),
            ImageError::DigestMismatch { .. } | ImageError::Tar(_)
        ),
        "{err}"
    );

    // A config blob edited in place (e.g. to change User).
    let tmp = TempDir::new().unwrap();
    test.write_oci_dir(tmp.path()).unwrap();
    let config = blob_path(tmp.path(), &img.config_digest);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"app\"", "\"ap\"");
    std::fs::write(&config, text).unwrap();
    let err = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");
}

#[test]
fn docker_archive_diff_id_mismatch_is_refused() {
    // The config's diff_ids must describe the layers the archive holds.
    let mut test = two_layer_image(Compression::None);
    let config = test.config_json().unwrap();
    test.layers[0].entries.push(file("extra", "smuggled"));
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("img.tar");
    test.write_docker_archive(&path).unwrap();
    // Rewrite the archive with the original config but the changed layer.
    let mut archive = tar::Archive::new(std::fs::File::open(&path).unwrap());
    let mut out = tar::Builder::new(Vec::new());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if name.ends_with(".json") && name != "manifest.json" {
            data = config.clone();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        out.append_data(&mut h, &name, data.as_slice()).unwrap();
    }
    std::fs::write(&path, out.into_inner().unwrap()).unwrap();
    let err = read(
        &Source::DockerArchive(path),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap_err();
    assert!(
        matches!(err.root(), ImageError::DigestMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("diff_id"), "{err}");
}

fn apply(
    entries: Vec<vigil_engine_image::testing::Entry>,
    limits: &Limits,
) -> Result<Filesystem, ImageError> {
    apply_blob(&build_tar(&entries).unwrap(), limits)
}

fn apply_blob(blob: &[u8], limits: &Limits) -> Result<Filesystem, ImageError> {
    let mut fs = Filesystem::default();
    apply_layer(
        &mut fs,
        blob,
        LayerId {
            index: 0,
            digest: "sha256:test",
        },
        limits,
        &mut Budget::default(),
        &mut Visitor {
            keep: &|_| true,
            inspector: &mut NoInspection,
            cancel: None,
            budget: &KeptBudget::unlimited(),
        },
    )?;
    Ok(fs)
}

#[test]
fn escaping_paths_are_refused() {
    for name in [
        &b"../etc/passwd"[..],
        b"a/../../etc/passwd",
        b"/etc/passwd",
        b"./../x",
    ] {
        let err = apply(vec![raw(name, "pwned")], &Limits::default()).unwrap_err();
        assert!(matches!(err, ImageError::UnsafePath { .. }), "{err}");
        assert!(err.to_string().contains("refused tar entry"), "{err}");
    }
    // `..` inside a hard link target too.
    let tar = {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Link);
        h.set_size(0);
        h.as_old_mut().name[..4].copy_from_slice(b"link");
        h.as_old_mut().linkname[..13].copy_from_slice(b"../etc/shadow");
        h.set_cksum();
        b.append(&h, std::io::empty()).unwrap();
        b.into_inner().unwrap()
    };
    let err = apply_blob(&tar, &Limits::default()).unwrap_err();
    assert!(matches!(err, ImageError::UnsafePath { .. }), "{err}");
    // `./` prefixes are fine.
    let fs = apply(vec![raw(b"./etc/hosts", "h")], &Limits::default()).unwrap();
    assert!(fs.entries.contains_key("/etc/hosts"));
}

#[test]
fn writes_through_symlinks_are_recorded_as_written() {
    // Same layer: a -> /etc, then a/passwd.
    let fs = apply(
        vec![symlink("a", "/etc"), file("a/passwd", "evil")],
        &Limits::default(),
    )
    .unwrap();
    assert!(!fs.entries.contains_key("/etc/passwd"));
    assert!(!fs.entries.contains_key("/etc"));
    assert_eq!(
        fs.entries["/a"].kind,
        FileKind::Symlink {
            target: "/etc".into()
        }
    );
    assert_eq!(fs.entries["/a/passwd"].kind, FileKind::File);
    assert!(fs.through_symlink.contains("/a/passwd"));

    // Across layers, with a real /etc/passwd below: it is not overwritten.
    let l1 = Layer::new(vec![
        dir("etc"),
        file("etc/passwd", "root"),
        symlink("link", "../etc"),
    ]);
    let l2 = Layer::new(vec![file("link/passwd", "evil")]);
    let tmp = TempDir::new().unwrap();
    TestImage::new(vec![l1, l2])
        .write_oci_dir(tmp.path())
        .unwrap();
    let img = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &|_| true,
    )
    .unwrap();
    assert_eq!(&img.fs.contents["/etc/passwd"][..], b"root");
    assert_eq!(img.fs.entries["/etc/passwd"].layer, 0);
    assert_eq!(&img.fs.contents["/link/passwd"][..], b"evil");
    assert!(img.fs.through_symlink.contains("/link/passwd"));
}

#[test]
fn links_are_recorded_and_hardlinks_share_content() {
    let fs = apply(
        vec![
            file("bin/busybox", "ELF"),
            hardlink("bin/sh", "bin/busybox"),
            symlink("bin/ls", "busybox"),
        ],
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        fs.entries["/bin/sh"].kind,
        FileKind::Hardlink {
            target: "/bin/busybox".into()
        }
    );
    assert_eq!(fs.entries["/bin/sh"].size, 3);
    assert_eq!(&fs.contents["/bin/sh"][..], b"ELF");
    assert_eq!(
        fs.entries["/bin/ls"].kind,
        FileKind::Symlink {
            target: "busybox".into()
        }
    );
    assert!(!fs.contents.contains_key("/bin/ls"));
}

#[test]
fn file_replacing_a_directory_hides_its_contents() {
    let l1 = Layer::new(vec![dir("d"), file("d/x", "x")]);
    let l2 = Layer::new(vec![file("d", "now a file")]);
    let tmp = TempDir::new().unwrap();
    TestImage::new(vec![l1, l2])
        .write_oci_dir(tmp.path())
        .unwrap();
    let img = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &|_| true,
    )
    .unwrap();
    assert_eq!(img.fs.entries["/d"].kind, FileKind::File);
    assert!(!img.fs.entries.contains_key("/d/x"));
    assert!(!img.fs.contents.contains_key("/d/x"));
}

#[test]
fn gzip_bomb_hits_total_bytes() {
    let zeros = vec![0u8; 10 << 20];
    let layer = Layer::new(vec![file("bomb", zeros)]).compressed(Compression::Gzip);
    let blob = layer.blob().unwrap();
    assert!(blob.len() < 64 << 10, "bomb is {} bytes", blob.len());
    let limits = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    // Even with the contents not kept (nothing buffered), the decompressed bytes count.
    let mut fs = Filesystem::default();
    let err = apply_layer(
        &mut fs,
        blob.as_slice(),
        LayerId {
            index: 0,
            digest: "d",
        },
        &limits,
        &mut Budget::default(),
        &mut Visitor {
            keep: &keep_none,
            inspector: &mut NoInspection,
            cancel: None,
            budget: &KeptBudget::unlimited(),
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::Limit {
                limit: "max_total_bytes",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("max_total_bytes"));

    // Through a whole image as well, spread over two layers.
    let small = vec![0u8; 700 << 10];
    let img = TestImage::new(vec![
        Layer::new(vec![file("a", small.clone())]).compressed(Compression::Zstd),
        Layer::new(vec![file("b", small)]).compressed(Compression::Gzip),
    ]);
    let err = read_oci(
        &img,
        &ReadOptions {
            limits: limits.clone(),
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("max_total_bytes"), "{err}");
    assert!(matches!(err, ImageError::Layer { index: 1, .. }), "{err}");
}

#[test]
fn other_limits_are_named() {
    let many: Vec<_> = (0..10).map(|i| file(&format!("f{i}"), "x")).collect();
    let limits = Limits {
        max_files: 5,
        ..Limits::default()
    };
    let err = apply(many, &limits).unwrap_err();
    assert!(err.to_string().contains("max_files"), "{err}");

    let long = format!("{}/f", "d".repeat(5000));
    let err = apply(vec![file(&long, "x")], &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("max_path_len"), "{err}");
    let long_target = "t".repeat(5000);
    let err = apply(vec![symlink("s", &long_target)], &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("max_path_len"), "{err}");

    let limits = Limits {
        max_content_bytes: 10,
        ..Limits::default()
    };
    let err = apply(vec![file("big", vec![1u8; 11])], &limits).unwrap_err();
    assert!(err.to_string().contains("max_content_bytes"), "{err}");
    // Not kept: no content limit applies.
    let mut fs = Filesystem::default();
    apply_layer(
        &mut fs,
        build_tar(&[file("big", vec![1u8; 11])]).unwrap().as_slice(),
        LayerId {
            index: 0,
            digest: "d",
        },
        &limits,
        &mut Budget::default(),
        &mut Visitor {
            keep: &keep_none,
            inspector: &mut NoInspection,
            cancel: None,
            budget: &KeptBudget::unlimited(),
        },
    )
    .unwrap();
    assert_eq!(fs.entries["/big"].size, 11);

    let layers: Vec<Layer> = (0..4)
        .map(|i| Layer::new(vec![file(&format!("l{i}"), "x")]))
        .collect();
    let opts = ReadOptions {
        limits: Limits {
            max_layers: 3,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    let err = read_oci(&TestImage::new(layers.clone()), &opts).unwrap_err();
    assert!(err.to_string().contains("max_layers"), "{err}");
    let err = read_docker(&TestImage::new(layers), &opts).unwrap_err();
    assert!(err.to_string().contains("max_layers"), "{err}");

    let opts = ReadOptions {
        limits: Limits {
            max_json_bytes: 100,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    let err = read_oci(&two_layer_image(Compression::None), &opts).unwrap_err();
    assert!(err.to_string().contains("max_json_bytes"), "{err}");
}

#[test]
fn docker_archive_with_several_images_needs_a_tag() {
    // Two manifest entries: choose by tag.
    let a = TestImage::new(vec![Layer::new(vec![file("which", "a")])]);
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("a.tar");
    a.write_docker_archive(&path).unwrap();
    let mut archive = tar::Archive::new(std::fs::File::open(&path).unwrap());
    let mut out = tar::Builder::new(Vec::new());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if name == "manifest.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&data).unwrap();
            let mut second = v[0].clone();
            second["RepoTags"] = serde_json::json!(["example/other:2"]);
            v.as_array_mut().unwrap().push(second);
            data = serde_json::to_vec(&v).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        out.append_data(&mut h, &name, data.as_slice()).unwrap();
    }
    std::fs::write(&path, out.into_inner().unwrap()).unwrap();
    let source = Source::DockerArchive(path);
    let err = read(&source, &ReadOptions::default(), &keep_none).unwrap_err();
    assert!(err.to_string().contains("example/other:2"), "{err}");
    let img = read(
        &source,
        &ReadOptions {
            tag: Some("example/other:2".into()),
            ..ReadOptions::default()
        },
        &keep_none,
    )
    .unwrap();
    assert_eq!(img.repo_tags, vec!["example/other:2".to_string()]);
}

#[test]
fn missing_and_malformed_inputs_are_errors() {
    let tmp = TempDir::new().unwrap();
    let err = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::Missing(_)), "{err}");
    std::fs::write(tmp.path().join("index.json"), b"{not json").unwrap();
    let err = read(
        &Source::Oci(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::Json { .. }), "{err}");
    let notar = tmp.path().join("x.tar");
    std::fs::write(&notar, vec![0x1f, 0x8b, 0, 0]).unwrap();
    let err = read(
        &Source::DockerArchive(notar),
        &ReadOptions::default(),
        &keep_none,
    )
    .unwrap_err();
    assert!(
        matches!(err, ImageError::UnsupportedCompression(_)),
        "{err}"
    );
}

#[test]
fn reads_this_machines_etc() {
    let img = read(
        &Source::parse("dir:/etc").unwrap(),
        &ReadOptions::default(),
        &|m| m.path == "/passwd",
    )
    .unwrap();
    let passwd = img.fs.entries.get("/passwd").expect("/etc/passwd walked");
    assert_eq!(passwd.kind, FileKind::File);
    assert!(String::from_utf8_lossy(&img.fs.contents["/passwd"]).contains("root:"));
    assert!(
        img.fs.entries.contains_key("/debian_version")
            || img.fs.entries.contains_key("/os-release")
    );
    // Every symlink directly in /etc is recorded as one, with its target, not followed.
    let mut links = 0;
    for e in std::fs::read_dir("/etc").unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_symlink() {
            let name = format!("/{}", e.file_name().to_string_lossy());
            let target = std::fs::read_link(e.path()).unwrap();
            assert_eq!(
                img.fs.entries[&name].kind,
                FileKind::Symlink {
                    target: target.to_string_lossy().into_owned()
                },
                "{name}"
            );
            assert!(!img
                .fs
                .entries
                .keys()
                .any(|k| k.starts_with(&format!("{name}/"))));
            links += 1;
        }
    }
    assert!(
        links > 0,
        "this machine's /etc has symlinks (os-release, mtab)"
    );
    assert!(img.fs.entries.values().all(|m| m.layer == 0));
}

#[test]
fn dir_walk_never_follows_links_and_skips_special_files() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("dev")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::write(root.join("usr/lib/os-release"), "ID=test\n").unwrap();
    std::os::unix::fs::symlink("/proc/self/fd", root.join("dev/fd")).unwrap();
    std::os::unix::fs::symlink(".", root.join("usr/loop")).unwrap();
    std::os::unix::fs::symlink("/", root.join("rootlink")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("dev/log")).unwrap();
    let img = read(
        &Source::Dir(root.to_path_buf()),
        &ReadOptions::default(),
        &|_| true,
    )
    .unwrap();
    let paths: Vec<&str> = img.fs.entries.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/",
            "/dev",
            "/dev/fd",
            "/rootlink",
            "/usr",
            "/usr/lib",
            "/usr/lib/os-release",
            "/usr/loop"
        ]
    );
    assert_eq!(
        img.fs.entries["/dev/fd"].kind,
        FileKind::Symlink {
            target: "/proc/self/fd".into()
        }
    );
    assert_eq!(&img.fs.contents["/usr/lib/os-release"][..], b"ID=test\n");
    assert_eq!(img.fs.contents.len(), 1);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn apply_any(bytes: &[u8]) {
        let mut fs = Filesystem::default();
        let limits = Limits {
            max_total_bytes: 1 << 20,
            ..Limits::default()
        };
        let _ = apply_layer(
            &mut fs,
            bytes,
            LayerId {
                index: 0,
                digest: "d",
            },
            &limits,
            &mut Budget::default(),
            &mut Visitor {
                keep: &|_| true,
                inspector: &mut NoInspection,
                cancel: None,
                budget: &KeptBudget::unlimited(),
            },
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            apply_any(&bytes);
            // The same bytes behind each decoder's magic reach the decoders too.
            let mut gz = vec![0x1f, 0x8b];
            gz.extend(&bytes);
            apply_any(&gz);
            let mut zst = vec![0x28, 0xb5, 0x2f, 0xfd];
            zst.extend(&bytes);
            apply_any(&zst);
        }

        #[test]
        fn corrupted_real_layers_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            comp in 0u8..3,
        ) {
            let compression = [Compression::None, Compression::Gzip, Compression::Zstd][comp as usize];
            let mut blob = two_layer_image(compression).layers[1].blob().unwrap();
            for (i, b) in flips {
                let at = i.index(blob.len());
                blob[at] ^= b;
            }
            apply_any(&blob);
        }
    }
}

/// A layer compressed by the reference `zstd` CLI (`zstd -19`, Huffman literals and FSE
/// sequences), not by `ruzstd`'s own encoder: a tar of `etc/os-release` and `etc/text`
/// (200 lines `line N of a test file with some repetition N*N`).
#[test]
fn reference_zstd_fixture() {
    let blob = include_bytes!("../fixtures/reference-zstd-layer.tar.zst");
    let mut fs = Filesystem::default();
    let got = apply_layer(
        &mut fs,
        &blob[..],
        LayerId {
            index: 0,
            digest: "d",
        },
        &Limits::default(),
        &mut Budget::default(),
        &mut Visitor {
            keep: &|_| true,
            inspector: &mut NoInspection,
            cancel: None,
            budget: &KeptBudget::unlimited(),
        },
    )
    .unwrap();
    assert_eq!(
        got.diff_id,
        "sha256:93ed7a3e2e7072c505f45e6b83e695349d220f3430e2910c9c44158c0b2193e6"
    );
    assert_eq!(&fs.contents["/etc/os-release"][..], b"ID=fixture\n");
    let text = String::from_utf8(fs.contents["/etc/text"].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 200);
    assert_eq!(
        text.lines().last(),
        Some("line 200 of a test file with some repetition 40000")
    );
    assert_eq!(fs.entries["/etc"].kind, FileKind::Dir);
}

/// Records what an inspector saw, by (path, layer).
#[derive(Default)]
struct Seen(Vec<(String, usize, Vec<u8>)>);

impl vigil_engine_image::Inspector for Seen {
    fn wants(&self, meta: &FileMeta) -> bool {
        meta.path.ends_with(".bin")
    }
    fn inspect(&mut self, meta: &FileMeta, data: &[u8]) {
        self.0.push((meta.path.clone(), meta.layer, data.to_vec()));
    }
}

#[test]
fn inspectors_see_every_layer_and_keep_only_what_survives() {
    let img = TestImage::new(vec![
        Layer::new(vec![
            file("a.bin", "old"),
            file("gone.bin", "deleted later"),
            file("big.bin", vec![7u8; 100]),
            file("other.txt", "not wanted"),
        ]),
        Layer::new(vec![file("a.bin", "new"), whiteout("gone.bin")]),
    ]);
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("i.tar");
    img.write_docker_archive(&path).unwrap();
    let opts = ReadOptions {
        limits: Limits {
            max_inspect_bytes: 10,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    let mut seen = Seen::default();
    // `/a.bin` is also kept: kept files are inspected from the kept bytes.
    let image = vigil_engine_image::read_inspected(
        &Source::DockerArchive(path),
        &opts,
        &|m| m.path == "/a.bin",
        &mut seen,
    )
    .unwrap();
    let mut all: Vec<(String, usize)> = seen.0.iter().map(|(p, l, _)| (p.clone(), *l)).collect();
    all.sort();
    assert_eq!(
        all,
        [
            ("/a.bin".to_string(), 0),
            ("/a.bin".to_string(), 1),
            ("/big.bin".to_string(), 0),
            ("/gone.bin".to_string(), 0)
        ]
    );
    let kept: Vec<(&str, usize, &[u8])> = seen
        .0
        .iter()
        .filter(|(p, l, _)| image.fs.holds(p, *l))
        .map(|(p, l, d)| (p.as_str(), *l, d.as_slice()))
        .collect();
    assert_eq!(kept.len(), 2);
    assert!(kept.contains(&("/a.bin", 1, b"new".as_slice())));
    // Truncated to max_inspect_bytes; the inspector can tell from the size.
    assert!(kept.contains(&("/big.bin", 0, [7u8; 10].as_slice())));
    assert_eq!(image.fs.entries["/big.bin"].size, 100);
    assert_eq!(&image.fs.contents["/a.bin"][..], b"new");
}

#[test]
fn inspectors_see_dir_sources() {
    let tmp = TempDir::new().unwrap();
    std::fs::write(tmp.path().join("x.bin"), b"abc").unwrap();
    std::fs::write(tmp.path().join("y.txt"), b"abc").unwrap();
    let mut seen = Seen::default();
    let image = vigil_engine_image::read_inspected(
        &Source::Dir(tmp.path().to_path_buf()),
        &ReadOptions::default(),
        &|_| false,
        &mut seen,
    )
    .unwrap();
    assert_eq!(seen.0, [("/x.bin".to_string(), 0, b"abc".to_vec())]);
    assert!(image.fs.holds("/x.bin", 0));
    assert!(image.fs.contents.is_empty());
}

#[test]
fn a_cancelled_read_stops() {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    two_layer_image(Compression::Gzip)
        .write_docker_archive(&path)
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opts = ReadOptions {
        cancel: Some(stop.clone()),
        ..ReadOptions::default()
    };
    let archive = Source::DockerArchive(path);
    // Not cancelled: read whole.
    assert!(read(&archive, &opts, &keep_none).is_ok());
    // Cancelled: stopped, for archives and directories alike.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let r = read(&archive, &opts, &keep_none);
    assert!(matches!(r, Err(ImageError::Cancelled)), "{r:?}");
    let r = read(&Source::Dir("/etc".into()), &opts, &keep_none);
    assert!(matches!(r, Err(ImageError::Cancelled)), "{r:?}");
}
