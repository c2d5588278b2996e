//! The CI examples of `examples/ci/` run as GitHub would run them, from a
//! repository that is not strata's (issue 9 item 15).
//!
//! A workflow's YAML is parsed and its job's steps run in order, each `run:`
//! script with `bash -eo pipefail` (GitHub's shell) in a temporary git
//! repository that holds a copy of a configuration under `infra/`. What the
//! runner would provide is faked, a documented subset only — anything else
//! fails the test, so a workflow that starts to need more is noticed:
//!
//! - `uses:` steps are skipped, from a known list (checkout, toolchain,
//!   cache, credentials); the test gives the credentials (moto) itself;
//! - `${{ ... }}` expressions from a fixed context (`github.token`, the pull
//!   request's number and base commit, `vars.*`, `env.*`);
//! - `if:` conditions of the forms `steps.ID.outputs.KEY == 'V'`,
//!   `env.NAME != ''` (and `==`, `!=` between them);
//! - `GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`,
//!   `GITHUB_EVENT_PATH`, `RUNNER_TEMP` and the run's variables; a step
//!   that fails stops the job with its exit status.
//!
//! `tests/ci/` holds stand-ins on PATH: `gh` (records its calls, keeps the
//! comments and issues GitHub would), `cargo` (the install step: records its
//! arguments and links the strata under test into `--root DIR/bin`, which the
//! step then adds to `GITHUB_PATH`) and `aws` (`s3 cp` from a directory).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Moto, moto, repo, strata_in};

/// A workflow's job as the test runs it.
struct Job {
    /// The workflow's top-level `env:`, as strings.
    env: BTreeMap<String, String>,
    steps: Vec<Value>,
}

fn load(workflow: &str, job: &str) -> Job {
    let text = std::fs::read_to_string(repo().join("examples/ci").join(workflow)).unwrap();
    let doc: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{workflow}: {e}"));
    let env = strings(&doc["env"]);
    let steps = doc["jobs"][job]["steps"].as_array().unwrap_or_else(|| panic!("{workflow}: no job {job}")).clone();
    Job { env, steps }
}

fn strings(v: &Value) -> BTreeMap<String, String> {
    let Some(map) = v.as_object() else { return BTreeMap::new() };
    map.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()
}

/// One run of a workflow's job in `repo`.
struct Runner {
    repo: PathBuf,
    /// Where the stand-ins keep their records (`GH_STUB`).
    stub: PathBuf,
    /// Scratch space of this run (`RUNNER_TEMP` and the runner's files).
    temp: tempfile::TempDir,
    /// `${{ ... }}` values other than `env.*`.
    context: BTreeMap<String, String>,
    /// Environment the test adds (moto), and workflow `env:` values it overrides.
    extra_env: Vec<(String, String)>,
    env_overrides: BTreeMap<String, String>,
}

/// What a job run did.
struct JobRun {
    /// 0, or the exit status of the step that failed.
    status: i32,
    /// `steps.ID.outputs` of every step with an id.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// Names of the steps that ran.
    ran: Vec<String>,
}

impl Runner {
    fn new(repo: &Path, stub: &Path, context: &[(&str, &str)]) -> Runner {
        Runner {
            repo: repo.to_path_buf(),
            stub: stub.to_path_buf(),
            temp: tempfile::tempdir().unwrap(),
            context: context.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            extra_env: Vec::new(),
            env_overrides: BTreeMap::new(),
        }
    }

