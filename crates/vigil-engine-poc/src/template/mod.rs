//! Templates: the typed model (`model`), the YAML shape serde reads (`raw`), the parser
//! from one file's text to a checked [`Template`] (`parse`), catalogues loaded from
//! directories and archives (`load`), installing an archive into the data directory
//! (`install`), and selection by id, tag and severity (`filter`).

mod filter;
mod install;
mod load;
mod model;
mod parse;
pub(crate) mod raw;

pub use filter::{glob, Filter};
pub use install::{install_archive, installed_source, InstallError, Source, SOURCE_FILE};
pub use load::{Catalog, LoadError, LoadLimits, Rejected, Summary};
pub use model::{
    Attack, Body, DnsRequest, Flow, HttpKind, HttpRequest, Info, NetworkHost, NetworkInput,
    NetworkRequest, Payloads, Redirects, Severity, Skip, SslRequest, Template,
};
pub use parse::{
    parse_flow, parse_template, NoFiles, ParseError, PayloadFiles, MAX_READ_SIZE,
    MAX_TEMPLATE_BYTES,
};
pub use raw::RawOperators;
