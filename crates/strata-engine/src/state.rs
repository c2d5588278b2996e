//! Finding, locking and reading the state of a configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use strata_config::Config;
use strata_core::Diagnostic;
use strata_state::{DEFAULT_STATE_PATH, LocalBackend, LockGuard, LockInfo, State};

/// The backend of a configuration: `strata { backend "local" { path = ... } }`
/// (relative to the configuration directory), by default `.strata/state.json`
/// beside the configuration.
pub fn backend(config: &Config) -> Result<LocalBackend, Diagnostic> {
    let dir = &config.root_dir;
    match strata_config::backend_settings(config)? {
        None => Ok(LocalBackend::new(dir.join(DEFAULT_STATE_PATH))),
        Some(b) if b.kind == "local" => {
            let path = b.arguments.get("path").map_or_else(|| PathBuf::from(DEFAULT_STATE_PATH), PathBuf::from);
            Ok(LocalBackend::new(if path.is_absolute() { path } else { dir.join(path) }))
        }
        Some(b) => Err(Diagnostic::error("strata::state::unsupported_backend", format!("backend \"{}\" is not supported", b.kind))
            .with_label(Some(b.span), "unsupported backend")
            .with_help("use backend \"local\" { path = \"...\" }")),
    }
}

/// Read the state (`None` when there is none yet).
pub fn read(backend: &LocalBackend) -> Result<Option<State>, Diagnostic> {
    backend.read().map_err(Diagnostic::from)
}

/// Take the state lock for `operation`, waiting up to `timeout`.
pub fn lock(backend: &LocalBackend, operation: &str, timeout: Duration) -> Result<LockGuard, Diagnostic> {
    backend.lock(LockInfo::new(operation), timeout).map_err(Diagnostic::from)
}

/// Load just enough of a configuration directory to find its state.
pub fn backend_for_dir(dir: &Path) -> (Config, Result<LocalBackend, Diagnostic>) {
    let (config, _) = strata_config::load(dir);
    let b = backend(&config);
    (config, b)
}
