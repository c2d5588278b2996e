//! Strongly connected components and representative cycles of a directed
//! graph given by node indices. Nothing here knows about resources, so the
//! config crate reuses [`find_cycles`] for its evaluation order.

use std::collections::VecDeque;

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// The strongly connected components of a graph.
pub(crate) struct Components {
    /// Every component, targets of edges before their sources (for edges from
    /// a dependent to its dependency: dependencies first); nodes are sorted
    /// inside each component.
    pub comps: Vec<Vec<usize>>,
    /// The index in `comps` of each node's component.
    pub comp_of: Vec<usize>,
}

/// Computes the components of a graph given as adjacency lists (each sorted
/// and free of duplicates). Kosaraju's algorithm in petgraph is iterative, so
/// long dependency chains cannot overflow the stack.
pub(crate) fn components(adj: &[Vec<usize>]) -> Components {
    let edge_count = adj.iter().map(Vec::len).sum();
    let mut g = DiGraph::<(), (), usize>::with_capacity(adj.len(), edge_count);
    for _ in adj {
        g.add_node(());
    }
    for (from, targets) in adj.iter().enumerate() {
        for &to in targets {
            g.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
        }
    }
    // Kosaraju returns the components in postorder, which is a reverse
    // topological order: edge targets come first.
    let comps: Vec<Vec<usize>> = kosaraju_scc(&g)
        .into_iter()
        .map(|comp| {
            let mut comp: Vec<usize> = comp.into_iter().map(NodeIndex::index).collect();
            comp.sort_unstable();
            comp
        })
        .collect();
    let mut comp_of = vec![0; adj.len()];
    for (i, comp) in comps.iter().enumerate() {
        for &n in comp {
            comp_of[n] = i;
        }
    }
    Components { comps, comp_of }
}

/// Whether a component contains a cycle: more than one node, or a self loop.
pub(crate) fn is_cyclic(adj: &[Vec<usize>], comp: &[usize]) -> bool {
    match comp {
        [n] => adj[*n].binary_search(n).is_ok(),
        _ => comp.len() > 1,
    }
}

/// One cycle per cyclic component, as its node path `[a, b, c]` (meaning
/// a → b → c → a). Each path starts at the smallest node of its component and
/// is the shortest way back to it, found breadth-first with successors in
/// ascending order; the cycles are sorted by their first node.
pub(crate) fn cycles(adj: &[Vec<usize>], c: &Components) -> Vec<Vec<usize>> {
    let mut parent = vec![usize::MAX; adj.len()];
    let mut out: Vec<Vec<usize>> = c
        .comps
        .iter()
        .filter(|comp| is_cyclic(adj, comp))
        .filter_map(|comp| comp.first().map(|&start| cycle_through(adj, &c.comp_of, start, &mut parent)))
        .collect();
    out.sort_unstable_by_key(|path| path.first().copied());
    out
}

/// The shortest cycle through `start` within its component. `parent` is
/// scratch space of `usize::MAX` entries, restored before returning, so that
/// many components cost time proportional to their own size only.
fn cycle_through(adj: &[Vec<usize>], comp_of: &[usize], start: usize, parent: &mut [usize]) -> Vec<usize> {
    let comp = comp_of[start];
    let mut queue = VecDeque::from([start]);
    let mut touched = vec![start];
    parent[start] = start;
    let mut path = vec![start];
    'search: while let Some(u) = queue.pop_front() {
        for &v in &adj[u] {
            if comp_of[v] != comp {
                continue;
            }
            if v == start {
                path.clear();
                let mut x = u;
                while x != start {
                    path.push(x);
                    x = parent[x];
                }
                path.push(start);
                path.reverse();
                break 'search;
            }
            if parent[v] == usize::MAX {
                parent[v] = u;
                touched.push(v);
                queue.push_back(v);
            }
        }
    }
    for t in touched {
        parent[t] = usize::MAX;
    }
    path
}

/// Finds the cycles of a directed graph with nodes `0..n`.
///
/// Returns one representative cycle for every strongly connected component
/// with more than one node or with a self loop, as the node path `[a, b, c]`
/// for a → b → c → a (a self loop is `[a]`). Each path starts at the smallest
/// node of its component and is a shortest cycle through it, with ties broken
/// towards smaller nodes; the cycles are sorted by their first node, so the
/// result depends only on the set of edges. Edges with an endpoint outside
/// `0..n` are ignored. Runs in O(n + edges).
pub fn find_cycles(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut adj = vec![Vec::new(); n];
    for &(from, to) in edges {
        if from < n && to < n {
            adj[from].push(to);
        }
    }
    for targets in &mut adj {
        targets.sort_unstable();
        targets.dedup();
    }
    cycles(&adj, &components(&adj))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acyclic_graphs_have_no_cycles() {
        assert!(find_cycles(0, &[]).is_empty());
        assert!(find_cycles(4, &[(0, 1), (1, 2), (0, 2), (3, 0)]).is_empty());
    }

    #[test]
    fn one_cycle_per_component_starting_at_its_smallest_node() {
        // Component {1, 2, 3} with a shortcut 3 → 1 and a longer way round
        // through 4; component {5, 6}; a self loop on 7; 0 only feeds in.
        let edges = [(0, 2), (2, 3), (3, 1), (1, 2), (3, 4), (4, 1), (6, 5), (5, 6), (7, 7)];
        assert_eq!(find_cycles(8, &edges), vec![vec![1, 2, 3], vec![5, 6], vec![7]]);
    }

    #[test]
    fn result_does_not_depend_on_edge_order() {
        let mut edges = vec![(4, 3), (3, 2), (2, 4), (2, 1), (1, 0), (0, 2), (9, 9)];
        let first = find_cycles(10, &edges);
        edges.reverse();
        assert_eq!(find_cycles(10, &edges), first);
        assert_eq!(first, vec![vec![0, 2, 1], vec![9]]);
    }

    #[test]
    fn out_of_range_edges_are_ignored() {
        assert!(find_cycles(2, &[(0, 5), (5, 0), (1, 2)]).is_empty());
    }

    #[test]
    fn components_come_dependencies_first() {
        // 0 → 1 → 2 ⇄ 3: edge targets must come before their sources.
        let adj = vec![vec![1], vec![2], vec![3], vec![2]];
        let c = components(&adj);
        assert_eq!(c.comps, vec![vec![2, 3], vec![1], vec![0]]);
        assert_eq!(c.comp_of, vec![2, 1, 0, 0]);
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let n = 200_000;
        let mut edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        assert!(find_cycles(n, &edges).is_empty());
        edges.push((n - 1, 0));
        let cycles = find_cycles(n, &edges);
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].len(), n);
        assert_eq!(cycles[0][..3], [0, 1, 2]);
    }
}
