//! Reading the members of an image container without unpacking it: an OCI layout directory,
//! or a tar (a `docker save` archive or an OCI layout tar) indexed once and then read member by
//! member at their offsets. Member names are normalised and looked up, never joined to a path
//! unchecked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::{ImageError, Limits};

/// Hops followed through symbolic or hard links between archive members (old `docker save`
/// links duplicate layers to one copy).
const MAX_MEMBER_LINKS: usize = 8;

#[derive(Debug, Clone)]
struct Member {
    offset: u64,
    size: u64,
    /// For a symbolic link, the target relative to the member's directory; for a hard link,
    /// the target relative to the archive root (already resolved to a member name).
    link: Option<String>,
}

/// A directory or an indexed tar.
#[derive(Debug)]
pub enum Archive {
    /// A directory (OCI layout).
    Dir(PathBuf),
    /// An uncompressed tar, with each member's data offset and size.
    Tar {
        /// The tar file.
        path: PathBuf,
        /// Normalised member name to its location.
        members: HashMap<String, MemberRef>,
    },
}

/// Where a member of a tar is (opaque outside this module).
#[derive(Debug, Clone)]
pub struct MemberRef(Member);

impl Archive {
    /// Opens a directory as such, a file as a tar.
    pub fn open(path: &Path, limits: &Limits) -> Result<Archive, ImageError> {
        let meta = std::fs::metadata(path)
            .map_err(|e| ImageError::io(format!("reading {}", path.display()), e))?;
        if meta.is_dir() {
            Ok(Archive::Dir(path.to_path_buf()))
        } else {
            Archive::open_tar(path, limits)
        }
    }

    /// Indexes a tar file (one pass over its headers, seeking over the data).
    pub fn open_tar(path: &Path, limits: &Limits) -> Result<Archive, ImageError> {
        let ctx = || format!("reading archive {}", path.display());
        let mut file = File::open(path).map_err(|e| ImageError::io(ctx(), e))?;
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut file, &mut magic).map_err(|e| ImageError::io(ctx(), e))?;
        if n >= 2 && magic[..2] == [0x1f, 0x8b] {
            return Err(ImageError::UnsupportedCompression(
                "the image archive itself is gzip-compressed; decompress it first",
            ));
        }
        if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(ImageError::UnsupportedCompression(
                "the image archive itself is zstd-compressed; decompress it first",
            ));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| ImageError::io(ctx(), e))?;
        let mut tar = tar::Archive::new(file);
        let mut members = HashMap::new();
        let entries = tar.entries_with_seek().map_err(ImageError::Tar)?;
        for (count, entry) in entries.enumerate() {
            if count as u64 >= limits.max_files {
                return Err(ImageError::Limit {
                    limit: "max_files",
                    max: limits.max_files,
                });
            }
            let entry = entry.map_err(ImageError::Tar)?;
            let raw = entry.path_bytes();
            if raw.len() > limits.max_path_len {
                return Err(ImageError::Limit {
                    limit: "max_path_len",
                    max: limits.max_path_len as u64,
                });
            }
            let Some(name) = normalise_member(&String::from_utf8_lossy(&raw)) else {
                continue; // escaping names are never looked up
            };
            let kind = entry.header().entry_type();
            let link = match kind {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    if kind == tar::EntryType::Link {
                        match normalise_member(&target) {
                            Some(t) => Some(t),
                            None => continue,
                        }
                    } else {
                        let parent = name.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                        match normalise_member(&format!("{parent}/{target}")) {
                            Some(t) => Some(t),
                            None => continue,
                        }
                    }
                }
                t if t.is_file() => None,
                _ => continue,
            };
            let member = Member {
                offset: entry.raw_file_position(),
                size: entry.size(),
                link,
            };
            members.insert(name, MemberRef(member));
        }
        Ok(Archive::Tar {
            path: path.to_path_buf(),
            members,
        })
    }

    /// Opens a member for reading; returns the reader and the member's size.
    pub fn open_member(&self, name: &str) -> Result<(Box<dyn Read + '_>, u64), ImageError> {
        let norm = normalise_member(name).ok_or_else(|| ImageError::UnsafePath {
            path: name.to_string(),
            reason: "archive member name escapes the archive",
        })?;
        match self {
            Archive::Dir(root) => {
                let path = root.join(&norm);
                let ctx = || format!("reading {}", path.display());
                let file = File::open(&path).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => ImageError::Missing(norm.clone()),
                    _ => ImageError::io(ctx(), e),
                })?;
                let size = file.metadata().map_err(|e| ImageError::io(ctx(), e))?.len();
                Ok((Box::new(file), size))
            }
            Archive::Tar { path, members } => {
                let mut current = norm.clone();
                let mut hops = 0;
                let member = loop {
                    let MemberRef(m) = members
                        .get(&current)
                        .ok_or_else(|| ImageError::Missing(norm.clone()))?;
                    match &m.link {
                        None => break m,
                        Some(target) => {
                            hops += 1;
                            if hops > MAX_MEMBER_LINKS {
                                return Err(ImageError::Invalid(format!(
                                    "too many links resolving archive member {norm}"
                                )));
                            }
                            current = target.clone();
                        }
                    }
                };
                let ctx = || format!("reading {} in {}", current, path.display());
                let mut file = File::open(path).map_err(|e| ImageError::io(ctx(), e))?;
                file.seek(SeekFrom::Start(member.offset))
                    .map_err(|e| ImageError::io(ctx(), e))?;
                Ok((Box::new(file.take(member.size)), member.size))
            }
        }
    }

    /// Reads a whole JSON member, refusing one larger than `limits.max_json_bytes`.
    pub fn read_json_member(&self, name: &str, limits: &Limits) -> Result<Vec<u8>, ImageError> {
        let (reader, size) = self.open_member(name)?;
        read_bounded_json(reader, size, limits, name)
    }
}

/// Reads at most `limits.max_json_bytes` (refusing more) from a reader of announced `size`.
pub(crate) fn read_bounded_json(
    reader: impl Read,
    size: u64,
    limits: &Limits,
    what: &str,
) -> Result<Vec<u8>, ImageError> {
    let too_big = ImageError::Limit {
        limit: "max_json_bytes",
        max: limits.max_json_bytes,
    };
    if size > limits.max_json_bytes {
        return Err(too_big);
    }
    let mut buf = Vec::new();
    reader
        .take(limits.max_json_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::io(format!("reading {what}"), e))?;
    if buf.len() as u64 > limits.max_json_bytes {
        return Err(too_big);
    }
    Ok(buf)
}

/// Normalises a relative member name: drops empty and `.` components and a leading `/`,
/// resolves `..` against earlier components; `None` if `..` would leave the archive.
pub(crate) fn normalise_member(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Fills as much of `buf` as the reader gives before end of input.
pub(crate) fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_member_names() {
        assert_eq!(normalise_member("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(normalise_member("a/../b").as_deref(), Some("b"));
        assert_eq!(
            normalise_member("/manifest.json").as_deref(),
            Some("manifest.json")
        );
        assert_eq!(normalise_member("../x"), None);
        assert_eq!(normalise_member("a/../../x"), None);
    }
}
