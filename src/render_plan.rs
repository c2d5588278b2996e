//! Renders plans: the text people read (grouped by layer, attribute-level
//! diff) and the JSON documented in docs/plan-json.md.
//!
//! Secrets never reach the output: a sensitive value prints as
//! `(sensitive value)` in text and JSON alike, whatever its position.

use anstyle::{AnsiColor, Style};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::{Value as J, json};
use similar::{ChangeTag, TextDiff};
use strata_core::{Layer, Value};
use strata_plan::{Action, LeftoverCause, OutputChange, Plan, ResourceChange};
use strata_provider::{BlockSchema, differs};

const SENSITIVE: &str = "(sensitive value)";

/// ANSI colours (anstyle styles), or nothing.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, style: Style, s: &str) -> String {
        if self.0 { format!("{style}{s}{style:#}") } else { s.to_string() }
    }

    /// A change symbol, right-aligned in `width` columns and coloured by kind.
    fn sym(self, sym: &str, width: usize) -> String {
        let colour = match sym {
            "+" => AnsiColor::Green,
            "-" => AnsiColor::Red,
            "~" => AnsiColor::Yellow,
            "-/+" | "+/-" => AnsiColor::Magenta,
            _ => AnsiColor::Cyan,
        };
        let padded = format!("{sym:>width$}");
        let (pad, s) = padded.split_at(padded.len() - sym.len());
        format!("{pad}{}", self.wrap(Style::new().fg_color(Some(colour.into())), s))
    }

    fn bold(self, s: &str) -> String {
        self.wrap(Style::new().bold(), s)
    }
}

fn action_symbol(c: &ResourceChange) -> &'static str {
    match c.action {
        Action::Create => "+",
        Action::Update => "~",
        Action::DeleteThenCreate => "-/+",
        Action::CreateThenDelete => "+/-",
        Action::Delete => "-",
        Action::NoOp => "→",
    }
}

fn visible(c: &ResourceChange) -> bool {
    c.action != Action::NoOp || c.moved_from.is_some()
}

/// [`write_plan_text`] into a string (for tests).
#[cfg(test)]
pub fn render_plan_text(plan: &Plan, color: bool) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_plan_text(&mut buf, plan, color);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Print a plan on standard output, buffered: the text, or with `json` the
/// JSON view.
pub fn print(plan: &Plan, json: bool, color: bool) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        write_plan_json(&mut out, plan)?;
    } else {
        write_plan_text(&mut out, plan, color)?;
    }
    std::io::Write::flush(&mut out)
}

/// The plan as text: creates, updates and replaces grouped by layer from 1
/// to 5, destroys in teardown order from 5 to 1, output changes, then the
/// `Plan: ...` line; `color` adds ANSI colours. Written to `w` change by
/// change, so that a plan of thousands of changes is never one string.
pub fn write_plan_text(w: &mut dyn std::io::Write, plan: &Plan, color: bool) -> std::io::Result<()> {
    let p = Paint(color);
    let mut out = String::new();
    if !plan.data_not_read.is_empty() {
        let _ = writeln!(
            out,
            "Data sources not read ({}): {}; their values, and what depends on them, are known after apply.\n",
            plan.data_not_read_reason.as_deref().unwrap_or("offline"),
            plan.data_not_read.join(", ")
        );
    }
    if !plan.interrupted_creates.is_empty() {
        let _ = writeln!(
            out,
            "An earlier apply was interrupted while creating {}; apply looks for those objects and adopts them before it creates anything.\n",
            plan.interrupted_creates.join(", ")
        );
    }
    if !plan.has_changes() {
        out.push_str("No changes. Your infrastructure matches the configuration.\n");
        return w.write_all(out.as_bytes());
    }
    let shown: Vec<&ResourceChange> = plan.changes.iter().filter(|c| visible(c)).collect();
    if !shown.is_empty() {
        out.push_str("Resource actions are indicated with the following symbols:\n");
        let used: BTreeSet<&str> = shown.iter().map(|c| action_symbol(c)).collect();
        let legend = [
            ("+", "create"),
            ("~", "update in place"),
            ("-/+", "destroy and then create replacement"),
            ("+/-", "create replacement and then destroy"),
            ("-", "destroy"),
            ("→", "move"),
        ];
        for (sym, what) in legend.iter().filter(|(s, _)| used.contains(s)) {
            let _ = writeln!(out, "{} {what}", p.sym(sym, 3));
        }
        out.push_str("\nstrata will perform the following actions:\n");
    }
    let groups = Layer::ALL.iter().map(|&l| (l, false)).chain(Layer::ALL.iter().rev().map(|&l| (l, true)));
    for (layer, destroy) in groups {
        let members: Vec<&&ResourceChange> = shown.iter().filter(|c| c.layer == layer && (c.action == Action::Delete) == destroy).collect();
        if members.is_empty() {
            continue;
        }
        let title = if destroy {
            format!("── layer {} · {} · destroy ──", layer.number(), layer.name())
        } else {
            format!("── layer {} · {} ──", layer.number(), layer.name())
        };
        let _ = write!(out, "\n{}\n", p.bold(&title));
        for c in members {
            out.push('\n');
            render_change(&mut out, c, p);
            w.write_all(out.as_bytes())?;
            out.clear();
        }
    }
    if !plan.leftovers.is_empty() {
        let _ = write!(out, "\n{}\n\n", p.bold("── objects no configured instance owns · destroy ──"));
        for l in &plan.leftovers {
            let id = match &l.id {
                Some(id) => format!(" ({id})"),
                None => " (if it exists: apply looks for it by its intent tag)".to_string(),
            };
            let why = match l.cause {
                LeftoverCause::InterruptedCreate => "created by an interrupted apply, no longer configured: will be deleted",
                LeftoverCause::Deposed => "replaced earlier and not deleted yet: will be deleted",
            };
            let _ = writeln!(out, "  {} {}{id}: {why}", p.sym("-", 1), l.address);
        }
    }
    let outputs: Vec<&OutputChange> = plan.outputs.iter().filter(|o| o.action != Action::NoOp).collect();
    if !outputs.is_empty() {
        out.push_str("\nChanges to outputs:\n");
        let width = outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
        for o in outputs {
            let (old, new) = match o.action {
                Action::Create => (None, Some(&o.after)),
                Action::Delete => (o.before.as_ref(), None),
                _ => (o.before.as_ref(), Some(&o.after)),
            };
            attribute(&mut out, p, 0, &o.name, width, old, new, false);
        }
    }
    if !plan.targets.is_empty() {
        let _ = write!(
            out,
            "\nNote: only {} and what it depends on were planned (--target); other changes may be pending.\n",
            plan.targets.join(", ")
        );
    }
    let s = plan.summary();
    let _ =
        write!(out, "\n{} {} to add, {} to change, {} to replace, {} to destroy", p.bold("Plan:"), s.add, s.change, s.replace, s.destroy);
    if s.moves > 0 {
        let _ = write!(out, ", {} to move", s.moves);
    }
    out.push_str(".\n");
    w.write_all(out.as_bytes())
}

