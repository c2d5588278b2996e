//! Rendering diagnostics: miette's graphical report for people, JSON for tools.
//!
//! The pipeline crates produce spans; only here are they joined with source
//! text. A label in another file than the primary one becomes a related
//! diagnostic with its own snippet.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use serde_json::json;
use strata_core::{Diagnostic, Diagnostics, FileId, Severity, SourceMap};

/// One diagnostic bound to the source of one file.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Source>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() { None } else { Some(Box::new(self.labels.iter().cloned())) }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() { None } else { Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic))) }
    }
}

/// At most this many labels of one diagnostic are drawn (the JSON form keeps
/// them all): miette compares every label with every line it draws and reads
/// the file from its start for each label, so a cycle through 100,000 locals
/// took minutes to render.
const MAX_DRAWN_LABELS: usize = 24;

/// Source lines longer than this (in bytes) are shown clipped around the
/// labels on them: miette cannot draw a label past column 65,535 (it panics),
/// and a 70 KB line is no use on a terminal anyway.
const MAX_LINE: usize = 400;

/// How much of a clipped line is kept on each side of a label's start and end.
const CLIP_CONTEXT: usize = 60;

/// A file's text as miette sees it: the text itself, or, when a line around a
/// label is longer than [`MAX_LINE`], a copy with long lines clipped to
/// windows around the labels (gaps shown as `…`). Offsets into the copy map
/// back to the file, so the `file:line:col` header stays the file's.
#[derive(Debug)]
struct Source {
    name: String,
    text: Arc<str>,
    /// `(offset in text, offset in the file)` at the start of every kept
    /// segment of a clipped copy; empty when `text` is the file's text.
    anchors: Vec<(usize, usize)>,
    original: Arc<str>,
    /// Where the lines of `text` start: miette's own `read_span` scans the
    /// text from its start for every label, which made 400 diagnostics in
    /// a 100,000-line file take seconds to render.
    starts: Arc<[usize]>,
}

impl Source {
    /// The offset in the file of an offset in `text`.
    fn to_original(&self, offset: usize) -> usize {
        match self.anchors.partition_point(|&(v, _)| v <= offset).checked_sub(1) {
            Some(i) => self.anchors[i].1 + (offset - self.anchors[i].0),
            None => offset,
        }
    }

    /// The offset in `text` of an offset in the file (inside a kept segment,
    /// or moved to the next one).
    fn to_text(&self, offset: usize) -> usize {
        match self.anchors.partition_point(|&(_, o)| o <= offset).checked_sub(1) {
            Some(i) => {
                let (v, o) = self.anchors[i];
                let end = self.anchors.get(i + 1).map_or(self.text.len(), |&(next, _)| next);
                (v + (offset - o)).min(end)
            }
            None => offset,
        }
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // Hand miette only the lines it will show (found by binary search),
        // then move what it reports back to the whole text.
        let text = self.text.as_bytes();
        let offset = span.offset().min(text.len());
        let end = (span.offset() + span.len()).clamp(offset, text.len());
        let line_of = |o: usize| self.starts.partition_point(|&s| s <= o).saturating_sub(1);
        let first = line_of(offset).saturating_sub(context_lines_before);
        let last = (line_of(end) + context_lines_after).min(self.starts.len().saturating_sub(1));
        let window_start = self.starts.get(first).copied().unwrap_or(0);
        let window_end = self.starts.get(last + 1).copied().unwrap_or(text.len());
        let window = &text[window_start..window_end];
        let local = SourceSpan::new((offset - window_start).into(), end - offset);
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let mut column = inner.column();
        if context_lines_before == 0 && !self.anchors.is_empty() {
            // The header's column: count in the file, not in the clipped copy.
            let at = self.to_original(span.offset()).min(self.original.len());
            let line_start = self.original.as_bytes()[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            column = at - line_start;
        }
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + window_start).into(), inner.span().len()),
            inner.line() + first,
            column,
            // miette's own count: line ends from the start of the text (it
            // decides from it which snippets to draw as one).
            inner.line_count() + first,
        )))
    }
}

