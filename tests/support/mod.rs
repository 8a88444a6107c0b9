//! Test support shared by the integration tests that include it with `mod support;`.
// Each test crate uses only part of this module; the rest would be reported as dead code there.
#![allow(dead_code)]

pub mod mock_keap;
pub mod php;
pub mod process;

/// What `keap-migrate apply` writes as the first XML-RPC parameter once the key travels in a
/// header. Keap ignores the value, so the tool may change it: this is the one place to follow.
pub const PLACEHOLDER: &str = "placeholder";

/// `KEAP_MIGRATE_BLESS=1` rewrites expectations from the tool's own output, for a person to
/// review. Never under CI: an expectation the tool wrote for itself proves nothing.
pub fn bless() -> bool {
    let asked = std::env::var_os("KEAP_MIGRATE_BLESS").is_some();
    assert!(
        !(asked && php::in_ci()),
        "KEAP_MIGRATE_BLESS is set under CI: expectations are reviewed by hand, never blessed there"
    );
    asked
}
