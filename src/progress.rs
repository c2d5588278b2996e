//! Apply progress: one line per resource as it starts and ends, with the
//! elapsed time, and — when standard output is a terminal — a status line
//! under them with a spinner, the counts so far and what is running.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use strata_core::Address;
use strata_engine::apply::{OpKind, Progress};
use strata_provider::ProviderError;

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK: Duration = Duration::from_millis(120);

pub struct Lines {
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    started: Instant,
    out: Box<dyn Write + Send>,
    /// The terminal's width; `None` when the output is not a terminal (no status line).
    width: Option<usize>,
    running: Vec<(String, Instant)>,
    done: usize,
    failed: usize,
    frame: usize,
    /// The status line is on screen (and must be cleared before a line is written).
    shown: bool,
}

impl Lines {
    /// Progress on standard output; a status line when it is a terminal.
    pub fn stdout() -> Lines {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        // A pseudo-terminal may report no size: assume 80 columns then.
        let width = tty.then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)).filter(|w| *w >= 20).unwrap_or(80));
        Lines::new(Box::new(std::io::stdout()), width)
    }

    /// Progress on `out`; with `width`, a status line redrawn a few times a second.
    pub fn new(out: Box<dyn Write + Send>, width: Option<usize>) -> Lines {
        let shared = Arc::new(Mutex::new(Shared {
            started: Instant::now(),
            out,
            width,
            running: Vec::new(),
            done: 0,
            failed: 0,
            frame: 0,
            shown: false,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = width.map(|_| {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    let mut s = lock(&shared);
                    s.frame += 1;
                    s.redraw();
                }
            })
        });
        Lines { shared, stop, ticker }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic while printing leaves nothing worth protecting.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn clear(&mut self) {
        if self.shown {
            let _ = write!(self.out, "\r\x1b[2K");
            self.shown = false;
        }
    }

    fn line(&mut self, text: &str) {
        self.clear();
        let _ = writeln!(self.out, "[{:>6.1}s] {text}", self.started.elapsed().as_secs_f64());
        self.draw();
        let _ = self.out.flush();
    }

    fn redraw(&mut self) {
        self.clear();
        self.draw();
        let _ = self.out.flush();
    }

    fn draw(&mut self) {
        let Some(width) = self.width else { return };
        if self.running.is_empty() {
            return;
        }
        let now = Instant::now();
        let running: Vec<(&str, Duration)> = self.running.iter().map(|(a, t)| (a.as_str(), now - *t)).collect();
        let text = status(FRAMES[self.frame % FRAMES.len()], self.started.elapsed(), self.done, self.failed, &running, width);
        let _ = write!(self.out, "{text}");
        self.shown = true;
    }
}

/// `⠋ [  12.3s] 12 done, 1 failed, 3 running: aws_instance.app[0] 4s, …`,
/// cut to fit in `width` columns (a wrapped line could not be cleared).
pub fn status(frame: char, elapsed: Duration, done: usize, failed: usize, running: &[(&str, Duration)], width: usize) -> String {
    let mut text = format!("{frame} [{:>6.1}s] {done} done, ", elapsed.as_secs_f64());
    if failed > 0 {
        text.push_str(&format!("{failed} failed, "));
    }
    text.push_str(&format!("{} running:", running.len()));
    // The longest-running first: that is what the user waits for.
    let mut running = running.to_vec();
    running.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let max = width.saturating_sub(1);
    for (i, (addr, took)) in running.iter().enumerate() {
        let item = format!(" {addr} {}s", took.as_secs());
        let more = format!(" +{} more", running.len() - i);
        let rest_fits = i + 1 == running.len() || text.chars().count() + item.chars().count() + more.chars().count() < max;
        if text.chars().count() + item.chars().count() > max || !rest_fits {
            text.push_str(&more);
            break;
        }
        text.push_str(&item);
    }
    text.chars().take(max).collect()
}

impl Drop for Lines {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        let mut s = lock(&self.shared);
        s.clear();
        let _ = s.out.flush();
    }
}

fn verb(op: OpKind) -> (&'static str, &'static str) {
    match op {
        OpKind::Create => ("creating", "created"),
        OpKind::Update => ("updating", "updated"),
        OpKind::Delete => ("destroying", "destroyed"),
        OpKind::DeleteDeposed => ("destroying the replaced object of", "destroyed the replaced object of"),
    }
}