fn render_change(out: &mut String, c: &ResourceChange, p: Paint) {
    let headline = match (c.action, &c.moved_from) {
        (Action::NoOp, Some(from)) => format!("# {from} has moved to {}", c.addr),
        (Action::Create, _) => format!("# {} will be created", c.addr),
        (Action::Update, _) => format!("# {} will be updated in place", c.addr),
        (Action::DeleteThenCreate | Action::CreateThenDelete, _) if c.replace_requested => {
            format!("# {} will be replaced, as requested", c.addr)
        }
        (Action::DeleteThenCreate | Action::CreateThenDelete, _) => format!("# {} must be replaced", c.addr),
        (Action::Delete, _) => format!("# {} will be destroyed", c.addr),
        (Action::NoOp, None) => format!("# {} is unchanged", c.addr),
    };
    let _ = writeln!(out, "  {}", p.bold(&headline));
    if let (Some(from), false) = (&c.moved_from, c.action == Action::NoOp) {
        let _ = writeln!(out, "  # (moved from {from})");
    }
    if c.action == Action::Delete
        && let Some(reason) = &c.reason
    {
        let _ = writeln!(out, "  # ({reason})");
    }
    let _ = writeln!(out, "{} resource {:?} {:?} {{", p.sym(action_symbol(c), 3), c.ty, c.addr.name);
    let empty = BTreeMap::new();
    let before = c.before.as_ref().map(|v| v.peel().as_map().unwrap_or(&empty));
    let after = c.after.as_ref().map(|v| v.peel().as_map().unwrap_or(&empty));
    let ctx = Body { p, requires_replace: &c.requires_replace };
    ctx.body(out, 1, &[String::new()], resource_block(&c.ty), before, after);
    out.push_str("    }\n");
}

/// Spaces before the text of a line that carries no symbol at `depth`.
fn plain(depth: usize) -> String {
    " ".repeat(4 * depth + 4)
}

/// A value that renders as nested blocks: a non-empty list of objects.
fn as_blocks(v: Option<&Value>) -> Option<&[Value]> {
    let items = match v? {
        Value::List(items) | Value::Set(items) => items,
        _ => return None,
    };
    (!items.is_empty() && items.iter().all(|i| matches!(i, Value::Map(_)))).then_some(items.as_slice())
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !matches!(v, Value::Null))
}

fn blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::List(x) | Value::Set(x)) => x.is_empty(),
        Some(Value::Map(m)) => m.is_empty(),
        Some(_) => false,
    }
}

/// The schema of a resource type's body, which says which blocks and
/// attributes are sets (shown as elements added and removed).
fn resource_block(ty: &str) -> Option<&'static BlockSchema> {
    strata_provider::merged_schema().resource(ty).map(|s| &s.block)
}

struct Body<'a> {
    p: Paint,
    requires_replace: &'a [String],
}

