//! `strata state list|show`, `show`, `output`, `force-unlock` on recorded states.

use crate::support::{documented_fields, repo, scratch, strata_in, top_level_fields};

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

fn json_of(out: &crate::support::Output) -> serde_json::Value {
    assert_eq!(out.code, 0, "{}", out.snapshot());
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// issue 9 item 16: `show --json` of a state is versioned, has what
/// docs/state-json.md documents, hides sensitive outputs too, and keeps its
/// shape without a state (it printed a sentence instead of JSON).
#[test]
fn show_json_of_a_state_is_versioned_and_documented() {
    let dir = with_state("valid.json");
    let doc = json_of(&strata_in(dir.path(), &["show", "--json"], &[]));
    assert_eq!(doc["format_version"], 1);
    assert_eq!(top_level_fields(&doc), documented_fields("state-json.md", 0));
    assert_eq!(doc["found"], true);
    assert_eq!(doc["serial"], 7);
    assert_eq!(doc["outputs"]["db_password"], serde_json::json!({"value": "(sensitive value)", "sensitive": true}));
    assert_eq!(doc["outputs"]["vpc_id"]["value"], "vpc-0a1b2c3d");
    let db = doc["resources"].as_array().unwrap().iter().find(|r| r["address"] == "aws_db_instance.main").unwrap();
    assert_eq!(db["attributes"]["password"], "(sensitive value)");

    let empty = scratch(&[("main.tf", MAIN)]);
    let doc = json_of(&strata_in(empty.path(), &["show", "--json"], &[]));
    assert_eq!(top_level_fields(&doc), documented_fields("state-json.md", 0));
    assert_eq!((doc["found"].clone(), doc["serial"].clone()), (serde_json::json!(false), serde_json::Value::Null));
    assert_eq!(doc["resources"], serde_json::json!([]));
}

/// issue 9 item 16: `output --json` keeps Terraform's shape — an output
/// named `format_version` is just an output — and `--wrapped` is the
/// versioned document of docs/output-json.md.
#[test]
fn output_json_is_terraform_shaped_and_wrapped_is_versioned() {
    let dir = with_state("valid.json");
    let path = dir.path().join(".strata/state.json");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    state["outputs"]["format_version"] = serde_json::json!({"value": "mine", "sensitive": false});
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();

    let plain = json_of(&strata_in(dir.path(), &["output", "--json"], &[]));
    assert_eq!(top_level_fields(&plain), ["db_password", "format_version", "vpc_id"]);
    assert_eq!(plain["format_version"], serde_json::json!({"value": "mine", "sensitive": false}));
    let one = json_of(&strata_in(dir.path(), &["output", "--json", "vpc_id"], &[]));
    assert_eq!(one, "vpc-0a1b2c3d");

    let wrapped = json_of(&strata_in(dir.path(), &["output", "--json", "--wrapped"], &[]));
    assert_eq!(wrapped["format_version"], 1);
    assert_eq!(top_level_fields(&wrapped), documented_fields("output-json.md", 1));
    assert_eq!(wrapped["outputs"], plain);
    let one = json_of(&strata_in(dir.path(), &["output", "--json", "--wrapped", "vpc_id"], &[]));
    assert_eq!(top_level_fields(&one["outputs"]), ["vpc_id"]);

    let out = strata_in(dir.path(), &["output", "--wrapped"], &[]);
    assert_eq!(out.code, 2, "--wrapped without --json is a usage error: {}", out.snapshot());
}
