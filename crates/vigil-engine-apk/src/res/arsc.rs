//! The resource table (`resources.arsc`): an `RES_TABLE_TYPE` chunk holding the global string
//! pool of values and one chunk per package; a package holds its type names and entry keys
//! (two more string pools), a type spec per type and one type chunk per type and
//! configuration, whose entries are found through an offset index (32-bit, 16-bit or sparse)
//! and are simple (one typed value) or complex (a bag of named values with a parent).
//!
//! The table is read once into an index of its chunks; entries are decoded when looked up.
//! [`ResourceTable::best`] picks the value for the default configuration (or, failing one, the
//! least specific, densest one: the icon case), and [`ResourceTable::resolve`] follows
//! references with a hop limit that turns cycles into errors. Packages, type chunks and bag
//! sizes are bounded.

use crate::bytes::Reader;
use crate::error::{ApkError, Result};
use crate::res::chunk::{self, Chunk};
use crate::res::config::Config;
use crate::res::strings::StringPool;
use crate::res::value::{self, Value};

const WHAT: &str = "resource table";

/// `ResTable_type::FLAG_SPARSE`.
const TYPE_SPARSE: u8 = 0x01;
/// `ResTable_type::FLAG_OFFSET16`.
const TYPE_OFFSET16: u8 = 0x02;
/// `ResTable_entry::FLAG_COMPLEX`.
const ENTRY_COMPLEX: u16 = 0x0001;
/// `ResTable_entry::FLAG_COMPACT`.
const ENTRY_COMPACT: u16 = 0x0008;

/// Most packages read.
const MAX_PACKAGES: usize = 256;
/// Most type chunks read over all packages.
const MAX_TYPE_CHUNKS: usize = 200_000;
/// Most entries of one type chunk.
const MAX_ENTRIES: usize = 0x1_0000;
/// Most items of one bag.
const MAX_BAG: usize = 8192;
/// Most references followed for one value.
pub const MAX_HOPS: usize = 16;

/// The value of an entry.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryValue {
    /// One typed value.
    Simple(Value),
    /// A bag (style, array, plurals, ...): parent resource and (name id, value) items.
    Bag {
        /// Parent bag (0 when none).
        parent: u32,
        /// Items.
        items: Vec<(u32, Value)>,
    },
}

/// An entry of the table in one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The entry's key (`app_name`).
    pub key: String,
    /// The configuration it applies under.
    pub config: Config,
    /// Its value.
    pub value: EntryValue,
    /// A simple value's data type and data as stored (`None` for bags).
    pub raw: Option<(u8, u32)>,
}

impl Entry {
    /// The simple value, if the entry is not a bag.
    pub fn simple(&self) -> Option<&Value> {
        match &self.value {
            EntryValue::Simple(v) => Some(v),
            EntryValue::Bag { .. } => None,
        }
    }
}

#[derive(Debug, Clone)]
struct TypeChunk {
    type_id: u8,
    flags: u8,
    config: Config,
    entry_count: usize,
    index_at: usize,
    entries_start: usize,
    end: usize,
}

/// A package of the table.
#[derive(Debug, Clone)]
pub struct Package<'a> {
    /// Package id (0x7f for apps, 0x01 for the framework).
    pub id: u32,
    /// Package name.
    pub name: String,
    type_strings: StringPool<'a>,
    keys: StringPool<'a>,
    types: Vec<TypeChunk>,
}

/// A resource table over the bytes of `resources.arsc`.
#[derive(Debug, Clone)]
pub struct ResourceTable<'a> {
    data: &'a [u8],
    strings: StringPool<'a>,
    packages: Vec<Package<'a>>,
    /// What was tolerated while reading (chunks cut short), bounded.
    pub warnings: Vec<String>,
}

