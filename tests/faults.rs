//! Throttling and server errors: a fault-injecting HTTP proxy between strata
//! and moto answers a seeded fraction of requests itself, with HTTP 500 or
//! a throttling error in the service's protocol, and never fails the same
//! request twice in a row. `strata apply` of examples/three-tier must still
//! converge to the exact state.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::crash::{Rng, THREE_TIER_RESOURCES, apply_args, assert_converged, inventory, run, three_tier};
use crate::support::moto;

/// A request as read from the client: head lines and the raw body bytes
/// (chunked framing kept as it came).
struct Request {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The service from the SigV4 credential scope (`.../us-east-1/ec2/aws4_request`).
    fn service(&self) -> &str {
        self.header("authorization").and_then(|a| a.split("/aws4_request").next()).and_then(|s| s.rsplit('/').next()).unwrap_or("")
    }

    /// `RunInstances` (query protocols), `POST /2013-04-01/hostedzone` (REST).
    fn operation(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        match body.split('&').find_map(|p| p.strip_prefix("Action=")) {
            Some(action) => action.to_string(),
            None => self.line.rsplit_once(' ').map_or(self.line.clone(), |(l, _)| l.to_string()),
        }
    }

    /// What identifies one operation across its retries.
    fn key(&self) -> String {
        match self.header("amz-sdk-invocation-id") {
            Some(id) => id.to_string(),
            None => format!("{} {}", self.line, String::from_utf8_lossy(&self.body)),
        }
    }

    /// The request for moto: the same, on a connection closed after the answer.
    fn upstream_bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.line).into_bytes();
        for (k, v) in self.headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("connection")) {
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(b"connection: close\r\n\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// Read one request; `None` at the end of the connection (or when the proxy
/// stops while it waits).
fn read_request(reader: &mut BufReader<TcpStream>, stop: &AtomicBool) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => {}
            // The read timeout before the request: a chance to notice the stop.
            Err(e)
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
                    && head.is_empty()
                    && line.is_empty() =>
            {
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
                continue;
            }
            Err(_) => return None,
        }
        // A request has begun: the rest comes without pauses worth watching.
        let _ = reader.get_ref().set_read_timeout(Some(Duration::from_secs(30)));
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            if head.is_empty() {
                continue;
            }
            break;
        }
        head.push(line);
    }
    let line = head.remove(0);
    let headers: Vec<(String, String)> =
        head.iter().filter_map(|h| h.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut req = Request { line, headers, body: Vec::new() };
    if req.header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).ok()?;
            req.body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    let mut trailer = String::new();
                    reader.read_line(&mut trailer).ok()?;
                    req.body.extend_from_slice(trailer.as_bytes());
                    if trailer.trim().is_empty() {
                        return Some(req);
                    }
                }
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            req.body.extend_from_slice(&chunk);
        }
    }
    let length = req.header("content-length").and_then(|l| l.parse::<usize>().ok()).unwrap_or(0);
    req.body = vec![0; length];
    reader.read_exact(&mut req.body).ok()?;
    Some(req)
}

/// A fault in the service's own error format: EC2 is a query protocol with
/// `<Response><Errors>`, RDS, ELBv2 and STS answer `<ErrorResponse>`, Route 53
/// (REST XML) too, in its namespace.
fn fault(service: &str, throttle: bool) -> Vec<u8> {
    let (status, code, message) = match (service, throttle) {
        ("ec2", true) => ("400 Bad Request", "RequestLimitExceeded", "Request limit exceeded."),
        (_, true) => ("400 Bad Request", "Throttling", "Rate exceeded"),
        ("ec2", false) => ("500 Internal Server Error", "InternalError", "An internal error has occurred."),
        (_, false) => ("500 Internal Server Error", "InternalFailure", "An internal error has occurred."),
    };
    let kind = if throttle { "Sender" } else { "Receiver" };
    let body = match service {
        "ec2" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"
        ),
        "route53" => format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        ),
        _ => format!(
            "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        ),
    };
    format!("HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).into_bytes()
}

/// moto's answer with its connection header replaced: every answer ends
/// its connection (the proxy reads moto's answers to the end).
fn forward(upstream: &str, req: &Request) -> std::io::Result<Vec<u8>> {
    let mut moto = TcpStream::connect(upstream)?;
    moto.set_read_timeout(Some(Duration::from_secs(60)))?;
    moto.write_all(&req.upstream_bytes())?;
    let mut answer = Vec::new();
    moto.read_to_end(&mut answer)?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| std::io::Error::other("moto's answer has no head"))?;
    let head = String::from_utf8_lossy(&answer[..split]);
    let mut out = Vec::new();
    for line in head.split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("connection:")) {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out.extend_from_slice(&answer[split + 4..]);
    Ok(out)
}

/// What the proxy decides and counts, shared by its threads.
struct Faults {
    rng: Mutex<Rng>,
    /// Percent of requests answered with a fault.
    percent: u64,
    /// Operations whose last attempt was failed here.
    failed_last: Mutex<HashMap<String, bool>>,
    /// The operations answered with a fault.
    injected_into: Mutex<Vec<String>>,
    injected: AtomicUsize,
    forwarded: AtomicUsize,
    /// How long every request waits before it is forwarded.
    delay: Duration,
}

