//! The five-layer resource graph.
//!
//! [`build`] turns managed resource instances and their dependencies into a
//! [`Graph`]: each instance gets an effective [`Layer`] (its explicit `layer`,
//! or its type's default lifted to the highest layer among its
//! dependencies), lifts, layer violations and cycles become diagnostics, and
//! the instances are cut into apply waves (layer 1 to 5, dependencies first)
//! whose reverse is the teardown order.
//!
//! Invariant: this crate knows nothing of HCL, providers, state or output
//! formats; it sees addresses, layers and spans. [`find_cycles`] is
//! domain-free and shared with the config crate.

mod cycles;

use std::collections::HashMap;

use strata_core::{Address, Diagnostic, Diagnostics, Layer, Span};

pub use cycles::find_cycles;

/// One managed resource instance to place in the graph.
#[derive(Debug, Clone)]
pub struct NodeInput {
    /// The instance address (`aws_instance.app[0]`).
    pub addr: Address,
    /// The type's default layer from the provider schema.
    pub default_layer: Layer,
    /// The `layer = "..."` meta-argument and the span of its value.
    pub explicit_layer: Option<(Layer, Span)>,
    /// The resource block, for labels.
    pub span: Option<Span>,
    pub deps: Vec<DepInput>,
}

/// A dependency of a [`NodeInput`] on another instance.
#[derive(Debug, Clone)]
pub struct DepInput {
    /// The instance depended on; targets that are not among the nodes are ignored.
    pub target: Address,
    /// The reference or `depends_on` item that creates the dependency.
    pub span: Option<Span>,
}

#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// Report layer lifts as errors instead of warnings.
    pub strict_layers: bool,
}

/// The index of a node in one [`Graph`]. Ids are dense (`0..len`) and follow
/// address order; an id is only meaningful for the graph that issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

impl NodeId {
    pub fn index(self) -> usize {
        self.0
    }
}

/// A resource instance with its effective layer and apply wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub addr: Address,
    /// The effective layer.
    pub layer: Layer,
    /// The type's default layer.
    pub default_layer: Layer,
    /// The layer set with `layer = "..."`, if any.
    pub explicit_layer: Option<Layer>,
    /// The default layer, when the node was lifted above it by a dependency.
    pub lifted_from: Option<Layer>,
    /// The direct dependency whose layer caused the lift.
    pub lifted_by: Option<Address>,
    /// The apply wave; `None` for nodes in a dependency cycle and for nodes
    /// that depend on one (directly or transitively), which cannot be ordered.
    pub wave: Option<usize>,
    /// The resource block.
    pub span: Option<Span>,
}

/// Instances of one layer that can be applied (or destroyed) in parallel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wave {
    pub layer: Layer,
    /// Sorted by id, which is address order.
    pub nodes: Vec<NodeId>,
}

#[derive(Debug, Clone)]
struct Dep {
    target: NodeId,
    span: Option<Span>,
}

/// The resource graph: nodes in address order (so lookups by address are
/// binary searches), dependency edges (each with the span of the reference
/// that made it), and apply waves.
#[derive(Debug, Clone)]
pub struct Graph {
    nodes: Vec<Node>,
    /// Per node, its dependencies sorted by id.
    deps: Vec<Vec<Dep>>,
    /// Per node, its dependents sorted by id.
    dependents: Vec<Vec<NodeId>>,
    apply: Vec<Wave>,
}