impl<'a> ResourceTable<'a> {
    /// Read the table.
    pub fn parse(data: &'a [u8]) -> Result<ResourceTable<'a>> {
        let mut h = Reader::new(data, WHAT);
        let kind = h.u16()?;
        let header_size = usize::from(h.u16()?);
        let size = h.u32()? as usize;
        if kind != chunk::TABLE || header_size < 12 || header_size > data.len() {
            return Err(ApkError::malformed(
                WHAT,
                format!("table header 0x{kind:04x} of size {header_size}"),
            ));
        }
        let mut t = ResourceTable {
            data,
            strings: StringPool::empty(),
            packages: Vec::new(),
            warnings: Vec::new(),
        };
        let end = if size < header_size || size > data.len() {
            t.warn(format!(
                "table size {size} is not the data's {}",
                data.len()
            ));
            data.len()
        } else {
            size
        };
        let mut have_pool = false;
        let mut types = 0usize;
        let mut at = header_size;
        while at + chunk::HEADER_LEN <= end {
            let c = match Chunk::read(data, at, end, WHAT) {
                Ok(c) => c,
                Err(e) => {
                    t.warn(format!("table cut short: {e}"));
                    break;
                }
            };
            at = c.end();
            match c.kind {
                chunk::STRING_POOL if !have_pool => {
                    t.strings = StringPool::read(data, &c)?;
                    have_pool = true;
                }
                chunk::TABLE_PACKAGE => {
                    if t.packages.len() >= MAX_PACKAGES {
                        return Err(ApkError::TooLarge {
                            what: "resource table packages",
                            size: t.packages.len() as u64 + 1,
                            limit: MAX_PACKAGES as u64,
                        });
                    }
                    let p = t.package(&c, &mut types)?;
                    t.packages.push(p);
                }
                _ => {}
            }
        }
        Ok(t)
    }

    fn warn(&mut self, w: String) {
        if self.warnings.len() < 32 {
            self.warnings.push(w);
        }
    }

    fn package(&mut self, c: &Chunk, types: &mut usize) -> Result<Package<'a>> {
        let data = self.data;
        let mut h = c.header(data, "resource table package")?;
        let id = h.u32()?;
        let name_bytes = h.take(256)?;
        let units: Vec<u16> = name_bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .take_while(|u| *u != 0)
            .collect();
        let name = String::from_utf16_lossy(&units);
        let type_strings_at = h.u32()? as usize;
        let _last_public_type = h.u32()?;
        let keys_at = h.u32()? as usize;
        let pool_at = |off: usize| -> Result<StringPool<'a>> {
            let pc = Chunk::read(data, c.offset.saturating_add(off), c.end(), WHAT)?;
            if pc.kind != chunk::STRING_POOL {
                return Err(ApkError::malformed(WHAT, "package string pool expected"));
            }
            StringPool::read(data, &pc)
        };
        let type_strings = pool_at(type_strings_at)?;
        let keys = pool_at(keys_at)?;
        let mut p = Package {
            id,
            name,
            type_strings,
            keys,
            types: Vec::new(),
        };
        let mut at = c.body();
        while at + chunk::HEADER_LEN <= c.end() {
            let tc = match Chunk::read(data, at, c.end(), WHAT) {
                Ok(tc) => tc,
                Err(e) => {
                    self.warn(format!("package 0x{id:02x} cut short: {e}"));
                    break;
                }
            };
            at = tc.end();
            if tc.kind != chunk::TABLE_TYPE {
                continue;
            }
            *types += 1;
            if *types > MAX_TYPE_CHUNKS {
                return Err(ApkError::TooLarge {
                    what: "resource table type chunks",
                    size: *types as u64,
                    limit: MAX_TYPE_CHUNKS as u64,
                });
            }
            match type_chunk(data, &tc) {
                Ok(t) => p.types.push(t),
                Err(e) => self.warn(format!("type chunk at {} skipped: {e}", tc.offset)),
            }
        }
        Ok(p)
    }

    /// The packages.
    pub fn packages(&self) -> &[Package<'a>] {
        &self.packages
    }

    /// The global string pool of values.
    pub fn strings(&self) -> &StringPool<'a> {
        &self.strings
    }

    fn package_of(&self, id: u32) -> Option<&Package<'a>> {
        self.packages.iter().find(|p| p.id == id >> 24)
    }

    /// The name of resource `id` as `type/key` (`string/app_name`).
    pub fn name(&self, id: u32) -> Option<String> {
        let p = self.package_of(id)?;
        let type_id = ((id >> 16) & 0xff) as u8;
        let ty = p
            .type_strings
            .get(u32::from(type_id).checked_sub(1)?)
            .ok()?;
        let entry = self.entries(id).ok()?.into_iter().next()?;
        Some(format!("{ty}/{}", entry.key))
    }

    /// Every configuration's entry for resource `id` (empty when the table has none).
    pub fn entries(&self, id: u32) -> Result<Vec<Entry>> {
        let Some(p) = self.package_of(id) else {
            return Ok(Vec::new());
        };
        let type_id = ((id >> 16) & 0xff) as u8;
        let index = (id & 0xffff) as usize;
        let mut out = Vec::new();
        for t in p.types.iter().filter(|t| t.type_id == type_id) {
            if let Some(at) = t.entry_offset(self.data, index)? {
                out.push(self.entry(p, t, at)?);
            }
        }
        Ok(out)
    }

    /// The configurations resource `id` has values for.
    pub fn configs(&self, id: u32) -> Result<Vec<Config>> {
        Ok(self.entries(id)?.into_iter().map(|e| e.config).collect())
    }

    /// The entry of `id` Vigil reads as its value: the default configuration's, else the one
    /// without language with the highest ordinary density (icons), else the first.
    pub fn best(&self, id: u32) -> Result<Option<Entry>> {
        let entries = self.entries(id)?;
        if let Some(e) = entries.iter().find(|e| e.config.is_default()) {
            return Ok(Some(e.clone()));
        }
        let dense = entries
            .iter()
            .filter(|e| e.config.language().is_none() && e.config.density() < 0xfffe)
            .max_by_key(|e| e.config.density());
        Ok(dense.or(entries.first()).cloned())
    }

    /// Follow references from `v` through [`ResourceTable::best`] entries to a value that is
    /// not one; a bag or a missing resource ends the chain at the last reference. More than
    /// [`MAX_HOPS`] hops (a cycle) is an error.
    pub fn resolve(&self, v: &Value) -> Result<Value> {
        let mut v = v.clone();
        let mut seen = Vec::new();
        while let Some(id) = v.as_reference() {
            if seen.contains(&id) || seen.len() >= MAX_HOPS {
                return Err(ApkError::malformed(
                    WHAT,
                    format!("reference cycle or chain too long at 0x{id:08x}"),
                ));
            }
            seen.push(id);
            match self.best(id)? {
                Some(Entry {
                    value: EntryValue::Simple(next),
                    ..
                }) => v = next,
                _ => break,
            }
        }
        Ok(v)
    }

    /// The string resource `id` resolves to.
    pub fn string(&self, id: u32) -> Result<Option<String>> {
        Ok(self
            .resolve(&Value::Reference(id))?
            .as_str()
            .map(str::to_string))
    }

    /// Call `f` with every entry of every configuration, in file order, with its resource
    /// id; an entry that cannot be read ends the walk with its error.
    pub fn for_each_entry(&self, mut f: impl FnMut(u32, &Entry)) -> Result<()> {
        for p in &self.packages {
            for t in &p.types {
                for slot in 0..t.entry_count {
                    if let Some((index, at)) = t.nth_entry(self.data, slot)? {
                        let id = (p.id << 24) | (u32::from(t.type_id) << 16) | index as u32;
                        f(id, &self.entry(p, t, at)?);
                    }
                }
            }
        }
        Ok(())
    }

    /// The type name of type `type_id` of package `package_id` (`string`).
    pub fn type_name(&self, package_id: u32, type_id: u8) -> Option<String> {
        let p = self.packages.iter().find(|p| p.id == package_id)?;
        p.type_strings.get(u32::from(type_id).checked_sub(1)?).ok()
    }

    fn entry(&self, p: &Package<'a>, t: &TypeChunk, at: usize) -> Result<Entry> {
        let data = self.data.get(..t.end).unwrap_or(&[]);
        let mut r = Reader::at(data, at, "resource table entry")?;
        let size = usize::from(r.u16()?);
        let flags = r.u16()?;
        let key_or_data = r.u32()?;
        if flags & ENTRY_COMPACT != 0 {
            let key = p.keys.get(size as u32).unwrap_or_default();
            let kind = (flags >> 8) as u8;
            return Ok(Entry {
                key,
                config: t.config.clone(),
                value: EntryValue::Simple(Value::decode(kind, key_or_data, &self.strings)),
                raw: Some((kind, key_or_data)),
            });
        }
        let key = p.keys.get(key_or_data).unwrap_or_default();
        if flags & ENTRY_COMPLEX == 0 {
            let mut v = Reader::at(data, at.saturating_add(size), "resource table entry")?;
            let (kind, d) = value::read_raw(&mut v)?;
            return Ok(Entry {
                key,
                config: t.config.clone(),
                value: EntryValue::Simple(Value::decode(kind, d, &self.strings)),
                raw: Some((kind, d)),
            });
        }
        let parent = r.u32()?;
        let count = r.u32()? as usize;
        if count > MAX_BAG {
            return Err(ApkError::TooLarge {
                what: "resource table bag",
                size: count as u64,
                limit: MAX_BAG as u64,
            });
        }
        let mut m = Reader::at(data, at.saturating_add(size), "resource table bag")?;
        let mut items = Vec::with_capacity(count.min(m.remaining() / 12));
        for _ in 0..count {
            let name = m.u32()?;
            let (kind, d) = value::read_raw(&mut m)?;
            items.push((name, Value::decode(kind, d, &self.strings)));
        }
        Ok(Entry {
            key,
            config: t.config.clone(),
            value: EntryValue::Bag { parent, items },
            raw: None,
        })
    }
}

