//! API calls per object, counted at the wire: the real `strata` binary
//! against moto behind `bench/count_proxy.py` (the proxy BENCHMARKS.md's
//! figures come from), which counts every request by AWS action.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};

use crate::e2e::aws_env;
use crate::support::{moto, repo, scratch, strata_in};

/// `bench/count_proxy.py` in front of the moto at `moto_url`, stopped on drop.
struct Proxy {
    child: Child,
    port: u16,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    fn start(moto_url: &str) -> Proxy {
        let moto_port = moto_url.rsplit(':').next().unwrap().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        let child = Command::new("python3")
            .arg(repo().join("bench/count_proxy.py"))
            .args([port.to_string(), moto_port])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs bench/count_proxy.py (moto needs python3 anyway)");
        let proxy = Proxy { child, port };
        for _ in 0..150 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return proxy;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the counting proxy did not listen on port {port} within 15 s");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The calls counted so far, by action.
    fn counts(&self) -> BTreeMap<String, u64> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(s, "GET /__counts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("counts {body:?}: {e}"));
        json["actions"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect()
    }
}

/// Guards against one Describe per instance while creates wait: creating N
/// instances (at the default parallelism) was 3 calls each (RunInstances,
/// a DescribeInstances that saw it run, a DescribeVolumes for its root
/// volume); concurrent waits now share one DescribeInstances (and one
/// DescribeVolumes) per poll round, so the instances cost RunInstances each
/// plus a few shared rounds. Calls are counted, not timed.
#[test]
fn moto_creating_instances_costs_about_one_call_each() {
    const N: u64 = 40;
    let moto = moto();
    let proxy = Proxy::start(&moto.url);
    let dir = scratch(&[(
        "main.tf",
        &format!(
            r#"
resource "aws_instance" "app" {{
  count         = {N}
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  tags          = {{ Name = "app-${{count.index}}" }}
}}
"#
        ),
    )]);
    let url = proxy.url();
    let out = strata_in(dir.path(), &["apply", "--auto-approve"], &aws_env(&url));
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    assert!(out.stdout.contains(&format!("Apply complete: {N} created")), "{}", out.stdout);
    let counts = proxy.counts();
    let of = |action: &str| counts.get(action).copied().unwrap_or(0);
    assert_eq!(of("RunInstances"), N, "one RunInstances per instance: {counts:?}");
    let per_instance = of("RunInstances") + of("DescribeInstances") + of("DescribeVolumes");
    // 1.2 per instance and a few rounds' slack; before the shared poller it was 3·N.
    assert!(per_instance <= N * 6 / 5 + 4, "{per_instance} calls for {N} instances (want ≤ 1.2 each): {counts:?}");
    // The state is complete: a plan right after is clean.
    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode"], &aws_env(&url));
    assert_eq!(out.code, 0, "plan after apply:\n{}", out.snapshot());
}