impl Graph {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node with this id. Ids come from this graph; an id from another,
    /// larger graph panics.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0]
    }

    /// Every node in address order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = (NodeId, &Node)> {
        self.nodes.iter().enumerate().map(|(i, n)| (NodeId(i), n))
    }

    /// The node with this instance address.
    pub fn find(&self, addr: &Address) -> Option<NodeId> {
        self.nodes.binary_search_by(|n| n.addr.cmp(addr)).ok().map(NodeId)
    }

    /// The direct dependencies of a node, in address order.
    pub fn dependencies(&self, id: NodeId) -> impl ExactSizeIterator<Item = NodeId> {
        self.deps[id.0].iter().map(|d| d.target)
    }

    /// The span of the (first) reference by which `id` depends on `dep`.
    pub fn dependency_span(&self, id: NodeId, dep: NodeId) -> Option<&Span> {
        let deps = &self.deps[id.0];
        let i = deps.binary_search_by_key(&dep, |d| d.target).ok()?;
        deps[i].span.as_ref()
    }

    /// The nodes that depend directly on a node, in address order.
    pub fn dependents(&self, id: NodeId) -> impl ExactSizeIterator<Item = NodeId> {
        self.dependents[id.0].iter().copied()
    }

    /// Apply order: layer 1 to 5, and inside a layer dependencies first. A
    /// node's wave comes after the waves of all its dependencies in lower or
    /// equal layers, waves never mix layers, and waves are numbered from 0
    /// across layers. Nodes without a wave (cycles) are not included.
    pub fn apply_waves(&self) -> &[Wave] {
        &self.apply
    }

    /// Destroy order: exactly the apply waves reversed.
    pub fn teardown_waves(&self) -> impl ExactSizeIterator<Item = &Wave> + DoubleEndedIterator {
        self.apply.iter().rev()
    }

    /// The graph restricted to `targets` and all their transitive
    /// dependencies (for `--target`). Layers and lifts are those of the full
    /// graph (a layer depends only on dependencies, which are all kept);
    /// waves are recomputed and ids reassigned, so look nodes up by address.
    /// Ids that do not belong to this graph are ignored.
    pub fn subgraph_with_dependencies(&self, targets: impl IntoIterator<Item = NodeId>) -> Graph {
        let mut keep = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = targets.into_iter().map(NodeId::index).filter(|&i| i < self.nodes.len()).collect();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut keep[i], true) {
                stack.extend(self.deps[i].iter().map(|d| d.target.0).filter(|&t| !keep[t]));
            }
        }
        let kept: Vec<usize> = (0..self.nodes.len()).filter(|&i| keep[i]).collect();
        let mut new_id = vec![usize::MAX; self.nodes.len()];
        for (new, &old) in kept.iter().enumerate() {
            new_id[old] = new;
        }
        let nodes: Vec<Node> = kept.iter().map(|&i| Node { wave: None, ..self.nodes[i].clone() }).collect();
        let deps: Vec<Vec<Dep>> = kept
            .iter()
            .map(|&i| self.deps[i].iter().map(|d| Dep { target: NodeId(new_id[d.target.0]), span: d.span.clone() }).collect())
            .collect();
        // Whether a node can be ordered depends only on its dependencies, so
        // the full graph's answer holds; its waves give a dependencies-first order.
        let blocked: Vec<bool> = kept.iter().map(|&i| self.nodes[i].wave.is_none()).collect();
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.sort_by_key(|&i| self.nodes[kept[i]].wave.unwrap_or(usize::MAX));
        Graph::assemble(nodes, deps, &order, &blocked)
    }

    /// Finishes a graph: reverse edges and waves. `order`
    /// lists every node with its same-layer dependencies before it (except
    /// `blocked` nodes, which get no wave).
    fn assemble(mut nodes: Vec<Node>, deps: Vec<Vec<Dep>>, order: &[usize], blocked: &[bool]) -> Graph {
        let mut dependents = vec![Vec::new(); nodes.len()];
        for (i, ds) in deps.iter().enumerate() {
            for d in ds {
                dependents[d.target.0].push(NodeId(i));
            }
        }
        let apply = assign_waves(&mut nodes, &deps, order, blocked);
        Graph { nodes, deps, dependents, apply }
    }
}

fn layer_index(layer: Layer) -> usize {
    usize::from(layer.number()) - 1
}