/// Index a type chunk: its id, flags, configuration and where its offsets and entries are.
fn type_chunk(data: &[u8], c: &Chunk) -> Result<TypeChunk> {
    let mut h = c.header(data, "resource table type")?;
    let type_id = h.u8()?;
    let flags = h.u8()?;
    let _reserved = h.u16()?;
    let entry_count = h.u32()? as usize;
    let entries_start = h.u32()? as usize;
    let config = Config::read(h.take(h.remaining())?)?;
    if type_id == 0 || entry_count > MAX_ENTRIES {
        return Err(ApkError::malformed(
            "resource table type",
            format!("type {type_id} with {entry_count} entries"),
        ));
    }
    let width = if flags & (TYPE_SPARSE | TYPE_OFFSET16) != 0 {
        if flags & TYPE_SPARSE != 0 {
            4
        } else {
            2
        }
    } else {
        4
    };
    let index_at = c.body();
    let entries_start = c.offset.saturating_add(entries_start);
    if index_at + entry_count * width > c.end() || entries_start > c.end() {
        return Err(ApkError::malformed(
            "resource table type",
            "entry index outside the chunk",
        ));
    }
    Ok(TypeChunk {
        type_id,
        flags,
        config,
        entry_count,
        index_at,
        entries_start,
        end: c.end(),
    })
}

