//! Crash safety against moto: `strata apply` of examples/three-tier killed
//! with SIGKILL at many points (after the k-th resource started, or after a
//! delay), re-run each time, must end with every object existing exactly
//! once, nothing else made, and a state that records exactly what exists.
//!
//! The helpers here (running strata with AWS settings, the moto inventory
//! and the exact comparison with the state) are shared with `faults.rs`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::e2e::{MOTO_AMI, copy_dir};
use crate::support::{Moto, moto, repo};

/// Resources examples/three-tier declares.
pub(crate) const THREE_TIER_RESOURCES: usize = 36;
/// The state file its backend block names.
const STATE_FILE: &str = ".strata/community-hub.json";
const LOCK_FILE: &str = ".strata/community-hub.lock";

/// A small seeded xorshift64* generator: the same seed gives the same kill points.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A private copy of examples/three-tier (with the modules it uses).
pub(crate) fn three_tier() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/three-tier"), &tmp.path().join("examples/three-tier"));
    copy_dir(&repo().join("modules"), &tmp.path().join("modules"));
    let dir = tmp.path().join("examples/three-tier");
    (tmp, dir)
}

/// `strata ARGS` in `dir` talking to `endpoint` with dummy credentials and
/// nothing of the caller's environment that could change the run.
pub(crate) fn strata_cmd(dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1").env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("TF_VAR_") || k.starts_with("STRATA_VAR_") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(crate::e2e::aws_env(endpoint));
    cmd
}

/// Run strata to the end: exit code, stdout, stderr.
pub(crate) fn run(dir: &Path, endpoint: &str, args: &[&str]) -> (i32, String, String) {
    let out = strata_cmd(dir, endpoint, args).output().expect("run strata");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

pub(crate) fn apply_args() -> [&'static str; 4] {
    ["apply", "--auto-approve", "--var", MOTO_AMI]
}

/// When to kill a running apply.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// Right after the k-th `creating...` progress line.
    Creating(usize),
    /// After this long.
    After(Duration),
}

/// How a run ended.
struct Ended {
    /// Killed by our SIGKILL (rather than exiting by itself first).
    killed: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A running strata whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: String,
    stderr: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(dir: &Path, endpoint: &str, args: &[&str]) -> Running {
        let mut child = strata_cmd(dir, endpoint, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start strata");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Running { child, lines, stdout: String::new(), stderr }
    }

    /// The next stdout line, waiting until `deadline`; `Err` says whether the time ran out.
    fn line(&mut self, deadline: Instant) -> Result<String, bool> {
        match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                self.stdout.push_str(&line);
                self.stdout.push('\n');
                Ok(line)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(true),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(false),
        }
    }

    /// SIGKILL it (a no-op when it already exited) and collect what it wrote.
    fn kill(mut self) -> Ended {
        // Child::kill sends SIGKILL on Unix.
        let _ = self.child.kill();
        self.finish()
    }

    fn finish(mut self) -> Ended {
        let status = self.child.wait().expect("wait for strata");
        while let Ok(line) = self.lines.recv() {
            self.stdout.push_str(&line);
            self.stdout.push('\n');
        }
        #[cfg(unix)]
        let killed = std::os::unix::process::ExitStatusExt::signal(&status) == Some(9);
        #[cfg(not(unix))]
        let killed = status.code().is_none();
        Ended { killed, code: status.code(), stdout: self.stdout, stderr: self.stderr.join().unwrap_or_default() }
    }
}

/// Run `strata apply` and SIGKILL it at `at` (or let it end if it ends first).
fn apply_killed_at(dir: &Path, endpoint: &str, at: KillAt) -> Ended {
    apply_stopped_at(dir, endpoint, at, &[])
}

/// Run `strata apply` and at `at` send it `signals` (`-INT`, `-TERM`), or
/// SIGKILL it when there are none; let it end if it ends first.
fn apply_stopped_at(dir: &Path, endpoint: &str, at: KillAt, signals: &[&str]) -> Ended {
    let mut running = Running::start(dir, endpoint, &apply_args());
    let started = Instant::now();
    let (limit, deadline) = match at {
        KillAt::Creating(k) => (k, started + Duration::from_secs(120)),
        KillAt::After(d) => (usize::MAX, started + d),
    };
    let stop = |running: Running| {
        if signals.is_empty() {
            return running.kill();
        }
        for s in signals {
            let status = Command::new("kill").args([*s, &running.child.id().to_string()]).status().expect("run kill");
            assert!(status.success(), "kill {s} failed");
        }
        running.finish()
    };
    let mut creating = 0;
    loop {
        match running.line(deadline) {
            Ok(line) if line.ends_with(": creating...") => {
                creating += 1;
                if creating >= limit {
                    return stop(running);
                }
            }
            Ok(_) => {}
            // The delay passed (or, for a line count, the run hangs: stop it too).
            Err(true) => return stop(running),
            // Standard output closed: the run is ending by itself.
            Err(false) => return running.finish(),
        }
    }
}

