//! Integration tests of vigil-registry, in one test binary (matklad's layout: each file of
//! this directory is a module): the client against a real `docker-registry` on loopback
//! (anonymous, Basic, Bearer and TLS setups with their refusal twins, the scope guard) and
//! the overall blob deadline against a trickling registry. `support` holds the registry,
//! token service and test PKI.

mod deadline;
mod registry;
mod support;
