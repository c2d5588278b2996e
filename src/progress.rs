//! Apply progress: one line per resource as it starts and ends, with the
//! elapsed time, and — when standard output is a terminal — a status line
//! under them (indicatif's spinner) with the counts so far and what is
//! running.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use strata_core::Address;
use strata_engine::apply::{OpKind, Progress};
use strata_provider::ProviderError;

const TICK: Duration = Duration::from_millis(120);

pub struct Lines {
    counts: Arc<Mutex<Counts>>,
    out: Out,
}

enum Out {
    /// Not a terminal: lines only.
    Plain(Mutex<Box<dyn Write + Send>>),
    /// A terminal: lines printed above indicatif's status line.
    Bar(ProgressBar),
}

struct Counts {
    started: Instant,
    running: Vec<(String, Instant)>,
    done: usize,
    failed: usize,
}

impl Lines {
    /// Progress on standard output; a status line when it is a terminal.
    pub fn stdout() -> Lines {
        use std::io::IsTerminal;
        if !std::io::stdout().is_terminal() {
            return Lines::new(Box::new(std::io::stdout()));
        }
        // A pseudo-terminal may report no size: assume 80 columns then.
        let width = terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)).filter(|w| *w >= 20).unwrap_or(80);
        Lines::on_terminal(ProgressDrawTarget::stdout(), width)
    }

    /// Progress on `out`, lines only.
    pub fn new(out: Box<dyn Write + Send>) -> Lines {
        Lines { counts: Counts::shared(), out: Out::Plain(Mutex::new(out)) }
    }

    /// Progress on a terminal of `width` columns: a status line redrawn a few
    /// times a second under the lines.
    pub fn on_terminal(target: ProgressDrawTarget, width: usize) -> Lines {
        let counts = Counts::shared();
        let shared = counts.clone();
        // The spinner takes two columns; the status line must not wrap (a
        // wrapped line could not be cleared).
        let status_key = move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
            let c = lock(&shared);
            let now = Instant::now();
            let running: Vec<(&str, Duration)> = c.running.iter().map(|(a, t)| (a.as_str(), now - *t)).collect();
            let _ = w.write_str(&status(c.started.elapsed(), c.done, c.failed, &running, width.saturating_sub(2)));
        };
        let style = ProgressStyle::with_template("{spinner} {status}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
            .with_key("status", status_key);
        let bar = ProgressBar::with_draw_target(None, target).with_style(style);
        bar.enable_steady_tick(TICK);
        Lines { counts, out: Out::Bar(bar) }
    }

    /// Print a line (above the status line on a terminal).
    fn line(&self, text: &str) {
        let elapsed = lock(&self.counts).started.elapsed();
        let text = format!("[{:>6.1}s] {text}", elapsed.as_secs_f64());
        match &self.out {
            Out::Plain(out) => {
                let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }
            Out::Bar(bar) => bar.println(text),
        }
    }
}

impl Counts {
    fn shared() -> Arc<Mutex<Counts>> {
        Arc::new(Mutex::new(Counts { started: Instant::now(), running: Vec::new(), done: 0, failed: 0 }))
    }
}

