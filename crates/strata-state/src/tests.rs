//! Unit tests of the state crate: the file format, atomic writes, the lock and the key.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use strata_core::{Address, Diagnostic, Layer, Value};

use crate::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/states").join(name)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn sample_resource(address: &str, id: &str) -> ResourceState {
    let addr: Address = address.parse().unwrap();
    let attrs = Value::map([("name", Value::string(id)), ("password", Value::string("s3cret").mark_if(true))]);
    ResourceState::from_value(&addr, Layer::Infrastructure, id, &attrs)
}

/// Read a fixture, check the error code, and check the file is byte-identical afterwards.
fn read_error(name: &str) -> StateError {
    let path = fixture(name);
    let before = fs::read(&path).unwrap();
    let err = read_state(&path).unwrap_err();
    assert_eq!(fs::read(&path).unwrap(), before, "{name} was modified by reading");
    err
}

#[test]
fn reads_the_valid_fixture() {
    let path = fixture("valid.json");
    let before = fs::read(&path).unwrap();
    let state = read_state(&path).unwrap().unwrap();
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!((state.version, state.serial), (1, 7));
    assert_eq!(state.resources.len(), 4);
    assert_eq!(state.intents[0].address, "module.web.aws_instance.app[1]");
    let subnet = state.resource(r#"aws_subnet.private["a"]"#).unwrap();
    assert_eq!(subnet.id, "subnet-0aa");
    assert_eq!(subnet.layer(), Some(Layer::Infrastructure));
    let app: Address = "module.web.aws_instance.app[0]".parse().unwrap();
    assert_eq!(state.resource_at(&app).unwrap().private, Some(json!({"schema_version": 1})));
    let db = state.resource("aws_db_instance.main").unwrap();
    let values = db.values();
    let map = values.as_map().unwrap();
    assert!(map["password"].is_sensitive());
    assert!(!map["username"].is_sensitive());
    assert_eq!(sensitive_paths(&values), vec![vec!["password".to_string()]]);
    assert!(state.outputs["db_password"].sensitive);
    assert!(state.resource("aws_vpc.other").is_none());
}

#[test]
fn absent_file_is_none_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".strata/state.json");
    assert!(read_state(&path).unwrap().is_none());
    assert!(LocalBackend::new(&path).read().unwrap().is_none());
    assert!(!dir.path().join(".strata").exists());
}

#[test]
fn corrupt_json_names_line_and_column() {
    let err = read_error("corrupt.json");
    assert_eq!(err.code(), "strata::state::corrupt");
    let msg = err.to_string();
    assert!(msg.contains("corrupt.json:5:3: expected `,` or `}`"), "{msg}");
    assert!(matches!(err, StateError::Corrupt { line: 5, column: 3, .. }));
}

#[test]
fn truncated_file_is_told_apart_from_corrupt() {
    let err = read_error("truncated.json");
    assert_eq!(err.code(), "strata::state::truncated");
    assert!(err.to_string().contains("truncated.json:17:19: the file ends"), "{err}");
    // An empty file is truncated too.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("state.json");
    fs::write(&empty, "").unwrap();
    assert_eq!(read_state(&empty).unwrap_err().code(), "strata::state::truncated");
}

#[test]
fn future_version_names_both_formats() {
    let err = read_error("future-version.json");
    assert_eq!(err.code(), "strata::state::future_version");
    let d = Diagnostic::from(err);
    assert!(d.message.ends_with("was written by a newer strata (strata 0.9.0, format 9); this strata reads format 1"), "{}", d.message);
    assert!(d.help.unwrap().starts_with("upgrade strata"));
    assert!(d.labels.is_empty());
}

