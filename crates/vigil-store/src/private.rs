//! Files and directories only Vigil's own user may read: the data directory (0700), the
//! database and uploaded archives (0600), and the master key, which is refused when other
//! users could read it. Directories are tightened when Vigil creates or opens them, so a
//! file created inside before its mode is set is never reachable by others.

use std::io;
use std::path::Path;

/// Create `dir` (and missing parents) with mode 0700 if it does not exist; an existing
/// directory is left as it is.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Create `dir` (and its parents) if needed and make it 0700 (owner only), tightening an
/// existing directory: for directories that are Vigil's own (the data and upload
/// directories).
pub fn private_dir(dir: &Path) -> io::Result<()> {
    create_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let full = std::fs::metadata(dir)?.permissions().mode();
        if full & 0o1000 != 0 {
            // A shared directory such as /tmp: never Vigil's to lock down.
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is a shared (sticky) directory; give Vigil a directory of its own",
                    dir.display()
                ),
            ));
        }
        let mode = full & 0o777;
        if mode != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        Ok(())
    }
}

/// Make an existing file 0600 (owner read and write only); a missing file is left alone.
pub fn private_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// The permission bits of `path` that let other users (group or others) read or write it,
/// or 0.
pub fn shared_bits(path: &Path) -> io::Result<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o077)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(0)
    }
}
