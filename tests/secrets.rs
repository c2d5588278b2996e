//! Canary secrets through every path a sensitive value can leak by: each
//! path gets its own distinct canary, fed in as a sensitive variable (from
//! the environment, `--var` or a variable file), and the real binary is run
//! at every verbosity. A canary must appear in no stdout, no stderr and no
//! file written beside the configuration (saved plans, the state key); only
//! the state file itself holds secrets, by design (mode 0600, with
//! `sensitive_paths` telling every renderer to hide them).

use std::path::Path;

use crate::e2e::aws_env;
use crate::support::moto;
use crate::support::{Output, scratch, strata_in};

const VERBOSITY: [&str; 4] = ["", "-v", "-vv", "-vvv"];

/// One leak path: a configuration, how the canary gets in, what is run.
struct Case {
    name: &'static str,
    canary: &'static str,
    files: Vec<(&'static str, String)>,
    env: Vec<(&'static str, String)>,
    /// Arguments added to every command (`--var`).
    extra: Vec<String>,
}

/// A sensitive string variable `s` given through `STRATA_VAR_s`, used by `expr`.
fn through(name: &'static str, canary: &'static str, expr: &str) -> Case {
    let main = format!(
        "variable \"s\" {{\n  type      = string\n  sensitive = true\n}}\noutput \"x\" {{\n  value     = {expr}\n  sensitive = true\n}}\n"
    );
    Case { name, canary, files: vec![("main.tf", main)], env: vec![("STRATA_VAR_s", canary.to_string())], extra: Vec::new() }
}

/// A configuration whose only variable is sensitive and typed `ty`.
fn typed(ty: &str) -> String {
    format!("variable \"v\" {{\n  type      = {ty}\n  sensitive = true\n}}\noutput \"x\" {{\n  value     = var.v\n  sensitive = true\n}}\n")
}

fn error_cases() -> Vec<Case> {
    let mut cases = vec![
        through("tonumber", "c4n4ry-tonumber", "tonumber(var.s)"),
        through("tobool", "c4n4ry-tobool", "tobool(var.s)"),
        through("parseint", "c4n4ry-parseint", "parseint(var.s, 10)"),
        through("cidrsubnet", "c4n4ry-cidrsubnet", "cidrsubnet(var.s, 8, 1)"),
        through("file", "c4n4ry-file-path", "file(var.s)"),
        through("format", "c4n4ry-format", "format(\"%d\", var.s)"),
        through("plus", "c4n4ry-plus", "var.s + 1"),
        through("negation", "c4n4ry-negation", "-var.s"),
        through("map key", "c4n4ry-mapkey", "{ a = 1 }[var.s]"),
        through("list index", "c4n4ry-listindex", "[1, 2][var.s]"),
    ];
    let lookup = "variable \"m\" {\n  type      = map(string)\n  sensitive = true\n}\noutput \"x\" {\n  value     = lookup(var.m, \"missing\")\n  sensitive = true\n}\n";
    cases.push(Case {
        name: "lookup",
        canary: "c4n4ry-lookup",
        files: vec![("main.tf", lookup.to_string())],
        env: vec![("STRATA_VAR_m", "{ \"c4n4ry-lookup\" = \"v\" }".to_string())],
        extra: Vec::new(),
    });
    let index = "variable \"n\" {\n  type      = number\n  sensitive = true\n}\noutput \"x\" {\n  value     = [1, 2][var.n]\n  sensitive = true\n}\n";
    cases.push(Case {
        name: "list index out of range",
        canary: "7313373",
        files: vec![("main.tf", index.to_string())],
        env: vec![("STRATA_VAR_n", "7313373".to_string())],
        extra: Vec::new(),
    });
    cases.push(Case {
        name: "wrong type from the environment",
        canary: "c4n4ry-wrongtype",
        files: vec![("main.tf", typed("number"))],
        env: vec![("STRATA_VAR_v", "c4n4ry-wrongtype".to_string())],
        extra: Vec::new(),
    });
    cases.push(Case {
        name: "TF_VAR_ parse error",
        canary: "c4n4ry-tfvar",
        files: vec![("main.tf", typed("list(string)"))],
        env: vec![("TF_VAR_v", "[\"c4n4ry-tfvar\"".to_string())],
        extra: Vec::new(),
    });
    cases.push(Case {
        name: "STRATA_VAR_ parse error",
        canary: "c4n4ry-stratavar",
        files: vec![("main.tf", typed("list(number)"))],
        env: vec![("STRATA_VAR_v", "[1, \"c4n4ry-stratavar\"]".to_string())],
        extra: Vec::new(),
    });
    cases.push(Case {
        name: "--var parse error",
        canary: "c4n4ry-flag",
        files: vec![("main.tf", typed("map(number)"))],
        env: Vec::new(),
        extra: vec!["--var".into(), "v={ a = \"c4n4ry-flag\" }".into()],
    });
    cases.push(Case {
        name: "variable file of the wrong type",
        canary: "c4n4ry-varfile",
        files: vec![("main.tf", typed("number")), ("terraform.tfvars", "v = \"c4n4ry-varfile\"\n".into())],
        env: Vec::new(),
        extra: Vec::new(),
    });
    cases.push(Case {
        name: "variable file that does not parse",
        canary: "c4n4ry-varsyntax",
        files: vec![("main.tf", typed("string")), ("secret.auto.tfvars", "v = \"c4n4ry-varsyntax\n".into())],
        env: Vec::new(),
        extra: Vec::new(),
    });
    cases.push(Case {
        name: "JSON variable file of the wrong type",
        canary: "c4n4ry-varjson",
        files: vec![("main.tf", typed("list(number)")), ("a.auto.tfvars.json", "{\"v\": [\"c4n4ry-varjson\"]}".into())],
        env: Vec::new(),
        extra: Vec::new(),
    });
    cases
}

fn run(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    strata_in(dir, args, &env)
}

/// Every file under `dir` except the state (and its backup), which keeps
/// secrets by design.
fn written_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if !p.file_name().is_some_and(|n| n == "state.json" || n == "state.json.backup") {
                out.push(p);
            }
        }
    }
    out
}