/// Sets each node's wave and returns the waves. A node's depth is one more
/// than the deepest dependency in its own layer; dependencies in lower layers
/// are in earlier layers' waves anyway, and a dependency in a higher layer (a
/// layer violation, already reported) cannot be honoured and is ignored.
fn assign_waves(nodes: &mut [Node], deps: &[Vec<Dep>], order: &[usize], blocked: &[bool]) -> Vec<Wave> {
    let mut depth = vec![0usize; nodes.len()];
    let mut waves_in_layer = [0usize; 5];
    for &i in order {
        if blocked[i] {
            continue;
        }
        let layer = nodes[i].layer;
        depth[i] = deps[i].iter().filter(|d| nodes[d.target.0].layer == layer).map(|d| depth[d.target.0] + 1).max().unwrap_or(0);
        let count = &mut waves_in_layer[layer_index(layer)];
        *count = (*count).max(depth[i] + 1);
    }
    let mut first_wave = [0usize; 5];
    let mut waves = Vec::new();
    for layer in Layer::ALL {
        first_wave[layer_index(layer)] = waves.len();
        waves.extend((0..waves_in_layer[layer_index(layer)]).map(|_| Wave { layer, nodes: Vec::new() }));
    }
    for (i, node) in nodes.iter_mut().enumerate() {
        if !blocked[i] {
            let wave = first_wave[layer_index(node.layer)] + depth[i];
            node.wave = Some(wave);
            waves[wave].nodes.push(NodeId(i));
        }
    }
    waves
}