fn lock(shared: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    // A panic while printing leaves nothing worth protecting.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// `[  12.3s] 12 done, 1 failed, 3 running: aws_instance.app[0] 4s, …`,
/// cut to fit in `width` columns (a wrapped line could not be cleared).
pub fn status(elapsed: Duration, done: usize, failed: usize, running: &[(&str, Duration)], width: usize) -> String {
    let mut text = format!("[{:>6.1}s] {done} done, ", elapsed.as_secs_f64());
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
        if let Out::Bar(bar) = &self.out {
            bar.finish_and_clear();
        }
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
    // The counts are updated and their lock released before a line is
    // printed: indicatif redraws the status line, which takes it again.
    fn started(&self, addr: &Address, op: OpKind) {
        lock(&self.counts).running.push((addr.to_string(), Instant::now()));
        self.line(&format!("{addr}: {}...", verb(op).0));
    }

    fn finished(&self, addr: &Address, op: OpKind, elapsed: Duration, result: Result<(), &ProviderError>) {
        {
            let mut c = lock(&self.counts);
            let name = addr.to_string();
            if let Some(i) = c.running.iter().position(|(a, _)| *a == name) {
                c.running.remove(i);
            }
            match result {
                Ok(()) => c.done += 1,
                Err(_) => c.failed += 1,
            }
        }
        match result {
            Ok(()) => self.line(&format!("{addr}: {} after {:.1}s", verb(op).1, elapsed.as_secs_f64())),
            Err(e) => self.line(&format!("{addr}: failed after {:.1}s: {e}", elapsed.as_secs_f64())),
        }
    }
}

#[cfg(test)]
mod tests {
    use indicatif::TermLike;

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

    /// A terminal that records what indicatif does to it: `line:` for a
    /// written line, `str:` for a string, `clear` for a cleared line.
    #[derive(Clone, Debug, Default)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl Screen {
        fn ops(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
        fn push(&self, op: String) -> std::io::Result<()> {
            self.0.lock().unwrap().push(op);
            Ok(())
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.push(format!("line:{s}"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.push(format!("str:{s}"))
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.push("clear".into())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn addr(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn without_a_terminal_only_lines_are_written() {
        let buf = Buffer::default();
        let lines = Lines::new(Box::new(buf.clone()));
        lines.started(&addr("aws_vpc.a"), OpKind::Create);
        lines.finished(&addr("aws_vpc.a"), OpKind::Create, Duration::from_millis(1500), Ok(()));
        drop(lines);
        let text = buf.text();
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
        let lines: Vec<&str> = text.lines().map(|l| l.split_once("] ").unwrap().1).collect();
        assert_eq!(lines, ["aws_vpc.a: creating...", "aws_vpc.a: created after 1.5s"]);
    }

    #[test]
    fn on_a_terminal_lines_print_above_a_status_line_that_is_cleared_at_the_end() {
        let screen = Screen::default();
        let lines = Lines::on_terminal(ProgressDrawTarget::term_like(Box::new(screen.clone())), 100);
        lines.started(&addr("aws_vpc.a"), OpKind::Create);
        lines.started(&addr("aws_db_instance.db"), OpKind::Create);
        let err = ProviderError { code: Some("Boom".into()), message: "no".into(), retryable: false };
        lines.finished(&addr("aws_vpc.a"), OpKind::Create, Duration::from_secs(1), Err(&err));
        drop(lines);
        let ops = screen.ops();
        let text = |op: &String| op.split_once(':').map(|(_, t)| t.to_string()).unwrap_or_default();
        let printed: Vec<String> = ops
            .iter()
            .map(text)
            .filter(|t| t.starts_with('[') && t.contains("] aws_"))
            .map(|t| t.split_once("] ").unwrap().1.to_string())
            .collect();
        assert_eq!(
            printed,
            ["aws_vpc.a: creating...", "aws_db_instance.db: creating...", "aws_vpc.a: failed after 1.0s: Boom: no"],
            "{ops:?}"
        );
        let last_status = ops.iter().map(text).filter(|t| t.contains("running:")).last().expect("a status line was drawn");
        assert!(last_status.contains("0 done, 1 failed, 1 running: aws_db_instance.db"), "{last_status:?}");
        assert_eq!(ops.last().map(String::as_str), Some("clear"), "the status line is cleared at the end: {ops:?}");
    }

    #[test]
    fn the_status_line_fits_the_terminal() {
        let running: Vec<(String, Duration)> =
            (0..20).map(|i| (format!("module.web.aws_instance.app[{i}]"), Duration::from_secs(i))).collect();
        let running: Vec<(&str, Duration)> = running.iter().map(|(a, d)| (a.as_str(), *d)).collect();
        let s = status(Duration::from_secs(3), 4, 0, &running, 80);
        assert!(s.chars().count() < 80, "{s}");
        assert!(s.starts_with("[   3.0s] 4 done, 20 running: module.web.aws_instance.app[19] 19s"), "{s}");
        assert!(s.contains(" more"), "{s}");
        let s = status(Duration::from_secs(3), 4, 0, &running[..1], 80);
        assert_eq!(s, "[   3.0s] 4 done, 1 running: module.web.aws_instance.app[0] 0s");
    }
}
