//! Unit tests of layers, lifting, cycles, waves and teardown order.

use strata_core::{FileId, Severity};

use super::*;

/// Test spans: `span(k)` is a distinct ten-byte range for every `k`.
fn span(k: usize) -> Span {
    Span::new(FileId(0), k * 10..k * 10 + 10)
}

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

/// A node whose block span is `span(k)` and whose i-th dependency reference
/// is at `span(k + 1 + i)`.
fn node(k: usize, address: &str, default_layer: Layer, deps: &[&str]) -> NodeInput {
    NodeInput {
        addr: addr(address),
        default_layer,
        explicit_layer: None,
        span: Some(span(k)),
        deps: deps.iter().enumerate().map(|(i, d)| DepInput { target: addr(d), span: Some(span(k + 1 + i)) }).collect(),
    }
}

fn explicit(mut n: NodeInput, layer: Layer, k: usize) -> NodeInput {
    n.explicit_layer = Some((layer, span(k)));
    n
}

fn build_default(nodes: Vec<NodeInput>) -> (Graph, Diagnostics) {
    build(nodes, &GraphOptions::default())
}

fn get<'g>(g: &'g Graph, a: &str) -> &'g Node {
    g.node(g.find(&addr(a)).unwrap())
}

/// Waves as `layer: a b | ...` with addresses.
fn waves_text(g: &Graph, waves: &[Wave]) -> String {
    waves
        .iter()
        .map(|w| {
            let names: Vec<String> = w.nodes.iter().map(|&id| g.node(id).addr.to_string()).collect();
            format!("{}: {}", w.layer.number(), names.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn codes(d: &Diagnostics) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

#[test]
fn eip_is_lifted_to_the_instance_layer() {
    let (g, diags) = build_default(vec![
        node(0, "aws_instance.app", Layer::Application, &[]),
        node(10, "aws_eip.app", Layer::Infrastructure, &["aws_instance.app"]),
    ]);
    let eip = get(&g, "aws_eip.app");
    assert_eq!(eip.layer, Layer::Application);
    assert_eq!(eip.default_layer, Layer::Infrastructure);
    assert_eq!(eip.lifted_from, Some(Layer::Infrastructure));
    assert_eq!(eip.lifted_by, Some(addr("aws_instance.app")));
    assert_eq!(get(&g, "aws_instance.app").lifted_from, None);

    assert_eq!(diags.0.len(), 1);
    let d = &diags.0[0];
    assert_eq!((d.code, d.severity), ("strata::graph::layer_lift", Severity::Warning));
    assert_eq!(
        d.message,
        "`aws_eip.app` lifted from layer 1 infrastructure to layer 3 application because it depends on `aws_instance.app`"
    );
    let spans: Vec<&Span> = d.labels.iter().map(|l| &l.span).collect();
    assert_eq!(spans, [&span(10), &span(11)]);
}

#[test]
fn lifts_propagate_transitively_and_name_the_direct_dependency() {
    let (g, diags) = build_default(vec![
        node(0, "aws_lb.web", Layer::Gateway, &[]),
        node(10, "aws_instance.app", Layer::Application, &["aws_lb.web"]),
        node(20, "aws_eip.app", Layer::Infrastructure, &["aws_instance.app", "aws_vpc.main"]),
        node(30, "aws_vpc.main", Layer::Infrastructure, &[]),
    ]);
    let eip = get(&g, "aws_eip.app");
    assert_eq!((eip.layer, eip.lifted_by.clone()), (Layer::Gateway, Some(addr("aws_instance.app"))));
    assert_eq!(get(&g, "aws_instance.app").layer, Layer::Gateway);
    assert_eq!(codes(&diags), ["strata::graph::layer_lift"; 2]);
}

#[test]
fn explicit_layer_wins_over_the_default_and_is_not_lifted() {
    let (g, diags) = build_default(vec![
        node(0, "aws_instance.app", Layer::Application, &[]),
        explicit(node(10, "aws_eip.app", Layer::Infrastructure, &["aws_instance.app"]), Layer::Gateway, 19),
    ]);
    let eip = get(&g, "aws_eip.app");
    assert_eq!((eip.layer, eip.explicit_layer, eip.lifted_from), (Layer::Gateway, Some(Layer::Gateway), None));
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn explicit_layer_below_a_dependency_is_a_violation() {
    let (g, diags) = build_default(vec![
        node(0, "aws_lb.web", Layer::Gateway, &[]),
        explicit(node(10, "aws_db_instance.main", Layer::Data, &["aws_lb.web"]), Layer::Data, 19),
    ]);
    assert_eq!(get(&g, "aws_db_instance.main").layer, Layer::Data);
    assert_eq!(diags.0.len(), 1);
    let d = &diags.0[0];
    assert_eq!((d.code, d.severity), ("strata::graph::layer_violation", Severity::Error));
    assert_eq!(d.message, "`aws_db_instance.main` is in layer 2 data but depends on `aws_lb.web` in layer 4 gateway");
    let spans: Vec<&Span> = d.labels.iter().map(|l| &l.span).collect();
    assert_eq!(spans, [&span(19), &span(11)]);
    assert_eq!(
        d.help.as_deref(),
        Some("a resource can only depend on resources in its own or lower layers; raise `layer` to \"gateway\" or remove the dependency")
    );
    // The violating node still gets a wave, in its own (lower) layer.
    assert_eq!(waves_text(&g, g.apply_waves()), "2: aws_db_instance.main | 4: aws_lb.web");
}

#[test]
fn strict_layers_turn_lifts_into_errors() {
    let nodes =
        vec![node(0, "aws_instance.app", Layer::Application, &[]), node(10, "aws_eip.app", Layer::Infrastructure, &["aws_instance.app"])];
    let (g, diags) = build(nodes, &GraphOptions { strict_layers: true });
    assert_eq!(get(&g, "aws_eip.app").layer, Layer::Application);
    assert_eq!(diags.0.len(), 1);
    let d = &diags.0[0];
    assert_eq!((d.code, d.severity), ("strata::graph::layer_lift", Severity::Error));
    let help = d.help.as_deref().unwrap();
    assert!(help.contains("`layer = \"application\"`") && help.contains("`aws_instance.app`"), "{help}");
}

#[test]
fn a_cycle_is_reported_once_with_a_label_per_hop() {
    let (g, diags) = build_default(vec![
        node(20, "aws_subnet.c", Layer::Infrastructure, &["aws_subnet.a"]),
        node(0, "aws_subnet.a", Layer::Infrastructure, &["aws_subnet.b"]),
        node(10, "aws_subnet.b", Layer::Infrastructure, &["aws_subnet.c"]),
        node(30, "aws_instance.app", Layer::Application, &["aws_subnet.a", "aws_vpc.main"]),
        node(40, "aws_vpc.main", Layer::Infrastructure, &[]),
    ]);
    assert_eq!(codes(&diags), ["strata::graph::cycle"]);
    let d = &diags.0[0];
    assert_eq!(d.message, "dependency cycle: aws_subnet.a → aws_subnet.b → aws_subnet.c → aws_subnet.a");
    let spans: Vec<&Span> = d.labels.iter().map(|l| &l.span).collect();
    assert_eq!(spans, [&span(1), &span(11), &span(21)]);
    assert_eq!(d.labels[0].message, "`aws_subnet.a` depends on `aws_subnet.b` here");
    // Nodes in the cycle and their dependents get no wave; the rest is ordered.
    assert_eq!(get(&g, "aws_subnet.b").wave, None);
    assert_eq!(get(&g, "aws_instance.app").wave, None);
    assert_eq!(waves_text(&g, g.apply_waves()), "1: aws_vpc.main");
}

#[test]
fn a_self_dependency_is_a_cycle() {
    let (g, diags) = build_default(vec![node(0, "aws_vpc.main", Layer::Infrastructure, &["aws_vpc.main"])]);
    assert_eq!(codes(&diags), ["strata::graph::cycle"]);
    assert_eq!(diags.0[0].message, "dependency cycle: aws_vpc.main → aws_vpc.main");
    assert_eq!(diags.0[0].labels.len(), 1);
    assert!(g.apply_waves().is_empty());
}

#[test]
fn unknown_targets_and_repeated_references_are_ignored() {
    let mut vpc = node(0, "aws_subnet.a", Layer::Infrastructure, &["aws_vpc.main", "aws_vpc.gone", "aws_vpc.main"]);
    vpc.deps.push(DepInput { target: addr("data.aws_ami.ubuntu"), span: None });
    let (g, diags) = build_default(vec![vpc, node(10, "aws_vpc.main", Layer::Infrastructure, &[])]);
    assert!(diags.is_empty(), "{diags:?}");
    let subnet = g.find(&addr("aws_subnet.a")).unwrap();
    let vpc = g.find(&addr("aws_vpc.main")).unwrap();
    assert_eq!(g.dependencies(subnet).collect::<Vec<_>>(), [vpc]);
    assert_eq!(g.dependency_span(subnet, vpc), Some(&span(1)));
    assert_eq!(g.dependents(vpc).collect::<Vec<_>>(), [subnet]);
    assert_eq!(g.find(&addr("aws_vpc.gone")), None);
}

#[test]
fn duplicate_addresses_keep_the_first() {
    let (g, diags) = build_default(vec![node(0, "aws_vpc.main", Layer::Infrastructure, &[]), node(10, "aws_vpc.main", Layer::Data, &[])]);
    assert_eq!(codes(&diags), ["strata::graph::duplicate_address"]);
    assert_eq!(g.len(), 1);
    assert_eq!(get(&g, "aws_vpc.main").span, Some(span(0)));
}

/// A small stack: vpc ← subnets ← db/instance ← lb ← record, plus an eip
/// lifted into the application layer.
fn stack() -> Vec<NodeInput> {
    vec![
        node(0, "aws_vpc.main", Layer::Infrastructure, &[]),
        node(10, "aws_subnet.b", Layer::Infrastructure, &["aws_vpc.main"]),
        node(20, "aws_subnet.a", Layer::Infrastructure, &["aws_vpc.main"]),
        node(30, "aws_route_table_association.a", Layer::Infrastructure, &["aws_subnet.a"]),
        node(40, "aws_db_subnet_group.main", Layer::Data, &["aws_subnet.a", "aws_subnet.b"]),
        node(50, "aws_db_instance.main", Layer::Data, &["aws_db_subnet_group.main"]),
        node(60, "aws_instance.app[1]", Layer::Application, &["aws_subnet.b", "aws_db_instance.main"]),
        node(70, "aws_instance.app[0]", Layer::Application, &["aws_subnet.a", "aws_db_instance.main"]),
        node(80, "aws_eip.app", Layer::Infrastructure, &["aws_instance.app[0]"]),
        node(90, "aws_lb.web", Layer::Gateway, &["aws_subnet.a", "aws_subnet.b"]),
        node(100, "aws_lb_target_group_attachment.app", Layer::Gateway, &["aws_lb.web", "aws_instance.app[0]"]),
        node(110, "aws_route53_record.www", Layer::Frontend, &["aws_lb.web"]),
    ]
}

#[test]
fn waves_go_layer_by_layer_dependencies_first() {
    let (g, diags) = build_default(stack());
    assert_eq!(codes(&diags), ["strata::graph::layer_lift"]);
    assert_eq!(
        waves_text(&g, g.apply_waves()),
        "1: aws_vpc.main | 1: aws_subnet.a aws_subnet.b | 1: aws_route_table_association.a \
         | 2: aws_db_subnet_group.main | 2: aws_db_instance.main \
         | 3: aws_instance.app[0] aws_instance.app[1] | 3: aws_eip.app \
         | 4: aws_lb.web | 4: aws_lb_target_group_attachment.app | 5: aws_route53_record.www"
    );
    for (w, wave) in g.apply_waves().iter().enumerate() {
        for &id in &wave.nodes {
            assert_eq!(g.node(id).wave, Some(w));
            assert!(g.dependencies(id).all(|d| g.node(d).wave < Some(w)));
        }
    }
    let teardown: Vec<Wave> = g.teardown_waves().cloned().collect();
    let reversed: Vec<Wave> = g.apply_waves().iter().rev().cloned().collect();
    assert_eq!(teardown, reversed);
    assert_eq!(waves_text(&g, &teardown[..2]), "5: aws_route53_record.www | 4: aws_lb_target_group_attachment.app");
}

#[test]
fn the_graph_does_not_depend_on_input_order() {
    let (a, da) = build_default(stack());
    let mut reversed = stack();
    reversed.reverse();
    let (b, db) = build_default(reversed);
    assert_eq!(da, db);
    assert_eq!(a.apply_waves(), b.apply_waves());
    assert!(a.nodes().zip(b.nodes()).all(|(x, y)| x == y));
    let addrs: Vec<String> = a.nodes().map(|(_, n)| n.addr.to_string()).collect();
    let mut sorted = addrs.clone();
    sorted.sort_by_key(|s| addr(s));
    assert_eq!(addrs, sorted);
}

#[test]
fn subgraph_keeps_targets_and_their_dependencies() {
    let (g, _) = build_default(stack());
    let target = g.find(&addr("aws_instance.app[1]")).unwrap();
    let sub = g.subgraph_with_dependencies([target]);
    let names: Vec<String> = sub.nodes().map(|(_, n)| n.addr.to_string()).collect();
    assert_eq!(
        names,
        ["aws_db_instance.main", "aws_db_subnet_group.main", "aws_instance.app[1]", "aws_subnet.a", "aws_subnet.b", "aws_vpc.main"]
    );
    assert_eq!(
        waves_text(&sub, sub.apply_waves()),
        "1: aws_vpc.main | 1: aws_subnet.a aws_subnet.b | 2: aws_db_subnet_group.main | 2: aws_db_instance.main | 3: aws_instance.app[1]"
    );
    let db = sub.find(&addr("aws_db_instance.main")).unwrap();
    assert_eq!(sub.dependents(db).map(|d| sub.node(d).addr.to_string()).collect::<Vec<_>>(), ["aws_instance.app[1]"]);

    // The lifted eip keeps its lift in the subgraph.
    let eip = g.find(&addr("aws_eip.app")).unwrap();
    let sub = g.subgraph_with_dependencies([eip]);
    assert_eq!(get(&sub, "aws_eip.app").lifted_from, Some(Layer::Infrastructure));
    assert_eq!(get(&sub, "aws_eip.app").layer, Layer::Application);
}

/// Regression guard for the performance budget: builds a 10,000-node graph
/// with about 30,000 edges (checked for correctness, not timed).
#[test]
fn ten_thousand_nodes() {
    let n = 10_000;
    let types = [
        ("aws_subnet", Layer::Infrastructure),
        ("aws_db_instance", Layer::Data),
        ("aws_instance", Layer::Application),
        ("aws_lb", Layer::Gateway),
        ("aws_route53_record", Layer::Frontend),
    ];
    let name = |i: usize| format!("{}.r{i}", types[i % 5].0);
    let nodes: Vec<NodeInput> = (0..n)
        .map(|i| {
            // Three dependencies on earlier nodes, spread out pseudo-randomly.
            let deps: Vec<DepInput> = (1..=3)
                .filter(|&j| i >= j)
                .map(|j| DepInput { target: addr(&name((i * 7919 + j * 104_729) % i.max(1))), span: None })
                .collect();
            NodeInput { addr: addr(&name(i)), default_layer: types[i % 5].1, explicit_layer: None, span: None, deps }
        })
        .collect();
    let edges: usize = nodes.iter().map(|n| n.deps.len()).sum();
    assert!(edges > 29_000, "{edges}");
    let (g, diags) = build_default(nodes);
    assert_eq!(g.len(), n);
    assert!(!diags.has_errors());
    let in_waves: usize = g.apply_waves().iter().map(|w| w.nodes.len()).sum();
    assert_eq!(in_waves, n);
    for (id, node) in g.nodes() {
        let wave = node.wave.unwrap();
        assert_eq!(g.apply_waves()[wave].layer, node.layer);
        for d in g.dependencies(id) {
            assert!(g.node(d).layer <= node.layer);
            assert!(g.node(d).wave.unwrap() < wave);
        }
    }
    let layers: Vec<Layer> = g.apply_waves().iter().map(|w| w.layer).collect();
    assert!(layers.is_sorted());
}
