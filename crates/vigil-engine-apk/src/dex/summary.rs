//! What the rules read of a DEX file, gathered in one walk: the strings, the method
//! references (class, name, prototype), and every class with its Java name, superclass,
//! interfaces, fields and methods, each method with the method references it invokes and the
//! strings it loads. The identifier sections must read cleanly; a class whose data or code is
//! malformed (or whose code is past the budget of code units) is kept with what could be read
//! and the error noted in [`DexSummary::errors`]. Shared data cannot make a summary many times
//! larger than the file: the string bytes decoded and the list entries read (interfaces,
//! parameters, members) are each bounded by the file's length, and past that the summary is
//! refused.

use std::sync::Arc;

use super::class::AccessFlags;
use super::leb::decode_mutf8;
use super::{Anomaly, ClassDef, Dex, EncodedMethod, NO_INDEX};
use crate::error::{ApkError, Result};

/// Most errors kept in [`DexSummary::errors`]; later ones are counted, not kept.
const MAX_ERRORS: usize = 100;

/// A method prototype, shared by the method references that have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proto {
    /// Shorty descriptor, `LL` for `(Ljava/lang/String;)Ljava/lang/Process;`.
    pub shorty: Arc<str>,
    /// Parameter type descriptors.
    pub params: Vec<Arc<str>>,
    /// Return type descriptor.
    pub ret: Arc<str>,
}

/// A method reference resolved from `method_ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRef {
    /// Descriptor of the defining class, `Ljava/lang/Runtime;`.
    pub class: Arc<str>,
    /// Method name, `exec`.
    pub name: Arc<str>,
    /// The prototype.
    pub proto: Arc<Proto>,
}

impl MethodRef {
    /// Whether this is method `name` of class `class` (a descriptor).
    pub fn is(&self, class: &str, name: &str) -> bool {
        &*self.class == class && &*self.name == name
    }

    /// The prototype, `(Ljava/lang/String;)Ljava/lang/Process;`.
    pub fn signature(&self) -> String {
        format!("({}){}", self.proto.params.concat(), self.proto.ret)
    }
}

impl std::fmt::Display for MethodRef {
    /// Smali form: `Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}->{}{}", self.class, self.name, self.signature())
    }
}

/// A field reference resolved from `field_ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    /// Descriptor of the defining class, `Landroid/os/Build;`.
    pub class: Arc<str>,
    /// Field name, `SERIAL`.
    pub name: Arc<str>,
    /// Type descriptor.
    pub type_descriptor: Arc<str>,
}

impl FieldRef {
    /// Whether this is field `name` of class `class` (a descriptor).
    pub fn is(&self, class: &str, name: &str) -> bool {
        &*self.class == class && &*self.name == name
    }
}

impl std::fmt::Display for FieldRef {
    /// Smali form: `Landroid/os/Build;->SERIAL:Ljava/lang/String;`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}->{}:{}", self.class, self.name, self.type_descriptor)
    }
}

/// A field defined by a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSummary {
    /// Field name.
    pub name: Arc<str>,
    /// Type descriptor.
    pub type_descriptor: Arc<str>,
    /// Access flags.
    pub access: AccessFlags,
}

/// A method defined by a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSummary {
    /// Index into `method_ids` (and [`DexSummary::method_refs`]).
    pub method_idx: u32,
    /// Method name.
    pub name: Arc<str>,
    /// Access flags.
    pub access: AccessFlags,
    /// Whether it is a direct method (static, private or constructor) rather than virtual.
    pub direct: bool,
    /// Offset of its code, 0 for abstract and native methods.
    pub code_off: u32,
    /// Method references invoked, indices into [`DexSummary::method_refs`], sorted, unique.
    pub invokes: Vec<u32>,
    /// Strings loaded, indices into [`DexSummary::strings`], sorted, unique.
    pub strings: Vec<u32>,
    /// Fields read or written, indices into [`DexSummary::field_refs`], sorted, unique.
    pub fields: Vec<u32>,
    /// Types instantiated, checked or loaded (`new-instance`, `new-array`,
    /// `filled-new-array`, `const-class`, `check-cast`, `instance-of`), indices into
    /// [`DexSummary::types`], sorted, unique.
    pub types: Vec<u32>,
}

/// A class defined by the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    /// Descriptor, `Lcom/example/Main$Inner;`.
    pub descriptor: Arc<str>,
    /// Access flags.
    pub access: AccessFlags,
    /// Superclass descriptor.
    pub superclass: Option<Arc<str>>,
    /// Interface descriptors.
    pub interfaces: Vec<Arc<str>>,
    /// Source file name.
    pub source_file: Option<Arc<str>>,
    /// Static fields, then instance fields.
    pub fields: Vec<FieldSummary>,
    /// Direct methods, then virtual methods.
    pub methods: Vec<MethodSummary>,
}

