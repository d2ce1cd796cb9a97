//! The rpm database in its SQLite form (rpm 4.16 and later: Fedora 33+, RHEL/CentOS/Alma/Rocky
//! 9, Amazon Linux 2023, openSUSE with `/usr/lib/sysimage/rpm`): table `Packages(hnum, blob)`,
//! one rpm header per row. The older Berkeley DB form (`Packages`) is read by [`bdb`], the NDB
//! form (`Packages.db`, SLES 15) by [`ndb`]; all three yield the same [`RpmRow`]s.
//!
//! The database is opened from memory (SQLite's `deserialize`, read-only; nothing is written
//! to disk) with SQLite's defensive settings, an untrusted schema, a cap on the length of any
//! value and a budget of virtual-machine steps, so a hostile database fails instead of
//! exhausting memory or time. A database left in WAL mode is read as if in rollback mode
//! (rpm checkpoints its WAL on close; pages still in a `-wal` file are not read).
//!
//! A header blob is rpm's header store, big-endian: the index entry count `il` and the data
//! length `dl` (4 bytes each), `il` index entries of 16 bytes (tag, type, offset into the data,
//! count), then `dl` bytes of data. [`parse_header`] reads the tags the inventory needs and
//! checks every offset against the blob; it never panics.

use super::analyzer::{Analyzer, Input, Output};

pub mod bdb;
pub mod ndb;

use std::ptr::NonNull;

use rusqlite::{ffi, params, Connection, DatabaseName, OpenFlags};