/// The state file as JSON (`None` before the first write).
pub(crate) fn state(dir: &Path) -> Option<Json> {
    let text = std::fs::read_to_string(dir.join(STATE_FILE)).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("the state file is not JSON ({e}):\n{text}")))
}

/// Lists every object of the types three-tier uses, as `{"type": [[id,
/// strata:address tag, strata:lineage tag, strata:intent tag], ...]}` (tags
/// null where absent). Ids are the ones strata records (route ids as
/// Terraform makes them, record ids `ZONE_name_TYPE`, attachment ids
/// `TG-ARN-TARGET`). Objects AWS makes by itself (default security groups,
/// main route tables, local routes, SOA and apex NS records) are left out.
const INVENTORY: &str = r#"
import json, sys, zlib, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, rds, elb, r53 = (boto3.client(s, **kw) for s in ("ec2", "rds", "elbv2", "route53"))
out = {}
def add(ty, oid, tags=None):
    tags = {t["Key"]: t.get("Value", "") for t in (tags or [])}
    out.setdefault(ty, []).append([oid, tags.get("strata:address"), tags.get("strata:lineage"), tags.get("strata:intent")])
for v in ec2.describe_vpcs()["Vpcs"]: add("aws_vpc", v["VpcId"], v.get("Tags"))
for s in ec2.describe_subnets()["Subnets"]: add("aws_subnet", s["SubnetId"], s.get("Tags"))
for g in ec2.describe_internet_gateways()["InternetGateways"]: add("aws_internet_gateway", g["InternetGatewayId"], g.get("Tags"))
for g in ec2.describe_security_groups()["SecurityGroups"]:
    if g["GroupName"] != "default": add("aws_security_group", g["GroupId"], g.get("Tags"))
for a in ec2.describe_addresses()["Addresses"]: add("aws_eip", a["AllocationId"], a.get("Tags"))
for n in ec2.describe_nat_gateways()["NatGateways"]:
    if n["State"] not in ("deleted", "deleting"): add("aws_nat_gateway", n["NatGatewayId"], n.get("Tags"))
for r in ec2.describe_instances()["Reservations"]:
    for i in r["Instances"]:
        if i["State"]["Name"] not in ("terminated", "shutting-down"): add("aws_instance", i["InstanceId"], i.get("Tags"))
for t in ec2.describe_route_tables()["RouteTables"]:
    rtb = t["RouteTableId"]
    if not any(a.get("Main") for a in t["Associations"]): add("aws_route_table", rtb, t.get("Tags"))
    for r in t["Routes"]:
        dest = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or ""
        if r.get("GatewayId") != "local": add("aws_route", f"r-{rtb}{zlib.crc32(dest.encode())}")
    for a in t["Associations"]:
        if not a.get("Main"): add("aws_route_table_association", a["RouteTableAssociationId"])
def rds_tags(arn): return rds.list_tags_for_resource(ResourceName=arn)["TagList"]
for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]: add("aws_db_subnet_group", g["DBSubnetGroupName"], rds_tags(g["DBSubnetGroupArn"]))
for g in rds.describe_db_parameter_groups()["DBParameterGroups"]:
    if not g["DBParameterGroupName"].startswith("default."): add("aws_db_parameter_group", g["DBParameterGroupName"], rds_tags(g["DBParameterGroupArn"]))
for d in rds.describe_db_instances()["DBInstances"]: add("aws_db_instance", d["DBInstanceIdentifier"], rds_tags(d["DBInstanceArn"]))
def elb_tags(arns):
    tags = {}
    for i in range(0, len(arns), 20):
        for d in elb.describe_tags(ResourceArns=arns[i:i + 20])["TagDescriptions"]: tags[d["ResourceArn"]] = d.get("Tags")
    return tags
