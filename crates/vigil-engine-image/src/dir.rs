//! `dir:` sources: walking an unpacked root filesystem into the same [`Filesystem`] view as an
//! image (one layer, index 0, empty digest). Symbolic links are recorded with their targets
//! and never followed (a real root has `/dev/fd -> /proc/self/fd`); only regular files are
//! ever opened, and only those the predicate keeps; sockets, FIFOs and devices are skipped;
//! the walk stays on the root's filesystem (a mounted `/proc` or `/sys` below it is skipped).
//! Entries that cannot be read are listed in [`Filesystem::unreadable`] instead of failing.
//! Kept contents are charged to the scan's budget; hard links (one inode under several names)
//! are read once and share their bytes.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::layers::{stream_rest, FileKind, FileMeta, Filesystem, Visitor};
use crate::{Image, ImageConfig, ImageError, LayerInfo, Limits};

/// Walks `root` into an [`Image`] with an empty config and one synthetic layer.
pub fn read_dir_image(
    root: &Path,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Result<Image, ImageError> {
    let fs = walk(root, limits, visit)?;
    Ok(Image {
        config: ImageConfig::default(),
        digest: String::new(),
        config_digest: String::new(),
        repo_tags: Vec::new(),
        layers: vec![LayerInfo {
            digest: String::new(),
            diff_id: String::new(),
            size: 0,
            media_type: None,
            created_by: None,
        }],
        fs,
    })
}

/// Walks `root` (which must be a directory) without following symbolic links.
pub fn walk(
    root: &Path,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Result<Filesystem, ImageError> {
    let root_meta = fs::symlink_metadata(root)
        .map_err(|e| ImageError::io(format!("reading {}", root.display()), e))?;
    if !root_meta.is_dir() {
        return Err(ImageError::Invalid(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let device = root_meta.dev();
    let mut view = Filesystem::default();
    let mut files = 0u64;
    let mut bytes = 0u64;
    // Contents already read, by (device, inode), for files with several names.
    let mut linked: HashMap<(u64, u64), bytes::Bytes> = HashMap::new();
    view.entries
        .insert("/".into(), meta_of("/".into(), FileKind::Dir, &root_meta));
    // Directories still to read: (path on disk, view path).
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), "/".into())];
    while let Some((disk, vpath)) = stack.pop() {
        let dir = match fs::read_dir(&disk) {
            Ok(d) => d,
            Err(_) => {
                view.unreadable.insert(vpath);
                continue;
            }
        };
        for item in dir {
            let Ok(item) = item else {
                view.unreadable.insert(vpath.clone());
                continue;
            };
            files += 1;
            if files > limits.max_files {
                return Err(ImageError::Limit {
                    limit: "max_files",
                    max: limits.max_files,
                });
            }
            visit.check_cancelled()?;
            let name = item.file_name();
            let name = name.to_string_lossy();
            let child = if vpath == "/" {
                format!("/{name}")
            } else {
                format!("{vpath}/{name}")
            };
            if child.len() > limits.max_path_len {
                return Err(ImageError::Limit {
                    limit: "max_path_len",
                    max: limits.max_path_len as u64,
                });
            }
            let disk_child = item.path();
            let Ok(meta) = fs::symlink_metadata(&disk_child) else {
                view.unreadable.insert(child);
                continue;
            };
            let ft = meta.file_type();
            let kind = if ft.is_symlink() {
                match fs::read_link(&disk_child) {
                    Ok(t) => FileKind::Symlink {
                        target: t.to_string_lossy().into_owned(),
                    },
                    Err(_) => {
                        view.unreadable.insert(child);
                        continue;
                    }
                }
            } else if ft.is_dir() {
                FileKind::Dir
            } else if ft.is_file() {
                FileKind::File
            } else {
                continue; // sockets, FIFOs, devices: never opened, not recorded
            };
            let entry = meta_of(child.clone(), kind, &meta);
            match entry.kind {
                FileKind::Dir if meta.dev() == device => {
                    stack.push((disk_child, child.clone()));
                }
                FileKind::File if (visit.keep)(&entry) => {
                    let inode = (meta.dev(), meta.ino());
                    // Another name of a file already read shares its bytes.
                    let read = match linked.get(&inode) {
                        Some(data) => Ok(Some(data.clone())),
                        None => {
                            visit.budget.charge(meta.len())?;
                            read_regular(&disk_child, &meta, limits, &mut bytes)
                                .map(|r| r.map(bytes::Bytes::from))
                        }
                    };
                    match read {
                        Ok(Some(data)) => {
                            if visit.inspector.wants(&entry) {
                                let n = data.len().min(limits.max_inspect_bytes as usize);
                                visit.inspector.inspect(&entry, &data[..n]);
                            }
                            if meta.nlink() > 1 {
                                linked.insert(inode, data.clone());
                            }
                            view.contents.insert(child.clone(), data);
                        }
                        Ok(None) => {
                            view.unreadable.insert(child.clone());
                        }
                        Err(e) => return Err(e),
                    }
                }
                FileKind::File if visit.inspector.wants(&entry) => {
                    match read_prefix(&disk_child, &meta, limits.max_inspect_bytes, &mut bytes) {
                        Some((data, mut file)) => {
                            visit.inspector.inspect(&entry, &data);
                            let head = data.len() as u64;
                            drop(data);
                            // A file that fails mid-way is as unreadable as one that fails
                            // at once; what was streamed stays with the inspector.
                            match stream_rest(visit, &entry, head, &mut file, limits) {
                                Ok(_) => {}
                                Err(ImageError::Cancelled) => return Err(ImageError::Cancelled),
                                Err(_) => {
                                    view.unreadable.insert(child.clone());
                                }
                            }
                        }
                        None => {
                            view.unreadable.insert(child.clone());
                        }
                    }
                    if bytes > limits.max_total_bytes {
                        return Err(ImageError::Limit {
                            limit: "max_total_bytes",
                            max: limits.max_total_bytes,
                        });
                    }
                }
                _ => {}
            }
            view.entries.insert(child, entry);
        }
    }
    Ok(view)
}

fn meta_of(path: String, kind: FileKind, meta: &fs::Metadata) -> FileMeta {
    let size = if kind == FileKind::File {
        meta.len()
    } else {
        0
    };
    FileMeta {
        path,
        kind,
        mode: meta.mode() & 0o7777,
        uid: u64::from(meta.uid()),
        gid: u64::from(meta.gid()),
        size,
        layer: 0,
        layer_digest: String::new(),
    }
}

/// Reads a regular file's contents within the limits; `None` if it cannot be opened or is no
/// longer the file that was walked (replaced meanwhile).
fn read_regular(
    path: &Path,
    walked: &fs::Metadata,
    limits: &Limits,
    total: &mut u64,
) -> Result<Option<Vec<u8>>, ImageError> {
    if walked.len() > limits.max_content_bytes {
        return Err(ImageError::Limit {
            limit: "max_content_bytes",
            max: limits.max_content_bytes,
        });
    }
    let Ok(file) = fs::File::open(path) else {
        return Ok(None);
    };
    match file.metadata() {
        Ok(m) if m.is_file() && m.ino() == walked.ino() && m.dev() == walked.dev() => {}
        _ => return Ok(None),
    }
    let mut data = Vec::new();
    if file
        .take(limits.max_content_bytes + 1)
        .read_to_end(&mut data)
        .is_err()
    {
        return Ok(None);
    }
    if data.len() as u64 > limits.max_content_bytes {
        return Err(ImageError::Limit {
            limit: "max_content_bytes",
            max: limits.max_content_bytes,
        });
    }
    *total += data.len() as u64;
    if *total > limits.max_total_bytes {
        return Err(ImageError::Limit {
            limit: "max_total_bytes",
            max: limits.max_total_bytes,
        });
    }
    Ok(Some(data))
}

/// The first `max` bytes of a regular file, counted into `total`, and the file positioned
/// after them; `None` if it cannot be opened or is no longer the file that was walked.
fn read_prefix(
    path: &Path,
    walked: &fs::Metadata,
    max: u64,
    total: &mut u64,
) -> Option<(Vec<u8>, fs::File)> {
    let file = fs::File::open(path).ok()?;
    match file.metadata() {
        Ok(m) if m.is_file() && m.ino() == walked.ino() && m.dev() == walked.dev() => {}
        _ => return None,
    }
    let mut data = Vec::with_capacity(walked.len().min(max).min(1 << 20) as usize);
    (&file).take(max).read_to_end(&mut data).ok()?;
    *total += data.len() as u64;
    Some((data, file))
}
