//! Colours are decided per stream, as anstream decides (issue 9 item 17):
//! a plan piped to a file is plain while the diagnostics on a terminal are
//! coloured, and NO_COLOR, CLICOLOR and CLICOLOR_FORCE are honoured.

use std::process::Command;

use crate::support::repo;

/// `strata plan examples/layer-override` (a plan on stdout, a lift warning on
/// stderr) with `env`; stderr on a pseudo-terminal when `stderr_tty`.
/// Returns (stdout, stderr).
fn plan(env: &[(&str, &str)], tty: &str) -> (String, String) {
    // Python's pty module gives the child a terminal on one stream; the other stays a pipe.
    let script = r#"
import os, pty, subprocess, sys
which = sys.argv[1]
if which in ("out", "err"):
    master, slave = pty.openpty()
    if which == "out":
        p = subprocess.Popen(sys.argv[2:], stdout=slave, stderr=subprocess.PIPE)
    else:
        p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    piped = (p.stderr if which == "out" else p.stdout).read()
    p.wait()
    out, err = (tty, piped) if which == "out" else (piped, tty)
else:
    p = subprocess.run(sys.argv[2:], capture_output=True)
    out, err = p.stdout, p.stderr
sys.stdout.write(out.hex() + "\n" + err.hex() + "\n")
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script, tty, env!("CARGO_BIN_EXE_strata"), "plan", "examples/layer-override"]);
    cmd.current_dir(repo());
    for k in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "CI", "RUST_LOG"] {
        cmd.env_remove(k);
    }
    cmd.env("TERM", "xterm-256color")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") && !k.starts_with("AWS_EC2_METADATA") && k != "AWS_CONFIG_FILE" && k != "AWS_SHARED_CREDENTIALS_FILE" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut halves = text.lines().map(|h| {
        let bytes: Vec<u8> = (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    });
    (halves.next().unwrap_or_default(), halves.next().unwrap_or_default())
}

fn coloured(s: &str) -> bool {
    s.contains('\x1b')
}

#[test]
fn colours_are_decided_per_stream() {
    // stdout piped, stderr a terminal: only stderr is coloured.
    let (out, err) = plan(&[], "err");
    assert!(out.contains("Plan:") && err.contains("layer_lift"), "{out}\n{err}");
    assert!(!coloured(&out), "{out}");
    assert!(coloured(&err), "{err}");

    // stdout a terminal, stderr piped: only stdout is coloured (it was plain:
    // the stdout decision also required stderr to be a terminal).
    let (out, err) = plan(&[], "out");
    assert!(out.contains("Plan:") && err.contains("layer_lift"), "{out}\n{err}");
    assert!(coloured(&out), "{out}");
    assert!(!coloured(&err), "{err}");

    // Neither a terminal: plain, unless CLICOLOR_FORCE says otherwise.
    let (out, err) = plan(&[], "none");
    assert!(!coloured(&out) && !coloured(&err));
    let (out, err) = plan(&[("CLICOLOR_FORCE", "1")], "none");
    assert!(coloured(&out) && coloured(&err), "{out}\n{err}");

    // NO_COLOR and CLICOLOR=0 turn them off on a terminal.
    for env in [("NO_COLOR", "1"), ("CLICOLOR", "0")] {
        let (_, err) = plan(&[env], "err");
        assert!(err.contains("layer_lift") && !coloured(&err), "{env:?}: {err}");
    }
}