lbs = [l["LoadBalancerArn"] for l in elb.describe_load_balancers()["LoadBalancers"]]
tgs = [g["TargetGroupArn"] for g in elb.describe_target_groups()["TargetGroups"]]
listeners = [l["ListenerArn"] for lb in lbs for l in elb.describe_listeners(LoadBalancerArn=lb)["Listeners"]]
for ty, arns in (("aws_lb", lbs), ("aws_lb_target_group", tgs), ("aws_lb_listener", listeners)):
    tags = elb_tags(arns)
    for a in arns: add(ty, a, tags.get(a))
for tg in tgs:
    for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]: add("aws_lb_target_group_attachment", f'{tg}-{d["Target"]["Id"]}')
for z in r53.list_hosted_zones()["HostedZones"]:
    zid = z["Id"].split("/")[-1]
    add("aws_route53_zone", zid, r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"].get("Tags"))
    for r in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]:
        if r["Type"] in ("SOA", "NS") and r["Name"] == z["Name"]: continue
        add("aws_route53_record", f'{zid}_{r["Name"].rstrip(".").lower()}_{r["Type"]}')
print(json.dumps(out))
"#;

/// One object found in moto: id, `strata:address`, `strata:lineage` and `strata:intent` tags.
pub(crate) type Found = (String, Option<String>, Option<String>, Option<String>);

