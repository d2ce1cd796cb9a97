//! Integration tests of vigil-detect, in one test binary (yara-x makes every test binary about
//! 40 MB; one binary links once).

mod clamav;
mod common;
mod malware;
mod scanner;
mod secrets;
mod sensitive;
