//! Test support shared by the integration tests that include it with `mod support;`.
// Each test crate uses only part of this module; the rest would be reported as dead code there.
#![allow(dead_code)]

pub mod mock_keap;
