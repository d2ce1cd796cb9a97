//! Resource configurations (AOSP `ResTable_config`): the qualifiers a value of the resource
//! table applies under (language and region, density, orientation, screen sizes, night mode,
//! SDK version, ...). Kept as the raw bytes, with accessors for the fields Vigil uses and a
//! qualifier string like aapt's (`en-rUS`, `hdpi`, `v21`, `default`).

use std::fmt;

use crate::error::{ApkError, Result};

/// Longest configuration kept (the structure is 64 bytes today).
const MAX_CONFIG: usize = 256;

/// A resource configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Config {
    raw: Vec<u8>,
}

impl Config {
    /// The default configuration (no qualifier).
    pub fn default_config() -> Config {
        Config { raw: vec![0; 4] }
    }

    /// Read a configuration from `bytes` (its first `u32` is its size).
    pub fn read(bytes: &[u8]) -> Result<Config> {
        let size = bytes
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or(ApkError::Truncated {
                what: "resource configuration",
                offset: 0,
            })?;
        if !(4..=MAX_CONFIG).contains(&size) {
            return Err(ApkError::malformed(
                "resource configuration",
                format!("size {size}"),
            ));
        }
        let raw = bytes.get(..size).ok_or(ApkError::Truncated {
            what: "resource configuration",
            offset: bytes.len() as u64,
        })?;
        Ok(Config { raw: raw.to_vec() })
    }

    fn u8(&self, at: usize) -> u8 {
        self.raw.get(at).copied().unwrap_or(0)
    }

    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.u8(at), self.u8(at + 1)])
    }

    /// Whether no qualifier is set.
    pub fn is_default(&self) -> bool {
        self.raw.iter().skip(4).all(|b| *b == 0)
    }

    /// Language (`en`), when set as two letters.
    pub fn language(&self) -> Option<String> {
        code(self.u8(8), self.u8(9))
    }

    /// Region (`US`), when set as two letters.
    pub fn region(&self) -> Option<String> {
        code(self.u8(10), self.u8(11))
    }

    /// Screen density in dpi (0 when any).
    pub fn density(&self) -> u16 {
        self.u16(14)
    }

    /// Minimum SDK version (0 when any).
    pub fn sdk_version(&self) -> u16 {
        self.u16(24)
    }
}

fn code(a: u8, b: u8) -> Option<String> {
    if a == 0 || a & 0x80 != 0 {
        return None;
    }
    Some(String::from_utf8_lossy(&[a, b]).into_owned())
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut q: Vec<String> = Vec::new();
        let mut known = vec![false; self.raw.len()];
        let mut mark = |range: std::ops::Range<usize>| {
            for i in range {
                if let Some(k) = known.get_mut(i) {
                    *k = true;
                }
            }
        };
        mark(0..4);
        if self.u16(4) != 0 {
            q.push(format!("mcc{}", self.u16(4)));
        }
        if self.u16(6) != 0 {
            q.push(format!("mnc{}", self.u16(6)));
        }
        mark(4..8);
        if let Some(l) = self.language() {
            q.push(l);
            mark(8..10);
        }
        if let Some(r) = self.region() {
            q.push(format!("r{r}"));
            mark(10..12);
        }
        if self.u16(32) != 0 || self.u16(30) != 0 || self.u16(34) != 0 {
            if self.u16(30) != 0 {
                q.push(format!("sw{}dp", self.u16(30)));
            }
            if self.u16(32) != 0 {
                q.push(format!("w{}dp", self.u16(32)));
            }
            if self.u16(34) != 0 {
                q.push(format!("h{}dp", self.u16(34)));
            }
        }
        mark(30..36);
        match self.u8(12) {
            1 => q.push("port".into()),
            2 => q.push("land".into()),
            _ => {}
        }
        mark(12..13);
        match self.u8(29) & 0x30 {
            0x10 => q.push("notnight".into()),
            0x20 => q.push("night".into()),
            _ => {}
        }
        if self.u8(29) & !0x30 == 0 {
            mark(29..30);
        }
        let d = self.density();
        let dname = match d {
            0 => None,
            120 => Some("ldpi".to_string()),
            160 => Some("mdpi".to_string()),
            213 => Some("tvdpi".to_string()),
            240 => Some("hdpi".to_string()),
            320 => Some("xhdpi".to_string()),
            480 => Some("xxhdpi".to_string()),
            640 => Some("xxxhdpi".to_string()),
            0xfffe => Some("anydpi".to_string()),
            0xffff => Some("nodpi".to_string()),
            d => Some(format!("{d}dpi")),
        };
        q.extend(dname);
        mark(14..16);
        if self.sdk_version() != 0 {
            q.push(format!("v{}", self.sdk_version()));
        }
        mark(24..28);
        let other = self.raw.iter().zip(&known).any(|(b, k)| *b != 0 && !*k);
        if other {
            q.push("+other".into());
        }
        if q.is_empty() {
            write!(f, "default")
        } else {
            write!(f, "{}", q.join("-"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers() {
        let mut raw = vec![0u8; 64];
        raw[0] = 64;
        let c = Config::read(&raw).unwrap();
        assert!(c.is_default());
        assert_eq!(c.to_string(), "default");
        raw[8..12].copy_from_slice(b"enUS");
        raw[14..16].copy_from_slice(&240u16.to_le_bytes());
        raw[24..26].copy_from_slice(&21u16.to_le_bytes());
        let c = Config::read(&raw).unwrap();
        assert_eq!(c.to_string(), "en-rUS-hdpi-v21");
        raw[16] = 1;
        assert_eq!(
            Config::read(&raw).unwrap().to_string(),
            "en-rUS-hdpi-v21-+other"
        );
        assert!(Config::read(&raw[..3]).is_err());
        raw[0] = 200;
        assert!(Config::read(&raw).is_err());
    }
}