/// Every object in moto by type (see [`INVENTORY`]), through boto3.
pub(crate) fn inventory(endpoint: &str) -> BTreeMap<String, Vec<Found>> {
    let out = Command::new("python3").args(["-c", INVENTORY, endpoint]).output().expect("run python3 (boto3 ships with moto)");
    assert!(out.status.success(), "the inventory script failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("inventory JSON")
}

/// Types whose objects carry strata's tags; the others are matched by id only.
const TAGGED: &[&str] = &[
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_route_table",
    "aws_security_group",
    "aws_eip",
    "aws_nat_gateway",
    "aws_instance",
    "aws_db_subnet_group",
    "aws_db_parameter_group",
    "aws_db_instance",
    "aws_lb",
    "aws_lb_target_group",
    "aws_lb_listener",
    "aws_route53_zone",
];

/// The objects in moto (less those of `baseline`, what moto had before the
/// first apply) must be exactly the state's: for tagged types each state
/// address exactly once with the state's id and lineage, for the others
/// each state id exactly once; nothing more. The state must hold every
/// resource of the configuration and no intent.
pub(crate) fn assert_exact(endpoint: &str, dir: &Path, baseline: &BTreeMap<String, Vec<Found>>, context: &str) {
    let state = state(dir).unwrap_or_else(|| panic!("{context}: no state file"));
    let lineage = state["lineage"].as_str().unwrap_or_default().to_string();
    assert!(!lineage.is_empty(), "{context}: the state has no lineage");
    assert_eq!(state["intents"].as_array().map_or(0, Vec::len), 0, "{context}: intents left in the state: {}", state["intents"]);
    let resources = state["resources"].as_array().cloned().unwrap_or_default();
    assert_eq!(resources.len(), THREE_TIER_RESOURCES, "{context}: the state records {} resources", resources.len());
    assert_eq!(state["deposed"].as_array().map_or(0, Vec::len), 0, "{context}: deposed objects left in the state");

    // (type → sorted (address, id)) as recorded.
    let mut recorded: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in &resources {
        let (ty, addr, id) = (r["type"].as_str().unwrap(), r["address"].as_str().unwrap(), r["id"].as_str().unwrap());
        recorded.entry(ty.to_string()).or_default().push((addr.to_string(), id.to_string()));
    }
    let before: std::collections::HashSet<(&str, &str)> =
        baseline.iter().flat_map(|(ty, objs)| objs.iter().map(move |(id, ..)| (ty.as_str(), id.as_str()))).collect();
    let now = inventory(endpoint);
    let mut problems = Vec::new();
    for ty in now.keys().chain(recorded.keys()).collect::<std::collections::BTreeSet<_>>() {
        let made: Vec<&Found> =
            now.get(ty).into_iter().flatten().filter(|(id, ..)| !before.contains(&(ty.as_str(), id.as_str()))).collect();
        let mut want = recorded.get(ty).cloned().unwrap_or_default();
        want.sort();
        let mut have: Vec<(String, String)> = if TAGGED.contains(&ty.as_str()) {
            for (id, addr, lin, _) in &made {
                if addr.is_none() || lin.as_deref() != Some(lineage.as_str()) {
                    problems.push(format!(
                        "{ty} {id} has strata:address {addr:?} and strata:lineage {lin:?} (the state's lineage is {lineage})"
                    ));
                }
            }
            made.iter().map(|(id, addr, ..)| (addr.clone().unwrap_or_default(), id.clone())).collect()
        } else {
            // Untagged: compare ids; the addresses come from the state.
            let mut ids: Vec<String> = made.iter().map(|(id, ..)| id.clone()).collect();
            ids.sort();
            let mut want_ids: Vec<String> = want.iter().map(|(_, id)| id.clone()).collect();
            want_ids.sort();
            if ids != want_ids {
                problems.push(format!("{ty}: moto has {ids:?}, the state records {want_ids:?}"));
            }
            want.clone()
        };
        have.sort();
        if have != want {
            problems.push(format!("{ty}: moto has (address, id) {have:?}, the state records {want:?}"));
        }
    }
    assert!(problems.is_empty(), "{context}: moto and the state disagree:\n  {}", problems.join("\n  "));
}

/// After the final apply: plans clean (through `endpoint`) and matches
/// moto (at `moto_url`) exactly.
pub(crate) fn assert_converged(endpoint: &str, moto_url: &str, dir: &Path, baseline: &BTreeMap<String, Vec<Found>>, context: &str) {
    let (code, stdout, stderr) = run(dir, endpoint, &["plan", "--detailed-exitcode", "--var", MOTO_AMI]);
    assert_eq!(code, 0, "{context}: the plan after the final apply is not clean:\n{stdout}\n{stderr}");
    assert_exact(moto_url, dir, baseline, context);
}

#[test]
fn moto_apply_killed_at_random_points_converges_to_exact_state() {
    let first = moto();
    const KILLS: usize = 24;
    let mut rng = Rng::new(0x5EED_C4A5);
    let started = Instant::now();
    let (mut kills, mut round) = (0, 0);
    let mut points = Vec::new();
    let mut next = Some(first);
    while kills < KILLS {
        round += 1;
        // A fresh moto a round: the example's fixed names would collide.
        let moto = next.take().unwrap_or_else(moto);
        let endpoint = moto.url.clone();
        let baseline = inventory(&endpoint);
        let (_tmp, dir) = three_tier();
        // Kill, re-run, kill again until an apply ends by itself; at most 12 runs a round.
        let mut ended = false;
        for attempt in 0..12 {
            let recorded = state(&dir).and_then(|s| s["resources"].as_array().map(Vec::len)).unwrap_or(0);
            let remaining = THREE_TIER_RESOURCES.saturating_sub(recorded).max(1) as u64;
            let at = if rng.range(0, 2) < 2 {
                KillAt::Creating(rng.range(1, remaining) as usize)
            } else {
                KillAt::After(Duration::from_millis(rng.range(50, 3000)))
            };
            let end = apply_killed_at(&dir, &endpoint, at);
            if end.killed {
                kills += 1;
                points.push(format!("round {round} run {attempt}: {at:?} with {recorded} recorded"));
                continue;
            }
            // A run that ended by itself must have succeeded, whatever its predecessors left.
            assert_eq!(end.code, Some(0), "round {round} run {attempt} ({at:?}) failed:\n{}\n{}", end.stdout, end.stderr);
            ended = true;
            break;
        }
        if !ended {
            let (code, stdout, stderr) = run(&dir, &endpoint, &apply_args());
            assert_eq!(code, 0, "round {round}: the final apply failed:\n{stdout}\n{stderr}");
        }
        assert_converged(&endpoint, &endpoint, &dir, &baseline, &format!("round {round} (kills: {})", points.join("; ")));
        eprintln!("{}", points.join("\n"));
        points.clear();
    }
    // How long this took is printed, never asserted (tests do not assert on wall-clock time).
    eprintln!("crash test: {kills} kills in {round} rounds, {:?}", started.elapsed());
}

#[test]
fn moto_a_killed_apply_leaves_no_lock_that_blocks_the_next_run() {
    let moto = moto();
    let endpoint = moto.url.clone();
    let baseline = inventory(&endpoint);
    let (_tmp, dir) = three_tier();
    let end = apply_killed_at(&dir, &endpoint, KillAt::Creating(1));
    assert!(end.killed, "apply ended before the kill:\n{}\n{}", end.stdout, end.stderr);
    // The holder's record is still there: the lock was held when it died.
    let record = std::fs::read_to_string(dir.join(LOCK_FILE)).expect("the killed apply's lock record");
    assert!(record.contains("\"operation\":\"apply\""), "{record}");

    // A live holder does block (so that the check below can fail): hold the
    // same OS lock from python while strata tries.
    let mut holder = Command::new("python3")
        .args(["-c", "import fcntl, sys, time\nf = open(sys.argv[1], 'a')\nfcntl.flock(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)", LOCK_FILE])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(holder.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "locked");
    let (code, stdout, stderr) = run(&dir, &endpoint, &apply_args());
    assert_eq!(code, 1, "apply ran beside a live lock holder:\n{stdout}\n{stderr}");
    assert!(stderr.contains("strata::state::locked"), "{stderr}");
    holder.kill().unwrap();
    holder.wait().unwrap();

    // The dead holders' records do not block: no wait, no force-unlock.
    // Without --lock-timeout a held lock fails at once, so exit 0 shows nothing blocked.
    let (code, stdout, stderr) = run(&dir, &endpoint, &apply_args());
    assert_eq!(code, 0, "apply after the killed ones:\n{stdout}\n{stderr}");
    assert!(!dir.join(LOCK_FILE).exists(), "a finished run removes its lock file");
    assert_converged(&endpoint, &endpoint, &dir, &baseline, "after one kill");
}

/// The worst crash, made from an applied three-tier: every create happened
/// and none was recorded; only the intents (with the tokens the objects
/// carry) reached the state, and the public zone was made but never tagged
/// (zones are tagged after they exist).
fn forget_every_record(dir: &Path, endpoint: &str) {
    let mut state = state(dir).unwrap();
    let tokens: BTreeMap<String, String> =
        inventory(endpoint).into_values().flatten().filter_map(|(id, _, _, token)| Some((id, token?))).collect();
    let zone = state["resources"].as_array().unwrap().iter().find(|r| r["address"] == "aws_route53_zone.public").unwrap()["id"].clone();
    let untag = "import sys, boto3\nr53 = boto3.client('route53', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\ntags = r53.list_tags_for_resource(ResourceType='hostedzone', ResourceId=sys.argv[2])['ResourceTagSet']['Tags']\nr53.change_tags_for_resource(ResourceType='hostedzone', ResourceId=sys.argv[2], RemoveTagKeys=[t['Key'] for t in tags])";
    let out = Command::new("python3").args(["-c", untag, endpoint, zone.as_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let intents: Vec<Json> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let id = r["id"].as_str().unwrap();
            // Untagged types are found by their planned attributes; any token does.
            let token = tokens.get(id).cloned().unwrap_or_else(|| format!("00000000-0000-4000-8000-{n:012}"));
            serde_json::json!({"address": r["address"], "token": token, "operation": "create", "started_at": "2026-01-01T00:00:00Z"})
        })
        .collect();
    state["intents"] = Json::Array(intents);
    state["resources"] = Json::Array(Vec::new());
    state["outputs"] = serde_json::json!({});
    std::fs::write(dir.join(STATE_FILE), serde_json::to_string_pretty(&state).unwrap()).unwrap();
}

/// What moto holds, by type (see [`inventory`]).
pub(crate) type Inventory = BTreeMap<String, Vec<Found>>;

/// Three-tier applied on a moto of its own, then [`forget_every_record`]:
/// the moto, what it held before, the temporary folder and the example.
fn after_the_worst_crash() -> (Moto, Inventory, tempfile::TempDir, PathBuf) {
    let moto = moto();
    let baseline = inventory(&moto.url);
    let (tmp, dir) = three_tier();
    let (code, stdout, stderr) = run(&dir, &moto.url, &apply_args());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    forget_every_record(&dir, &moto.url);
    (moto, baseline, tmp, dir)
}

#[test]
fn moto_objects_whose_creates_were_never_recorded_are_adopted_not_made_again() {
    let (moto, baseline, _tmp, dir) = after_the_worst_crash();
    let endpoint = moto.url.clone();

    // A plan says so and leaves the intents to the apply (it writes nothing).
    let (code, stdout, stderr) = run(&dir, &endpoint, &["plan", "--json", "--var", MOTO_AMI]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let plan: Json = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["interrupted_creates"].as_array().map_or(0, Vec::len), THREE_TIER_RESOURCES, "{}", plan["interrupted_creates"]);
    assert_eq!(state(&dir).unwrap()["intents"].as_array().map_or(0, Vec::len), THREE_TIER_RESOURCES);

    let (code, stdout, stderr) = run(&dir, &endpoint, &apply_args());
    assert_eq!(code, 0, "apply after the lost records:\n{stdout}\n{stderr}");
    assert_converged(&endpoint, &endpoint, &dir, &baseline, "after adopting every object");
}

#[test]
fn moto_destroy_right_after_the_worst_crash_leaves_nothing_behind() {
    let (moto, baseline, _tmp, dir) = after_the_worst_crash();
    let endpoint = moto.url.clone();

    // Recovery before planning finds every object (in rounds, dependencies
    // first), so the destroy plan covers them all.
    let (code, stdout, stderr) = run(&dir, &endpoint, &["destroy", "--auto-approve", "--var", MOTO_AMI]);
    assert_eq!(code, 0, "destroy after the lost records:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{THREE_TIER_RESOURCES} destroyed")), "{stdout}");
    let state = state(&dir).unwrap();
    assert_eq!(state["resources"].as_array().map_or(0, Vec::len), 0);
    assert_eq!(state["intents"].as_array().map_or(0, Vec::len), 0, "{}", state["intents"]);
    let before: std::collections::HashSet<(String, String)> =
        baseline.iter().flat_map(|(ty, objs)| objs.iter().map(move |(id, ..)| (ty.clone(), id.clone()))).collect();
    let left: Vec<(String, String)> = inventory(&endpoint)
        .into_iter()
        .flat_map(|(ty, objs)| objs.into_iter().map(move |(id, ..)| (ty.clone(), id)))
        .filter(|o| !before.contains(o))
        .collect();
    assert!(left.is_empty(), "objects left behind: {left:?}");
}