#[track_caller]
fn assert_hidden(what: &str, canary: &str, out: &Output) {
    assert!(!out.stdout.contains(canary), "{what}: the canary is on stdout:\n{}", out.snapshot());
    assert!(!out.stderr.contains(canary), "{what}: the canary is on stderr:\n{}", out.snapshot());
}

/// Files the case wrote itself (the configuration and variable files) hold
/// the canary on purpose; everything else strata wrote must not.
#[track_caller]
fn assert_no_file_holds(what: &str, canary: &str, dir: &Path, own: &[&str]) {
    for p in written_files(dir) {
        if own.iter().any(|o| p.ends_with(o)) {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(canary), "{what}: {} holds the canary", p.display());
    }
}

/// Guards against error messages, diagnostics (text and JSON) and logs that
/// show a sensitive value: each canary fails evaluation on its own path and
/// is reported as `(sensitive value)`.
#[test]
fn sensitive_values_never_appear_in_errors_at_any_verbosity() {
    for case in error_cases() {
        let files: Vec<(&str, &str)> = case.files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let dir = scratch(&files);
        let own: Vec<&str> = case.files.iter().map(|(n, _)| *n).collect();
        for cmd in [&["validate"][..], &["validate", "--json"], &["plan"], &["plan", "--json"]] {
            for v in VERBOSITY {
                let mut args: Vec<&str> = cmd.to_vec();
                if !v.is_empty() {
                    args.push(v);
                }
                args.extend(case.extra.iter().map(String::as_str));
                let out = run(dir.path(), &args, &case.env);
                let what = format!("{} ({})", case.name, args.join(" "));
                assert_eq!(out.code, 1, "{what}: the value is invalid, so the command fails:\n{}", out.snapshot());
                assert_hidden(&what, case.canary, &out);
                // Words only: the renderer wraps long messages behind a `│`.
                let said: Vec<&str> = out.stdout.split_whitespace().chain(out.stderr.split_whitespace()).filter(|w| *w != "│").collect();
                let said = said.join(" ");
                assert!(
                    said.contains("(sensitive value)") || said.contains("not shown"),
                    "{what}: the error says why:\n{}",
                    out.snapshot()
                );
            }
        }
        assert_no_file_holds(case.name, case.canary, dir.path(), &own);
    }
}

const TAGGED: &str = r#"
variable "tag" {
  type      = string
  sensitive = true
}
variable "cidr" {
  type      = string
  sensitive = true
  default   = "10.42.0.0/16"
}
resource "aws_vpc" "v" {
  cidr_block = var.cidr
  tags       = { Name = "canary-test", Token = var.tag }
}
output "vpc" {
  value = aws_vpc.v.id
}
"#;

