//! Encryption of secret columns (API secret keys, login cookies) with XChaCha20-Poly1305 under
//! a 256-bit master key kept in a 0600 key file or given by the environment. Each value is
//! bound to its purpose (associated data), so a ciphertext cannot be moved to another row.

use crate::{Result, StoreError};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Master key holder; cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<XChaCha20Poly1305>,
    /// Key of authentication tags (for signed links), derived from the master key.
    mac_key: Arc<[u8; 32]>,
}

const PREFIX: &str = "x1:";

impl SecretBox {
    /// Build from 32 key bytes given as 64 hex characters.
    pub fn from_hex(hex_key: &str) -> Result<Self> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| StoreError::Config("master key must be 64 hex characters".into()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            StoreError::Config("master key must be 32 bytes (64 hex characters)".into())
        })?;
        use sha2::Digest;
        let mut d = sha2::Sha256::new();
        d.update(b"vigil-mac-key-v1");
        d.update(key);
        Ok(SecretBox {
            cipher: Arc::new(XChaCha20Poly1305::new(&key.into())),
            mac_key: Arc::new(d.finalize().into()),
        })
    }

    /// Read the key file, or create it with a fresh random key and mode 0600. A key file
    /// that other users may read or write is refused.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let shared = crate::private::shared_bits(path).map_err(|e| {
                    StoreError::Config(format!("cannot read key file {}: {e}", path.display()))
                })?;
                if shared != 0 {
                    return Err(StoreError::Config(format!(
                        "the master key {} may be read or written by other users (mode {:o}); \
                         make it private with `chmod 600 {}`",
                        path.display(),
                        0o600 | shared,
                        path.display()
                    )));
                }
                Self::from_hex(&text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::private::create_private_dir(dir).map_err(|e| {
                        StoreError::Config(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path).map_err(|e| {
                    StoreError::Config(format!("cannot create key file {}: {e}", path.display()))
                })?;
                f.write_all(hex::encode(key).as_bytes())
                    .map_err(|e| StoreError::Config(format!("cannot write key file: {e}")))?;
                Self::from_hex(&hex::encode(key))
            }
            Err(e) => Err(StoreError::Config(format!(
                "cannot read key file {}: {e}",
                path.display()
            ))),
        }
    }

    /// An authentication tag (HMAC-SHA256, hex) over `data` for `purpose`, under a key
    /// derived from the master key: used for links that must not be forged.
    pub fn tag(&self, purpose: &str, data: &str) -> String {
        use hmac::Mac;
        let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key[..])
        else {
            return String::new();
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `tag` is the tag of `data` for `purpose` (constant-time comparison).
    pub fn verify_tag(&self, purpose: &str, data: &str, tag: &str) -> bool {
        use hmac::Mac;
        let Ok(raw) = hex::decode(tag) else {
            return false;
        };
        let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key[..])
        else {
            return false;
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data.as_bytes());
        mac.verify_slice(&raw).is_ok()
    }

    /// Encrypt `plain` for `purpose`; the output is printable text.
    pub fn seal(&self, purpose: &str, plain: &str) -> Result<String> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// Decrypt a value sealed for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String> {
        let body = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| StoreError::Crypto("unknown format".into()))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| StoreError::Crypto("bad encoding".into()))?;
        if raw.len() < 24 {
            return Err(StoreError::Crypto("too short".into()));
        }
        let (nonce, ct) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("wrong master key or tampered value".into()))?;
        String::from_utf8(plain).map_err(|_| StoreError::Crypto("not UTF-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_purpose_binding() {
        let b = SecretBox::from_hex(&"11".repeat(32)).unwrap();
        let s = b.seal("api_key:AKID1", "secret").unwrap();
        assert!(!s.contains("secret"));
        assert_eq!(b.open("api_key:AKID1", &s).unwrap(), "secret");
        assert!(b.open("api_key:AKID2", &s).is_err());
        let other = SecretBox::from_hex(&"22".repeat(32)).unwrap();
        assert!(other.open("api_key:AKID1", &s).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("vigil-key-{}", std::process::id()));
        let path = dir.join("master.key");
        let _ = std::fs::remove_file(&path);
        let a = SecretBox::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let sealed = a.seal("p", "v").unwrap();
        let b = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(b.open("p", &sealed).unwrap(), "v");
        // A key other users may read is refused, naming the fix.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = SecretBox::load_or_create(&path).err().unwrap().to_string();
            assert!(e.contains("chmod 600") && e.contains("644"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
