//! Running the binary and normalising its output for snapshots, and moto for
//! the tests that need it.
//!
//! # Tests that talk to moto
//!
//! A test that needs moto_server (the AWS API emulator) is named `moto_*` and
//! gets its server from [`moto`]; nothing else starts moto or reads its
//! address. Then:
//!
//! - `cargo nextest run` leaves `moto_*` tests out through the default
//!   filter in `.config/nextest.toml` and counts them as skipped;
//!   `scripts/test.sh` starts moto and runs the `full` profile, which leaves
//!   nothing out.
//! - [`moto`] never skips: without moto_server it fails, so a moto test run
//!   any other way (`cargo test`, `--profile full`) cannot pass unseen.
//! - [`moto`] fails a test whose name does not start with `moto_`, and the
//!   tidy test `tidy::tests_that_talk_to_moto_are_named_moto` fails for a test that
//!   reaches [`moto`] (or starts moto_server) through any chain of helpers
//!   without the name, or has the name without reaching it.

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

/// The name prefix that marks a test as needing moto: `.config/nextest.toml`
/// filters on it (`test(/(^|::)moto_\w*$/)`) and [`assert_moto_test`]
/// checks it.
pub const MOTO_TEST_PREFIX: &str = "moto_";

/// Fail unless the running test is named `moto_*`: a test that talks to moto
/// without the name would run, and fail, wherever moto is not started.
/// libtest runs every test on a thread named after it.
#[track_caller]
pub fn assert_moto_test() {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("(unnamed thread)");
    let test = name.rsplit("::").next().unwrap_or(name);
    assert!(
        test.starts_with(MOTO_TEST_PREFIX),
        "`{name}` talks to moto but its name does not start with `{MOTO_TEST_PREFIX}`: rename it `{MOTO_TEST_PREFIX}{test}` so \
         that runs without moto leave it out (README.md, Testing), and call `moto()` on the test's own thread"
    );
}

/// A moto_server of this test's own on a free loopback port (so that fixed
/// names in the examples cannot collide with other tests), stopped on drop.
pub struct Moto {
    child: std::process::Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start a moto_server for the running `moto_*` test. Without moto_server
/// the test fails: it is never skipped from inside (see the module docs).
#[track_caller]
pub fn moto() -> Moto {
    assert_moto_test();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "this test needs moto_server, which cannot start ({e}): run the suite with `bash scripts/test.sh` (it installs \
                 moto[server] and starts it), or install it with `python3 -m pip install 'moto[server]'`; to leave the moto \
                 tests out, run `cargo nextest run` (they count as skipped) or `cargo test -- --skip {MOTO_TEST_PREFIX}`"
            )
        });
    let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
    for _ in 0..150 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return moto;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("moto_server did not start listening on port {port} within 15 s");
}

/// The top-level field names of the `n`th ```json example of `docs/DOC`
/// (which must parse), sorted: what a JSON output's schema documents.
pub fn documented_fields(doc: &str, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("docs").join(doc)).unwrap();
    let block = text
        .split("```json\n")
        .nth(n + 1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_else(|| panic!("docs/{doc} has no json block {n}"));
    let example: serde_json::Value = serde_json::from_str(block).unwrap_or_else(|e| panic!("docs/{doc} json block {n}: {e}"));
    top_level_fields(&example)
}

/// The top-level field names of a JSON object, sorted.
pub fn top_level_fields(v: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("a JSON object").keys().cloned().collect();
    keys.sort();
    keys
}
