//! The local utility providers (random, null, terraform_data, ...) through
//! the real binary: they need no cloud and no credentials; plan, apply,
//! a clean second plan, replacement when keepers change, destroy; what
//! they make is recorded in the state and sensitive results never appear
//! in any output.

use std::path::Path;

use serde_json::Value as J;

use crate::support::{Output, scratch, strata_in};

fn run(dir: &Path, args: &[&str]) -> Output {
    strata_in(dir, args, &[])
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let out = run(dir, args);
    assert_eq!(out.code, 0, "strata {args:?}\n{}", out.snapshot());
    out
}

fn state(dir: &Path) -> J {
    serde_json::from_str(&std::fs::read_to_string(dir.join(".strata/state.json")).unwrap()).unwrap()
}

/// The recorded attributes of `address`.
fn attributes(state: &J, address: &str) -> J {
    let r = state["resources"].as_array().unwrap().iter().find(|r| r["address"] == address);
    r.unwrap_or_else(|| panic!("{address} is not in the state")).get("attributes").cloned().unwrap()
}

/// The output with its run-specific paths and random ids (of the objects
/// in the state) replaced.
fn normalised(out: &Output, dir: &Path) -> String {
    let mut text = out.snapshot().replace(&dir.display().to_string(), "[DIR]");
    if dir.join(".strata/state.json").exists() {
        for r in state(dir)["resources"].as_array().unwrap() {
            if let Some(id) = r["attributes"]["id"].as_str().filter(|id| id.len() > 4) {
                text = text.replace(id, &format!("[id of {}]", r["address"].as_str().unwrap()));
            }
        }
    }
    text
}

fn assert_hidden(secret: &str, out: &Output) {
    assert!(!secret.is_empty());
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret), "a sensitive value is shown:\n{}", out.snapshot());
}

