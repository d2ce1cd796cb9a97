//! Integration tests of the network engine, in one test binary (matklad's layout: each file
//! of this directory is a module): port scans and service detection against real sockets and
//! real servers on loopback, weak passwords and configuration risks with their safe twins, a
//! netlab peer behind a slow filtering link, and the binary-protocol probes (LDAP, SMB, RDP).
//! `common` holds the shared helpers.

mod common;
mod net;
mod probes;
