//! Rendering diagnostics: miette's graphical report for people, JSON for tools.
//!
//! The pipeline crates produce spans; only here are they joined with source
//! text. A label in another file than the primary one becomes a related
//! diagnostic with its own snippet.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde_json::json;
use strata_core::{Diagnostic, Diagnostics, FileId, Severity, SourceMap};

/// One diagnostic bound to the source of one file.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
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

fn named_source(sources: &SourceMap, file: FileId) -> NamedSource<Arc<str>> {
    let f = sources.get(file);
    NamedSource::new(f.name.clone(), f.text.clone()).with_language("hcl")
}

fn to_report(d: &Diagnostic, sources: &SourceMap) -> Report {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let primary_file = d.primary_span().map(|s| s.file);
    let mut labels = Vec::new();
    let mut related: Vec<Report> = Vec::new();
    for (i, l) in d.labels.iter().enumerate() {
        let len = l.span.range.end.saturating_sub(l.span.range.start);
        let span = SourceSpan::new(l.span.range.start.into(), len);
        let label = if i == 0 {
            LabeledSpan::new_primary_with_span(Some(l.message.clone()), span)
        } else {
            LabeledSpan::new_with_span(Some(l.message.clone()), span)
        };
        if Some(l.span.file) == primary_file {
            labels.push(label);
        } else if let Some(r) =
            related.iter_mut().find(|r| r.source.as_ref().map(|s| s.name()) == Some(sources.get(l.span.file).name.as_str()))
        {
            r.labels.push(label);
        } else {
            related.push(Report {
                message: format!("see also {}", sources.location(&l.span)),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                source: Some(named_source(sources, l.span.file)),
                labels: vec![label],
                related: Vec::new(),
            });
        }
    }
    Report {
        message: d.message.clone(),
        code: Some(d.code),
        severity,
        help: d.help.clone(),
        source: primary_file.map(|f| named_source(sources, f)),
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