/// Guards against `tags_all` (computed from `tags`) printing a secret that
/// `tags` hides, against saved plans, `plan --json`, logs and the state
/// readers showing it, and against a cloud error echoing a sensitive value
/// it was sent: an apply against moto, then every reader of its result.
#[test]
fn moto_a_secret_tag_stays_hidden_through_apply_and_every_reader() {
    let moto = moto();
    let aws = aws_env(&moto.url);
    let canary = "c4n4ry-tag-in-tags-all";
    let mut env: Vec<(&str, String)> = aws.iter().map(|(k, v)| (*k, v.to_string())).collect();
    env.push(("STRATA_VAR_tag", canary.to_string()));
    let dir = scratch(&[("main.tf", TAGGED)]);

    let out = run(dir.path(), &["plan", "--out", "tfplan", "-vv"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert_hidden("plan --out", canary, &out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tfplan")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a saved plan is private");
        let mode = std::fs::metadata(dir.path().join(".strata/state.key")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the state key is private");
    }
    let out = run(dir.path(), &["apply", "--auto-approve", "tfplan", "-vvv"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert_hidden("apply tfplan", canary, &out);

    let readers: [&[&str]; 9] = [
        &["state", "show", "aws_vpc.v"],
        &["state", "list"],
        &["show"],
        &["show", "--json"],
        &["show", "tfplan"],
        &["show", "tfplan", "--json"],
        &["output"],
        &["output", "--json"],
        &["plan", "--json"],
    ];
    for args in readers {
        for v in VERBOSITY {
            let mut args = args.to_vec();
            if !v.is_empty() {
                args.push(v);
            }
            let out = run(dir.path(), &args, &env);
            assert_eq!(out.code, 0, "{}: {}", args.join(" "), out.snapshot());
            assert_hidden(&args.join(" "), canary, &out);
        }
    }
    let shown = run(dir.path(), &["state", "show", "aws_vpc.v"], &env);
    assert!(shown.stdout.contains("tags_all") && shown.stdout.contains("(sensitive value)"), "{}", shown.stdout);
    for args in [&["refresh", "-vv"][..], &["drift", "-vvv"], &["plan", "-vvv"]] {
        let out = run(dir.path(), args, &env);
        assert!(out.code == 0 || out.code == 2, "{}: {}", args.join(" "), out.snapshot());
        assert_hidden(&args.join(" "), canary, &out);
    }

    // The state holds the secret (it must, to diff it) and says where: a
    // reload hides `tags.Token` and `tags_all`'s copy of it.
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(".strata/state.json")).unwrap()).unwrap();
    let paths = state["resources"][0]["sensitive_paths"].as_array().unwrap();
    let has = |p: &[&str]| paths.iter().any(|x| x.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).eq(p.iter().copied()));
    assert!(has(&["tags", "Token"]), "{paths:?}");
    assert!(has(&["tags_all"]) || has(&["tags_all", "Token"]), "{paths:?}");
    assert_no_file_holds("apply", canary, dir.path(), &["main.tf"]);

    // An output exposing tags_all without `sensitive = true` is an error.
    std::fs::write(dir.path().join("out.tf"), "output \"tags\" {\n  value = aws_vpc.v.tags_all\n}\n").unwrap();
    let out = run(dir.path(), &["plan"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::config::sensitive_output") && out.stderr.contains("out.tf:"), "{}", out.stderr);
    assert_hidden("plan with a non-sensitive output of tags_all", canary, &out);
    std::fs::remove_file(dir.path().join("out.tf")).unwrap();

    // A saved plan is stale when a sensitive variable changed, and applies when it did not.
    let out = run(dir.path(), &["plan", "--out", "again"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let mut changed = env.clone();
    changed.retain(|(k, _)| *k != "STRATA_VAR_tag");
    changed.push(("STRATA_VAR_tag", "c4n4ry-other-tag".to_string()));
    let out = run(dir.path(), &["apply", "--auto-approve", "again"], &changed);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::plan::stale"), "{}", out.stderr);
    assert_hidden("stale plan", "c4n4ry-other-tag", &out);
    let out = run(dir.path(), &["apply", "--auto-approve", "again"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());

    // A create that fails: moto echoes the sensitive CIDR it refuses.
    let cidr = "10.99.0.0/29";
    let failing = scratch(&[("main.tf", TAGGED)]);
    let mut env2 = env.clone();
    env2.push(("STRATA_VAR_cidr", cidr.to_string()));
    for v in VERBOSITY {
        let mut args = vec!["apply", "--auto-approve"];
        if !v.is_empty() {
            args.push(v);
        }
        let out = run(failing.path(), &args, &env2);
        assert_eq!(out.code, 1, "{}", out.snapshot());
        assert!(out.stdout.contains("failed") || out.stderr.contains("failed"), "{}", out.snapshot());
        assert_hidden(&format!("failed create {v}"), cidr, &out);
        assert_hidden(&format!("failed create {v}"), canary, &out);
    }
    assert_no_file_holds("failed create", cidr, failing.path(), &["main.tf"]);
}

/// Guards against an unkeyed digest of secrets in `plan --json`: the same
/// configuration and secret give different digests beside different states
/// (each has its own key), and the same digest beside the same state.
#[test]
fn plan_json_digests_are_keyed_per_state() {
    let main =
        "variable \"pw\" {\n  type      = string\n  sensitive = true\n}\noutput \"x\" {\n  value     = var.pw\n  sensitive = true\n}\n";
    let env = [("STRATA_VAR_pw", "c4n4ry-digest".to_string())];
    let digest = |dir: &Path| {
        let out = run(dir, &["plan", "--json"], &env);
        assert_eq!(out.code, 0, "{}", out.snapshot());
        assert_hidden("plan --json", "c4n4ry-digest", &out);
        let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        j["config_digest"].as_str().unwrap().to_string()
    };
    let a = scratch(&[("main.tf", main)]);
    let b = scratch(&[("main.tf", main)]);
    let first = digest(a.path());
    assert_eq!(digest(a.path()), first, "the key is kept: the digest is stable");
    assert_ne!(digest(b.path()), first, "another state's key gives another digest");
    assert_no_file_holds("plan --json", "c4n4ry-digest", a.path(), &["main.tf"]);
}
