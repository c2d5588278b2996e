//! Renders the resource graph as Graphviz DOT, Mermaid and JSON.
//!
//! Edges point from a dependent to its dependency ("depends on"), and both
//! diagrams flow bottom to top (`BT`), so layer 1 is drawn at the top and
//! layer 5 at the bottom: reading downwards follows the apply order.

use std::fmt::{self, Write};

use serde_json::{Value, json};
use strata_core::Layer;
use strata_graph::{Graph, Node, Wave};

/// The graph as a Graphviz `digraph`: one cluster per non-empty layer, nodes
/// named by their quoted address, lifted nodes dashed with a note in their
/// label and tooltip.
pub fn render_dot(g: &Graph) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_dot(g, &mut out);
    out
}

fn write_dot(g: &Graph, out: &mut String) -> fmt::Result {
    writeln!(out, "digraph strata {{")?;
    writeln!(out, "  rankdir=BT;")?;
    writeln!(out, "  node [shape=box];")?;
    for layer in Layer::ALL {
        let mut members = g.nodes().filter(|(_, n)| n.layer == layer).peekable();
        if members.peek().is_none() {
            continue;
        }
        writeln!(out, "  subgraph cluster_layer_{} {{", layer.number())?;
        writeln!(out, "    label={};", dot_quote(&format!("layer {}: {}", layer.number(), layer.name())))?;
        for (_, node) in members {
            let id = dot_quote(&node.addr.to_string());
            match lift_note(node) {
                Some((from, why)) => writeln!(
                    out,
                    "    {id} [style=dashed, label={}, tooltip={}];",
                    dot_quote(&format!("{}\n(lifted from {})", node.addr, from.name())),
                    dot_quote(&why)
                )?,
                None => writeln!(out, "    {id};")?,
            }
        }
        writeln!(out, "  }}")?;
    }
    for (id, node) in g.nodes() {
        for dep in g.dependencies(id) {
            writeln!(out, "  {} -> {};", dot_quote(&node.addr.to_string()), dot_quote(&g.node(dep).addr.to_string()))?;
        }
    }
    writeln!(out, "}}")
}

/// A DOT quoted string. Backslashes are doubled so that labels (which
/// Graphviz reads as escape strings) show them as written.
fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The default layer of a lifted node and a sentence explaining the lift.
fn lift_note(node: &Node) -> Option<(Layer, String)> {
    let from = node.lifted_from?;
    let why = match &node.lifted_by {
        Some(by) => format!("lifted from layer {from} to layer {} because it depends on {by}", node.layer),
        None => format!("lifted from layer {from} to layer {}", node.layer),
    };
    Some((from, why))
}

/// The graph as a Mermaid `flowchart`: one subgraph per non-empty layer,
/// node ids `n0`, `n1`, ... (the graph's node indices) with quoted labels,
/// lifted nodes in the dashed `lifted` class.
pub fn render_mermaid(g: &Graph) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_mermaid(g, &mut out);
    out
}

fn write_mermaid(g: &Graph, out: &mut String) -> fmt::Result {
    writeln!(out, "flowchart BT")?;
    for layer in Layer::ALL {
        let mut members = g.nodes().filter(|(_, n)| n.layer == layer).peekable();
        if members.peek().is_none() {
            continue;
        }
        writeln!(out, "  subgraph layer_{}[\"layer {}: {}\"]", layer.number(), layer.number(), layer.name())?;
        for (id, node) in members {
            let label = mermaid_escape(&node.addr.to_string());
            match node.lifted_from {
                Some(from) => writeln!(out, "    n{}[\"{label}<br/>(lifted from {})\"]:::lifted", id.index(), from.name())?,
                None => writeln!(out, "    n{}[\"{label}\"]", id.index())?,
            }
        }
        writeln!(out, "  end")?;
    }
    for (id, _) in g.nodes() {
        for dep in g.dependencies(id) {
            writeln!(out, "  n{} --> n{}", id.index(), dep.index())?;
        }
    }
    if g.nodes().any(|(_, n)| n.lifted_from.is_some()) {
        writeln!(out, "  classDef lifted stroke-dasharray: 5 5")?;
    }
    Ok(())
}