#[test]
fn moto_sigint_lets_running_calls_finish_records_them_and_exits_130() {
    let moto = moto();
    let endpoint = moto.url.clone();
    let baseline = inventory(&endpoint);
    let (_tmp, dir) = three_tier();
    let end = apply_stopped_at(&dir, &endpoint, KillAt::Creating(3), &["-INT"]);
    assert_eq!(end.code, Some(130), "{}\n{}", end.stdout, end.stderr);
    assert!(end.stdout.contains("Interrupted:"), "{}", end.stdout);
    assert!(end.stdout.contains("Not run:"), "what had not started is listed:\n{}", end.stdout);
    // Every create that started finished and was recorded: no intent is left.
    let state = state(&dir).expect("the interrupted apply wrote the state");
    assert_eq!(state["intents"].as_array().map_or(0, Vec::len), 0, "{}", state["intents"]);
    let started = end.stdout.lines().filter(|l| l.ends_with(": creating...")).count();
    let recorded = state["resources"].as_array().map_or(0, Vec::len);
    assert_eq!(recorded, started, "each started create is recorded:\n{}", end.stdout);
    let succeeded = end.stdout.lines().filter(|l| l.starts_with("  ✓ ")).count();
    assert_eq!(succeeded, started, "the end lists what succeeded:\n{}", end.stdout);

    let (code, stdout, stderr) = run(&dir, &endpoint, &apply_args());
    assert_eq!(code, 0, "apply after the interrupt:\n{stdout}\n{stderr}");
    assert_converged(&endpoint, &endpoint, &dir, &baseline, "after a SIGINT");
}

