//! What to read: the [`Source`] of an image and the parsing of its `scheme:PATH` form.

use std::path::PathBuf;

use crate::ImageError;

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A `docker save` tar (`manifest.json`, config JSON, layer tars).
    DockerArchive(PathBuf),
    /// An OCI image layout: a directory, or a tar of one.
    Oci(PathBuf),
    /// An unpacked root filesystem.
    Dir(PathBuf),
    /// An image in a registry (`HOST[:PORT]/REPO[:TAG|@sha256:HEX]`); reading it needs a
    /// [`crate::RegistryAccess`] in the read options.
    Registry(vigil_registry::Reference),
}

impl Source {
    /// Parses `docker-archive:PATH`, `oci:PATH`, `dir:PATH` or `registry:REF`.
    pub fn parse(s: &str) -> Result<Source, ImageError> {
        let Some((scheme, path)) = s.split_once(':') else {
            return Err(ImageError::UnknownSource(s.to_string()));
        };
        let make: fn(PathBuf) -> Source = match scheme {
            "docker-archive" => Source::DockerArchive,
            "oci" => Source::Oci,
            "dir" => Source::Dir,
            "registry" => {
                return vigil_registry::Reference::parse(path)
                    .map(Source::Registry)
                    .map_err(|e| ImageError::BadReference(format!("{s}: {e}")))
            }
            _ => return Err(ImageError::UnknownSource(s.to_string())),
        };
        if path.is_empty() {
            return Err(ImageError::EmptyPath(s.to_string()));
        }
        Ok(make(PathBuf::from(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schemes() {
        assert_eq!(
            Source::parse("docker-archive:/tmp/a.tar").unwrap(),
            Source::DockerArchive("/tmp/a.tar".into())
        );
        assert_eq!(Source::parse("oci:img").unwrap(), Source::Oci("img".into()));
        assert_eq!(Source::parse("dir:/").unwrap(), Source::Dir("/".into()));
        // Only the first colon separates the scheme.
        assert_eq!(Source::parse("dir:a:b").unwrap(), Source::Dir("a:b".into()));
    }

    #[test]
    fn refuses_others() {
        // A registry reference must name its registry.
        assert!(matches!(
            Source::parse("registry:alpine:3"),
            Err(ImageError::BadReference(_))
        ));
        assert!(matches!(
            Source::parse("registry:127.0.0.1:5000/app:1"),
            Ok(Source::Registry(_))
        ));
        assert!(matches!(
            Source::parse("alpine"),
            Err(ImageError::UnknownSource(_))
        ));
        assert!(matches!(
            Source::parse("ftp:x"),
            Err(ImageError::UnknownSource(_))
        ));
        assert!(matches!(
            Source::parse("oci:"),
            Err(ImageError::EmptyPath(_))
        ));
    }
}
