//! Cloud objects lost or taken (issue 8, items 1 and 2), against moto:
//! objects an interrupted apply made at addresses that then left the
//! configuration are found by their intent tag and deleted, and an object
//! another state created under the same name is never adopted, changed or
//! deleted.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::crash::{Rng, inventory, run, strata_cmd};
use crate::support::moto;

/// `count = var.n` VPCs, each with a subnet (teardown order matters: a VPC
/// with a subnet cannot be deleted).
const COUNTED: &str = r#"
variable "n" {
  type    = number
  default = 2
}
provider "aws" {
  region = "us-east-1"
}
resource "aws_vpc" "v" {
  count      = var.n
  cidr_block = "10.${count.index}.0.0/16"
}
resource "aws_subnet" "s" {
  count      = var.n
  vpc_id     = aws_vpc.v[count.index].id
  cidr_block = "10.${count.index}.1.0/24"
}
"#;

fn state(dir: &Path) -> Option<Json> {
    let text = std::fs::read_to_string(dir.join(".strata/state.json")).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("the state file is not JSON ({e}):\n{text}")))
}

fn list<'a>(state: &'a Json, key: &str) -> Vec<&'a Json> {
    state[key].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

/// Objects of `types` in moto tagged with `lineage`: (type, id, strata:address, strata:intent).
fn tagged(endpoint: &str, lineage: &str, types: &[&str]) -> Vec<(String, String, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    for (ty, objects) in inventory(endpoint) {
        if !types.contains(&ty.as_str()) {
            continue;
        }
        for (id, addr, lin, intent) in objects {
            if lin.as_deref() == Some(lineage) {
                out.push((ty.clone(), id, addr, intent));
            }
        }
    }
    out.sort();
    out
}

/// Every object tagged with the state's lineage is tracked: recorded (as
/// current or deposed) or, while a create is unresolved, named by an intent
/// token of the state. Returns the recorded (address, id) pairs.
fn assert_tracked(endpoint: &str, dir: &Path, context: &str) -> Vec<(String, String)> {
    let Some(state) = state(dir) else { return Vec::new() };
    let lineage = state["lineage"].as_str().unwrap().to_string();
    let recorded: Vec<(String, String)> = list(&state, "resources")
        .into_iter()
        .chain(list(&state, "deposed"))
        .map(|r| (r["address"].as_str().unwrap().to_string(), r["id"].as_str().unwrap().to_string()))
        .collect();
    let tokens: Vec<&str> = list(&state, "intents").iter().filter_map(|i| i["token"].as_str()).collect();
    for (ty, id, addr, intent) in tagged(endpoint, &lineage, &["aws_vpc", "aws_subnet"]) {
        let known = recorded.iter().any(|(_, r)| *r == id) || intent.as_deref().is_some_and(|t| tokens.contains(&t));
        assert!(known, "{context}: {ty} {id} (strata:address {addr:?}) runs untracked; the state is:\n{state:#}");
    }
    recorded
}