#[test]
fn wrong_shapes_are_invalid() {
    let err = read_error("wrong-shape.json");
    assert_eq!(err.code(), "strata::state::invalid");
    assert!(err.to_string().contains(r#"resource 1 has an invalid address "aws_vpc main""#), "{err}");

    let err = read_error("duplicate-address.json");
    assert_eq!(err.code(), "strata::state::invalid");
    assert!(err.to_string().ends_with("resource aws_vpc.main is recorded twice"), "{err}");

    let err = read_error("wrong-type.json");
    assert_eq!(err.code(), "strata::state::invalid");
    assert!(err.to_string().contains("wrong-type.json:4:"), "{err}");
    assert!(err.to_string().contains("invalid type: string \"two\""), "{err}");
}

#[test]
fn other_invalid_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let cases = [
        (r#"[1, 2]"#, "the top level must be a JSON object"),
        (r#"42"#, "expected a JSON object"),
        (r#"{"lineage": "x", "serial": 1, "strata_version": "0.1.0"}"#, "missing field `version`"),
        (r#"{"version": "1", "lineage": "x", "serial": 1, "strata_version": "0.1.0"}"#, "positive integer"),
        (r#"{"version": 0, "lineage": "x", "serial": 1, "strata_version": "0.1.0"}"#, "format version 0"),
        (r#"{"version": 1, "lineage": " ", "serial": 1, "strata_version": "0.1.0"}"#, "`lineage` is empty"),
        (
            r#"{"version": 1, "lineage": "x", "serial": 1, "strata_version": "0.1.0", "resources": [
               {"address": "aws_vpc.a", "type": "aws_subnet", "layer": 1, "id": "v", "attributes": {}}]}"#,
            r#"has type "aws_subnet", but its address names type "aws_vpc""#,
        ),
        (
            r#"{"version": 1, "lineage": "x", "serial": 1, "strata_version": "0.1.0", "resources": [
               {"address": "aws_vpc.a", "type": "aws_vpc", "layer": 7, "id": "v", "attributes": {}}]}"#,
            "layer 7; layers are 1 to 5",
        ),
        (
            r#"{"version": 1, "lineage": "x", "serial": 1, "strata_version": "0.1.0", "intents": [
               {"address": "a.b", "token": "t", "operation": "create", "started_at": ""},
               {"address": "a.b", "token": "u", "operation": "create", "started_at": ""}]}"#,
            "intent for a.b is recorded twice",
        ),
    ];
    for (text, expected) in cases {
        fs::write(&path, text).unwrap();
        let err = read_state(&path).unwrap_err();
        assert_eq!(err.code(), "strata::state::invalid", "{text}");
        assert!(err.to_string().contains(expected), "{text}: {err}");
    }
}

#[test]
fn help_points_at_the_backup_only_when_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::copy(fixture("corrupt.json"), &path).unwrap();
    let help = read_state(&path).unwrap_err().help().unwrap();
    assert!(help.starts_with("no backup exists"), "{help}");
    fs::copy(fixture("valid.json"), dir.path().join("state.json.backup")).unwrap();
    let help = read_state(&path).unwrap_err().to_diagnostic().help.unwrap();
    assert!(help.starts_with(&format!("the previous version is in {}", dir.path().join("state.json.backup").display())), "{help}");
}