impl Body<'_> {
    /// Whether the attribute `name` under any of `prefixes` forces replacement.
    fn forces(&self, prefixes: &[String], name: &str) -> bool {
        prefixes.iter().any(|pre| self.requires_replace.iter().any(|r| *r == format!("{pre}{name}")))
    }

    /// The attributes and nested blocks of an object: everything present for
    /// a create (`old` is `None`) or a destroy (`new` is `None`), only what
    /// changed for an update.
    fn body(
        &self,
        out: &mut String,
        depth: usize,
        prefixes: &[String],
        schema: Option<&BlockSchema>,
        old: Option<&BTreeMap<String, Value>>,
        new: Option<&BTreeMap<String, Value>>,
    ) {
        let keys: BTreeSet<&String> = old.into_iter().chain(new).flat_map(|m| m.keys()).collect();
        let mut attrs = Vec::new();
        let mut blocks = Vec::new();
        let mut set_blocks = Vec::new();
        let mut hidden_attrs = 0;
        let mut hidden_blocks = 0;
        for k in keys {
            let (o, n) = (present(old.and_then(|m| m.get(k))), present(new.and_then(|m| m.get(k))));
            // An update of a set: the elements added and removed.
            let set =
                (old.is_some() && new.is_some() && schema.is_some_and(|s| s.is_set(k))).then(|| strata_provider::set_diff(o, n)).flatten();
            if let Some((removed, added)) = set {
                let unchanged = o.and_then(Value::as_seq).map_or(0, <[Value]>::len) - removed.len();
                let is_blocks = as_blocks(o).is_some() || as_blocks(n).is_some();
                if removed.is_empty() && added.is_empty() {
                    if is_blocks {
                        hidden_blocks += unchanged;
                    } else {
                        hidden_attrs += usize::from(o.is_some());
                    }
                } else if is_blocks {
                    hidden_blocks += unchanged;
                    set_blocks.push((k, removed, added));
                } else {
                    attrs.push((k, o, n, Some((removed, added, unchanged))));
                }
                continue;
            }
            if as_blocks(o).is_some() || as_blocks(n).is_some() {
                blocks.push((k, o, n));
            } else if o.is_none() && n.is_none() || (old.is_none() || new.is_none()) && blank(o) && blank(n) {
                // Creates and destroys list what is set, not empty collections.
                continue;
            } else if old.is_some() && new.is_some() && !differs(o, n) {
                hidden_attrs += usize::from(o.is_some());
            } else {
                attrs.push((k, o, n, None));
            }
        }
        let width = attrs.iter().map(|(k, _, _, _)| k.len()).max().unwrap_or(0);
        for (k, o, n, set) in attrs {
            match set {
                Some((removed, added, unchanged)) => {
                    set_attribute(out, self.p, depth, k, width, &removed, &added, unchanged, self.forces(prefixes, k));
                }
                None => attribute(out, self.p, depth, k, width, o, n, self.forces(prefixes, k)),
            }
        }
        for (name, removed, added) in set_blocks {
            let forced = self.forces(prefixes, name);
            let nested = schema.and_then(|s| s.nested_block(name)).map(|b| &b.block);
            let inner: Vec<String> = prefixes.iter().map(|pre| format!("{pre}{name}.")).collect();
            for (sym, element) in removed.iter().map(|e| ("-", e)).chain(added.iter().map(|e| ("+", e))) {
                let note = if forced { " # forces replacement" } else { "" };
                let _ = writeln!(out, "{} {name} {{{note}", self.p.sym(sym, 4 * depth + 3));
                let m = element.as_map();
                let (bo, bn) = if sym == "-" { (m, None) } else { (None, m) };
                self.body(out, depth + 1, &inner, nested, bo, bn);
                let _ = writeln!(out, "{}}}", plain(depth));
            }
        }
        for (name, o, n) in blocks {
            let (olds, news) = (as_blocks(o).unwrap_or_default(), as_blocks(n).unwrap_or_default());
            let forced = self.forces(prefixes, name);
            let nested = schema.and_then(|s| s.nested_block(name)).map(|b| &b.block);
            for i in 0..olds.len().max(news.len()) {
                let (ob, nb) = (olds.get(i).and_then(Value::as_map), news.get(i).and_then(Value::as_map));
                let sym = match (ob, nb) {
                    (None, None) => continue,
                    (None, Some(_)) => "+",
                    (Some(_), None) => "-",
                    (Some(_), Some(_)) if !differs(olds.get(i), news.get(i)) => {
                        hidden_blocks += 1;
                        continue;
                    }
                    (Some(_), Some(_)) => "~",
                };
                let note = if forced { " # forces replacement" } else { "" };
                let _ = writeln!(out, "{} {name} {{{note}", self.p.sym(sym, 4 * depth + 3));
                let inner: Vec<String> = prefixes.iter().flat_map(|pre| [format!("{pre}{name}."), format!("{pre}{name}[{i}].")]).collect();
                // Inside an added or removed block everything is shown.
                let (bo, bn) = match sym {
                    "+" => (None, nb),
                    "-" => (ob, None),
                    _ => (ob, nb),
                };
                self.body(out, depth + 1, &inner, nested, bo, bn);
                let _ = writeln!(out, "{}}}", plain(depth));
            }
        }
        if hidden_attrs > 0 {
            let s = if hidden_attrs == 1 { "" } else { "s" };
            let _ = writeln!(out, "{}# ({hidden_attrs} unchanged attribute{s} hidden)", plain(depth));
        }
        if hidden_blocks > 0 {
            let s = if hidden_blocks == 1 { "" } else { "s" };
            let _ = writeln!(out, "{}# ({hidden_blocks} unchanged block{s} hidden)", plain(depth));
        }
    }
}

/// A value on one line: `(sensitive value)` for anything sensitive,
/// `(known after apply)` for unknowns.
fn inline(v: &Value) -> String {
    if v.contains_sensitive() { SENSITIVE.to_string() } else { v.to_string() }
}

fn multiline(v: Option<&Value>) -> Option<&str> {
    v.and_then(|v| match v {
        Value::String(s) if s.contains('\n') => Some(s.as_str()),
        _ => None,
    })
}

fn plain_map(v: Option<&Value>) -> Option<&BTreeMap<String, Value>> {
    match v {
        Some(Value::Map(m)) if !m.is_empty() => Some(m),
        _ => None,
    }
}

