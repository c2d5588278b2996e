//! strata's state: what exists in the cloud, as last recorded.
//!
//! - [`model`]: the format (version 1, JSON) and its types, [`State`] first.
//! - [`read_state`]: reading and checking a file; it never modifies it, and
//!   every problem is a [`StateError`] with a stable code
//!   (`strata::state::corrupt`, `truncated`, `future_version`, `invalid`, ...)
//!   that converts into a [`strata_core::Diagnostic`].
//! - [`LocalBackend`]: atomic writes with a backup of the previous version,
//!   [`LocalBackend::persist`] (serial bump on change), and the lock
//!   ([`LocalBackend::lock`], [`LocalBackend::force_unlock`]).
//! - [`StateKey`]: the random key beside the state (`state.key`, 0600) that
//!   keys every hash of a secret ([`LocalBackend::key`]).
//!
//! This crate knows nothing of configuration, plans or providers: the engine
//! decides what to record, this crate keeps it safe.

mod error;
mod key;
mod local;
mod lock;
pub mod model;
mod read;
pub mod time;

pub use error::StateError;
pub use key::{KeyedHash, StateKey};
pub use local::{DEFAULT_STATE_PATH, LocalBackend};
pub use lock::{LockGuard, LockInfo, host_name, user_name};
pub use model::{FORMAT_VERSION, Intent, OutputState, ResourceState, State, sensitive_paths};
pub use read::{backup_path, parse_state, read_state};

#[cfg(test)]
mod tests;