#[test]
fn random_values_apply_plan_clean_replace_on_keepers_and_destroy() {
    let dir = scratch(&[("main.tf", include_str!("local/random.tf"))]);
    let dir = dir.path();
    let plan = ok(dir, &["plan"]);
    insta::assert_snapshot!("random_plan", normalised(&plan, dir));

    let apply = ok(dir, &["apply", "--auto-approve"]);
    let s = state(dir);
    let pw = attributes(&s, "random_password.db");
    let secret = pw["result"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 24);
    assert!(secret.chars().all(|c| c.is_ascii_alphanumeric() || "_%@".contains(c)), "{secret}");
    assert!(secret.chars().filter(char::is_ascii_digit).count() >= 2, "{secret}");
    let hash = pw["bcrypt_hash"].as_str().unwrap().to_string();
    assert!(hash.starts_with("$2"), "{hash}");
    // The state holds the secrets (it is one itself) and marks them.
    let r = s["resources"].as_array().unwrap().iter().find(|r| r["address"] == "random_password.db").unwrap();
    let marked: Vec<String> = r["sensitive_paths"].as_array().unwrap().iter().map(|p| p[0].as_str().unwrap().to_string()).collect();
    assert!(marked.contains(&"result".to_string()) && marked.contains(&"bcrypt_hash".to_string()), "{marked:?}");
    assert_hidden(&secret, &apply);
    assert_hidden(&hash, &apply);

    let suffix = attributes(&s, "random_string.suffix")["result"].as_str().unwrap().to_string();
    assert!(suffix.len() == 8 && suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{suffix}");
    let id = attributes(&s, "random_id.bucket");
    assert!(id["hex"].as_str().unwrap().starts_with("b-") && id["hex"].as_str().unwrap().len() == 18, "{id}");
    assert_eq!(attributes(&s, "random_pet.name")["id"].as_str().unwrap().split('-').count(), 3);
    assert_eq!(attributes(&s, "random_uuid.run")["result"].as_str().unwrap().len(), 36);
    let port = attributes(&s, "random_integer.port")["result"].as_f64().unwrap();
    assert!((1024.0..=65535.0).contains(&port));
    assert_eq!(attributes(&s, "random_shuffle.azs")["result"].as_array().unwrap().len(), 2);

    // Outputs: the derived name is shown, the password is not.
    let output = ok(dir, &["output"]);
    assert!(output.stdout.contains(&suffix), "{}", output.stdout);
    assert_hidden(&secret, &output);
    for args in [&["show"][..], &["show", "--json"], &["plan", "--json"], &["drift"]] {
        let out = run(dir, args);
        assert_hidden(&secret, &out);
        assert_hidden(&hash, &out);
    }

    // A second plan is clean; drift finds nothing (nothing is unmanaged).
    assert_eq!(run(dir, &["plan", "--detailed-exitcode"]).code, 0, "{}", run(dir, &["plan"]).snapshot());
    let drift = run(dir, &["drift"]);
    assert_eq!(drift.code, 0, "{}", drift.snapshot());

    // A changed keeper replaces the password (and only it).
    let replan = ok(dir, &["plan", "--var", "rotation=two"]);
    insta::assert_snapshot!("random_plan_keepers_changed", normalised(&replan, dir));
    let apply = ok(dir, &["apply", "--auto-approve", "--var", "rotation=two"]);
    assert_hidden(&secret, &apply);
    let s2 = state(dir);
    let secret2 = attributes(&s2, "random_password.db")["result"].as_str().unwrap().to_string();
    assert_ne!(secret, secret2, "the keeper's change made no new password");
    assert_hidden(&secret2, &apply);
    assert_eq!(attributes(&s2, "random_string.suffix")["result"].as_str().unwrap(), suffix, "an unrelated value changed");
    assert_eq!(run(dir, &["plan", "--detailed-exitcode", "--var", "rotation=two"]).code, 0);

    let destroy = ok(dir, &["destroy", "--auto-approve", "--var", "rotation=two"]);
    assert_hidden(&secret2, &destroy);
    assert_eq!(state(dir)["resources"].as_array().unwrap().len(), 0);
}

#[test]
fn local_types_are_free_in_cost() {
    let dir = scratch(&[("main.tf", include_str!("local/random.tf"))]);
    let out = ok(dir.path(), &["cost"]);
    assert!(out.stdout.contains("random_password.db"), "{}", out.stdout);
    assert!(out.stdout.contains("0 resources priced, 7 free, 0 not priced."), "{}", out.snapshot());
    assert!(out.stdout.contains("+ random_password.db") && !out.stderr.contains("unsupported"), "{}", out.snapshot());
}

const SECRET: &str = "canary-7f3a9c-secret-content";

#[test]
fn hooks_times_and_files_apply_plan_clean_drift_replace_and_destroy() {
    let dir = scratch(&[("main.tf", include_str!("local/files.tf")), ("input.txt", "read me\n")]);
    let dir = dir.path();
    let plan = ok(dir, &["plan"]);
    assert_hidden(SECRET, &plan);
    insta::assert_snapshot!("files_plan", normalised(&plan, dir));

    let apply = ok(dir, &["apply", "--auto-approve"]);
    assert_hidden(SECRET, &apply);
    let greeting = dir.join("out/greeting.txt");
    assert_eq!(std::fs::read_to_string(&greeting).unwrap(), "hello first");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&greeting).unwrap().permissions().mode() & 0o777, 0o640);
    }
    assert_eq!(std::fs::read_to_string(dir.join("out/secret.txt")).unwrap(), SECRET);
    let s = state(dir);
    let file = attributes(&s, "local_file.greeting");
    // SHA-1 of "hello first", as upstream's id.
    assert_eq!(file["id"], "8a722594cea48fe1a41b2c45e2f5c2d0d23b3079", "{file}");
    let r = s["resources"].as_array().unwrap().iter().find(|r| r["address"] == "local_file.secret").unwrap();
    assert!(r["sensitive_paths"].to_string().contains("sensitive_content"), "{r}");
    assert_eq!(attributes(&s, "terraform_data.label")["output"], "label-first");
    assert!(attributes(&s, "null_resource.hook")["id"].as_str().unwrap().parse::<u64>().is_ok());
    assert!(attributes(&s, "time_static.born")["year"].as_f64().unwrap() >= 2024.0);

    let output = ok(dir, &["output"]);
    assert!(output.stdout.contains("read me") && output.stdout.contains("label-first"), "{}", output.stdout);
    assert!(output.stdout.contains("Welcome to first (the first)"), "{}", output.stdout);
    for args in [&["show"][..], &["show", "--json"], &["plan", "--json"], &["drift"], &["drift", "--json"]] {
        assert_hidden(SECRET, &run(dir, args));
    }
    assert_eq!(run(dir, &["plan", "--detailed-exitcode"]).code, 0, "{}", run(dir, &["plan"]).snapshot());
    let drift = run(dir, &["drift"]);
    assert_eq!(drift.code, 0, "{}", drift.snapshot());

    // Changed by hand: drift names it, plan replaces it, apply restores it.
    std::fs::write(&greeting, "edited").unwrap();
    let drift = run(dir, &["drift"]);
    assert_eq!(drift.code, 2, "{}", drift.snapshot());
    assert!(drift.stdout.contains("local_file.greeting"), "{}", drift.snapshot());
    let replan = ok(dir, &["plan"]);
    assert!(replan.stdout.contains("local_file.greeting"), "{}", replan.snapshot());
    ok(dir, &["apply", "--auto-approve"]);
    assert_eq!(std::fs::read_to_string(&greeting).unwrap(), "hello first");
    // Removed by hand: drift reports it deleted, apply makes it again.
    std::fs::remove_file(&greeting).unwrap();
    let drift = run(dir, &["drift"]);
    assert_eq!(drift.code, 2, "{}", drift.snapshot());
    assert!(drift.stdout.contains("local_file.greeting"), "{}", drift.snapshot());
    ok(dir, &["apply", "--auto-approve"]);
    assert_eq!(std::fs::read_to_string(&greeting).unwrap(), "hello first");
    assert_eq!(run(dir, &["plan", "--detailed-exitcode"]).code, 0);

    // Triggers replace, terraform_data's input updates in place.
    let replan = ok(dir, &["plan", "--var", "text=second"]);
    assert_hidden(SECRET, &replan);
    insta::assert_snapshot!("files_plan_text_changed", normalised(&replan, dir));
    let hook = attributes(&state(dir), "null_resource.hook")["id"].clone();
    ok(dir, &["apply", "--auto-approve", "--var", "text=second"]);
    let s = state(dir);
    assert_ne!(attributes(&s, "null_resource.hook")["id"], hook);
    assert_eq!(attributes(&s, "terraform_data.label")["output"], "label-second");
    let output = ok(dir, &["output"]);
    assert!(output.stdout.contains("Welcome to second\""), "{}", output.stdout);
    assert_eq!(std::fs::read_to_string(&greeting).unwrap(), "hello second");
    assert_eq!(run(dir, &["plan", "--detailed-exitcode", "--var", "text=second"]).code, 0);

    let destroy = ok(dir, &["destroy", "--auto-approve", "--var", "text=second"]);
    assert_hidden(SECRET, &destroy);
    assert!(!greeting.exists() && !dir.join("out/secret.txt").exists());
    assert_eq!(state(dir)["resources"].as_array().unwrap().len(), 0);
}
