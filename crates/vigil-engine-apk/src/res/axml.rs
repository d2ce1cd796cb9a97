//! Android binary XML (`AndroidManifest.xml` and `res/xml/*.xml` in an APK) read into a small
//! DOM. The file is an `RES_XML_TYPE` chunk holding a string pool, an optional resource map
//! (the resource id of each attribute name, by name index) and a flat sequence of namespace,
//! element and CDATA chunks.
//!
//! Android's own parser (`ResXMLTree`) is the model for what is tolerated: the outer chunk's
//! type is not checked (malware changes it), chunks of unknown type are skipped by their size
//! (so is garbage that looks like a chunk), an element's attributes are found through its own
//! header size and `attributeStart`/`attributeSize` fields, a second string pool or resource
//! map is ignored, and mismatched end tags are not an error. Vigil is more lenient than Android
//! in two places, and says so in [`Document::warnings`]: a document size past the data (which
//! Android refuses) is cut to the data, and a chunk whose header cannot be believed after the
//! root element ends the document instead of failing it (before the root it is an error).
//! Chunk sizes need not be multiples of four. Attribute names are resolved through the resource map, since Android
//! reads `android:` attributes by resource id only and obfuscators mangle the names. Nodes,
//! depth, attributes and decoded text are bounded ([`Limits`]).

use std::collections::HashMap;

use crate::bytes::Reader;
use crate::error::{ApkError, Result};
use crate::res::chunk::{self, Chunk};
use crate::res::strings::StringPool;
use crate::res::value::{self, Value};

const WHAT: &str = "binary XML";

/// The `android` namespace.
pub const ANDROID_NS: &str = "http://schemas.android.com/apk/res/android";

/// Bounds on what one document may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Elements and text nodes.
    pub max_nodes: usize,
    /// Element nesting.
    pub max_depth: usize,
    /// Attributes of one element.
    pub max_attributes: usize,
    /// Attributes of the whole document.
    pub max_total_attributes: usize,
    /// Bytes of strings copied into the DOM.
    pub max_text_bytes: usize,
    /// Warnings kept.
    pub max_warnings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 200_000,
            max_depth: 256,
            max_attributes: 2048,
            max_total_attributes: 500_000,
            max_text_bytes: 64 << 20,
            max_warnings: 32,
        }
    }
}

/// A namespace declared in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its prefix (`android`).
    pub prefix: Option<String>,
    /// Its URI.
    pub uri: String,
}

/// An attribute of an element.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Namespace URI.
    pub namespace: Option<String>,
    /// Name as the string pool has it (possibly empty or mangled in obfuscated files).
    pub name: String,
    /// Resource id of the name from the resource map (`0x0101xxxx` for `android:` ones).
    pub resource_id: Option<u32>,
    /// The raw string value, when the compiler kept one.
    pub raw: Option<String>,
    /// The typed value.
    pub value: Value,
    /// The typed value's data type as stored (`Res_value::dataType`).
    pub data_type: u8,
    /// The typed value's data as stored.
    pub data: u32,
}

impl Attribute {
    /// The attribute's string: the typed string, else the raw string.
    pub fn string(&self) -> Option<&str> {
        self.value.as_str().or(self.raw.as_deref())
    }
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data.
    Text(String),
}

/// An element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    /// Namespace URI.
    pub namespace: Option<String>,
    /// Local name.
    pub name: String,
    /// Line in the source XML, as the compiler recorded it.
    pub line: u32,
    /// Attributes in file order.
    pub attributes: Vec<Attribute>,
    /// Children in file order.
    pub children: Vec<Node>,
}

impl Element {
    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements named `name`.
    pub fn children_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Element> {
        self.elements().filter(move |e| e.name == name)
    }

    /// The first attribute with resource id `id`: Android finds `android:` attributes by
    /// resource id only, whatever their names say.
    pub fn android(&self, id: u32) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.resource_id == Some(id))
    }

    /// The attribute without namespace named `name` (`package`, and the attributes of
    /// files read by name such as the network security configuration).
    pub fn plain(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_none() && a.name == name)
    }

    /// The attribute in namespace `ns` named `name`.
    pub fn attr(&self, ns: Option<&str>, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.namespace.as_deref() == ns && a.name == name)
    }

    /// Text of the element's character data, concatenated.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }
}

/// A binary XML document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The root element.
    pub root: Element,
    /// Namespaces declared, in order.
    pub namespaces: Vec<Namespace>,
    /// What was tolerated (skipped chunks, a document cut short), bounded.
    pub warnings: Vec<String>,
}

impl Document {
    /// Read a document with the default [`Limits`].
    pub fn parse(data: &[u8]) -> Result<Document> {
        Document::parse_with(data, Limits::default())
    }

    /// Read a document.
    pub fn parse_with(data: &[u8], limits: Limits) -> Result<Document> {
        Parser::new(data, limits)?.run()
    }

