//! Test support shared by the integration tests that include it with `mod support;`.
// Each test crate uses only part of this module; the rest would be reported as dead code there.
#![allow(dead_code)]

pub mod mock_keap;
pub mod php;
pub mod process;

/// What `keap-migrate apply` writes as the first XML-RPC parameter once the key travels in a
/// header. Keap ignores the value, so the tool may change it: this is the one place to follow.
pub const PLACEHOLDER: &str = "placeholder";
