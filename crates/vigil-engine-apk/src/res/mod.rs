//! Android's compiled resources: the chunk format shared by binary XML and the resource
//! table ([`chunk`]), string pools ([`strings`]) and typed values ([`value`]); binary XML
//! read into a small DOM ([`axml`]), `resources.arsc` ([`arsc`]), the typed manifest
//! ([`manifest`]) and the network security configuration ([`nsc`]) on top of them. Every
//! reader works on the file's bytes, bounds every count, size and depth, and reports an
//! [`crate::ApkError`] instead of panicking.

pub mod arsc;
pub mod axml;
pub mod chunk;
pub mod config;
pub mod manifest;
pub mod nsc;
pub mod strings;
pub mod value;

pub use arsc::ResourceTable;
pub use axml::{Attribute, Document, Element, Node};
pub use manifest::Manifest;
pub use value::Value;