    /// The prefix declared for namespace `uri`.
    pub fn prefix(&self, uri: &str) -> Option<&str> {
        self.namespaces
            .iter()
            .find(|n| n.uri == uri)
            .and_then(|n| n.prefix.as_deref())
    }
}

struct Parser<'a> {
    data: &'a [u8],
    end: usize,
    first_chunk: usize,
    limits: Limits,
    pool: StringPool<'a>,
    resource_map: Vec<u32>,
    cache: HashMap<u32, Option<String>>,
    text_bytes: usize,
    nodes: usize,
    attributes: usize,
    warnings: Vec<String>,
}

impl<'a> Parser<'a> {
    fn new(data: &'a [u8], limits: Limits) -> Result<Parser<'a>> {
        let mut r = Reader::new(data, WHAT);
        let _kind = r.u16()?; // not checked, as Android does not
        let header_size = usize::from(r.u16()?);
        let size = r.u32()? as usize;
        if header_size < chunk::HEADER_LEN || header_size > data.len() {
            return Err(ApkError::malformed(
                WHAT,
                format!("document header size {header_size}"),
            ));
        }
        let mut warnings = Vec::new();
        let end = if size > data.len() || size < header_size {
            warnings.push(format!(
                "document size {size} is not the data's {}",
                data.len()
            ));
            data.len()
        } else {
            size
        };
        let mut p = Parser {
            data,
            end,
            first_chunk: header_size,
            limits,
            pool: StringPool::empty(),
            resource_map: Vec::new(),
            cache: HashMap::new(),
            text_bytes: 0,
            nodes: 0,
            attributes: 0,
            warnings,
        };
        p.find_pool_and_map()?;
        Ok(p)
    }

    fn warn(&mut self, w: String) {
        if self.warnings.len() < self.limits.max_warnings {
            self.warnings.push(w);
        }
    }

    /// The chunks of the document, until one cannot be believed.
    fn chunks(&self) -> Chunks<'a> {
        Chunks {
            data: self.data,
            at: self.first_chunk,
            end: self.end,
        }
    }