/// The source of `file` for labels at the file offsets `points` (starts and
/// ends), clipped when a line they touch, or a line next to one, is too long.
fn source_for(sources: &SourceMap, file: FileId, points: &[usize]) -> Source {
    let f = sources.get(file);
    let text = &f.text;
    let starts = f.line_starts();
    let line_end = |line: usize| starts.get(line + 1).map_or(text.len(), |&s| s.saturating_sub(1).max(starts[line]));
    let plain = || Source { name: f.name.clone(), text: text.clone(), anchors: Vec::new(), original: text.clone(), starts: f.line_index() };
    let long = |line: usize| line < starts.len() && line_end(line) - starts[line] > MAX_LINE;
    let any_long = points.iter().any(|&p| {
        let (line, _) = f.line_of(p);
        long(line) || long(line + 1) || (line > 0 && long(line - 1))
    });
    if !any_long {
        return plain();
    }
    let mut by_line: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for &p in points {
        by_line.entry(f.line_of(p).0).or_default().push(p.min(text.len()));
    }
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let mut anchors = Vec::new();
    let mut kept_until = 0; // File offset up to which text is copied or skipped.
    for line in 0..starts.len() {
        let (start, end) = (starts[line], line_end(line));
        if end - start <= MAX_LINE {
            continue;
        }
        // Copy everything before this long line as it is.
        anchors.push((out.len(), kept_until));
        out.push_str(&text[kept_until..start]);
        // Windows around the points on the line, or its start when it has none.
        let mut windows: Vec<(usize, usize)> = by_line
            .get(&line)
            .map(|ps| ps.iter().map(|&p| (p.saturating_sub(CLIP_CONTEXT).max(start), (p + CLIP_CONTEXT).min(end))).collect())
            .unwrap_or_default();
        if windows.is_empty() {
            windows.push((start, start + 2 * CLIP_CONTEXT));
        }
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, b) in windows {
            let (a, b) = (floor_boundary(text, a), ceil_boundary(text, b));
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut at = start;
        for (a, b) in merged {
            if a > at {
                out.push('…');
            }
            anchors.push((out.len(), a));
            out.push_str(&text[a..b]);
            at = b;
        }
        if at < end {
            out.push('…');
        }
        kept_until = end;
    }
    anchors.push((out.len(), kept_until));
    out.push_str(&text[kept_until..]);
    let starts = strata_core::diag::line_starts_of(&out);
    Source { name: f.name.clone(), text: out.into(), anchors, original: text.clone(), starts }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// A label of `source`, its file span moved into the source's text.
fn labeled(source: &Source, message: &str, range: &std::ops::Range<usize>, primary: bool) -> LabeledSpan {
    let (start, end) = (source.to_text(range.start), source.to_text(range.end.max(range.start)));
    let span = SourceSpan::new(start.into(), end.saturating_sub(start));
    if primary {
        LabeledSpan::new_primary_with_span(Some(message.to_string()), span)
    } else {
        LabeledSpan::new_with_span(Some(message.to_string()), span)
    }
}

fn to_report(d: &Diagnostic, sources: &SourceMap) -> Report {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let primary_file = d.primary_span().map(|s| s.file);
    let drawn = &d.labels[..d.labels.len().min(MAX_DRAWN_LABELS)];
    // One source per file, clipped for the labels drawn in it.
    let mut files: Vec<(FileId, Source)> = Vec::new();
    for l in drawn {
        if files.iter().all(|(f, _)| *f != l.span.file) {
            let points: Vec<usize> =
                drawn.iter().filter(|o| o.span.file == l.span.file).flat_map(|o| [o.span.range.start, o.span.range.end]).collect();
            files.push((l.span.file, source_for(sources, l.span.file, &points)));
        }
    }
    let source_of = |file: FileId| &files.iter().find(|(f, _)| *f == file).expect("a source per drawn file").1;
    let mut labels = Vec::new();
    let mut related: Vec<(FileId, Report)> = Vec::new();
    for (i, l) in drawn.iter().enumerate() {
        let label = labeled(source_of(l.span.file), &l.message, &l.span.range, i == 0);
        if Some(l.span.file) == primary_file {
            labels.push(label);
        } else if let Some((_, r)) = related.iter_mut().find(|(f, _)| *f == l.span.file) {
            r.labels.push(label);
        } else {
            related.push((
                l.span.file,
                Report {
                    message: format!("see also {}", sources.location(&l.span)),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: None,
                    labels: vec![label],
                    related: Vec::new(),
                },
            ));
        }
    }
    let mut files = files;
    let mut take_source = |file: FileId| files.iter().position(|(f, _)| *f == file).map(|i| files.swap_remove(i).1);
    let related = related
        .into_iter()
        .map(|(file, mut r)| {
            r.source = take_source(file);
            r
        })
        .collect();
    let mut help = d.help.clone();
    if d.labels.len() > drawn.len() {
        let more = format!("{} more locations are not shown (`strata validate --json` lists every one)", d.labels.len() - drawn.len());
        help = Some(match help {
            Some(h) => format!("{h}\n{more}"),
            None => more,
        });
    }
    Report {
        message: d.message.clone(),
        code: Some(d.code),
        severity,
        help,
        source: primary_file.and_then(&mut take_source),
        labels,
        related,
    }
}

/// Render every diagnostic as miette draws it; `color` adds ANSI colours.
pub fn render(diags: &Diagnostics, sources: &SourceMap, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    for d in diags.iter() {
        let report = to_report(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}: {}\n", d.code, d.message));
        }
        out.push('\n');
    }
    out
}

/// The JSON shape of diagnostics: positions as file, line and column (one-based).
pub fn to_json(diags: &Diagnostics, sources: &SourceMap) -> serde_json::Value {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let labels: Vec<serde_json::Value> = d
                .labels
                .iter()
                .map(|l| {
                    let (line, column) = sources.line_col(l.span.file, l.span.range.start);
                    let (end_line, end_column) = sources.line_col(l.span.file, l.span.range.end);
                    json!({
                        "file": sources.get(l.span.file).name,
                        "line": line, "column": column, "end_line": end_line, "end_column": end_column,
                        "message": l.message,
                    })
                })
                .collect();
            json!({
                "severity": if d.is_error() { "error" } else { "warning" },
                "code": d.code,
                "message": d.message,
                "help": d.help,
                "labels": labels,
            })
        })
        .collect();
    serde_json::Value::Array(items)
}
