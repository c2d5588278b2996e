//! `strata state list|show`, `show`, `output`, `force-unlock` on recorded states.

use crate::support::{repo, scratch, strata_in};

const MAIN: &str = "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n";

fn with_state(fixture: &str) -> tempfile::TempDir {
    let dir = scratch(&[("main.tf", MAIN)]);
    std::fs::create_dir_all(dir.path().join(".strata")).unwrap();
    std::fs::copy(repo().join("fixtures/states").join(fixture), dir.path().join(".strata/state.json")).unwrap();
    dir
}

#[test]
fn list_show_and_outputs_hide_secrets() {
    let dir = with_state("valid.json");
    let out = strata_in(dir.path(), &["state", "list"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    insta::assert_snapshot!("state_list", out.stdout);
    let out = strata_in(dir.path(), &["state", "list", "module.web"], &[]);
    assert_eq!(out.stdout.lines().count(), 1);

    let out = strata_in(dir.path(), &["state", "show", "aws_db_instance.main"], &[]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("password") && out.stdout.contains("(sensitive value)"), "{}", out.stdout);
    let secret =
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.path().join(".strata/state.json")).unwrap()).unwrap();
    let password =
        secret["resources"].as_array().unwrap().iter().find(|r| r["address"] == "aws_db_instance.main").unwrap()["attributes"]["password"]
            .as_str()
            .unwrap()
            .to_string();
    for args in [vec!["state", "show", "aws_db_instance.main"], vec!["show"], vec!["show", "--json"], vec!["output"]] {
        let out = strata_in(dir.path(), &args, &[]);
        assert!(!out.stdout.contains(&password), "{args:?} printed the password");
    }

    let out = strata_in(dir.path(), &["state", "show", "aws_db_instance.mian"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("did you mean `aws_db_instance.main`?"), "{}", out.stderr);
}

#[test]
fn bad_state_files_are_diagnostics_and_stay_untouched() {
    for (fixture, code) in [
        ("corrupt.json", "strata::state::corrupt"),
        ("truncated.json", "strata::state::truncated"),
        ("future-version.json", "strata::state::future_version"),
        ("wrong-shape.json", "strata::state::invalid"),
    ] {
        let dir = with_state(fixture);
        let before = std::fs::read(dir.path().join(".strata/state.json")).unwrap();
        for args in [vec!["state", "list"], vec!["show"], vec!["output"], vec!["plan"]] {
            let out = strata_in(dir.path(), &args, &[]);
            assert_eq!(out.code, 1, "{fixture} {args:?}: {}", out.snapshot());
            assert!(out.stderr.contains(code), "{fixture} {args:?}: {}", out.stderr);
        }
        assert_eq!(std::fs::read(dir.path().join(".strata/state.json")).unwrap(), before, "{fixture} was modified");
    }
}

#[test]
fn no_state_yet() {
    let dir = scratch(&[("main.tf", MAIN)]);
    let out = strata_in(dir.path(), &["show"], &[]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("No state"));
    let out = strata_in(dir.path(), &["state", "list"], &[]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
}

#[test]
fn force_unlock_needs_the_right_id() {
    let dir = scratch(&[("main.tf", MAIN)]);
    let out = strata_in(dir.path(), &["force-unlock", "not-an-id"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::state::lock_not_found"), "{}", out.stderr);
}

#[test]
fn backend_path_from_the_strata_block() {
    let main = format!("{MAIN}strata {{\n  backend \"local\" {{\n    path = \"state/prod.json\"\n  }}\n}}\n");
    let dir = scratch(&[("main.tf", &main)]);
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    std::fs::copy(repo().join("fixtures/states/valid.json"), dir.path().join("state/prod.json")).unwrap();
    let out = strata_in(dir.path(), &["state", "list"], &[]);
    assert!(out.stdout.contains("aws_vpc.main"), "{}", out.snapshot());
    let bad = scratch(&[("main.tf", "variable \"p\" {}\nstrata {\n  backend \"local\" {\n    path = var.p\n  }\n}\n")]);
    let out = strata_in(bad.path(), &["state", "list"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::config::backend_not_literal"), "{}", out.stderr);
}

/// A configuration whose output `deep` nests lists `depth` levels deep,
/// built through locals (one literal may nest only 64 levels).
fn nested_output(depth: usize) -> tempfile::TempDir {
    let mut text = String::from("locals {\n  l0 = 1\n");
    for i in 1..=depth {
        text += &format!("  l{i} = [local.l{}]\n", i - 1);
    }
    text += &format!("}}\n\noutput \"deep\" {{\n  value = local.l{depth}\n}}\n");
    scratch(&[("main.tf", &text)])
}

/// Regression: an output nested more than 125 levels deep was written to the
/// state, and every later command found the state corrupt ("recursion limit
/// exceeded"). Outputs deeper than the limit are refused before anything is
/// applied; one at the limit reads back.
#[test]
fn an_output_too_deep_for_the_state_file_is_refused_before_it_is_written() {
    // No resources: nothing calls AWS, but apply wants credentials.
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ];
    let at_limit = nested_output(60);
    let out = strata_in(at_limit.path(), &["apply", "--auto-approve"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let out = strata_in(at_limit.path(), &["output", "deep"], &[]);
    assert_eq!(out.code, 0, "the state reads back:\n{}", out.snapshot());
    assert_eq!(out.stdout.matches('[').count(), 60, "{}", out.stdout);

    for depth in [61, 130] {
        let deep = nested_output(depth);
        let out = strata_in(deep.path(), &["apply", "--auto-approve"], &env);
        assert_eq!(out.code, 1, "{}", out.snapshot());
        assert!(out.stderr.contains("strata::config::output_too_deep"), "{}", out.stderr);
        assert!(!deep.path().join(".strata/state.json").exists(), "nothing was written");
    }
}