/// Text safe inside a Mermaid `["..."]` label: characters that Mermaid or
/// HTML would interpret become `#code;` entities.
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '#' | '&' | '<' | '>' | '`' => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The graph as JSON: `nodes` in address order (with `lifted_from` and
/// `lifted_by` only on lifted nodes, and `wave` null for nodes in or behind
/// a cycle), apply `waves`, and `teardown`, which lists the same waves (with
/// their apply wave numbers) in reverse.
pub fn render_json(g: &Graph) -> Value {
    let nodes: Vec<Value> = g
        .nodes()
        .map(|(id, n)| {
            let mut o = json!({
                "address": n.addr.to_string(),
                "type": n.addr.ty,
                "layer": n.layer.number(),
                "layer_name": n.layer.name(),
                "wave": n.wave,
                "default_layer": n.default_layer.number(),
            });
            if let (Some(from), Value::Object(map)) = (n.lifted_from, &mut o) {
                map.insert("lifted_from".into(), json!(from.number()));
                if let Some(by) = &n.lifted_by {
                    map.insert("lifted_by".into(), json!(by.to_string()));
                }
            }
            if let Value::Object(map) = &mut o {
                let deps: Vec<String> = g.dependencies(id).map(|d| g.node(d).addr.to_string()).collect();
                map.insert("dependencies".into(), json!(deps));
            }
            o
        })
        .collect();
    let wave_json = |number: usize, w: &Wave| {
        let nodes: Vec<String> = w.nodes.iter().map(|&id| g.node(id).addr.to_string()).collect();
        json!({"wave": number, "layer": w.layer.number(), "nodes": nodes})
    };
    let waves: Vec<Value> = g.apply_waves().iter().enumerate().map(|(i, w)| wave_json(i, w)).collect();
    let last = g.apply_waves().len();
    let teardown: Vec<Value> = g.teardown_waves().enumerate().map(|(i, w)| wave_json(last - 1 - i, w)).collect();
    json!({
        "format_version": GRAPH_FORMAT_VERSION,
        "strata_version": env!("CARGO_PKG_VERSION"),
        "nodes": nodes,
        "waves": waves,
        "teardown": teardown,
    })
}

/// The version of `strata graph --format json` (schema in docs/graph-json.md).
pub const GRAPH_FORMAT_VERSION: u32 = 1;

#[cfg(test)]
mod tests {
    use strata_core::{Address, InstanceKey};
    use strata_graph::{DepInput, GraphOptions, NodeInput, build};

    use super::*;

    fn node(address: Address, default_layer: Layer, deps: &[&Address]) -> NodeInput {
        NodeInput {
            addr: address,
            default_layer,
            explicit_layer: None,
            span: None,
            deps: deps.iter().map(|&d| DepInput { target: d.clone(), span: None }).collect(),
        }
    }

    /// vpc ← instance ← eip (lifted to layer 3); the instance key holds a
    /// quote, a backslash and characters Mermaid would interpret.
    fn sample() -> Graph {
        let vpc = Address::managed("aws_vpc", "main");
        let app = Address::managed("aws_instance", "app").with_key(Some(InstanceKey::Str("a\"b\\c#<d>".into())));
        let eip = Address::managed("aws_eip", "app");
        let nodes = vec![
            node(vpc.clone(), Layer::Infrastructure, &[]),
            node(app.clone(), Layer::Application, &[&vpc]),
            node(eip, Layer::Infrastructure, &[&app]),
        ];
        let (g, diags) = build(nodes, &GraphOptions::default());
        assert!(!diags.has_errors());
        g
    }

    #[test]
    fn dot_has_a_cluster_per_non_empty_layer_and_escapes_addresses() {
        let dot = render_dot(&sample());
        let expected = r#"digraph strata {
  rankdir=BT;
  node [shape=box];
  subgraph cluster_layer_1 {
    label="layer 1: infrastructure";
    "aws_vpc.main";
  }
  subgraph cluster_layer_3 {
    label="layer 3: application";
    "aws_eip.app" [style=dashed, label="aws_eip.app\n(lifted from infrastructure)", tooltip="lifted from layer 1 infrastructure to layer 3 application because it depends on aws_instance.app[\"a\\\"b\\\\c#<d>\"]"];
    "aws_instance.app[\"a\\\"b\\\\c#<d>\"]";
  }
  "aws_eip.app" -> "aws_instance.app[\"a\\\"b\\\\c#<d>\"]";
  "aws_instance.app[\"a\\\"b\\\\c#<d>\"]" -> "aws_vpc.main";
}
"#;
        assert_eq!(dot, expected);
    }

    #[test]
    fn mermaid_uses_safe_ids_and_entity_escaped_labels() {
        let mermaid = render_mermaid(&sample());
        let expected = r#"flowchart BT
  subgraph layer_1["layer 1: infrastructure"]
    n2["aws_vpc.main"]
  end
  subgraph layer_3["layer 3: application"]
    n0["aws_eip.app<br/>(lifted from infrastructure)"]:::lifted
    n1["aws_instance.app[#34;a\#34;b\\c#35;#60;d#62;#34;]"]
  end
  n0 --> n1
  n1 --> n2
  classDef lifted stroke-dasharray: 5 5
"#;
        assert_eq!(mermaid, expected);
    }

    #[test]
    fn json_lists_nodes_waves_and_teardown() {
        let app = r#"aws_instance.app["a\"b\\c#<d>"]"#;
        let expected = json!({
            "format_version": 1,
            "strata_version": env!("CARGO_PKG_VERSION"),
            "nodes": [
                {"address": "aws_eip.app", "type": "aws_eip", "layer": 3, "layer_name": "application", "wave": 2,
                 "default_layer": 1, "lifted_from": 1, "lifted_by": app, "dependencies": [app]},
                {"address": app, "type": "aws_instance", "layer": 3, "layer_name": "application", "wave": 1,
                 "default_layer": 3, "dependencies": ["aws_vpc.main"]},
                {"address": "aws_vpc.main", "type": "aws_vpc", "layer": 1, "layer_name": "infrastructure", "wave": 0,
                 "default_layer": 1, "dependencies": []},
            ],
            "waves": [
                {"wave": 0, "layer": 1, "nodes": ["aws_vpc.main"]},
                {"wave": 1, "layer": 3, "nodes": [app]},
                {"wave": 2, "layer": 3, "nodes": ["aws_eip.app"]},
            ],
            "teardown": [
                {"wave": 2, "layer": 3, "nodes": ["aws_eip.app"]},
                {"wave": 1, "layer": 3, "nodes": [app]},
                {"wave": 0, "layer": 1, "nodes": ["aws_vpc.main"]},
            ],
        });
        let actual = render_json(&sample());
        assert_eq!(actual, expected);
        // Key order is part of the output shape.
        let keys: Vec<&String> = actual["nodes"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["address", "type", "layer", "layer_name", "wave", "default_layer", "lifted_from", "lifted_by", "dependencies"]);
    }

    #[test]
    fn empty_graph_renders_without_clusters() {
        let (g, _) = build(Vec::new(), &GraphOptions::default());
        assert_eq!(render_dot(&g), "digraph strata {\n  rankdir=BT;\n  node [shape=box];\n}\n");
        assert_eq!(render_mermaid(&g), "flowchart BT\n");
        assert_eq!(
            render_json(&g),
            json!({"format_version": 1, "strata_version": env!("CARGO_PKG_VERSION"), "nodes": [], "waves": [], "teardown": []})
        );
    }
}
