//! Test support shared by this crate's integration suites (and, by `#[path]`, by the
//! process tests of the `vanish` crate).

#![allow(dead_code)] // each test binary uses part of this module

pub mod proxy;
pub mod redis;