/// Run `strata ARGS` and SIGKILL it after the `k`-th progress line
/// (`creating...`, `destroying...`) or after `deadline`, whichever comes
/// first; a run that ends by itself first is let be. Returns whether it was killed.
fn killed_at(dir: &Path, endpoint: &str, args: &[&str], k: usize, deadline: Duration) -> bool {
    let mut child = strata_cmd(dir, endpoint, args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start strata");
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let end = Instant::now() + deadline;
    let mut seen = 0;
    loop {
        match lines.recv_timeout(end.saturating_duration_since(Instant::now())) {
            Ok(line) if line.ends_with("ing...") => {
                seen += 1;
                if seen >= k {
                    break;
                }
            }
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            // The run ended by itself.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                child.wait().unwrap();
                return false;
            }
        }
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    std::os::unix::process::ExitStatusExt::signal(&status) == Some(9)
}

/// The reproduction of item 1: an apply killed at its state write after
/// the first create leaves an intent; with `count` lowered to 0, plan,
/// apply and destroy said "No changes" and the VPC ran on untracked.
#[test]
fn moto_an_interrupted_create_whose_count_was_lowered_is_listed_and_deleted() {
    let moto = moto();
    let url = moto.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let vpcs_only = &COUNTED[..COUNTED.find("resource \"aws_subnet\"").unwrap()];
    std::fs::write(dir.join("main.tf"), vpcs_only).unwrap();
    // A file size limit of one block: the first state write (the intent)
    // fits, the one recording the created VPC does not (SIGXFSZ).
    let strata = env!("CARGO_BIN_EXE_strata");
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &format!("ulimit -f 1; exec {strata} apply . --auto-approve --parallelism 1")]).current_dir(dir);
    cmd.envs(crate::e2e::aws_env(&url)).env("NO_COLOR", "1").env_remove("RUST_LOG");
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "the apply was not stopped by the file size limit:\n{}", String::from_utf8_lossy(&out.stdout));
    let before = state(dir).expect("the intent was written");
    assert_eq!(list(&before, "resources").len(), 0, "{before:#}");
    assert_eq!(list(&before, "intents").len(), 1, "{before:#}");
    let lineage = before["lineage"].as_str().unwrap().to_string();
    let made = tagged(&url, &lineage, &["aws_vpc"]);
    assert_eq!(made.len(), 1, "the first create happened: {made:?}");
    let vpc = made[0].1.clone();

    // plan (text and JSON) lists the object.
    let (code, stdout, stderr) = run(dir, &url, &["plan", "--var", "n=0", "--detailed-exitcode"]);
    assert_eq!(code, 2, "the plan has a change:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("aws_vpc.v[0] ({vpc}): created by an interrupted apply, no longer configured: will be deleted")),
        "{stdout}"
    );
    assert!(!stdout.contains("No changes"), "{stdout}");
    let (code, stdout, stderr) = run(dir, &url, &["plan", "--var", "n=0", "--json"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let plan: Json = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        plan["leftovers"],
        serde_json::json!([{"address": "aws_vpc.v[0]", "type": "aws_vpc", "id": vpc, "cause": "interrupted_create"}])
    );
    assert_eq!(plan["has_changes"], true);

    // apply deletes it; no intent outlives it.
    let (code, stdout, stderr) = run(dir, &url, &["apply", "--auto-approve", "--var", "n=0"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("1 destroyed"), "{stdout}");
    assert!(tagged(&url, &lineage, &["aws_vpc"]).is_empty(), "the VPC still runs");
    let after = state(dir).unwrap();
    assert!(list(&after, "intents").is_empty() && list(&after, "deposed").is_empty(), "{after:#}");
    let (code, stdout, _) = run(dir, &url, &["plan", "--var", "n=0", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{stdout}");
}

/// Item 1's loop: 20 applies killed with SIGKILL at random points, each
/// with another `count` (1-5) and a `--replace` of a random recorded VPC
/// (which replaces its subnet too). After every kill each object tagged
/// with the state's lineage is tracked; after a final clean apply every
/// one is recorded exactly once and no intent or deposed object remains.
#[test]
fn moto_applies_killed_while_count_changes_leave_nothing_untracked() {
    let moto = moto();
    let url = moto.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), COUNTED).unwrap();
    let mut rng = Rng::new(0x0_2FA4_5EED);
    let mut log = Vec::new();
    let (mut n, mut orphaned) = (1, 0);
    for iteration in 0..20 {
        n = rng.range(1, 5);
        let recorded: Vec<String> = state(dir)
            .map(|s| list(&s, "resources").iter().filter_map(|r| r["address"].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        // Intents left at addresses this iteration no longer configures:
        // the case that left objects untracked before.
        let index = |a: &str| a.rsplit_once('[').and_then(|(_, i)| i.trim_end_matches(']').parse::<u64>().ok());
        orphaned += state(dir)
            .map(|s| list(&s, "intents").iter().filter_map(|i| index(i["address"].as_str()?)).filter(|&i| i >= n).count())
            .unwrap_or(0);
        let vpcs: Vec<&String> = recorded.iter().filter(|a| a.starts_with("aws_vpc.v[")).collect();
        let n_arg = format!("n={n}");
        let mut args = vec!["apply", "--auto-approve", "--var", &n_arg];
        let replace;
        if !vpcs.is_empty() {
            replace = vpcs[rng.range(0, vpcs.len() as u64 - 1) as usize].clone();
            args.extend(["--replace", &replace]);
        }
        let k = rng.range(1, 4) as usize;
        let deadline = Duration::from_millis(rng.range(300, 4000));
        let killed = killed_at(dir, &url, &args, k, deadline);
        log.push(format!("{iteration}: {} after line {k} or {deadline:?}: killed {killed}", args[2..].join(" ")));
        assert_tracked(&url, dir, &log.join("\n"));
    }
    assert!(orphaned > 0, "no iteration left an intent at an address the next one dropped:\n{}", log.join("\n"));
    let n_arg = format!("n={n}");
    let (code, stdout, stderr) = run(dir, &url, &["apply", "--auto-approve", "--var", &n_arg]);
    assert_eq!(code, 0, "the final apply failed:\n{stdout}\n{stderr}\n{}", log.join("\n"));
    let state = state(dir).unwrap();
    assert!(list(&state, "intents").is_empty(), "intents left: {state:#}");
    assert!(list(&state, "deposed").is_empty(), "deposed objects left: {state:#}");
    let lineage = state["lineage"].as_str().unwrap();
    let mut recorded: Vec<(String, String)> =
        list(&state, "resources").iter().map(|r| (r["address"].as_str().unwrap().into(), r["id"].as_str().unwrap().into())).collect();
    recorded.sort();
    assert_eq!(recorded.len(), 2 * n as usize, "{recorded:?}");
    let mut found: Vec<(String, String)> =
        tagged(&url, lineage, &["aws_vpc", "aws_subnet"]).into_iter().map(|(_, id, addr, _)| (addr.unwrap_or_default(), id)).collect();
    found.sort();
    assert_eq!(found, recorded, "moto and the state disagree (each object exactly once):\n{}", log.join("\n"));
    let (code, stdout, _) = run(dir, &url, &["plan", "--detailed-exitcode", "--var", &n_arg]);
    assert_eq!(code, 0, "{stdout}");
    eprintln!("{}\n{orphaned} intents were orphaned by a lowered count", log.join("\n"));
}

const SHARED_GROUP: &str = r#"
provider "aws" {
  region = "us-east-1"
}
resource "aws_db_parameter_group" "pg" {
  name   = "shared-params"
  family = "postgres16"
}
"#;

/// `python3 -c SCRIPT ENDPOINT`: boto3 against moto.
fn boto(endpoint: &str, script: &str) -> String {
    let prelude = "import sys, json, boto3\nrds = boto3.client('rds', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n";
    let out = Command::new("python3").args(["-c", &format!("{prelude}{script}"), endpoint]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Item 2: state B's parameter group is deleted out of band, state A makes
/// one with the same name; B must not take A's object for its own.
#[test]
fn moto_a_same_named_object_of_another_state_is_never_adopted_or_deleted() {
    let moto = moto();
    let url = moto.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("main.tf"), SHARED_GROUP).unwrap();
    }
    let (code, stdout, stderr) = run(&b, &url, &["apply", "--auto-approve"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    boto(&url, "rds.delete_db_parameter_group(DBParameterGroupName='shared-params')");
    let (code, stdout, stderr) = run(&a, &url, &["apply", "--auto-approve"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let lineage_a = state(&a).unwrap()["lineage"].as_str().unwrap().to_string();
    let lineage_of_group = "g = rds.describe_db_parameter_groups(DBParameterGroupName='shared-params')['DBParameterGroups'][0]\nprint({t['Key']: t['Value'] for t in rds.list_tags_for_resource(ResourceName=g['DBParameterGroupArn'])['TagList']}['strata:lineage'])";
    assert_eq!(boto(&url, lineage_of_group), lineage_a);

    // plan B: an error naming A's lineage, not "No changes".
    let (code, stdout, stderr) = run(&b, &url, &["plan"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(!stdout.contains("No changes"), "{stdout}");
    assert!(stderr.contains("strata::refresh::foreign_object") && stderr.contains(&lineage_a), "{stderr}");

    // destroy B refuses; A's group is still there, still A's.
    let (code, stdout, stderr) = run(&b, &url, &["destroy", "--auto-approve"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("strata::refresh::foreign_object"), "{stderr}");
    assert_eq!(boto(&url, lineage_of_group), lineage_a, "A's object survives B's destroy");

    // drift B reports it.
    let (_, stdout, stderr) = run(&b, &url, &["drift", "--format", "json"]);
    let drift: Json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(drift["taken"][0]["lineage"], lineage_a.as_str(), "{drift:#}");

    // refresh B forgets the record (A's object untouched); an apply of B
    // then fails on the taken name and says whose it is.
    let (code, stdout, stderr) = run(&b, &url, &["refresh"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("strata::refresh::forgot_taken"), "{stderr}");
    let (code, stdout, stderr) = run(&b, &url, &["apply", "--auto-approve"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("another strata state (strata:lineage {lineage_a}")), "{stdout}");
    assert_eq!(boto(&url, lineage_of_group), lineage_a);
    assert!(state(&b).unwrap()["resources"].as_array().is_none_or(Vec::is_empty), "B recorded A's object");
}
