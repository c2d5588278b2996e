//! Running the binary and normalising its output for snapshots.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// `exit code / stdout / stderr` in one text, for snapshots.
    pub fn snapshot(&self) -> String {
        format!("exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `strata ARGS` in the repository root with a clean environment for variables and colours.
pub fn strata(args: &[&str]) -> Output {
    strata_in(&repo(), args, &[])
}

pub fn strata_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1").env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("TF_VAR_") || k.starts_with("STRATA_VAR_") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    // No AWS credentials unless a test gives them: never the developer's
    // profiles, never the instance metadata service.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true").env("AWS_CONFIG_FILE", "/nonexistent").env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run strata");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Subdirectories of `path` (sorted).
pub fn dirs(path: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// A scratch directory with the given files.
pub fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, text).unwrap();
    }
    dir
}
