//! Helpers shared by the crate's own tests and its integration tests.

pub mod pg;

/// True under CI, where a missing dependency of a test is a failure.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}