#[test]
fn persist_refuses_to_overwrite_unreadable_files() {
    for (name, code) in [
        ("corrupt.json", "strata::state::corrupt"),
        ("truncated.json", "strata::state::truncated"),
        ("future-version.json", "strata::state::future_version"),
        ("wrong-shape.json", "strata::state::invalid"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::copy(fixture(name), &path).unwrap();
        let before = fs::read(&path).unwrap();
        let backend = LocalBackend::new(&path);
        let err = backend.persist(&mut State::new()).unwrap_err();
        assert_eq!(err.code(), code, "{name}");
        assert_eq!(fs::read(&path).unwrap(), before, "{name} was modified");
        assert!(!backend.backup_path().exists(), "{name}");
    }
}

#[test]
fn new_state_has_a_fresh_v4_lineage() {
    let (a, b) = (State::new(), State::new());
    let id = uuid::Uuid::parse_str(&a.lineage).unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert_ne!(a.lineage, b.lineage);
    assert_eq!((a.version, a.serial, a.strata_version.as_str()), (FORMAT_VERSION, 0, env!("CARGO_PKG_VERSION")));
}

#[test]
fn pretty_json_round_trips() {
    let state = read_state(fixture("valid.json")).unwrap().unwrap();
    let text = state.to_json_pretty();
    assert!(text.ends_with("}\n"));
    assert_eq!(parse_state(Path::new("x"), text.as_bytes()).unwrap(), state);
}

#[test]
fn sensitive_paths_lists_outermost_marks() {
    let v = Value::map([
        ("a", Value::string("x")),
        ("b", Value::List(vec![Value::Null, Value::map([("k", Value::string("s").mark_if(true))])].into())),
        ("c", Value::map([("d", Value::string("inner").mark_if(true))]).mark_if(true)),
    ]);
    assert_eq!(sensitive_paths(&v), vec![vec!["b".to_string(), "1".into(), "k".into()], vec!["c".to_string()]]);
    assert_eq!(sensitive_paths(&Value::string("x").mark_if(true)), vec![Vec::<String>::new()]);
    assert!(sensitive_paths(&Value::string("x")).is_empty());
}

#[test]
fn from_value_keeps_marks_through_a_round_trip() {
    let attrs = Value::map([
        ("name", Value::string("db")),
        ("password", Value::string("pw").mark_if(true)),
        ("ports", Value::List(vec![Value::Number(5432.0), Value::Number(1.0).mark_if(true)].into())),
    ]);
    let addr: Address = r#"module.data.aws_db_instance.main["x"]"#.parse().unwrap();
    let r = ResourceState::from_value(&addr, Layer::Data, "db-1", &attrs);
    assert_eq!((r.address.as_str(), r.ty.as_str(), r.layer), (r#"module.data.aws_db_instance.main["x"]"#, "aws_db_instance", 2));
    assert_eq!(r.attributes, json!({"name": "db", "password": "pw", "ports": [5432, 1]}));
    assert_eq!(r.values(), attrs);
    assert_eq!(r.created_at.len(), 20);
}

#[test]
fn lookup_upsert_remove() {
    let mut s = State::new();
    s.upsert_resource(sample_resource("aws_vpc.a", "vpc-1"));
    s.upsert_resource(sample_resource("aws_vpc.b", "vpc-2"));
    s.upsert_resource(sample_resource("aws_vpc.a", "vpc-3"));
    assert_eq!(s.resources.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["vpc-3", "vpc-2"]);
    assert_eq!(s.remove_resource("aws_vpc.a").unwrap().id, "vpc-3");
    assert!(s.remove_resource("aws_vpc.a").is_none());
    s.resource_mut("aws_vpc.b").unwrap().id = "vpc-9".into();
    assert_eq!(s.resource("aws_vpc.b").unwrap().id, "vpc-9");
}

#[test]
fn persist_writes_atomically_with_backup_permissions_and_serials() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/.strata/state.json");
    let backend = LocalBackend::new(&path);
    let mut state = State::new();

    assert!(backend.persist(&mut state).unwrap());
    assert_eq!(state.serial, 1);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert!(!backend.backup_path().exists());
    let first = fs::read(&path).unwrap();

    // Unchanged content: no write, no serial bump.
    assert!(!backend.persist(&mut state).unwrap());
    assert_eq!(state.serial, 1);
    assert_eq!(fs::read(&path).unwrap(), first);
    assert!(!backend.backup_path().exists());

    state.upsert_resource(sample_resource("aws_vpc.a", "vpc-1"));
    assert!(backend.persist(&mut state).unwrap());
    assert_eq!(state.serial, 2);
    assert_eq!(fs::read(backend.backup_path()).unwrap(), first);
    assert_eq!(mode(&backend.backup_path()), 0o600);
    assert_eq!(mode(&path), 0o600);
    let on_disk = backend.read().unwrap().unwrap();
    assert_eq!(on_disk, state);

    // A stale in-memory serial never makes the file's serial go backwards.
    let mut stale = on_disk.clone();
    stale.serial = 0;
    stale.upsert_resource(sample_resource("aws_vpc.b", "vpc-2"));
    assert!(backend.persist(&mut stale).unwrap());
    assert_eq!(stale.serial, 3);

    // No temporary file is left behind.
    let mut names: Vec<String> =
        fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["state.json", "state.json.backup"]);
}

#[test]
fn backup_of_a_hand_made_state_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::copy(fixture("valid.json"), &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let backend = LocalBackend::new(&path);
    let mut state = backend.read().unwrap().unwrap();
    state.outputs.clear();
    assert!(backend.persist(&mut state).unwrap());
    assert_eq!(state.serial, 8);
    assert_eq!(fs::read(backend.backup_path()).unwrap(), fs::read(fixture("valid.json")).unwrap());
    assert_eq!(mode(&backend.backup_path()), 0o600);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn persist_refuses_another_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("state.json"));
    backend.persist(&mut State::new()).unwrap();
    let before = fs::read(backend.path()).unwrap();
    let err = backend.persist(&mut State::new()).unwrap_err();
    assert_eq!(err.code(), "strata::state::lineage_mismatch");
    assert_eq!(fs::read(backend.path()).unwrap(), before);
}

/// Guards the "a complete state exists at every instant" promise: a reader
/// polling during many writes never sees the file missing or half written.
#[test]
fn readers_never_see_a_missing_or_partial_state() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("state.json"));
    let mut state = State::new();
    backend.persist(&mut state).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (backend, done) = (backend.clone(), done.clone());
        thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                match backend.read() {
                    Ok(Some(_)) => reads += 1,
                    other => panic!("read during writes gave {other:?}"),
                }
            }
            reads
        })
    };
    for i in 0..300 {
        state.upsert_resource(sample_resource(&format!("aws_vpc.v{i}"), "vpc"));
        backend.persist(&mut state).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(backend.read().unwrap().unwrap().serial, 301);
}

