//! Diagnostics: errors and warnings that point into configuration source.
//!
//! A [`Diagnostic`] carries spans (file id + byte range), never source text;
//! the [`SourceMap`] is attached when the diagnostic is rendered, and only
//! the binary renders.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span { file, range }
    }
}

/// The text of every loaded file, so that spans can be turned into
/// `file:line:col` and rendered with context.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The name shown to users (path relative to the working directory where possible).
    pub name: String,
    pub text: Arc<str>,
    /// Byte offsets where lines start, built on first use, so that turning
    /// many offsets into lines costs a binary search each, not a scan of the
    /// text from its start.
    line_starts: OnceLock<Arc<[usize]>>,
}

impl SourceFile {
    /// The byte offset of the start of every line (the first is 0).
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| line_starts_of(&self.text))
    }

    /// [`SourceFile::line_starts`], shared.
    pub fn line_index(&self) -> Arc<[usize]> {
        self.line_starts();
        self.line_starts.get().cloned().unwrap_or_else(|| line_starts_of(&self.text))
    }

    /// Zero-based line index and the byte offset of that line's start, for
    /// a byte offset (clamped to the text).
    pub fn line_of(&self, offset: usize) -> (usize, usize) {
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset.min(self.text.len())) - 1;
        (line, starts[line])
    }
}

/// The byte offset of the start of every line of `text` (the first is 0).
pub fn line_starts_of(text: &str) -> Arc<[usize]> {
    std::iter::once(0).chain(memchr_newlines(text)).collect()
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1)
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, path: &Path, name: String, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile { path: path.to_path_buf(), name, text: text.into(), line_starts: OnceLock::new() });
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    /// One-based line and column (in characters) of a byte offset. Costs a
    /// binary search and a count of the characters before it on its line.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let file = self.get(id);
        let text = &file.text;
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let (line, start) = file.line_of(offset);
        (line + 1, text[start..offset].chars().count() + 1)
    }

    /// `file:line:col` of the start of a span.
    pub fn location(&self, span: &Span) -> String {
        let (l, c) = self.line_col(span.file, span.range.start);
        format!("{}:{}:{}", self.get(span.file).name, l, c)
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: &Span) -> &str {
        let text = &self.get(span.file).text;
        let start = floor_char_boundary(text, span.range.start.min(text.len()));
        let end = floor_char_boundary(text, span.range.end.min(text.len()));
        &text[start..end.max(start)]
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// A labelled span inside a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One user-facing problem. `code` is stable (`strata::config::unknown_reference`)
/// and documented; tests and tools may match on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// The first label is the primary one.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, code, message: message.into(), labels: Vec::new(), help: None }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, code, message: message.into(), labels: Vec::new(), help: None }
    }

    pub fn with_label(mut self, span: Option<Span>, message: impl Into<String>) -> Diagnostic {
        if let Some(span) = span {
            self.labels.push(Label { span, message: message.into() });
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn primary_span(&self) -> Option<&Span> {
        self.labels.first().map(|l| &l.span)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An ordered collection of diagnostics. Phases push every problem they find
/// and keep going where they can; callers check [`Diagnostics::has_errors`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.iter().filter(|d| !d.is_error()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Collapse diagnostics that differ only in their message (one per
    /// instance of a `count` / `for_each` resource: same code, same labelled
    /// spans) into the first, noting how many more there were.
    pub fn collapse_repeats(&mut self) {
        let mut out: Vec<Diagnostic> = Vec::with_capacity(self.0.len());
        let mut repeats: Vec<usize> = Vec::new();
        let mut index: std::collections::HashMap<(&'static str, Vec<Span>), usize> = std::collections::HashMap::new();
        for d in std::mem::take(&mut self.0) {
            let key = (d.code, d.labels.iter().map(|l| l.span.clone()).collect::<Vec<_>>());
            if d.labels.is_empty() {
                out.push(d);
                repeats.push(0);
                continue;
            }
            match index.get(&key) {
                Some(&i) => repeats[i] += 1,
                None => {
                    index.insert(key, out.len());
                    out.push(d);
                    repeats.push(0);
                }
            }
        }
        for (d, n) in out.iter_mut().zip(repeats) {
            if n > 0 {
                d.message.push_str(&format!(" (and {n} more instance{})", if n == 1 { "" } else { "s" }));
            }
        }
        self.0 = out;
    }

    /// Sort by file and position, errors and warnings interleaved, so output is stable.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let ka = a.primary_span().map(|s| (s.file, s.range.start));
            let kb = b.primary_span().map(|s| (s.file, s.range.start));
            ka.cmp(&kb)
        });
        self.0.dedup();
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// "Did you mean" support: the closest candidate by edit distance, if close enough.
pub fn did_you_mean<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        let c = c.as_ref();
        let d = edit_distance(name, c);
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, c.to_string()));
        }
    }
    best.map(|(_, s)| s)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let mut sm = SourceMap::new();
        let id = sm.add(Path::new("a.tf"), "a.tf".into(), "ab\ncdé\nx");
        assert_eq!(sm.line_col(id, 0), (1, 1));
        assert_eq!(sm.line_col(id, 3), (2, 1));
        assert_eq!(sm.line_col(id, 8), (3, 1));
        assert_eq!(sm.location(&Span::new(id, 4..5)), "a.tf:2:2");
    }

    #[test]
    fn line_index_agrees_with_a_scan() {
        let mut sm = SourceMap::new();
        let text = "a\n\nbé\r\nlast";
        let id = sm.add(Path::new("a.tf"), "a.tf".into(), text);
        assert_eq!(sm.get(id).line_starts(), [0, 2, 3, 8]);
        for offset in 0..=text.len() + 2 {
            let o = floor_char_boundary(text, offset.min(text.len()));
            let before = &text[..o];
            let expected = (before.matches('\n').count() + 1, before.rsplit('\n').next().unwrap().chars().count() + 1);
            assert_eq!(sm.line_col(id, offset), expected, "offset {offset}");
        }
        let empty = sm.add(Path::new("e.tf"), "e.tf".into(), "");
        assert_eq!(sm.line_col(empty, 5), (1, 1));
    }

    #[test]
    fn repeats_collapse_into_one() {
        let span = Span::new(FileId(0), 3..9);
        let mut d = Diagnostics::new();
        for i in 0..3 {
            d.push(
                Diagnostic::warning("strata::graph::layer_lift", format!("`aws_eip.x[{i}]` lifted")).with_label(Some(span.clone()), "here"),
            );
        }
        d.push(Diagnostic::warning("strata::graph::layer_lift", "other").with_label(Some(Span::new(FileId(0), 20..21)), "there"));
        d.collapse_repeats();
        assert_eq!(d.0.len(), 2);
        assert_eq!(d.0[0].message, "`aws_eip.x[0]` lifted (and 2 more instances)");
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("aws_subnet.pubic", ["aws_subnet.public", "aws_vpc.main"]).as_deref(), Some("aws_subnet.public"));
        assert_eq!(did_you_mean("lenght", ["length", "lookup"]).as_deref(), Some("length"));
        assert_eq!(did_you_mean("zzz", ["length"]), None);
    }
}