impl ClassSummary {
    /// The Java name, `com.example.Main$Inner`.
    pub fn java_name(&self) -> String {
        java_name(&self.descriptor)
    }
}

/// A DEX file as the rules read it. Each string is decoded once and shared (`Arc<str>`) by
/// the types, names and prototypes that use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DexSummary {
    /// Format version.
    pub version: u16,
    /// Oddities of the file.
    pub anomalies: Vec<Anomaly>,
    /// Every string, in index order.
    pub strings: Vec<Arc<str>>,
    /// Every type descriptor, in index order.
    pub types: Vec<Arc<str>>,
    /// Every field reference, in index order.
    pub field_refs: Vec<FieldRef>,
    /// Every method reference, in index order.
    pub method_refs: Vec<MethodRef>,
    /// Every class defined.
    pub classes: Vec<ClassSummary>,
    /// Classes or code that could not be read (at most 100 kept).
    pub errors: Vec<String>,
    /// Number of errors, kept or not.
    pub error_count: usize,
}

/// What one summary may still read: string bytes, and entries of lists (interfaces,
/// parameters, members); both start at the file's length, which honest files stay under.
struct Budget {
    string_bytes: u64,
    entries: u64,
    code_units: u64,
}

impl Budget {
    fn spend(left: &mut u64, n: u64, what: &'static str, limit: u64) -> Result<()> {
        *left = left.checked_sub(n).ok_or(ApkError::TooLarge {
            what,
            size: limit.saturating_add(n),
            limit,
        })?;
        Ok(())
    }

    /// The descriptors of the type list at `offset`, its entries taken from the budget.
    fn type_list(&mut self, dex: &Dex, offset: u32, types: &[Arc<str>]) -> Result<Vec<Arc<str>>> {
        let list = dex.type_list(offset)?;
        let len = dex.data().len() as u64;
        Budget::spend(&mut self.entries, list.len() as u64, ENTRIES, len)?;
        list.into_iter()
            .map(|t| get(types, t.into(), "dex type_list"))
            .collect()
    }
}

/// What the entries budget is named in errors.
const ENTRIES: &str = "dex summary entries (interfaces, parameters, members)";

/// Entry `i` of a table built by the summary, or an error naming `what`.
fn get<T: Clone>(table: &[T], i: u32, what: &'static str) -> Result<T> {
    table.get(i as usize).cloned().ok_or_else(|| {
        ApkError::malformed(
            what,
            format!("index {i} out of range ({} entries)", table.len()),
        )
    })
}

/// An optional index ([`NO_INDEX`] for none) into a table.
fn get_opt<T: Clone>(table: &[T], i: u32, what: &'static str) -> Result<Option<T>> {
    if i == NO_INDEX {
        return Ok(None);
    }
    get(table, i, what).map(Some)
}