    fn expand(&self, text: &str, env: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").unwrap_or_else(|| panic!("unclosed expression in {text:?}")) + start;
            out.push_str(&self.value(rest[start + 3..end].trim(), env));
            rest = &rest[end + 2..];
        }
        out + rest
    }

    fn value(&self, expr: &str, env: &BTreeMap<String, String>) -> String {
        if let Some(name) = expr.strip_prefix("env.") {
            return env.get(name).cloned().unwrap_or_default();
        }
        self.context
            .get(expr)
            .cloned()
            .unwrap_or_else(|| panic!("the test runner has no value for `${{{{ {expr} }}}}`: add it to the context"))
    }

    fn condition(&self, cond: &str, env: &BTreeMap<String, String>, outputs: &BTreeMap<String, BTreeMap<String, String>>) -> bool {
        let (op, (left, right)) = match cond.split_once("==") {
            Some(parts) => ("==", parts),
            None => ("!=", cond.split_once("!=").unwrap_or_else(|| panic!("unsupported condition {cond:?}"))),
        };
        let (left, right) = (left.trim().trim_end_matches('!').trim(), right.trim());
        let literal =
            right.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')).unwrap_or_else(|| panic!("unsupported condition {cond:?}"));
        let actual = if let Some(path) = left.strip_prefix("steps.") {
            let (id, key) = path.split_once(".outputs.").unwrap_or_else(|| panic!("unsupported condition {cond:?}"));
            outputs.get(id).and_then(|o| o.get(key)).cloned().unwrap_or_default()
        } else {
            self.value(left, env)
        };
        (actual == literal) == (op == "==")
    }

    fn run(&self, job: &Job) -> JobRun {
        let temp = self.temp.path();
        let github_path = temp.join("github_path");
        let summary = temp.join("step_summary");
        let event = temp.join("event.json");
        std::fs::write(
            &event,
            json!({"pull_request": {"number": self.context.get("github.event.pull_request.number").and_then(|n| n.parse::<u64>().ok())}})
                .to_string(),
        )
        .unwrap();
        for f in [&github_path, &summary] {
            std::fs::write(f, "").unwrap();
        }
        let mut env = job.env.clone();
        env.extend(self.env_overrides.clone());
        let mut run = JobRun { status: 0, outputs: BTreeMap::new(), ran: Vec::new() };
        for (i, step) in job.steps.iter().enumerate() {
            let name = step["name"].as_str().unwrap_or("").to_string();
            if let Some(action) = step["uses"].as_str() {
                let known =
                    ["actions/checkout@", "dtolnay/rust-toolchain@", "Swatinem/rust-cache@", "aws-actions/configure-aws-credentials@"];
                assert!(known.iter().any(|k| action.starts_with(k)), "the test runner does not know the action {action}");
                continue;
            }
            if let Some(cond) = step["if"].as_str()
                && !self.condition(cond, &env, &run.outputs)
            {
                continue;
            }
            let script = step["run"].as_str().unwrap_or_else(|| panic!("step {name:?} has neither run nor uses"));
            let mut step_env = env.clone();
            for (k, v) in strings(&step["env"]) {
                step_env.insert(k, self.expand(&v, &env));
            }
            let output_file = temp.join(format!("output-{i}"));
            std::fs::write(&output_file, "").unwrap();
            let script_file = temp.join(format!("step-{i}.sh"));
            std::fs::write(&script_file, script).unwrap();
            // PATH: what earlier steps added to GITHUB_PATH (last first), the stand-ins, the system.
            let mut path: Vec<String> = std::fs::read_to_string(&github_path).unwrap().lines().rev().map(str::to_string).collect();
            path.push(repo().join("tests/ci").display().to_string());
            path.push(std::env::var("PATH").unwrap_or_default());
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"]).arg(&script_file).current_dir(&self.repo);
            for (k, _) in std::env::vars() {
                if k.starts_with("AWS_")
                    || k.starts_with("STRATA_VAR_")
                    || k.starts_with("TF_VAR_")
                    || k.starts_with("GITHUB_")
                    || k == "RUST_LOG"
                {
                    cmd.env_remove(k);
                }
            }
            cmd.env("AWS_EC2_METADATA_DISABLED", "true")
                .env("AWS_CONFIG_FILE", "/nonexistent")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
            cmd.env("PATH", path.join(":"))
                .env("CI", "true")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_PATH", &github_path)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_EVENT_PATH", &event)
                .env("GITHUB_REPOSITORY", "acme/infra")
                .env("GITHUB_RUN_ID", "4242")
                .env("GITHUB_SERVER_URL", "https://github.example")
                .env("GITHUB_WORKSPACE", &self.repo)
                .env("RUNNER_TEMP", temp)
                .env("GH_STUB", &self.stub)
                .env("STRATA_UNDER_TEST", env!("CARGO_BIN_EXE_strata"));
            for (k, v) in self.extra_env.iter().cloned().chain(step_env) {
                cmd.env(k, v);
            }
            let out = cmd.output().expect("run bash");
            run.ran.push(name.clone());
            if let Some(id) = step["id"].as_str() {
                let text = std::fs::read_to_string(&output_file).unwrap();
                let outputs = text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
                run.outputs.insert(id.to_string(), outputs);
            }
            if !out.status.success() {
                eprintln!("step {name:?} failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                run.status = out.status.code().unwrap_or(-1);
                break;
            }
        }
        run
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=ci", "-c", "user.email=ci@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The gh stand-in's calls, in order.
fn gh_calls(stub: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(stub.join("calls.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn args_of(call: &Value) -> Vec<String> {
    call["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

/// The install step installs from a git URL given as a repository
/// variable, never `--path .` (which works only inside strata's repository).
fn assert_installed_from_git(stub: &Path) {
    let args: Vec<String> = std::fs::read_to_string(stub.join("cargo.args")).unwrap().lines().map(str::to_string).collect();
    assert!(args.windows(2).any(|w| w == ["--git", "https://git.example/strata.git"]), "{args:?}");
    assert!(args.contains(&"--locked".to_string()) && args.last().map(String::as_str) == Some("strata"), "{args:?}");
    assert!(!args.contains(&"--path".to_string()), "{args:?}");
}

/// The cost-comment workflow in a repository whose configuration lives in
/// `infra/`: the first run creates the comment with the body strata printed,
/// the second rewrites that comment instead of adding one.
#[test]
fn ci_cost_comment_workflow_posts_then_updates_one_comment() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, stub) = (tmp.path().join("repo"), tmp.path().join("stub"));
    std::fs::create_dir_all(&stub).unwrap();
    // The three-tier example with the modules it calls, laid out as a user's repository.
    copy_dir(&repo().join("examples/three-tier"), &work.join("infra"));
    for module in ["network", "web-service", "postgres"] {
        copy_dir(&repo().join("modules").join(module), &work.join("modules").join(module));
    }
    let main = std::fs::read_to_string(work.join("infra/main.tf")).unwrap();
    std::fs::write(work.join("infra/main.tf"), main.replace("\"../../modules/", "\"../modules/")).unwrap();
    git(&work, &["init", "-q"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "base"]);
    let base = git(&work, &["rev-parse", "HEAD"]);
    let tfvars = work.join("infra/terraform.tfvars");
    let text = std::fs::read_to_string(&tfvars).unwrap();
    std::fs::write(&tfvars, text.replace("app_count     = 2", "app_count     = 3")).unwrap();
    git(&work, &["commit", "-qam", "one more app server"]);

    let job = load("cost-comment.yml", "cost");
    assert_eq!(job.env["CONFIG"], "infra", "the example names a configuration of the user's repository");
    let context = [
        ("github.token", "gh-token"),
        ("github.event.pull_request.number", "7"),
        ("github.event.pull_request.base.sha", base.as_str()),
        ("vars.STRATA_REPO", "https://git.example/strata.git"),
    ];
    let first = Runner::new(&work, &stub, &context).run(&job);
    assert_eq!(first.status, 0, "ran {:?}", first.ran);
    assert_installed_from_git(&stub);
    assert_eq!(first.outputs["head"]["status"], "0");
    let printed = std::fs::read_to_string(work.join("comment.md")).unwrap();
    assert!(printed.contains("## Cost estimate: infra"), "{printed}");
    assert!(printed.contains("aws_instance.app[2]"), "the comment compares with the base branch: {printed}");
    let calls = gh_calls(&stub);
    let posts: Vec<&Value> = calls.iter().filter(|c| args_of(c).contains(&"POST".to_string())).collect();
    assert_eq!(posts.len(), 1, "{calls:?}");
    assert_eq!(args_of(posts[0])[3], "repos/acme/infra/issues/7/comments");
    assert_eq!(posts[0]["body"].as_str().unwrap().trim_end(), printed.trim_end(), "the comment is what strata printed");

    // The second run (a new push) finds the comment by its first line and rewrites it.
    std::fs::remove_file(work.join("comment.md")).unwrap();
    std::fs::remove_file(work.join("base.json")).unwrap();
    git(&work, &["worktree", "prune"]);
    let second = Runner::new(&work, &stub, &context).run(&job);
    assert_eq!(second.status, 0, "ran {:?}", second.ran);
    let calls = gh_calls(&stub);
    let writes: Vec<Vec<String>> =
        calls.iter().map(args_of).filter(|a| a.contains(&"POST".into()) || a.contains(&"PATCH".into())).collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(writes[1][..4], ["api", "--method", "PATCH", "repos/acme/infra/issues/comments/1000"]);
    let comments: Value = serde_json::from_str(&std::fs::read_to_string(stub.join("comments.json")).unwrap()).unwrap();
    assert_eq!(comments.as_array().unwrap().len(), 1, "one comment, rewritten: {comments}");

    // The workflow finds its comment by the marker strata prints first:
    // `<!-- strata-cost: NAME -->`, NAME the configuration directory's name.
    assert_eq!(printed.lines().next(), Some("<!-- strata-cost: infra -->"), "{printed}");
}

/// A configuration with its state where the backend says, not at the default path.
const DRIFT_CONFIG: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.30.0.0/16"
  tags       = { Name = "ci-drift" }
}

strata {
  backend "local" {
    path = "state/main.json"
  }
}
"#;

fn aws_env_for(moto: &Moto) -> Vec<(String, String)> {
    [("AWS_ENDPOINT_URL", moto.url.as_str()), ("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The drift workflow fetches the state to the path the configuration's
/// backend names (`strata state path`), exits cleanly with no issue on a
/// clean check, and opens the drift issue with strata's report when the
/// recorded state no longer matches the cloud.
#[test]
fn moto_ci_drift_workflow_reads_the_state_the_backend_names() {
    let moto = moto();
    let tmp = tempfile::tempdir().unwrap();
    let (work, stub, s3) = (tmp.path().join("repo"), tmp.path().join("stub"), tmp.path().join("s3"));
    for d in [&stub, &s3.join("bucket"), &work.join("infra")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let infra = work.join("infra");
    std::fs::write(infra.join("main.tf"), DRIFT_CONFIG).unwrap();
    let region = load("drift-schedule.yml", "drift").env["AWS_REGION"].clone();
    let env: Vec<(String, String)> = aws_env_for(&moto).into_iter().chain([("AWS_REGION".to_string(), region)]).collect();
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = strata_in(&infra, &["apply", "--auto-approve"], &env_refs);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    // What moto's account holds besides: ignored, as examples/ci/strataignore.example says.
    let out = strata_in(&infra, &["drift", "--format", "json"], &env_refs);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.snapshot()));
    let ignore: Vec<&str> = report["unmanaged"].as_array().unwrap().iter().map(|u| u["ignore_line"].as_str().unwrap()).collect();
    std::fs::write(infra.join(".strataignore"), ignore.join("\n") + "\n").unwrap();
    // The state lives in the bucket between runs, not in the repository.
    std::fs::rename(infra.join("state/main.json"), s3.join("bucket/state.json")).unwrap();
    git(&work, &["init", "-q"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "infra"]);

    let job = load("drift-schedule.yml", "drift");
    assert_eq!(job.env["CONFIG"], "infra");
    let context = [
        ("github.token", "gh-token"),
        ("vars.STRATA_REPO", "https://git.example/strata.git"),
        ("vars.AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/drift"),
    ];
    let mut runner = Runner::new(&work, &stub, &context);
    runner.extra_env = aws_env_for(&moto).into_iter().chain([("AWS_STUB_S3".to_string(), s3.display().to_string())]).collect();
    runner.env_overrides.insert("STATE_URL".into(), "s3://bucket/state.json".into());
    let clean = runner.run(&job);
    assert_eq!(clean.status, 0, "ran {:?}", clean.ran);
    assert_installed_from_git(&stub);
    assert_eq!(clean.outputs["drift"]["status"], "0", "{}", std::fs::read_to_string(work.join("drift.md")).unwrap_or_default());
    assert!(infra.join("state/main.json").is_file(), "the state was fetched to the backend's path");
    assert!(
        clean.ran.contains(&"Close the drift issue".to_string()) && !clean.ran.iter().any(|s| s.starts_with("Open")),
        "{:?}",
        clean.ran
    );
    assert!(!gh_calls(&stub).iter().any(|c| args_of(c).starts_with(&["issue".into(), "create".into()])));

    cron_and_systemd_examples_publish_metrics(&infra, &env_refs);

    // Drift: the recorded tag no longer matches the cloud's.
    let path = s3.join("bucket/state.json");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let vpc = state["resources"].as_array_mut().unwrap().iter_mut().find(|r| r["address"] == "aws_vpc.main").unwrap();
    vpc["attributes"]["tags"]["Name"] = json!("renamed-by-hand");
    // Tags are compared over every tag the object has (tags_all).
    vpc["attributes"]["tags_all"]["Name"] = json!("renamed-by-hand");
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();
    std::fs::remove_file(infra.join("state/main.json")).unwrap();
    let mut runner = Runner::new(&work, &stub, &context);
    runner.extra_env = aws_env_for(&moto).into_iter().chain([("AWS_STUB_S3".to_string(), s3.display().to_string())]).collect();
    runner.env_overrides.insert("STATE_URL".into(), "s3://bucket/state.json".into());
    let drifted = runner.run(&job);
    assert_eq!(drifted.status, 0, "drift is reported as an issue, not a failed job; ran {:?}", drifted.ran);
    assert_eq!(drifted.outputs["drift"]["status"], "2");
    let report = std::fs::read_to_string(work.join("drift.md")).unwrap();
    let calls = gh_calls(&stub);
    let create = calls.iter().find(|c| args_of(c).starts_with(&["issue".into(), "create".into()])).expect("an issue was opened");
    assert_eq!(create["body"].as_str().unwrap().trim_end(), report.trim_end());
    assert!(report.contains("aws_vpc.main"), "{report}");
}

/// Paths of the cron and systemd examples, and where the test puts them.
fn host_paths(infra: &Path, textfiles: &Path) -> [(&'static str, String); 3] {
    [
        ("/usr/local/bin/strata", env!("CARGO_BIN_EXE_strata").to_string()),
        ("/srv/infra", infra.display().to_string()),
        ("/var/lib/node_exporter/textfile_collector", textfiles.display().to_string()),
    ]
}

fn on_this_host(line: &str, paths: &[(&str, String)]) -> String {
    paths.iter().fold(line.to_string(), |l, (from, to)| l.replace(from, to))
}

fn assert_clean_metrics(textfiles: &Path, example: &str) {
    let metrics =
        std::fs::read_to_string(textfiles.join("strata_drift.prom")).unwrap_or_else(|e| panic!("{example}: no metrics file: {e}"));
    assert!(metrics.lines().any(|l| l.starts_with("strata_drift_ok") && l.ends_with(" 1")), "{example}:\n{metrics}");
    assert!(!textfiles.join(".strata_drift.prom.tmp").exists(), "{example}: the temporary file was renamed into place");
}

/// The commands of strata-drift.cron and strata-drift.service (ExecStart
/// with its output file, then ExecStopPost), run with their paths moved into
/// a temporary directory, publish a clean check's metrics.
fn cron_and_systemd_examples_publish_metrics(infra: &Path, env: &[(&str, &str)]) {
    let examples = repo().join("examples/ci");
    let textfiles = tempfile::tempdir().unwrap();
    let paths = host_paths(infra, textfiles.path());

    let cron = std::fs::read_to_string(examples.join("strata-drift.cron")).unwrap();
    let entry = cron.lines().find(|l| l.starts_with("*/30 ")).expect("a cron entry");
    // Five time fields, the user, then the command.
    let command = entry.splitn(7, ' ').nth(6).unwrap();
    let out = Command::new("sh").args(["-c", &on_this_host(command, &paths)]).envs(env.iter().copied()).output().unwrap();
    assert!(out.status.success(), "cron: {}", String::from_utf8_lossy(&out.stderr));
    assert_clean_metrics(textfiles.path(), "strata-drift.cron");
    std::fs::remove_file(textfiles.path().join("strata_drift.prom")).unwrap();

    let unit = std::fs::read_to_string(examples.join("strata-drift.service")).unwrap();
    let get =
        |key: &str| unit.lines().find_map(|l| l.strip_prefix(key)).map(|v| on_this_host(v, &paths)).unwrap_or_else(|| panic!("no {key}"));
    let stdout_file = get("StandardOutput=").strip_prefix("truncate:").expect("StandardOutput=truncate:PATH").to_string();
    let success: Vec<i32> = std::iter::once(0).chain(get("SuccessExitStatus=").split_whitespace().map(|c| c.parse().unwrap())).collect();
    let start = Command::new("sh")
        .args(["-c", &format!("{} > '{stdout_file}'", get("ExecStart="))])
        .current_dir(get("WorkingDirectory="))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(success.contains(&start.status.code().unwrap_or(-1)), "systemd: {}", String::from_utf8_lossy(&start.stderr));
    let post = Command::new("sh").args(["-c", &get("ExecStopPost=")]).output().unwrap();
    assert!(post.status.success(), "systemd ExecStopPost: {}", String::from_utf8_lossy(&post.stderr));
    assert_clean_metrics(textfiles.path(), "strata-drift.service");
}
