//! RFC 3339 time stamps in UTC (`2026-11-23T13:00:00Z`) for state records and
//! lock holders: `strata_core::time`, which formats them with jiff.

pub use strata_core::time::{now_rfc3339, rfc3339};