#[test]
fn second_lock_fails_at_once_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join(".strata/state.json"));
    let guard = backend.lock(LockInfo::new("apply"), Duration::ZERO).unwrap();
    assert_eq!(guard.path(), dir.path().join(".strata/state.lock"));
    assert_eq!(mode(guard.path()), 0o600);
    assert_eq!(backend.lock_holder().as_ref(), Some(guard.info()));

    let start = Instant::now();
    let err = backend.lock(LockInfo::new("plan"), Duration::ZERO).unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(100));
    assert_eq!(err.code(), "strata::state::locked");
    let info = guard.info();
    let StateError::Locked { holder, waited: None, .. } = &err else { panic!("{err:?}") };
    assert_eq!(holder.as_deref(), Some(info));
    let msg = err.to_string();
    for part in [
        format!("pid {}", std::process::id()),
        format!("{}@{}", info.user, info.host),
        "apply".to_string(),
        format!("since {}", info.since),
        format!("lock id {}", info.id),
    ] {
        assert!(msg.contains(&part), "{part} missing from {msg}");
    }

    drop(guard);
    assert!(!dir.path().join(".strata/state.lock").exists());
    assert!(backend.lock_holder().is_none());
    let again = backend.lock(LockInfo::new("plan"), Duration::ZERO).unwrap();
    assert_eq!(again.info().operation, "plan");
}

#[test]
fn lock_timeout_waits_then_fails_or_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("state.json"));
    let guard = backend.lock(LockInfo::new("apply"), Duration::ZERO).unwrap();

    let start = Instant::now();
    let err = backend.lock(LockInfo::new("plan"), Duration::from_millis(400)).unwrap_err();
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(matches!(err, StateError::Locked { waited: Some(_), .. }), "{err:?}");
    assert!(err.to_string().contains("gave up after waiting 0."), "{err}");

    let releaser = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        drop(guard);
    });
    let start = Instant::now();
    let second = backend.lock(LockInfo::new("plan"), Duration::from_secs(10)).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(250) && start.elapsed() < Duration::from_secs(5));
    assert_eq!(backend.lock_holder().as_ref(), Some(second.info()));
    releaser.join().unwrap();
}

/// A Python child that takes the lock on `path` and writes a holder record
/// with `id`, then sleeps; returns once the lock is held.
fn spawn_holder(path: &Path, id: &str) -> Child {
    let script = r#"
import fcntl, json, os, sys, time
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX)
f.truncate(0)
f.write(json.dumps({"id": sys.argv[2], "pid": os.getpid(), "host": "build-7", "user": "ci",
                    "operation": "apply", "since": "2026-11-23T13:00:00Z"}))
f.flush()
print("locked", flush=True)
time.sleep(60)
"#;
    let mut child = Command::new("python3").args(["-c", script]).arg(path).arg(id).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    child
}

#[test]
fn a_killed_holder_never_blocks_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("state.json"));
    let mut child = spawn_holder(&backend.lock_path(), "11111111-2222-4333-8444-555555555555");

    let err = backend.lock(LockInfo::new("apply"), Duration::ZERO).unwrap_err();
    let StateError::Locked { holder: Some(holder), .. } = &err else { panic!("{err:?}") };
    assert_eq!(holder.pid, child.id());
    assert!(err.to_string().contains("ci@build-7, apply, since 2026-11-23T13:00:00Z"), "{err}");

    child.kill().unwrap(); // SIGKILL: the child cannot clean up.
    child.wait().unwrap();
    let guard = backend.lock(LockInfo::new("apply"), Duration::ZERO).unwrap();
    assert_eq!(backend.lock_holder().as_ref(), Some(guard.info()));
}