/// One attribute line (or a multi-line map or heredoc). `old` is `None` for
/// an added attribute, `new` for a removed one.
#[allow(clippy::too_many_arguments)]
fn attribute(out: &mut String, p: Paint, depth: usize, name: &str, width: usize, old: Option<&Value>, new: Option<&Value>, forced: bool) {
    let sym = match (old, new) {
        (None, _) => "+",
        (_, None) => "-",
        _ => "~",
    };
    let note = if forced { " # forces replacement" } else { "" };
    let head = format!("{} {name:<width$} =", p.sym(sym, 4 * depth + 3));
    let secret = old.is_some_and(Value::contains_sensitive) || new.is_some_and(Value::contains_sensitive);
    if secret {
        let _ = writeln!(out, "{head} {SENSITIVE}{note}");
        return;
    }
    if (multiline(old).is_some() || multiline(new).is_some())
        && old.is_none_or(|v| matches!(v, Value::String(_)))
        && new.is_none_or(|v| matches!(v, Value::String(_)))
    {
        let _ = writeln!(out, "{head} <<-EOT{note}");
        let (a, b) = (old.and_then(Value::as_str).unwrap_or(""), new.and_then(Value::as_str).unwrap_or(""));
        if old.is_some() && new.is_some() {
            for change in TextDiff::from_lines(a, b).iter_all_changes() {
                let line = change.value().trim_end_matches('\n');
                match change.tag() {
                    ChangeTag::Equal => {
                        let _ = writeln!(out, "{}{line}", plain(depth + 1));
                    }
                    ChangeTag::Delete => {
                        let _ = writeln!(out, "{} {line}", p.sym("-", 4 * depth + 7));
                    }
                    ChangeTag::Insert => {
                        let _ = writeln!(out, "{} {line}", p.sym("+", 4 * depth + 7));
                    }
                }
            }
        } else {
            for line in if old.is_some() { a } else { b }.lines() {
                let _ = writeln!(out, "{}{line}", plain(depth + 1));
            }
        }
        let _ = writeln!(out, "{}EOT{}", plain(depth), if new.is_none() { " -> null" } else { "" });
        return;
    }
    let (om, nm) = (plain_map(old), plain_map(new));
    if (om.is_some() || nm.is_some()) && (old.is_none() || om.is_some()) && (new.is_none() || nm.is_some()) {
        let _ = writeln!(out, "{head} {{{note}");
        let keys: BTreeSet<&String> = om.into_iter().chain(nm).flat_map(|m| m.keys()).collect();
        let quoted: Vec<(String, Option<&Value>, Option<&Value>)> =
            keys.iter().map(|k| (format!("{k:?}"), om.and_then(|m| m.get(*k)), nm.and_then(|m| m.get(*k)))).collect();
        let mut hidden = 0;
        let changed: Vec<&(String, Option<&Value>, Option<&Value>)> = quoted
            .iter()
            .filter(|(_, o, n)| {
                let show = old.is_none() || new.is_none() || differs(*o, *n);
                hidden += usize::from(!show);
                show
            })
            .collect();
        let w = changed.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
        for (k, o, n) in changed {
            attribute(out, p, depth + 1, k, w, *o, *n, false);
        }
        if hidden > 0 {
            let s = if hidden == 1 { "" } else { "s" };
            let _ = writeln!(out, "{}# ({hidden} unchanged element{s} hidden)", plain(depth + 1));
        }
        let _ = writeln!(out, "{}}}{}", plain(depth), if new.is_none() { " -> null" } else { "" });
        return;
    }
    let text = match (old, new) {
        (None, Some(n)) => inline(n),
        (Some(o), None) => format!("{} -> null", inline(o)),
        (Some(o), Some(n)) => format!("{} -> {}", inline(o), inline(n)),
        (None, None) => "null".to_string(),
    };
    let _ = writeln!(out, "{head} {text}{note}");
}

/// An updated set of plain values (`vpc_security_group_ids`): the elements
/// removed and added, the unchanged ones counted.
#[allow(clippy::too_many_arguments)]
fn set_attribute(
    out: &mut String,
    p: Paint,
    depth: usize,
    name: &str,
    width: usize,
    removed: &[Value],
    added: &[Value],
    unchanged: usize,
    forced: bool,
) {
    let note = if forced { " # forces replacement" } else { "" };
    let _ = writeln!(out, "{} {name:<width$} = [{note}", p.sym("~", 4 * depth + 3));
    for (sym, v) in removed.iter().map(|v| ("-", v)).chain(added.iter().map(|v| ("+", v))) {
        let _ = writeln!(out, "{} {},", p.sym(sym, 4 * depth + 7), inline(v));
    }
    if unchanged > 0 {
        let s = if unchanged == 1 { "" } else { "s" };
        let _ = writeln!(out, "{}# ({unchanged} unchanged element{s} hidden)", plain(depth + 1));
    }
    let _ = writeln!(out, "{}]", plain(depth));
}

/// [`write_plan_json`] as a JSON value (for tests).
#[cfg(test)]
pub fn render_plan_json(plan: &Plan) -> J {
    serde_json::to_value(JsonView::of(plan)).unwrap_or_default()
}

/// The plan as JSON (schema in docs/plan-json.md), written (pretty) to `w`,
/// each change turned into JSON only as it is written.
pub fn write_plan_json(w: &mut dyn std::io::Write, plan: &Plan) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &JsonView::of(plan))?;
    writeln!(w)
}

/// The plan view, field by field in output order.
#[derive(serde::Serialize)]
struct JsonView<'a> {
    format_version: u32,
    strata_version: &'a str,
    state: J,
    data_not_read: J,
    interrupted_creates: &'a [String],
    leftovers: &'a [strata_plan::Leftover],
    config_digest: &'a str,
    created_at: &'a str,
    targets: &'a [String],
    changes: JsonChanges<'a>,
    outputs: Vec<J>,
    summary: J,
    has_changes: bool,
}

struct JsonChanges<'a>(&'a [ResourceChange]);

impl serde::Serialize for JsonChanges<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(change_json))
    }
}