    /// The first string pool and the first resource map.
    fn find_pool_and_map(&mut self) -> Result<()> {
        let mut found_pool = false;
        for c in self.chunks() {
            let Ok(c) = c else { break };
            match c.kind {
                chunk::STRING_POOL if !found_pool => {
                    self.pool = StringPool::read(self.data, &c)?;
                    found_pool = true;
                }
                chunk::XML_RESOURCE_MAP if self.resource_map.is_empty() => {
                    let body = self.data.get(c.body()..c.end()).unwrap_or(&[]);
                    self.resource_map = body
                        .chunks_exact(4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                }
                _ => {}
            }
        }
        if !found_pool {
            return Err(ApkError::malformed(WHAT, "no string pool"));
        }
        Ok(())
    }

    /// String `i` of the pool, counted against the text budget.
    fn string(&mut self, i: u32) -> Result<Option<String>> {
        if i == u32::MAX {
            return Ok(None);
        }
        let s = match self.cache.get(&i) {
            Some(s) => s.clone(),
            None => {
                let s = self.pool.get(i).ok();
                self.cache.insert(i, s.clone());
                s
            }
        };
        self.text_bytes += s.as_ref().map_or(0, |s| s.len());
        if self.text_bytes > self.limits.max_text_bytes {
            return Err(ApkError::TooLarge {
                what: "binary XML text",
                size: self.text_bytes as u64,
                limit: self.limits.max_text_bytes as u64,
            });
        }
        Ok(s)
    }

    fn count_node(&mut self) -> Result<()> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(ApkError::TooLarge {
                what: "binary XML nodes",
                size: self.nodes as u64,
                limit: self.limits.max_nodes as u64,
            });
        }
        Ok(())
    }

    fn run(mut self) -> Result<Document> {
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        let mut namespaces = Vec::new();
        for c in self.chunks() {
            let c = match c {
                Ok(c) => c,
                Err(e) => {
                    if root.is_none() && stack.is_empty() {
                        return Err(e);
                    }
                    self.warn(format!("document cut short: {e}"));
                    break;
                }
            };
            match c.kind {
                chunk::STRING_POOL | chunk::XML_RESOURCE_MAP => {}
                chunk::XML_START_NAMESPACE => {
                    let mut r = Reader::at(c.bytes(self.data), c.header_size, WHAT)?;
                    let prefix = r.u32()?;
                    let uri = r.u32()?;
                    let prefix = self.string(prefix)?;
                    if let Some(uri) = self.string(uri)? {
                        self.count_node()?;
                        namespaces.push(Namespace { prefix, uri });
                    }
                }
                chunk::XML_START_ELEMENT => {
                    if stack.len() >= self.limits.max_depth {
                        return Err(ApkError::TooLarge {
                            what: "binary XML depth",
                            size: stack.len() as u64 + 1,
                            limit: self.limits.max_depth as u64,
                        });
                    }
                    self.count_node()?;
                    let e = self.element(&c)?;
                    stack.push(e);
                }
                chunk::XML_END_ELEMENT => match stack.pop() {
                    Some(e) => close(e, &mut stack, &mut root, &mut self.warnings),
                    None => self.warn(format!("end tag without start at {}", c.offset)),
                },
                chunk::XML_CDATA => {
                    let mut r = Reader::at(c.bytes(self.data), c.header_size, WHAT)?;
                    let text = r.u32()?;
                    let text = self.string(text)?.unwrap_or_default();
                    self.count_node()?;
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(Node::Text(text));
                    }
                }
                chunk::XML_END_NAMESPACE => {}
                other => self.warn(format!("skipped chunk 0x{other:04x} at {}", c.offset)),
            }
        }
        if !stack.is_empty() {
            self.warn(format!("{} elements left open", stack.len()));
        }
        while let Some(e) = stack.pop() {
            close(e, &mut stack, &mut root, &mut self.warnings);
        }
        let root = root.ok_or_else(|| ApkError::malformed(WHAT, "no element"))?;
        self.warnings.truncate(self.limits.max_warnings);
        Ok(Document {
            root,
            namespaces,
            warnings: self.warnings,
        })
    }

    /// A start element chunk: line, name and attributes.
    fn element(&mut self, c: &Chunk) -> Result<Element> {
        let bytes = c.bytes(self.data);
        let mut h = Reader::at(bytes, chunk::HEADER_LEN, WHAT)?;
        let line = if c.header_size >= 16 { h.u32()? } else { 0 };
        let mut r = Reader::at(bytes, c.header_size, WHAT)?;
        let ext = r.pos();
        let ns = r.u32()?;
        let name = r.u32()?;
        let attr_start = usize::from(r.u16()?);
        let attr_size = usize::from(r.u16()?);
        let attr_count = usize::from(r.u16()?);
        self.attributes += attr_count;
        for (what, size, limit) in [
            (
                "binary XML attributes",
                attr_count,
                self.limits.max_attributes,
            ),
            (
                "binary XML attributes in all",
                self.attributes,
                self.limits.max_total_attributes,
            ),
        ] {
            if size > limit {
                return Err(ApkError::TooLarge {
                    what,
                    size: size as u64,
                    limit: limit as u64,
                });
            }
        }
        if attr_count > 0 && attr_size < 20 {
            return Err(ApkError::malformed(
                WHAT,
                format!("attribute size {attr_size} at {}", c.offset),
            ));
        }
        let namespace = self.string(ns)?;
        let name = self.string(name)?.ok_or_else(|| {
            ApkError::malformed(WHAT, format!("element without name at {}", c.offset))
        })?;
        let mut attributes = Vec::with_capacity(attr_count);
        for i in 0..attr_count {
            let at = ext + attr_start + i * attr_size;
            let mut a = Reader::at(bytes, at, WHAT)?;
            let ns = a.u32()?;
            let name_index = a.u32()?;
            let raw = a.u32()?;
            let (kind, data) = value::read_raw(&mut a)?;
            let resource_id = self
                .resource_map
                .get(name_index as usize)
                .copied()
                .filter(|id| *id != 0);
            let namespace = self.string(ns)?;
            let name = self.string(name_index)?.unwrap_or_default();
            let raw = self.string(raw)?;
            let value = match kind {
                value::TYPE_STRING => Value::String(self.string(data)?),
                _ => Value::decode(kind, data, &self.pool),
            };
            attributes.push(Attribute {
                namespace,
                name,
                resource_id,
                raw,
                value,
                data_type: kind,
                data,
            });
        }
        Ok(Element {
            namespace,
            name,
            line,
            attributes,
            children: Vec::new(),
        })
    }
}

/// Attach a finished element to its parent, or make it the root.
fn close(
    e: Element,
    stack: &mut [Element],
    root: &mut Option<Element>,
    warnings: &mut Vec<String>,
) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(e)),
        None if root.is_none() => *root = Some(e),
        None => {
            if warnings.len() < 32 {
                warnings.push(format!("second root element <{}> ignored", e.name));
            }
        }
    }
}

/// The chunks inside the document, each checked to fit; iteration stops after an error or
/// when fewer than a header's bytes remain.
struct Chunks<'a> {
    data: &'a [u8],
    at: usize,
    end: usize,
}

impl Iterator for Chunks<'_> {
    type Item = Result<Chunk>;

    fn next(&mut self) -> Option<Result<Chunk>> {
        if self.at.saturating_add(chunk::HEADER_LEN) > self.end {
            return None;
        }
        match Chunk::read(self.data, self.at, self.end, WHAT) {
            Ok(c) => {
                self.at = c.end();
                Some(Ok(c))
            }
            Err(e) => {
                self.at = self.end;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
#[path = "axml_tests.rs"]
pub(crate) mod tests;