/// Builds the graph and reports cycles, layer lifts and layer violations.
///
/// Nodes are ordered by address, so the result does not depend on input
/// order. Dependencies on addresses that are not nodes are ignored (the
/// config layer reports unknown references); a node listed twice is an error
/// and its later copies are dropped. The graph is built even with errors:
/// nodes in a cycle, and nodes depending on one, get no wave. Inside a cycle
/// layers are lifted and checked only against dependencies outside it.
pub fn build(mut inputs: Vec<NodeInput>, opts: &GraphOptions) -> (Graph, Diagnostics) {
    let mut diags = Diagnostics::new();
    // A stable sort, so that of duplicates the first given is kept.
    inputs.sort_by(|a, b| a.addr.cmp(&b.addr));
    inputs.dedup_by(|again, first| {
        let duplicate = again.addr == first.addr;
        if duplicate {
            diags.push(
                Diagnostic::error("strata::graph::duplicate_address", format!("`{}` is declared more than once", again.addr))
                    .with_label(again.span.clone(), "declared again here")
                    .with_label(first.span.clone(), "first declared here"),
            );
        }
        duplicate
    });
    let unique = inputs;
    let ids: HashMap<&Address, NodeId> = unique.iter().enumerate().map(|(i, n)| (&n.addr, NodeId(i))).collect();
    let deps: Vec<Vec<Dep>> = unique
        .iter()
        .map(|n| {
            let mut ds: Vec<Dep> =
                n.deps.iter().filter_map(|d| ids.get(&d.target).map(|&target| Dep { target, span: d.span.clone() })).collect();
            // Stable, so the first reference to a target keeps its span.
            ds.sort_by_key(|d| d.target);
            ds.dedup_by_key(|d| d.target);
            ds
        })
        .collect();
    drop(ids);
    let adj: Vec<Vec<usize>> = deps.iter().map(|ds| ds.iter().map(|d| d.target.0).collect()).collect();
    let comps = cycles::components(&adj);

    for path in cycles::cycles(&adj, &comps) {
        let hops = path.iter().zip(path.iter().cycle().skip(1));
        let names: Vec<String> = path.iter().chain(path.first()).map(|&i| unique[i].addr.to_string()).collect();
        let mut d = Diagnostic::error("strata::graph::cycle", format!("dependency cycle: {}", names.join(" → ")));
        for (&from, &to) in hops {
            let span = deps[from].iter().find(|d| d.target.0 == to).and_then(|d| d.span.clone());
            d = d.with_label(span, format!("`{}` depends on `{}` here", unique[from].addr, unique[to].addr));
        }
        diags.push(d.with_help("remove one of these references or `depends_on` entries to break the cycle"));
    }

    let n = unique.len();
    let mut layer: Vec<Layer> = unique.iter().map(|u| u.explicit_layer.as_ref().map_or(u.default_layer, |(l, _)| *l)).collect();
    let mut lifted_by: Vec<Option<NodeId>> = vec![None; n];
    let mut blocked = vec![false; n];
    let mut order = Vec::with_capacity(n);
    // Components come dependencies first, so every dependency outside a
    // node's component already has its final layer.
    for comp in &comps.comps {
        let cyclic = cycles::is_cyclic(&adj, comp);
        for &i in comp {
            order.push(i);
            blocked[i] = cyclic || deps[i].iter().any(|d| blocked[d.target.0]);
            let outside = deps[i].iter().filter(|d| comps.comp_of[d.target.0] != comps.comp_of[i]);
            let node = &unique[i];
            if let Some((explicit, layer_span)) = &node.explicit_layer {
                for d in outside.filter(|d| layer[d.target.0] > *explicit) {
                    let dep_layer = layer[d.target.0];
                    diags.push(
                        Diagnostic::error(
                            "strata::graph::layer_violation",
                            format!(
                                "`{}` is in layer {explicit} but depends on `{}` in layer {dep_layer}",
                                node.addr, unique[d.target.0].addr
                            ),
                        )
                        .with_label(Some(layer_span.clone()), format!("`layer` set to \"{}\" here", explicit.name()))
                        .with_label(d.span.clone(), format!("depends on `{}` in layer {dep_layer}", unique[d.target.0].addr))
                        .with_help(format!(
                            "a resource can only depend on resources in its own or lower layers; raise `layer` to \"{}\" or remove the dependency",
                            dep_layer.name()
                        )),
                    );
                }
                continue;
            }
            // The highest dependency; on a tie, the first in address order.
            let Some(top) = outside.reduce(|best, d| if layer[d.target.0] > layer[best.target.0] { d } else { best }) else {
                continue;
            };
            let top_layer = layer[top.target.0];
            if top_layer <= node.default_layer {
                continue;
            }
            layer[i] = top_layer;
            lifted_by[i] = Some(top.target);
            let dep_addr = &unique[top.target.0].addr;
            let message =
                format!("`{}` lifted from layer {} to layer {top_layer} because it depends on `{dep_addr}`", node.addr, node.default_layer);
            let d = if opts.strict_layers {
                Diagnostic::error("strata::graph::layer_lift", message)
            } else {
                Diagnostic::warning("strata::graph::layer_lift", message)
            };
            diags.push(
                d.with_label(node.span.clone(), format!("lifted to layer {top_layer}"))
                    .with_label(top.span.clone(), format!("`{dep_addr}` is in layer {top_layer}"))
                    .with_help(format!("set `layer = \"{}\"` explicitly, or fix the dependency on `{dep_addr}`", top_layer.name())),
            );
        }
    }

    let lifted_addr: Vec<Option<Address>> = lifted_by.iter().map(|l| l.map(|d| unique[d.0].addr.clone())).collect();
    let nodes: Vec<Node> = unique
        .into_iter()
        .zip(layer)
        .zip(lifted_addr)
        .map(|((u, layer), lifted_by)| Node {
            layer,
            default_layer: u.default_layer,
            explicit_layer: u.explicit_layer.map(|(l, _)| l),
            lifted_from: lifted_by.is_some().then_some(u.default_layer),
            lifted_by,
            wave: None,
            span: u.span,
            addr: u.addr,
        })
        .collect();
    (Graph::assemble(nodes, deps, &order, &blocked), diags)
}

#[cfg(test)]
mod tests;