impl<'a> JsonView<'a> {
    fn of(plan: &'a Plan) -> JsonView<'a> {
        let s = plan.summary();
        JsonView {
            format_version: plan.format_version,
            strata_version: &plan.strata_version,
            state: json!({ "found": plan.state_found, "lineage": plan.lineage, "serial": plan.serial, "refreshed": plan.refreshed }),
            data_not_read: json!({ "addresses": plan.data_not_read, "reason": plan.data_not_read_reason }),
            interrupted_creates: &plan.interrupted_creates,
            leftovers: &plan.leftovers,
            config_digest: &plan.config_digest,
            created_at: &plan.created_at,
            targets: &plan.targets,
            changes: JsonChanges(&plan.changes),
            outputs: plan
                .outputs
                .iter()
                .map(|o| {
                    json!({
                        "name": o.name,
                        "action": o.action.as_str(),
                        "before": o.before.as_ref().map(redacted),
                        "after": if o.action == Action::Delete { J::Null } else { redacted(&o.after) },
                        "after_unknown": o.after.is_unknown(),
                        "sensitive": o.sensitive,
                    })
                })
                .collect(),
            summary: json!({ "add": s.add, "change": s.change, "replace": s.replace, "destroy": s.destroy, "move": s.moves }),
            has_changes: plan.has_changes(),
        }
    }
}

fn change_json(c: &ResourceChange) -> J {
    let actions: &[&str] = match c.action {
        Action::NoOp => &["no-op"],
        Action::Create => &["create"],
        Action::Update => &["update"],
        Action::DeleteThenCreate => &["delete", "create"],
        Action::CreateThenDelete => &["create", "delete"],
        Action::Delete => &["delete"],
    };
    let index = match &c.addr.key {
        Some(strata_core::InstanceKey::Int(i)) => json!(i),
        Some(strata_core::InstanceKey::Str(s)) => json!(s),
        None => J::Null,
    };
    let shape = |v: &Option<Value>, f: fn(&Value) -> Option<J>| match v {
        Some(v) => f(v).unwrap_or_else(|| json!({})),
        None => J::Bool(false),
    };
    json!({
        "address": c.addr.to_string(),
        "previous_address": c.moved_from.as_ref().map(ToString::to_string),
        "module": (!c.addr.module.is_root()).then(|| c.addr.module.to_string()),
        "type": c.ty,
        "name": c.addr.name,
        "index": index,
        "layer": c.layer.number(),
        "layer_name": c.layer.name(),
        "action": c.action.as_str(),
        "actions": actions,
        "reason": c.reason,
        "before": c.before.as_ref().map(redacted),
        "after": c.after.as_ref().map(redacted),
        "after_unknown": c.after.as_ref().and_then(unknown_shape).unwrap_or_else(|| json!({})),
        "before_sensitive": shape(&c.before, sensitive_shape),
        "after_sensitive": shape(&c.after, sensitive_shape),
        "set_changes": set_changes_json(c),
        "requires_replace": c.requires_replace,
        "replace_requested": c.replace_requested,
        "create_before_destroy": c.create_before_destroy,
        "dependencies": c.dependencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// The sets of an updated or replaced object whose elements change:
/// `[{"path": "ingress", "removed": [...], "added": [...]}]`, secrets and
/// unknowns redacted as in `before`/`after`.
fn set_changes_json(c: &ResourceChange) -> J {
    let (Some(before), Some(after), Some(block)) = (&c.before, &c.after, resource_block(&c.ty)) else { return json!([]) };
    strata_provider::set_changes(block, before, after)
        .into_iter()
        .map(|s| {
            json!({
                "path": s.path,
                "removed": s.removed.iter().map(redacted).collect::<Vec<_>>(),
                "added": s.added.iter().map(redacted).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// JSON of a value with every sensitive part replaced by the
/// `(sensitive value)` marker and unknowns by null.
fn redacted(v: &Value) -> J {
    match v {
        Value::Sensitive(_) => J::String(SENSITIVE.into()),
        Value::Unknown(_) => J::Null,
        Value::List(items) | Value::Set(items) => J::Array(items.iter().map(redacted).collect()),
        Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect()),
        v => v.to_json(),
    }
}

/// Terraform's `after_unknown`: `true` where a value is unknown, objects and
/// arrays around the unknown parts (array elements without any: `false`);
/// `None` when nothing inside is unknown.
fn unknown_shape(v: &Value) -> Option<J> {
    mark_shape(v, &|v| match v {
        Value::Unknown(_) => Some(true),
        Value::Sensitive(inner) => mark_shape(inner, &|v| v.is_unknown().then_some(true)).map(|_| true),
        _ => None,
    })
}

/// Where the sensitive values are, in the shape of `after_unknown`.
fn sensitive_shape(v: &Value) -> Option<J> {
    mark_shape(v, &|v| v.is_sensitive().then_some(true))
}

fn mark_shape(v: &Value, leaf: &dyn Fn(&Value) -> Option<bool>) -> Option<J> {
    if let Some(b) = leaf(v) {
        return Some(J::Bool(b));
    }
    match v {
        Value::List(items) | Value::Set(items) => {
            let shapes: Vec<Option<J>> = items.iter().map(|i| mark_shape(i, leaf)).collect();
            shapes.iter().any(Option::is_some).then(|| J::Array(shapes.into_iter().map(|s| s.unwrap_or(J::Bool(false))).collect()))
        }
        Value::Map(m) => {
            let o: serde_json::Map<String, J> = m.iter().filter_map(|(k, v)| Some((k.clone(), mark_shape(v, leaf)?))).collect();
            (!o.is_empty()).then_some(J::Object(o))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use strata_core::{Address, Type};

    use super::*;

    fn obj(items: &[(&str, Value)]) -> Value {
        Value::map(items.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn change(addr: &str, layer: Layer, action: Action, before: Option<Value>, after: Option<Value>) -> ResourceChange {
        let addr: Address = addr.parse().unwrap();
        ResourceChange {
            ty: addr.ty.clone(),
            addr,
            moved_from: None,
            layer,
            action,
            before,
            after,
            requires_replace: Vec::new(),
            replace_requested: false,
            create_before_destroy: false,
            dependencies: Vec::new(),
            reason: None,
            provider: None,
        }
    }

    fn plan(changes: Vec<ResourceChange>, outputs: Vec<OutputChange>) -> Plan {
        Plan {
            format_version: 1,
            strata_version: "0.1.0".into(),
            lineage: "lin".into(),
            serial: 3,
            state_found: true,
            config_digest: "d".into(),
            targets: Vec::new(),
            changes,
            outputs,
            created_at: "2026-01-01T00:00:00Z".into(),
            refreshed: false,
            data_not_read: Vec::new(),
            data_not_read_reason: None,
            interrupted_creates: Vec::new(),
            leftovers: Vec::new(),
        }
    }

    fn vpc_create() -> ResourceChange {
        let after = obj(&[
            ("cidr_block", s("10.0.0.0/16")),
            ("enable_dns_support", Value::Bool(true)),
            ("id", Value::Unknown(Type::String)),
            ("ipv6_cidr_block", Value::Null),
            ("timeouts", Value::List(Vec::new().into())),
            ("tags", obj(&[("Name", s("main"))])),
        ]);
        change("aws_vpc.main", Layer::Infrastructure, Action::Create, None, Some(after))
    }

    #[test]
    fn creates_show_every_set_attribute() {
        let text = render_plan_text(&plan(vec![vpc_create()], Vec::new()), false);
        let expected = r#"Resource actions are indicated with the following symbols:
  + create

strata will perform the following actions:

── layer 1 · infrastructure ──

  # aws_vpc.main will be created
  + resource "aws_vpc" "main" {
      + cidr_block         = "10.0.0.0/16"
      + enable_dns_support = true
      + id                 = (known after apply)
      + tags               = {
          + "Name" = "main"
        }
    }

Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn updates_show_only_changed_attributes() {
        let before = obj(&[
            ("ami", s("ami-1")),
            ("id", s("i-1")),
            ("instance_type", s("t3.micro")),
            ("tags", obj(&[("Name", s("a")), ("env", s("x"))])),
        ]);
        let after = obj(&[
            ("ami", s("ami-1")),
            ("id", s("i-1")),
            ("instance_type", s("t3.large")),
            ("tags", obj(&[("Name", s("b")), ("env", s("x"))])),
        ]);
        let c = change("aws_instance.web", Layer::Application, Action::Update, Some(before), Some(after));
        let text = render_plan_text(&plan(vec![c], Vec::new()), false);
        let body = text.split("will be updated in place\n").nth(1).unwrap();
        assert_eq!(
            body,
            r#"  ~ resource "aws_instance" "web" {
      ~ instance_type = "t3.micro" -> "t3.large"
      ~ tags          = {
          ~ "Name" = "a" -> "b"
            # (1 unchanged element hidden)
        }
        # (2 unchanged attributes hidden)
    }

Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.
"#
        );
    }

    #[test]
    fn replaces_name_the_attribute_that_forces_them() {
        let before = obj(&[
            ("ami", s("ami-1")),
            ("id", s("i-1")),
            ("root_block_device", Value::List(vec![obj(&[("encrypted", Value::Bool(false)), ("volume_size", Value::Number(8.0))])].into())),
        ]);
        let after = obj(&[
            ("ami", s("ami-2")),
            ("id", Value::unknown()),
            ("root_block_device", Value::List(vec![obj(&[("encrypted", Value::Bool(true)), ("volume_size", Value::Number(8.0))])].into())),
        ]);
        let mut c = change("aws_instance.web", Layer::Application, Action::DeleteThenCreate, Some(before.clone()), Some(after.clone()));
        c.requires_replace = vec!["ami".into(), "root_block_device.encrypted".into()];
        let text = render_plan_text(&plan(vec![c.clone()], Vec::new()), false);
        assert!(text.contains("  # aws_instance.web must be replaced\n-/+ resource \"aws_instance\" \"web\" {\n"), "{text}");
        assert!(text.contains("      ~ ami = \"ami-1\" -> \"ami-2\" # forces replacement\n"), "{text}");
        assert!(text.contains("      ~ id  = \"i-1\" -> (known after apply)\n"), "{text}");
        assert!(
            text.contains("      ~ root_block_device {\n          ~ encrypted = false -> true # forces replacement\n            # (1 unchanged attribute hidden)\n        }\n"),
            "{text}"
        );
        assert!(text.contains("0 to add, 0 to change, 1 to replace, 0 to destroy."));

        c.action = Action::CreateThenDelete;
        c.replace_requested = true;
        c.requires_replace.clear();
        let text = render_plan_text(&plan(vec![c], Vec::new()), false);
        assert!(text.contains("  # aws_instance.web will be replaced, as requested\n+/- resource"), "{text}");
        assert!(!text.contains("forces replacement"));
    }

    #[test]
    fn secrets_never_appear_in_text_or_json() {
        let after = obj(&[("identifier", s("db")), ("password", s("hunter2").mark_if(true)), ("id", Value::unknown())]);
        let before = obj(&[("identifier", s("db")), ("password", s("old-hunter").mark_if(true)), ("id", s("db-1"))]);
        let create = change("aws_db_instance.a", Layer::Data, Action::Create, None, Some(after.clone()));
        let update = change("aws_db_instance.b", Layer::Data, Action::Update, Some(before.clone()), Some(after));
        let delete = change("aws_db_instance.c", Layer::Data, Action::Delete, Some(before), None);
        let out = OutputChange {
            name: "pw".into(),
            action: Action::Update,
            before: Some(s("old-hunter").mark_if(true)),
            after: s("hunter2").mark_if(true),
            sensitive: true,
        };
        let p = plan(vec![create, update, delete], vec![out]);
        let text = render_plan_text(&p, true);
        let json = render_plan_json(&p).to_string();
        for secret in ["hunter2", "old-hunter"] {
            assert!(!text.contains(secret), "{secret} in text:\n{text}");
            assert!(!json.contains(secret), "{secret} in json:\n{json}");
        }
        assert!(text.contains("password   = (sensitive value)"), "{text}");
        assert!(text.contains("pw = (sensitive value)"), "{text}");
        assert!(json.contains("\"password\":\"(sensitive value)\""));
    }

    #[test]
    fn multi_line_strings_are_line_diffs() {
        let before = obj(&[("user_data", s("#!/bin/bash\necho one\necho two\n"))]);
        let after = obj(&[("user_data", s("#!/bin/bash\necho one\necho three\n"))]);
        let c = change("aws_instance.web", Layer::Application, Action::Update, Some(before), Some(after));
        let text = render_plan_text(&plan(vec![c], Vec::new()), false);
        assert!(
            text.contains(
                "      ~ user_data = <<-EOT\n            #!/bin/bash\n            echo one\n          - echo two\n          + echo three\n        EOT\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn groups_run_layer_1_to_5_then_destroys_5_to_1() {
        let gone = |a: &str, l: Layer| change(a, l, Action::Delete, Some(obj(&[("id", s("x"))])), None);
        let new = |a: &str, l: Layer| change(a, l, Action::Create, None, Some(obj(&[("id", Value::unknown())])));
        let p = plan(
            vec![
                new("aws_vpc.a", Layer::Infrastructure),
                new("aws_lb.b", Layer::Gateway),
                gone("aws_route53_record.c", Layer::Frontend),
                gone("aws_instance.d", Layer::Application),
                gone("aws_subnet.e", Layer::Infrastructure),
            ],
            Vec::new(),
        );
        let text = render_plan_text(&p, false);
        let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("──")).collect();
        assert_eq!(
            headers,
            [
                "── layer 1 · infrastructure ──",
                "── layer 4 · gateway ──",
                "── layer 5 · frontend · destroy ──",
                "── layer 3 · application · destroy ──",
                "── layer 1 · infrastructure · destroy ──",
            ]
        );
        assert!(text.contains("      - id = \"x\" -> null\n"), "{text}");
        assert!(text.ends_with("Plan: 2 to add, 0 to change, 0 to replace, 3 to destroy.\n"));
    }

    #[test]
    fn moves_and_empty_plans() {
        let v = obj(&[("id", s("i-1")), ("ami", s("ami-1"))]);
        let mut c = change("aws_instance.b", Layer::Application, Action::NoOp, Some(v.clone()), Some(v.clone()));
        let unchanged = plan(vec![c.clone()], Vec::new());
        assert_eq!(render_plan_text(&unchanged, true), "No changes. Your infrastructure matches the configuration.\n");
        let mut notes = unchanged.clone();
        notes.interrupted_creates = vec!["aws_vpc.a".into()];
        notes.data_not_read = vec!["data.aws_ami.x".into()];
        notes.data_not_read_reason = Some("--refresh=false".into());
        assert_eq!(
            render_plan_text(&notes, false),
            "Data sources not read (--refresh=false): data.aws_ami.x; their values, and what depends on them, are known after apply.\n\n\
             An earlier apply was interrupted while creating aws_vpc.a; apply looks for those objects and adopts them before it creates anything.\n\n\
             No changes. Your infrastructure matches the configuration.\n"
        );
        c.moved_from = Some("aws_instance.a".parse().unwrap());
        let text = render_plan_text(&plan(vec![c], Vec::new()), false);
        assert!(text.contains("  # aws_instance.a has moved to aws_instance.b\n  → resource \"aws_instance\" \"b\" {\n        # (2 unchanged attributes hidden)\n    }\n"), "{text}");
        assert!(text.contains("0 to destroy, 1 to move.\n"));
    }

    #[test]
    fn colour_only_when_asked() {
        let p = plan(vec![vpc_create()], Vec::new());
        assert!(!render_plan_text(&p, false).contains('\x1b'));
        let coloured = render_plan_text(&p, true);
        assert!(coloured.contains("  \x1b[32m+\x1b[0m resource \"aws_vpc\" \"main\" {"), "{coloured}");
    }

    #[test]
    fn outputs_are_listed_after_resources() {
        let outs = vec![
            OutputChange { name: "ip".into(), action: Action::Create, before: None, after: Value::unknown(), sensitive: false },
            OutputChange { name: "name".into(), action: Action::Update, before: Some(s("a")), after: s("b"), sensitive: false },
            OutputChange { name: "old".into(), action: Action::Delete, before: Some(s("x")), after: Value::Null, sensitive: false },
            OutputChange { name: "same".into(), action: Action::NoOp, before: Some(s("x")), after: s("x"), sensitive: false },
        ];
        let text = render_plan_text(&plan(Vec::new(), outs), false);
        assert_eq!(
            text,
            "\nChanges to outputs:\n  + ip   = (known after apply)\n  ~ name = \"a\" -> \"b\"\n  - old  = \"x\" -> null\n\nPlan: 0 to add, 0 to change, 0 to replace, 0 to destroy.\n"
        );
    }

    fn rule(port: f64, cidr: &str) -> Value {
        obj(&[
            ("cidr_blocks", Value::List(vec![s(cidr)].into())),
            ("description", s("")),
            ("from_port", Value::Number(port)),
            ("ipv6_cidr_blocks", Value::List(Vec::new().into())),
            ("protocol", s("tcp")),
            ("self", Value::Bool(false)),
            ("to_port", Value::Number(port)),
        ])
    }

    /// A security group gaining one rule and changing its tags, and an
    /// instance swapping one of its security groups.
    fn set_updates() -> Plan {
        let group = |rules: Vec<Value>, env: &str| {
            obj(&[
                ("id", s("sg-1")),
                ("name", s("web")),
                ("ingress", Value::List(rules.into())),
                ("egress", Value::List(vec![rule(0.0, "0.0.0.0/0")].into())),
                ("tags", obj(&[("Env", s(env))])),
            ])
        };
        let before = group(vec![rule(22.0, "10.0.0.0/8"), rule(80.0, "0.0.0.0/0")], "dev");
        let after = group(vec![rule(80.0, "0.0.0.0/0"), rule(443.0, "0.0.0.0/0"), rule(22.0, "10.0.0.0/8")], "dev");
        let sg = change("aws_security_group.web", Layer::Infrastructure, Action::Update, Some(before), Some(after));
        let ids = |items: &[&str]| Value::List(items.iter().map(|i| s(i)).collect::<Vec<_>>().into());
        let instance = |sgs: &[&str]| obj(&[("id", s("i-1")), ("vpc_security_group_ids", ids(sgs))]);
        let vm = change(
            "aws_instance.app",
            Layer::Application,
            Action::Update,
            Some(instance(&["sg-1", "sg-2"])),
            Some(instance(&["sg-3", "sg-1"])),
        );
        plan(vec![sg, vm], Vec::new())
    }

    #[test]
    fn sets_show_the_elements_added_and_removed() {
        let text = render_plan_text(&set_updates(), false);
        assert!(!text.contains("from_port = 22"), "the unchanged rules are not shown:\n{text}");
        insta::assert_snapshot!("plan_text_set_elements", text);
        let j = render_plan_json(&set_updates());
        assert_eq!(
            j["changes"][0]["set_changes"],
            json!([{"path": "ingress", "removed": [], "added": [redacted(&rule(443.0, "0.0.0.0/0"))]}])
        );
        assert_eq!(j["changes"][1]["set_changes"], json!([{"path": "vpc_security_group_ids", "removed": ["sg-2"], "added": ["sg-3"]}]));
    }

    /// Regression: a rule changed in place paired with the rule at the same
    /// index, so one new rule at the front showed every rule as changed.
    #[test]
    fn a_changed_set_element_is_one_removed_and_one_added_and_secrets_stay_hidden() {
        let param = |name: &str, value: Value| obj(&[("apply_method", s("immediate")), ("name", s(name)), ("value", value)]);
        let pg = |params: Vec<Value>| obj(&[("id", s("pg")), ("parameter", Value::List(params.into()))]);
        let before = pg(vec![param("max_connections", s("100")), param("secret_param", s("hunter2").mark_if(true))]);
        let after = pg(vec![param("max_connections", s("200")), param("secret_param", s("hunter3").mark_if(true))]);
        let c = change("aws_db_parameter_group.main", Layer::Data, Action::Update, Some(before), Some(after));
        let text = render_plan_text(&plan(vec![c.clone()], Vec::new()), false);
        let json = render_plan_json(&plan(vec![c], Vec::new())).to_string();
        for secret in ["hunter2", "hunter3"] {
            assert!(!text.contains(secret) && !json.contains(secret), "{text}\n{json}");
        }
        insta::assert_snapshot!("plan_text_set_element_changed", text);
    }

    #[test]
    fn json_marks_unknowns_and_secrets_like_terraform() {
        let after = obj(&[
            ("id", Value::unknown()),
            ("password", s("pw").mark_if(true)),
            ("tags", obj(&[("a", s("1"))])),
            ("ebs", Value::List(vec![obj(&[("size", Value::Number(8.0))]), obj(&[("arn", Value::unknown())])].into())),
        ]);
        let mut c = change(
            "module.db.aws_db_instance.main[\"a\"]",
            Layer::Data,
            Action::DeleteThenCreate,
            Some(obj(&[("id", s("x"))])),
            Some(after),
        );
        c.requires_replace = vec!["engine".into()];
        c.moved_from = Some("aws_db_instance.old".parse().unwrap());
        let j = render_plan_json(&plan(vec![c], Vec::new()));
        let rc = &j["changes"][0];
        assert_eq!(rc["address"], "module.db.aws_db_instance.main[\"a\"]");
        assert_eq!(rc["previous_address"], "aws_db_instance.old");
        assert_eq!((&rc["module"], &rc["index"], &rc["name"]), (&json!("module.db"), &json!("a"), &json!("main")));
        assert_eq!((&rc["layer"], &rc["layer_name"]), (&json!(2), &json!("data")));
        assert_eq!(rc["action"], "delete_then_create");
        assert_eq!(rc["actions"], json!(["delete", "create"]));
        assert_eq!(rc["after"]["id"], J::Null);
        assert_eq!(rc["after"]["password"], SENSITIVE);
        assert_eq!(rc["after_unknown"], json!({"id": true, "ebs": [false, {"arn": true}]}));
        assert_eq!(rc["after_sensitive"], json!({"password": true}));
        assert_eq!(rc["before_sensitive"], json!({}));
        assert_eq!(rc["requires_replace"], json!(["engine"]));
        assert_eq!(j["summary"], json!({"add": 0, "change": 0, "replace": 1, "destroy": 0, "move": 1}));
        assert_eq!(j["has_changes"], true);
        assert_eq!(j["state"], json!({"found": true, "lineage": "lin", "serial": 3, "refreshed": false}));
        assert_eq!(j["data_not_read"], json!({"addresses": [], "reason": null}));
    }
}