impl TypeChunk {
    /// The entry in index slot `slot`: its entry index and offset in the data.
    fn nth_entry(&self, data: &[u8], slot: usize) -> Result<Option<(usize, usize)>> {
        if self.flags & TYPE_SPARSE == 0 {
            return Ok(self.entry_offset(data, slot)?.map(|at| (slot, at)));
        }
        let mut r = Reader::at(data, self.index_at + slot * 4, "resource table entry index")?;
        let index = usize::from(r.u16()?);
        let at = self.entries_start.saturating_add(usize::from(r.u16()?) * 4);
        if at >= self.end {
            return Err(ApkError::malformed(
                "resource table entry",
                format!("entry {index} outside its type chunk"),
            ));
        }
        Ok(Some((index, at)))
    }

    /// Offset of entry `index` in the data, or `None` when this configuration lacks it.
    fn entry_offset(&self, data: &[u8], index: usize) -> Result<Option<usize>> {
        let what = "resource table entry index";
        let offset = if self.flags & TYPE_SPARSE != 0 {
            // (entry index, offset / 4) pairs sorted by index, searched as Android does.
            let (mut lo, mut hi) = (0, self.entry_count);
            let mut found = None;
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let mut r = Reader::at(data, self.index_at + mid * 4, what)?;
                let idx = usize::from(r.u16()?);
                let off = usize::from(r.u16()?) * 4;
                match idx.cmp(&index) {
                    std::cmp::Ordering::Equal => {
                        found = Some(off);
                        break;
                    }
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                }
            }
            match found {
                Some(o) => o,
                None => return Ok(None),
            }
        } else if index >= self.entry_count {
            return Ok(None);
        } else if self.flags & TYPE_OFFSET16 != 0 {
            let mut r = Reader::at(data, self.index_at + index * 2, what)?;
            match r.u16()? {
                0xffff => return Ok(None),
                o => usize::from(o) * 4,
            }
        } else {
            let mut r = Reader::at(data, self.index_at + index * 4, what)?;
            match r.u32()? {
                u32::MAX => return Ok(None),
                o => o as usize,
            }
        };
        let at = self.entries_start.saturating_add(offset);
        if at >= self.end {
            return Err(ApkError::malformed(
                "resource table entry",
                format!("entry {index} outside its type chunk"),
            ));
        }
        Ok(Some(at))
    }
}

#[cfg(test)]
#[path = "arsc_tests.rs"]
mod tests;