impl Progress for Lines {
    fn started(&self, addr: &Address, op: OpKind) {
        let mut s = lock(&self.shared);
        s.running.push((addr.to_string(), Instant::now()));
        s.line(&format!("{addr}: {}...", verb(op).0));
    }

    fn finished(&self, addr: &Address, op: OpKind, elapsed: Duration, result: Result<(), &ProviderError>) {
        let mut s = lock(&self.shared);
        let name = addr.to_string();
        if let Some(i) = s.running.iter().position(|(a, _)| *a == name) {
            s.running.remove(i);
        }
        match result {
            Ok(()) => {
                s.done += 1;
                s.line(&format!("{addr}: {} after {:.1}s", verb(op).1, elapsed.as_secs_f64()));
            }
            Err(e) => {
                s.failed += 1;
                s.line(&format!("{addr}: failed after {:.1}s: {e}", elapsed.as_secs_f64()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn addr(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn without_a_terminal_only_lines_are_written() {
        let buf = Buffer::default();
        let lines = Lines::new(Box::new(buf.clone()), None);
        lines.started(&addr("aws_vpc.a"), OpKind::Create);
        lines.finished(&addr("aws_vpc.a"), OpKind::Create, Duration::from_millis(1500), Ok(()));
        drop(lines);
        let text = buf.text();
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
        let lines: Vec<&str> = text.lines().map(|l| l.split_once("] ").unwrap().1).collect();
        assert_eq!(lines, ["aws_vpc.a: creating...", "aws_vpc.a: created after 1.5s"]);
    }

    #[test]
    fn on_a_terminal_a_status_line_follows_and_is_cleared_before_each_line() {
        let buf = Buffer::default();
        let lines = Lines::new(Box::new(buf.clone()), Some(100));
        lines.started(&addr("aws_vpc.a"), OpKind::Create);
        lines.started(&addr("aws_db_instance.db"), OpKind::Create);
        let err = ProviderError { code: Some("Boom".into()), message: "no".into(), retryable: false };
        lines.finished(&addr("aws_vpc.a"), OpKind::Create, Duration::from_secs(1), Err(&err));
        // Three lines drew the status three times; the ticker draws it again
        // with nothing printed (waited for, however slow the machine is).
        for waited in 0.. {
            if buf.text().matches("running:").count() >= 4 {
                break;
            }
            assert!(waited < 1000, "the ticker never redrew the status line");
            std::thread::sleep(TICK);
        }
        drop(lines);
        let text = buf.text();
        // Every printed line starts on a cleared row; the status line names what runs.
        // (What a terminal shows of a row: what follows its last clear.)
        let rows: Vec<&str> = text.split('\n').map(|row| row.rsplit("\r\x1b[2K").next().unwrap()).collect();
        let printed: Vec<&str> = rows.iter().filter(|r| r.contains("] aws_")).map(|r| r.split_once("] ").unwrap().1).collect();
        assert_eq!(printed, ["aws_vpc.a: creating...", "aws_db_instance.db: creating...", "aws_vpc.a: failed after 1.0s: Boom: no"]);
        assert!(rows.iter().all(|r| r.is_empty() || r.starts_with('[')), "{rows:?}");
        let last_status = text.rsplit("\r\x1b[2K").find(|s| s.contains("running:")).unwrap();
        assert!(last_status.contains("0 done, 1 failed, 1 running: aws_db_instance.db"), "{last_status:?}");
        assert!(text.ends_with("\r\x1b[2K"), "the status line is cleared at the end: {text:?}");
    }

    #[test]
    fn the_status_line_fits_the_terminal() {
        let running: Vec<(String, Duration)> =
            (0..20).map(|i| (format!("module.web.aws_instance.app[{i}]"), Duration::from_secs(i))).collect();
        let running: Vec<(&str, Duration)> = running.iter().map(|(a, d)| (a.as_str(), *d)).collect();
        let s = status('⠋', Duration::from_secs(3), 4, 0, &running, 80);
        assert!(s.chars().count() < 80, "{s}");
        assert!(s.starts_with("⠋ [   3.0s] 4 done, 20 running: module.web.aws_instance.app[19] 19s"), "{s}");
        assert!(s.contains(" more"), "{s}");
        let s = status('⠋', Duration::from_secs(3), 4, 0, &running[..1], 80);
        assert_eq!(s, "⠋ [   3.0s] 4 done, 1 running: module.web.aws_instance.app[0] 0s");
    }
}