impl Faults {
    /// Whether to fail this request, and how (throttle or 500).
    fn decide(&self, req: &Request) -> Option<bool> {
        let mut last = self.failed_last.lock().unwrap();
        let was_failed = last.get(&req.key()).copied().unwrap_or(false);
        let draw = self.rng.lock().unwrap().next();
        let fail = !was_failed && draw % 100 < self.percent;
        last.insert(req.key(), fail);
        fail.then_some(draw & 0x100 != 0)
    }
}

/// The proxy: a listener thread and a thread per connection, all stopped
/// (and joined) on drop.
pub(crate) struct Proxy {
    pub(crate) url: String,
    stop: Arc<AtomicBool>,
    faults: Arc<Faults>,
    acceptor: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub(crate) fn start(upstream: &str, seed: u64, percent: u64) -> Proxy {
        Proxy::start_with(upstream, seed, percent, Duration::ZERO)
    }

    /// A proxy that injects no faults but holds every request for `delay`
    /// (calls then run long enough to be interrupted). Dropping it waits for
    /// the requests it holds to reach the upstream.
    pub(crate) fn slow(upstream: &str, delay: Duration) -> Proxy {
        Proxy::start_with(upstream, 0, 0, delay)
    }

    fn start_with(upstream: &str, seed: u64, percent: u64, delay: Duration) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let faults = Arc::new(Faults {
            rng: Mutex::new(Rng::new(seed)),
            percent,
            failed_last: Mutex::new(HashMap::new()),
            injected_into: Mutex::new(Vec::new()),
            injected: AtomicUsize::new(0),
            forwarded: AtomicUsize::new(0),
            delay,
        });
        let connections = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (stop, faults, connections) = (stop.clone(), faults.clone(), connections.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let (stop, faults, upstream) = (stop.clone(), faults.clone(), upstream.clone());
                            let handle = std::thread::spawn(move || serve(client, &upstream, &faults, &stop));
                            connections.lock().unwrap().push(handle);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                        Err(_) => break,
                    }
                }
            })
        };
        Proxy { url, stop, faults, acceptor: Some(acceptor), connections }
    }

    pub(crate) fn injected(&self) -> usize {
        self.faults.injected.load(Ordering::SeqCst)
    }

    pub(crate) fn injected_into(&self) -> Vec<String> {
        self.faults.injected_into.lock().unwrap().clone()
    }

    pub(crate) fn forwarded(&self) -> usize {
        self.faults.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        for c in self.connections.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default() {
            let _ = c.join();
        }
    }
}

/// One client connection: one request, failed or forwarded (every answer
/// says `connection: close`).
fn serve(client: TcpStream, upstream: &str, faults: &Faults, stop: &AtomicBool) {
    // Waiting for a request wakes up every 100 ms to notice the stop.
    if client.set_nonblocking(false).is_err() || client.set_read_timeout(Some(Duration::from_millis(100))).is_err() {
        return;
    }
    let Ok(mut writer) = client.try_clone() else { return };
    let mut reader = BufReader::new(client);
    let Some(req) = read_request(&mut reader, stop) else { return };
    let answer = match faults.decide(&req) {
        Some(throttle) => {
            faults.injected.fetch_add(1, Ordering::SeqCst);
            faults.injected_into.lock().unwrap().push(req.operation());
            fault(req.service(), throttle)
        }
        None => {
            std::thread::sleep(faults.delay);
            let Ok(a) = forward(upstream, &req) else { return };
            faults.forwarded.fetch_add(1, Ordering::SeqCst);
            a
        }
    };
    let _ = writer.write_all(&answer);
    let _ = writer.flush();
}

#[test]
fn moto_apply_converges_through_throttling_and_server_errors() {
    let moto = moto();
    let baseline = inventory(&moto.url);
    let proxy = Proxy::start(&moto.url, 0xFA_017, 15);
    let (_tmp, dir) = three_tier();

    let (code, stdout, stderr) = run(&dir, &proxy.url, &apply_args());
    assert_eq!(code, 0, "apply through the proxy ({} faults injected):\n{stdout}\n{stderr}", proxy.injected());
    assert!(stdout.contains(&format!("Apply complete: {THREE_TIER_RESOURCES} created")), "{stdout}");
    let (injected, forwarded) = (proxy.injected(), proxy.forwarded());
    let into = proxy.injected_into();
    eprintln!("the proxy injected {injected} faults (into {into:?}) and forwarded {forwarded} requests");
    assert!(injected > 0 && forwarded > 0, "the proxy injected {injected} faults and forwarded {forwarded} requests");
    // About the configured share of what reached the proxy (never twice in a row keeps it under).
    let share = injected * 100 / (injected + forwarded);
    assert!((5..=25).contains(&share), "{injected} faults of {} requests", injected + forwarded);
    // Calls that change things were among them (a create answered with a fault is retried, not doubled).
    let changing = ["Create", "Run", "Allocate", "Authorize", "Associate", "Register", "Modify", "POST"];
    assert!(into.iter().any(|op| changing.iter().any(|c| op.starts_with(c))), "faults only in reads: {into:?}");
    assert_converged(&proxy.url, &moto.url, &dir, &baseline, &format!("through the proxy ({injected} faults)"));

    // Dropping the proxy stops its listener and joins its threads.
    drop(proxy);
}