/// `RPMTAG_NAME`.
pub const TAG_NAME: u32 = 1000;
/// `RPMTAG_VERSION`.
pub const TAG_VERSION: u32 = 1001;
/// `RPMTAG_RELEASE`.
pub const TAG_RELEASE: u32 = 1002;
/// `RPMTAG_EPOCH`.
pub const TAG_EPOCH: u32 = 1003;
/// `RPMTAG_VENDOR`.
pub const TAG_VENDOR: u32 = 1011;
/// `RPMTAG_LICENSE`.
pub const TAG_LICENSE: u32 = 1014;
/// `RPMTAG_ARCH`.
pub const TAG_ARCH: u32 = 1022;
/// `RPMTAG_SOURCERPM`.
pub const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Most index entries in one header (rpm's own bound).
pub const MAX_INDEX_ENTRIES: u32 = 0xffff;
/// Largest header blob read, in bytes; larger rows are skipped.
pub const MAX_HEADER_BYTES: usize = 32 << 20;
/// Longest string value read from a header.
pub const MAX_STRING_BYTES: usize = 64 << 10;
/// Most packages read from one database.
pub const MAX_PACKAGES: usize = 200_000;
/// SQLite virtual-machine steps allowed for reading one database (checked every 1,000).
pub const MAX_VM_STEPS: u64 = 500_000_000;

/// Why a header blob is not a package header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Shorter than its counts say.
    #[error("rpm header truncated")]
    Truncated,
    /// An index entry count of zero or beyond [`MAX_INDEX_ENTRIES`].
    #[error("rpm header has a bad index entry count ({0})")]
    BadCount(u32),
    /// No name, version or release.
    #[error("rpm header lacks {0}")]
    Missing(&'static str),
    /// Larger than [`MAX_HEADER_BYTES`]; not read.
    #[error("rpm header of {0} bytes is too large")]
    TooLarge(u64),
    /// The database entry holding the header could not be read (a Berkeley DB entry with a
    /// broken overflow chain, an unexpected item type or key; an NDB blob failing its checks).
    #[error("rpm database entry unreadable: {0}")]
    Entry(&'static str),
}

/// Why a database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RpmDbError {
    /// Not an SQLite database.
    #[error("not an SQLite database")]
    NotSqlite,
    /// No `Packages` table.
    #[error("no Packages table")]
    NoPackagesTable,
    /// SQLite failed (malformed database, a bound hit, out of steps).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The tags of one header the inventory uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    /// `NAME`.
    pub name: String,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `EPOCH`, if set.
    pub epoch: Option<u32>,
    /// `ARCH` (absent for `gpg-pubkey` entries).
    pub arch: Option<String>,
    /// `SOURCERPM` (`bash-5.2.26-3.fc40.src.rpm`).
    pub source_rpm: Option<String>,
    /// `LICENSE`.
    pub license: Option<String>,
    /// `VENDOR`.
    pub vendor: Option<String>,
}

impl RpmHeader {
    /// `[EPOCH:]VERSION-RELEASE`, as rpm prints `%{EVR}`.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// The source package name from `SOURCERPM` (`bash-5.2.26-3.fc40.src.rpm` → `bash`).
    pub fn source_name(&self) -> Option<String> {
        source_name(self.source_rpm.as_deref()?)
    }
}

/// `NAME-VERSION-RELEASE.src.rpm` (or `.nosrc.rpm`) → `NAME`.
pub fn source_name(source_rpm: &str) -> Option<String> {
    let stem = source_rpm
        .strip_suffix(".src.rpm")
        .or_else(|| source_rpm.strip_suffix(".nosrc.rpm"))?;
    let mut parts = stem.rsplitn(3, '-');
    let (_release, _version, name) = (parts.next()?, parts.next()?, parts.next()?);
    (!name.is_empty()).then(|| name.to_string())
}

/// Parses one header blob (rpm's header store, see the module documentation).
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, HeaderError> {
    let il = be32(blob, 0).ok_or(HeaderError::Truncated)?;
    let dl = be32(blob, 4).ok_or(HeaderError::Truncated)?;
    if il == 0 || il > MAX_INDEX_ENTRIES {
        return Err(HeaderError::BadCount(il));
    }
    let index_end = 8usize + il as usize * 16;
    let data_end = index_end
        .checked_add(dl as usize)
        .ok_or(HeaderError::Truncated)?;
    let data = blob
        .get(index_end..data_end)
        .ok_or(HeaderError::Truncated)?;
    let mut h = RpmHeader::default();
    let (mut name, mut version, mut release) = (None, None, None);
    for i in 0..il as usize {
        let at = 8 + i * 16;
        let (Some(tag), Some(ty), Some(offset), Some(count)) = (
            be32(blob, at),
            be32(blob, at + 4),
            be32(blob, at + 8),
            be32(blob, at + 12),
        ) else {
            return Err(HeaderError::Truncated);
        };
        let offset = offset as usize;
        match tag {
            TAG_EPOCH if ty == TYPE_INT32 && count >= 1 => h.epoch = be32(data, offset),
            TAG_NAME | TAG_VERSION | TAG_RELEASE | TAG_ARCH | TAG_SOURCERPM | TAG_LICENSE
            | TAG_VENDOR => {
                if !matches!(ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
                    continue;
                }
                let Some(value) = c_string(data, offset) else {
                    continue;
                };
                let slot = match tag {
                    TAG_NAME => &mut name,
                    TAG_VERSION => &mut version,
                    TAG_RELEASE => &mut release,
                    TAG_ARCH => &mut h.arch,
                    TAG_SOURCERPM => &mut h.source_rpm,
                    TAG_LICENSE => &mut h.license,
                    _ => &mut h.vendor,
                };
                if slot.is_none() {
                    *slot = Some(value);
                }
            }
            _ => {}
        }
    }
    h.name = name
        .filter(|n| !n.is_empty())
        .ok_or(HeaderError::Missing("NAME"))?;
    h.version = version
        .filter(|v| !v.is_empty())
        .ok_or(HeaderError::Missing("VERSION"))?;
    h.release = release.ok_or(HeaderError::Missing("RELEASE"))?;
    Ok(h)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// The NUL-terminated string at `offset`, if it ends within the data and
/// [`MAX_STRING_BYTES`].
fn c_string(data: &[u8], offset: usize) -> Option<String> {
    let rest = data.get(offset..)?;
    let rest = &rest[..rest.len().min(MAX_STRING_BYTES + 1)];
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// One row of the database: the header's number and its parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmRow {
    /// `hnum` (rpm's header number; rows are returned in this order).
    pub hnum: i64,
    /// The parsed header, or why it is not one.
    pub header: Result<RpmHeader, HeaderError>,
}

/// Reads every header of an `rpmdb.sqlite` file (in `hnum` order; at most
/// [`MAX_PACKAGES`], rows over [`MAX_HEADER_BYTES`] skipped).
pub fn read_sqlite(db: &[u8]) -> Result<Vec<RpmRow>, RpmDbError> {
    if db.len() < 100 || !db.starts_with(b"SQLite format 3\0") {
        return Err(RpmDbError::NotSqlite);
    }
    let mut conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    harden(&conn)?;
    conn.deserialize(DatabaseName::Main, owned_copy(db)?, true)?;
    // Settings that apply to the database just attached.
    conn.pragma_update(None, "cell_size_check", true)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    if kind.as_deref() != Some("table") {
        return Err(RpmDbError::NoPackagesTable);
    }
    let mut stmt = conn.prepare(
        "SELECT hnum, blob FROM Packages \
         WHERE typeof(blob) = 'blob' AND length(blob) <= ?1 ORDER BY hnum LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![MAX_HEADER_BYTES as i64, MAX_PACKAGES as i64], |r| {
        let hnum: i64 = r.get(0)?;
        let blob = r.get_ref(1)?.as_blob()?;
        Ok(RpmRow {
            hnum,
            header: parse_header(blob),
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}

/// Limits and defensive settings for a connection that reads an untrusted database.
fn harden(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    use rusqlite::limits::Limit;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
    // No value (string, blob, row) longer than the largest header we read.
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, (MAX_HEADER_BYTES + 1024) as i32);
    conn.set_limit(Limit::SQLITE_LIMIT_EXPR_DEPTH, 100);
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0);
    let mut steps: u64 = 0;
    conn.progress_handler(
        1000,
        Some(move || {
            steps += 1000;
            steps > MAX_VM_STEPS
        }),
    );
    Ok(())
}

/// A copy of `db` in memory that SQLite owns (what `deserialize` takes), with the WAL mode
/// marks of the header (file format versions at offsets 18 and 19) turned into rollback
/// mode, which in-memory databases need.
fn owned_copy(db: &[u8]) -> rusqlite::Result<rusqlite::serialize::OwnedData> {
    let len = db.len();
    // SAFETY: sqlite3_malloc64 returns either null or a buffer of at least `len` bytes.
    let ptr = unsafe { ffi::sqlite3_malloc64(len as u64) }.cast::<u8>();
    let ptr = NonNull::new(ptr)
        .ok_or_else(|| rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_NOMEM), None))?;
    // SAFETY: `ptr` is valid for `len` bytes (above) and does not overlap `db`.
    let buf = unsafe {
        std::ptr::copy_nonoverlapping(db.as_ptr(), ptr.as_ptr(), len);
        std::slice::from_raw_parts_mut(ptr.as_ptr(), len)
    };
    for b in &mut buf[18..20] {
        if *b == 2 {
            *b = 1;
        }
    }
    // SAFETY: the buffer was allocated by sqlite3_malloc64 and holds `len` bytes; OwnedData
    // frees it with sqlite3_free (or SQLite does, once the connection owns it).
    Ok(unsafe { rusqlite::serialize::OwnedData::from_raw_nonnull(ptr, len) })
}

/// One form of the rpm database as an analyzer: where it lives and how it is read.
pub(crate) struct RpmDb {
    name: &'static str,
    paths: [&'static str; 2],
    read: fn(&[u8]) -> Result<Vec<RpmRow>, String>,
    /// A Berkeley DB or NDB file, which rpm ignores when an `rpmdb.sqlite` sits next to it.
    older: bool,
}

/// `rpmdb.sqlite` ([`read_sqlite`]).
pub(crate) static SQLITE: RpmDb = RpmDb {
    name: "rpm-sqlite",
    paths: super::RPMDB_SQLITE,
    read: |d| read_sqlite(d).map_err(|e| e.to_string()),
    older: false,
};

/// Berkeley DB `Packages` ([`bdb::read`]).
pub(crate) static BERKELEY_DB: RpmDb = RpmDb {
    name: "rpm-bdb",
    paths: super::RPMDB_BDB,
    read: |d| bdb::read(d).map_err(|e| e.to_string()),
    older: true,
};

/// NDB `Packages.db` ([`ndb::read`]).
pub(crate) static NDB: RpmDb = RpmDb {
    name: "rpm-ndb",
    paths: super::RPMDB_NDB,
    read: |d| ndb::read(d).map_err(|e| e.to_string()),
    older: true,
};

impl Analyzer for RpmDb {
    fn name(&self) -> &'static str {
        self.name
    }
    fn wants(&self, path: &str) -> bool {
        self.paths.contains(&path)
    }
    fn cap(&self) -> u64 {
        super::MAX_RPMDB_BYTES
    }
    fn contents_only(&self) -> bool {
        !self.older
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        let sqlite_next_to_it = file
            .path
            .rsplit_once('/')
            .and_then(|(dir, _)| file.image.fs.entries.get(&format!("{dir}/rpmdb.sqlite")))
            .is_some_and(super::keepable);
        if self.older && sqlite_next_to_it {
            out.skip(
                "older rpm database next to an rpmdb.sqlite, which rpm uses instead; not read"
                    .into(),
            );
            return;
        }
        let rows = match (self.read)(file.data) {
            Ok(rows) => rows,
            Err(e) => {
                out.skip(format!("rpm database: {e}"));
                return;
            }
        };
        let (mut bad, mut first_error) = (0usize, None);
        for row in rows {
            let h = match row.header {
                Ok(h) => h,
                Err(e) => {
                    bad += 1;
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let purl = super::rpm_purl(&h, file.distro);
            let p = out.package(h.name.clone(), h.evr(), "rpm", purl);
            p.source_name = h.source_name();
            p.arch = h.arch;
            p.license = h.license;
            p.distro = file.distro.cloned();
        }
        if let Some(e) = first_error {
            out.skip(format!("{bad} rpm headers unreadable (first: {e})"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, value bytes, count).
    fn header(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, value, count) in entries {
            if *ty == TYPE_INT32 {
                while data.len() & 3 != 0 {
                    data.push(0);
                }
            }
            for v in [*tag, *ty, data.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(value);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(&index);
        blob.extend_from_slice(&data);
        blob
    }

    fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    #[test]
    fn header_tags() {
        let blob = header(&[
            (TAG_NAME, TYPE_STRING, s("bash"), 1),
            (TAG_VERSION, TYPE_STRING, s("5.2.26"), 1),
            (TAG_RELEASE, TYPE_STRING, s("3.fc40"), 1),
            (TAG_LICENSE, TYPE_STRING, s("GPL-3.0-or-later"), 1),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec(), 1),
            (TAG_ARCH, TYPE_STRING, s("x86_64"), 1),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                s("bash-5.2.26-3.fc40.src.rpm"),
                1,
            ),
            (TAG_VENDOR, TYPE_STRING, s("Fedora Project"), 1),
        ]);
        let h = parse_header(&blob).unwrap();
        assert_eq!(h.name, "bash");
        assert_eq!(h.evr(), "1:5.2.26-3.fc40");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(h.source_name().as_deref(), Some("bash"));
        assert_eq!(h.license.as_deref(), Some("GPL-3.0-or-later"));
        assert_eq!(h.vendor.as_deref(), Some("Fedora Project"));
        // Cut anywhere: an error, never a panic.
        for n in 0..blob.len() {
            assert!(parse_header(&blob[..n]).is_err());
        }
        assert_eq!(
            parse_header(&header(&[(TAG_NAME, TYPE_STRING, s("x"), 1)])),
            Err(HeaderError::Missing("VERSION"))
        );
        // A string without its NUL is not read.
        let blob = header(&[
            (TAG_NAME, TYPE_STRING, s("x"), 1),
            (TAG_VERSION, TYPE_STRING, s("1"), 1),
            (TAG_RELEASE, TYPE_STRING, b"1".to_vec(), 1),
        ]);
        assert_eq!(parse_header(&blob), Err(HeaderError::Missing("RELEASE")));
    }

    #[test]
    fn source_names() {
        assert_eq!(
            source_name("glibc-2.39-2.fc40.src.rpm").as_deref(),
            Some("glibc")
        );
        assert_eq!(
            source_name("python-requests-2.31.0-1.el9.nosrc.rpm").as_deref(),
            Some("python-requests")
        );
        assert_eq!(source_name("a-1.src.rpm"), None);
        assert_eq!(source_name("a-1-2.rpm"), None);
    }

    #[test]
    fn wal_mode_database() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("vigil-rpm-wal-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rpmdb.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            let mode: String = c
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
            c.execute_batch(
                "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)",
            )
            .unwrap();
            let blob = header(&[
                (TAG_NAME, TYPE_STRING, s("zlib"), 1),
                (TAG_VERSION, TYPE_STRING, s("1.3"), 1),
                (TAG_RELEASE, TYPE_STRING, s("1.el9"), 1),
            ]);
            c.execute("INSERT INTO Packages(blob) VALUES (?1)", [blob])
                .unwrap();
        }
        let db = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(&db[18..20], &[2, 2], "a WAL-mode database");
        let rows = read_sqlite(&db).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].header.as_ref().unwrap().evr(), "1.3-1.el9");
    }

    #[test]
    fn not_sqlite() {
        assert!(matches!(read_sqlite(b"nope"), Err(RpmDbError::NotSqlite)));
        let mut fake = b"SQLite format 3\0".to_vec();
        fake.resize(4096, 0xab);
        assert!(read_sqlite(&fake).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn header_parser_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = parse_header(&data);
        }

        #[test]
        fn headers_round_trip_and_survive_mutation(
            name in "[a-z][a-z0-9+._-]{0,30}",
            version in "[0-9][0-9a-z.~^+]{0,15}",
            release in "[0-9a-z._]{0,15}",
            epoch in proptest::option::of(0u32..100),
            flips in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 0..8),
            cut in 0usize..4096,
        ) {
            let mut entries = vec![
                (TAG_NAME, TYPE_STRING, s(&name), 1),
                (TAG_VERSION, TYPE_STRING, s(&version), 1),
                (TAG_RELEASE, TYPE_STRING, s(&release), 1),
                (TAG_ARCH, TYPE_STRING, s("noarch"), 1),
            ];
            if let Some(e) = epoch {
                entries.push((TAG_EPOCH, TYPE_INT32, e.to_be_bytes().to_vec(), 1));
            }
            let blob = header(&entries);
            let h = parse_header(&blob).unwrap();
            proptest::prop_assert_eq!(&h.name, &name);
            proptest::prop_assert_eq!(&h.version, &version);
            proptest::prop_assert_eq!(&h.release, &release);
            proptest::prop_assert_eq!(h.epoch, epoch);
            // Flipped bytes and truncation: any result, no panic.
            let mut bad = blob.clone();
            for (at, v) in flips {
                if !bad.is_empty() {
                    let i = at % bad.len();
                    bad[i] = v;
                }
            }
            let _ = parse_header(&bad);
            let _ = parse_header(&bad[..cut.min(bad.len())]);
        }
    }
}