impl DexSummary {
    /// Read `dex` whole. Each string is decoded once; the code walk is bounded by the limits'
    /// `max_code_units`, and the string bytes and list entries read by the file's length
    /// (so shared data cannot make the summary larger than the file many times over).
    pub fn build(dex: &Dex) -> Result<Self> {
        let len = dex.data().len() as u64;
        let mut budget = Budget {
            string_bytes: len,
            entries: len,
            code_units: dex.limits().max_code_units,
        };
        let mut s = DexSummary {
            version: dex.version(),
            anomalies: dex.anomalies().to_vec(),
            ..DexSummary::default()
        };
        s.strings.reserve(dex.string_count() as usize);
        for i in 0..dex.string_count() {
            let bytes = dex.string_bytes(i)?;
            Budget::spend(
                &mut budget.string_bytes,
                bytes.len() as u64 + 1,
                "dex string data read (shared string data?)",
                len,
            )?;
            s.strings.push(Arc::from(decode_mutf8(bytes)));
        }
        let strings = &s.strings;
        s.types = (0..dex.type_count())
            .map(|i| get(strings, dex.type_string_idx(i)?, "dex type_ids"))
            .collect::<Result<Vec<_>>>()?;
        let types = &s.types;
        let mut protos = Vec::with_capacity(dex.proto_count() as usize);
        for i in 0..dex.proto_count() {
            let p = dex.proto(i)?;
            protos.push(Arc::new(Proto {
                shorty: get(strings, p.shorty_idx, "dex proto_ids")?,
                params: budget.type_list(dex, p.parameters_off, types)?,
                ret: get(types, p.return_type_idx, "dex proto_ids")?,
            }));
        }
        s.method_refs.reserve(dex.method_count() as usize);
        for m in dex.methods() {
            let m = m?;
            s.method_refs.push(MethodRef {
                class: get(types, m.class_idx.into(), "dex method_ids")?,
                name: get(strings, m.name_idx, "dex method_ids")?,
                proto: get(&protos, m.proto_idx.into(), "dex method_ids")?,
            });
        }
        s.field_refs = dex
            .fields()
            .map(|f| {
                let f = f?;
                Ok(FieldRef {
                    class: get(types, f.class_idx.into(), "dex field_ids")?,
                    name: get(strings, f.name_idx, "dex field_ids")?,
                    type_descriptor: get(types, f.type_idx.into(), "dex field_ids")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        for def in dex.class_defs() {
            let def = def?;
            let mut class = ClassSummary {
                descriptor: get(&s.types, def.class_idx, "dex class_defs")?,
                access: def.access,
                superclass: get_opt(&s.types, def.superclass_idx, "dex class_defs")?,
                interfaces: budget.type_list(dex, def.interfaces_off, &s.types)?,
                source_file: get_opt(&s.strings, def.source_file_idx, "dex class_defs")?,
                fields: Vec::new(),
                methods: Vec::new(),
            };
            if let Err(e) = s.read_members(dex, &def, &mut class, &mut budget) {
                if matches!(e, ApkError::TooLarge { .. }) {
                    return Err(e);
                }
                s.error(format!("class {}: {e}", class.descriptor));
            }
            s.classes.push(class);
        }
        Ok(s)
    }

    fn error(&mut self, e: String) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        }
    }

    fn read_members(
        &mut self,
        dex: &Dex,
        def: &ClassDef,
        class: &mut ClassSummary,
        budget: &mut Budget,
    ) -> Result<()> {
        let data = dex.class_data(def)?;
        let members = data.static_fields.len()
            + data.instance_fields.len()
            + data.direct_methods.len()
            + data.virtual_methods.len();
        let len = dex.data().len() as u64;
        Budget::spend(&mut budget.entries, members as u64, ENTRIES, len)?;
        for f in data.static_fields.iter().chain(&data.instance_fields) {
            let field = get(&self.field_refs, f.field_idx, "dex class_data")?;
            class.fields.push(FieldSummary {
                name: field.name,
                type_descriptor: field.type_descriptor,
                access: f.access,
            });
        }
        let direct = data.direct_methods.iter().map(|m| (m, true));
        for (m, direct) in direct.chain(data.virtual_methods.iter().map(|m| (m, false))) {
            let summary = self.method(dex, m, direct, &class.descriptor, budget)?;
            class.methods.push(summary);
        }
        Ok(())
    }

    fn method(
        &mut self,
        dex: &Dex,
        m: &EncodedMethod,
        direct: bool,
        class: &str,
        budget: &mut Budget,
    ) -> Result<MethodSummary> {
        let name = get(&self.method_refs, m.method_idx, "dex class_data")?.name;
        let mut summary = MethodSummary {
            method_idx: m.method_idx,
            name,
            access: m.access,
            direct,
            code_off: m.code_off,
            invokes: Vec::new(),
            strings: Vec::new(),
            fields: Vec::new(),
            types: Vec::new(),
        };
        if m.code_off != 0 {
            match dex.code_refs_within(m.code_off, &mut budget.code_units) {
                Ok(refs) => {
                    summary.invokes = unique(refs.methods, self.method_refs.len());
                    summary.strings = unique(refs.strings, self.strings.len());
                    summary.fields = unique(refs.fields, self.field_refs.len());
                    summary.types = unique(refs.types, self.types.len());
                }
                Err(e) => self.error(format!("{class}->{}: {e}", summary.name)),
            }
        }
        Ok(summary)
    }

    /// The method references to method `name` of class `class` (a descriptor), as indices.
    pub fn method_ref_indices(&self, class: &str, name: &str) -> Vec<u32> {
        indices(&self.method_refs, |m| m.is(class, name))
    }

    /// The methods that invoke method `name` of class `class` (a descriptor).
    pub fn callers_of<'s>(
        &'s self,
        class: &str,
        name: &str,
    ) -> impl Iterator<Item = (&'s ClassSummary, &'s MethodSummary)> + 's {
        self.methods_using(self.method_ref_indices(class, name), |m| &m.invokes)
    }