#[test]
fn force_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("state.json"));

    let err = backend.force_unlock("nope").unwrap_err();
    assert_eq!(err.code(), "strata::state::lock_not_found");
    assert_eq!(err.help().unwrap(), "the state is not locked");

    // A live holder: wrong id is not found, the right id is refused.
    let guard = backend.lock(LockInfo::new("apply"), Duration::ZERO).unwrap();
    let err = backend.force_unlock("nope").unwrap_err();
    assert_eq!(err.code(), "strata::state::lock_not_found");
    assert!(err.help().unwrap().contains(&guard.info().id));
    let err = backend.force_unlock(&guard.info().id).unwrap_err();
    assert_eq!(err.code(), "strata::state::locked");
    assert!(matches!(err, StateError::HolderAlive { .. }));
    assert!(err.help().unwrap().starts_with(&format!("stop process {} first", std::process::id())));
    assert_eq!(backend.lock_holder().as_ref(), Some(guard.info()));
    drop(guard);

    // A stale record left by a killed holder is removed.
    let id = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    let mut child = spawn_holder(&backend.lock_path(), id);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(backend.lock_holder().unwrap().id, id);
    let removed = backend.force_unlock(id).unwrap();
    assert_eq!((removed.id.as_str(), removed.user.as_str()), (id, "ci"));
    assert!(!backend.lock_path().exists());
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// Guards against replacing a symbolic link to the state with a regular file
/// (the target left at the old serial): writes go through the link, the
/// backup and the lock sit beside the target, and the link stays a link.
#[test]
fn a_symlinked_state_is_written_through_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    fs::create_dir(&shared).unwrap();
    let target = shared.join("prod.json");
    fs::create_dir(dir.path().join(".strata")).unwrap();
    let link = dir.path().join(".strata/state.json");
    // A relative link, resolved against the link's directory.
    std::os::unix::fs::symlink("../shared/prod.json", &link).unwrap();
    let backend = LocalBackend::new(&link);
    assert_eq!(backend.target().unwrap(), dir.path().join(".strata/../shared/prod.json"));

    // A dangling link: the first write creates the target.
    let mut state = State::new();
    assert!(backend.persist(&mut state).unwrap());
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(read_state(&target).unwrap().unwrap().serial, 1);
    let first = fs::read(&target).unwrap();

    state.upsert_resource(sample_resource("aws_vpc.a", "vpc-1"));
    assert!(backend.persist(&mut state).unwrap());
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    assert_eq!(read_state(&target).unwrap().unwrap().serial, 2, "the target has the new serial");
    assert_eq!(backend.read().unwrap().unwrap(), state);
    assert_eq!(backend.backup_path(), dir.path().join(".strata/../shared/prod.json.backup"));
    assert_eq!(fs::read(shared.join("prod.json.backup")).unwrap(), first);
    assert_eq!(mode(&target), 0o600);
    assert_eq!(mode(&shared.join("prod.json.backup")), 0o600);
    assert_eq!(names_in(&shared), ["prod.json", "prod.json.backup"], "no temporary file left beside the target");
    assert_eq!(names_in(&dir.path().join(".strata")), ["state.json"], "nothing written beside the link");

    // A link to a link is followed to the end.
    let second = dir.path().join("other.json");
    std::os::unix::fs::symlink(&link, &second).unwrap();
    let via_two = LocalBackend::new(&second);
    state.upsert_resource(sample_resource("aws_vpc.b", "vpc-2"));
    assert!(via_two.persist(&mut state).unwrap());
    assert!(fs::symlink_metadata(&second).unwrap().file_type().is_symlink());
    assert_eq!(read_state(&target).unwrap().unwrap().serial, 3);
}

/// Two configurations linking to one state file must not write it at the
/// same time: the lock is beside the target, so they share it.
#[test]
fn links_to_one_state_share_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("shared/state.json");
    fs::create_dir(dir.path().join("shared")).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for d in [&a, &b] {
        fs::create_dir(d).unwrap();
        std::os::unix::fs::symlink(&target, d.join("state.json")).unwrap();
    }
    let (backend_a, backend_b) = (LocalBackend::new(a.join("state.json")), LocalBackend::new(b.join("state.json")));
    assert_eq!(backend_a.lock_path(), dir.path().join("shared/state.lock"));
    let guard = backend_a.lock(LockInfo::new("apply"), Duration::ZERO).unwrap();
    let err = backend_b.lock(LockInfo::new("apply"), Duration::ZERO).unwrap_err();
    assert_eq!(err.code(), "strata::state::locked");
    drop(guard);
    backend_b.lock(LockInfo::new("apply"), Duration::ZERO).unwrap();
}

#[test]
fn a_symlink_loop_is_an_error_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let backend = LocalBackend::new(&a);
    let err = backend.write(&State::new()).unwrap_err();
    assert_eq!(err.code(), "strata::state::io");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(fs::symlink_metadata(&a).unwrap().file_type().is_symlink());
    assert_eq!(names_in(dir.path()), ["a.json", "b.json"]);
}