#[test]
fn moto_a_second_signal_exits_at_once_and_the_next_apply_recovers() {
    let moto = moto();
    let baseline = inventory(&moto.url);
    let (_tmp, dir) = three_tier();
    // Every call takes two seconds, so the second signal finds calls running.
    let slow = crate::faults::Proxy::slow(&moto.url, Duration::from_secs(2));
    let end = apply_stopped_at(&dir, &slow.url, KillAt::Creating(2), &["-TERM", "-INT"]);
    assert_eq!(end.code, Some(130), "{}\n{}", end.stdout, end.stderr);
    assert!(end.stdout.contains("Interrupted:"), "{}", end.stdout);
    // It did not wait for them: they are reported as left running, and their
    // intents stay in the (saved) state for the next run.
    assert!(end.stdout.contains("interrupted while running"), "{}", end.stdout);
    let state = state(&dir).expect("the state was saved before exiting");
    assert!(state["intents"].as_array().is_some_and(|i| !i.is_empty()), "{}", state["intents"]);
    // The held requests still reach moto (as a real cloud would finish them).
    drop(slow);

    let (code, stdout, stderr) = run(&dir, &moto.url, &apply_args());
    assert_eq!(code, 0, "apply after two signals:\n{stdout}\n{stderr}");
    assert_converged(&moto.url, &moto.url, &dir, &baseline, "after two signals");
}