    /// The field references to field `name` of class `class` (a descriptor), as indices.
    pub fn field_ref_indices(&self, class: &str, name: &str) -> Vec<u32> {
        indices(&self.field_refs, |f| f.is(class, name))
    }

    /// The methods that read or write field `name` of class `class` (a descriptor).
    pub fn users_of_field<'s>(
        &'s self,
        class: &str,
        name: &str,
    ) -> impl Iterator<Item = (&'s ClassSummary, &'s MethodSummary)> + 's {
        self.methods_using(self.field_ref_indices(class, name), |m| &m.fields)
    }

    /// The methods that instantiate, check or load type `descriptor`.
    pub fn users_of_type<'s>(
        &'s self,
        descriptor: &str,
    ) -> impl Iterator<Item = (&'s ClassSummary, &'s MethodSummary)> + 's {
        self.methods_using(indices(&self.types, |t| &**t == descriptor), |m| &m.types)
    }

    /// The methods whose `refs` list holds one of `targets` (sorted).
    fn methods_using<'s>(
        &'s self,
        targets: Vec<u32>,
        refs: fn(&MethodSummary) -> &[u32],
    ) -> impl Iterator<Item = (&'s ClassSummary, &'s MethodSummary)> + 's {
        self.classes.iter().flat_map(move |c| {
            let targets = targets.clone();
            c.methods
                .iter()
                .filter(move |m| refs(m).iter().any(|i| targets.binary_search(i).is_ok()))
                .map(move |m| (c, m))
        })
    }

    /// The class with descriptor `descriptor`.
    pub fn class(&self, descriptor: &str) -> Option<&ClassSummary> {
        self.classes.iter().find(|c| &*c.descriptor == descriptor)
    }
}

/// The indices of the entries of `table` that `pick` picks, in order.
fn indices<T>(table: &[T], pick: impl Fn(&T) -> bool) -> Vec<u32> {
    (0u32..)
        .zip(table)
        .filter(|(_, t)| pick(t))
        .map(|(i, _)| i)
        .collect()
}

/// Indices below `bound`, sorted and without duplicates.
fn unique(mut v: Vec<u32>, bound: usize) -> Vec<u32> {
    v.retain(|i| (*i as usize) < bound);
    v.sort_unstable();
    v.dedup();
    v
}

/// The Java name of a type descriptor: `Lcom/example/Main;` is `com.example.Main`, `[I` is
/// `int[]`; anything else is returned as it is.
pub fn java_name(descriptor: &str) -> String {
    let dims = descriptor.bytes().take_while(|&b| b == b'[').count();
    let base = descriptor.get(dims..).unwrap_or_default();
    let mut name = match base {
        "V" => "void".to_string(),
        "Z" => "boolean".to_string(),
        "B" => "byte".to_string(),
        "S" => "short".to_string(),
        "C" => "char".to_string(),
        "I" => "int".to_string(),
        "J" => "long".to_string(),
        "F" => "float".to_string(),
        "D" => "double".to_string(),
        _ => match base.strip_prefix('L').and_then(|b| b.strip_suffix(';')) {
            Some(class) => class.replace('/', "."),
            None => return descriptor.to_string(),
        },
    };
    for _ in 0..dims {
        name.push_str("[]");
    }
    name
}

/// The place of an APK entry in Android's multidex order: `classes.dex` is 1, `classesN.dex`
/// is N (N from 2, as Android loads them until one is missing); anything else is `None`.
pub fn multidex_index(entry_name: &str) -> Option<u32> {
    let middle = entry_name.strip_prefix("classes")?.strip_suffix(".dex")?;
    if middle.is_empty() {
        return Some(1);
    }
    if middle.starts_with('0') || !middle.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    middle.parse().ok().filter(|n| *n >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_names() {
        assert_eq!(java_name("Lcom/example/Main$1;"), "com.example.Main$1");
        assert_eq!(java_name("[[I"), "int[][]");
        assert_eq!(java_name("[Ljava/lang/String;"), "java.lang.String[]");
        assert_eq!(java_name("Q"), "Q");
        assert_eq!(java_name("[Lx"), "[Lx");
    }

    #[test]
    fn multidex_names() {
        assert_eq!(multidex_index("classes.dex"), Some(1));
        assert_eq!(multidex_index("classes2.dex"), Some(2));
        assert_eq!(multidex_index("classes12.dex"), Some(12));
        for bad in [
            "classes1.dex",
            "classes02.dex",
            "classesx.dex",
            "lib/classes.dex",
        ] {
            assert_eq!(multidex_index(bad), None, "{bad}");
        }
    }
}
