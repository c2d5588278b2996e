//! The diff: evaluated instances + graph + state → [`Plan`].

use std::collections::{BTreeSet, HashMap, HashSet};

use strata_config::{Evaluated, ResourceInstance};
use strata_core::{Address, Diagnostic, Diagnostics, InstanceKey, Layer, ModulePath, Value, did_you_mean};
use strata_graph::Graph;
use strata_provider::differs;
use strata_state::{ResourceState, State};

use crate::target::address_matches;
use crate::{Action, OutputChange, PLAN_FORMAT_VERSION, Plan, PlanOptions, ResourceChange};

/// Diff the evaluated configuration (planned with a [`crate::StatePlanner`]
/// over the same `state` and `opts.replace`) against the state.
///
/// Errors (`strata::plan::prevent_destroy`, `moved_conflict`,
/// `unknown_target`) are reported as diagnostics; the plan is built anyway
/// so that it can be shown, but must not be applied.
///
/// Each instance's prior and planned values are moved into the plan (a
/// 10,000-resource plan would otherwise hold them twice); `ev` keeps
/// everything else.
pub fn build_plan(ev: &mut Evaluated, graph: &Graph, state: Option<&State>, opts: &PlanOptions) -> (Plan, Diagnostics) {
    let mut diags = Diagnostics::new();
    crate::tags::plan_tags_all(ev);
    let recorded: Vec<(Address, &ResourceState)> =
        state.map(|s| s.resources.iter().filter_map(|r| Some((r.addr().ok()?, r))).collect()).unwrap_or_default();
    let in_state: HashSet<&Address> = recorded.iter().map(|(a, _)| a).collect();
    let in_config: HashSet<Address> = ev.resources.iter().map(|r| r.addr.clone()).collect();

    check_addresses(ev, &recorded, opts, &mut diags);
    for mv in &ev.moved {
        if !in_state.contains(&mv.from) {
            // Terraform ignores a move whose source does not exist (already
            // moved, or never created).
            continue;
        }
        let problem = if in_state.contains(&mv.to) {
            Some((
                format!("cannot move `{}` to `{}`: both exist in the state", mv.from, mv.to),
                "remove this `moved` block, or remove one of the two objects from the state",
            ))
        } else if in_config.contains(&mv.from) {
            Some((
                format!("cannot move `{}` to `{}`: `{}` is still declared in the configuration", mv.from, mv.to, mv.from),
                "remove this `moved` block, or remove the resource it moves from the configuration",
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            diags.push(
                Diagnostic::error("strata::plan::moved_conflict", message).with_label(Some(mv.span.clone()), "this move").with_help(help),
            );
        }
    }

    // With --target, the targeted instances and everything they depend on.
    let selected: Option<HashSet<Address>> = (!opts.targets.is_empty()).then(|| {
        let ids: Vec<_> = graph.nodes().filter(|(_, n)| opts.targets.iter().any(|t| t.matches(&n.addr))).map(|(id, _)| id).collect();
        graph.subgraph_with_dependencies(ids).nodes().map(|(_, n)| n.addr.clone()).collect()
    });

    let mut applied: Vec<((Layer, usize), ResourceChange)> = Vec::new();
    for r in ev.resources.iter_mut() {
        if selected.as_ref().is_some_and(|s| !s.contains(&r.addr)) {
            continue;
        }
        let node = graph.find(&r.addr).map(|id| graph.node(id));
        let layer = node.map(|n| n.layer).unwrap_or(Layer::Infrastructure);
        let change = config_change(r, layer, opts);
        if r.prevent_destroy && change.action.is_replace() {
            diags.push(prevent_destroy_error(r, &change));
        }
        applied.push(((layer, node.and_then(|n| n.wave).unwrap_or(usize::MAX)), change));
    }
    applied.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| a.addr.cmp(&b.addr)));

    let consumed: HashSet<&Address> = ev.resources.iter().filter_map(|r| r.planned.prior_addr.as_ref()).collect();
    let orphans: Vec<(&Address, &ResourceState)> = recorded
        .iter()
        .filter(|(a, _)| !in_config.contains(a) && !consumed.contains(a))
        .filter(|(a, _)| opts.targets.is_empty() || opts.targets.iter().any(|t| t.matches(a)))
        .map(|(a, r)| (a, *r))
        .collect();
    for (addr, r) in &orphans {
        let declared = strata_config::without_keys(addr);
        if let Some((_, span)) = ev.prevent_destroy.iter().find(|(a, _)| *a == declared) {
            diags.push(
                Diagnostic::error(
                    "strata::plan::prevent_destroy",
                    format!("`{addr}` has `prevent_destroy` set but this plan would destroy it"),
                )
                .with_label(Some(span.clone()), "`lifecycle { prevent_destroy = true }` protects every instance of this resource")
                .with_help(format!(
                    "the `{}` object is no longer configured ({}): restore it, or remove `prevent_destroy` if it may be destroyed",
                    r.ty,
                    Declared::new(ev).orphan_reason(addr)
                )),
            );
        }
    }
    let declared = Declared::new(ev);
    let deletes = teardown_order(orphans).into_iter().map(|(addr, r)| ResourceChange {
        addr: addr.clone(),
        moved_from: None,
        ty: r.ty.clone(),
        layer: r.layer().unwrap_or(Layer::Infrastructure),
        action: Action::Delete,
        before: Some(r.values()),
        after: None,
        requires_replace: Vec::new(),
        replace_requested: false,
        create_before_destroy: false,
        dependencies: r.dependencies.iter().filter_map(|d| d.parse().ok()).collect(),
        reason: Some(declared.orphan_reason(addr)),
        provider: r.provider.clone(),
    });

    let (lineage, serial) = match state {
        Some(s) => (s.lineage.clone(), s.serial),
        None => (uuid::Uuid::new_v4().to_string(), 0),
    };
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        strata_version: env!("CARGO_PKG_VERSION").to_string(),
        lineage,
        serial,
        state_found: state.is_some(),
        config_digest: opts.config_digest.clone(),
        targets: opts.targets.iter().map(ToString::to_string).collect(),
        changes: applied.into_iter().map(|(_, c)| c).chain(deletes).collect(),
        outputs: output_changes(ev, state),
        created_at: strata_state::time::now_rfc3339(),
        refreshed: false,
        data_not_read: Vec::new(),
        data_not_read_reason: None,
        interrupted_creates: Vec::new(),
        leftovers: Vec::new(),
    };
    (plan, diags)
}

/// The change of an instance that is in the configuration.
fn config_change(r: &mut ResourceInstance, layer: Layer, opts: &PlanOptions) -> ResourceChange {
    let p = &r.planned;
    let moved_from = p.prior_addr.as_ref().filter(|a| **a != r.addr).cloned();
    let replace_requested = p.prior.is_some() && (p.replace_requested || opts.replace.iter().any(|a| address_matches(a, &r.addr)));
    let (action, reason) = match &p.prior {
        None => (Action::Create, None),
        Some(_) if !p.requires_replace.is_empty() || replace_requested => {
            let action = if r.create_before_destroy { Action::CreateThenDelete } else { Action::DeleteThenCreate };
            let reason = if replace_requested {
                "replacement requested with --replace".to_string()
            } else {
                let names: Vec<String> = p.requires_replace.iter().map(|a| format!("`{a}`")).collect();
                format!("{} cannot be changed in place", names.join(", "))
            };
            (action, Some(reason))
        }
        Some(prior) => {
            let changed = match (prior.peel().as_map(), r.values.peel().as_map()) {
                (Some(old), Some(new)) => new.iter().any(|(k, v)| differs(old.get(k), Some(v))),
                _ => differs(Some(prior), Some(&r.values)),
            };
            let action = if changed { Action::Update } else { Action::NoOp };
            (action, moved_from.as_ref().map(|m| format!("moved from {m}")))
        }
    };
    let mut dependencies: Vec<Address> = r.dependencies.iter().map(|(a, _)| a.clone()).collect();
    dependencies.sort();
    dependencies.dedup();
    let requires_replace = p.requires_replace.clone();
    ResourceChange {
        addr: r.addr.clone(),
        moved_from,
        ty: r.addr.ty.clone(),
        layer,
        action,
        before: r.planned.prior.take(),
        after: Some(std::mem::take(&mut r.values)),
        requires_replace,
        replace_requested,
        create_before_destroy: r.create_before_destroy,
        dependencies,
        reason,
        provider: (r.provider != strata_config::default_provider_address(&r.addr.ty)).then(|| r.provider.clone()),
    }
}

fn prevent_destroy_error(r: &ResourceInstance, change: &ResourceChange) -> Diagnostic {
    let help = if change.replace_requested {
        format!("drop `--replace {}`, or remove `prevent_destroy` from its lifecycle block if the object may be destroyed", r.addr)
    } else {
        format!(
            "{} forces the replacement: revert that change, or remove `prevent_destroy` from the lifecycle block if the object may be destroyed",
            change.requires_replace.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
        )
    };
    Diagnostic::error("strata::plan::prevent_destroy", format!("`{}` has `prevent_destroy` set but this plan would replace it", r.addr))
        .with_label(Some(r.span.clone()), "`lifecycle { prevent_destroy = true }` protects this resource")
        .with_help(help)
}

/// Every `--target` and `--replace` must name something in the configuration or the state.
fn check_addresses(ev: &Evaluated, recorded: &[(Address, &ResourceState)], opts: &PlanOptions, diags: &mut Diagnostics) {
    let known = || ev.resources.iter().map(|r| &r.addr).chain(recorded.iter().map(|(a, _)| a));
    let candidates = || {
        let mut c = BTreeSet::new();
        for a in known() {
            c.insert(a.to_string());
            c.insert(a.resource().to_string());
            for i in 1..=a.module.0.len() {
                c.insert(ModulePath(a.module.0[..i].to_vec()).to_string());
            }
        }
        c
    };
    let mut report = |flag: &str, text: String| {
        let mut d = Diagnostic::error(
            "strata::plan::unknown_target",
            format!("`{flag} {text}` matches no resource in the configuration or the state"),
        );
        d = match did_you_mean(&text, candidates()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("`strata state list` lists the recorded resources; `strata graph` the configured ones"),
        };
        diags.push(d);
    };
    for t in &opts.targets {
        if !known().any(|a| t.matches(a)) {
            report("--target", t.to_string());
        }
    }
    for p in &opts.replace {
        if !known().any(|a| address_matches(p, a)) {
            report("--replace", p.to_string());
        }
    }
}

/// Deletes in teardown order: layer 5 to 1, and inside a layer every object
/// before the objects it depends on (by the dependencies recorded in state).
fn teardown_order<'a>(orphans: Vec<(&'a Address, &'a ResourceState)>) -> Vec<(&'a Address, &'a ResourceState)> {
    let index: HashMap<&str, usize> = orphans.iter().enumerate().map(|(i, (_, r))| (r.address.as_str(), i)).collect();
    let deps: Vec<Vec<usize>> =
        orphans.iter().map(|(_, r)| r.dependencies.iter().filter_map(|d| index.get(d.as_str()).copied()).collect()).collect();
    // level(x) = 0 when nothing deleted depends on x, else one more than its
    // deepest dependent: dependents are removed first. Kahn's algorithm, so
    // that long chains need no recursion; objects in a (corrupt) cycle keep
    // the level reached so far.
    let mut dependents = vec![0usize; orphans.len()];
    for ds in &deps {
        for &d in ds {
            dependents[d] += 1;
        }
    }
    let mut level = vec![0usize; orphans.len()];
    let mut ready: Vec<usize> = (0..orphans.len()).filter(|&i| dependents[i] == 0).collect();
    while let Some(i) = ready.pop() {
        for &d in &deps[i] {
            level[d] = level[d].max(level[i] + 1);
            dependents[d] -= 1;
            if dependents[d] == 0 {
                ready.push(d);
            }
        }
    }
    let mut order: Vec<usize> = (0..orphans.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| (std::cmp::Reverse(orphans[i].1.layer), level[i]);
        key(a).cmp(&key(b)).then_with(|| orphans[a].0.cmp(orphans[b].0))
    });
    order.into_iter().map(|i| orphans[i]).collect()
}

/// What the configuration declares, for explaining deletes.
struct Declared<'a> {
    resources: HashSet<Address>,
    modules: HashSet<&'a ModulePath>,
}

impl<'a> Declared<'a> {
    fn new(ev: &'a Evaluated) -> Declared<'a> {
        Declared {
            resources: ev.resources.iter().map(|r| r.addr.resource()).collect(),
            modules: ev.resources.iter().map(|r| &r.addr.module).collect(),
        }
    }

    /// Why an object in state but not in the configuration is deleted.
    fn orphan_reason(&self, addr: &Address) -> String {
        let siblings = self.resources.contains(&addr.resource());
        match &addr.key {
            Some(InstanceKey::Int(i)) if siblings => format!("count index {i} no longer exists"),
            Some(InstanceKey::Str(k)) if siblings => format!("for_each key {k:?} no longer exists"),
            None if siblings => "the resource now uses count or for_each".into(),
            _ if !addr.module.is_root() && !self.modules.contains(&addr.module) => format!("{} is not in configuration", addr.module),
            _ => "not in configuration".into(),
        }
    }
}

fn output_changes(ev: &Evaluated, state: Option<&State>) -> Vec<OutputChange> {
    let prior = |name: &str| {
        let o = state?.outputs.get(name)?;
        Some((Value::from_json(&o.value).mark_if(o.sensitive), o.sensitive))
    };
    let mut out: Vec<OutputChange> = ev
        .outputs
        .iter()
        .map(|o| {
            let (before, was_sensitive) = prior(&o.name).unzip();
            let after = o.value.clone().mark_if(o.sensitive);
            let action = match &before {
                None => Action::Create,
                Some(b) if differs(Some(b), Some(&after)) => Action::Update,
                Some(_) => Action::NoOp,
            };
            OutputChange { name: o.name.clone(), action, before, after, sensitive: o.sensitive || was_sensitive == Some(true) }
        })
        .collect();
    let declared: HashSet<&str> = ev.outputs.iter().map(|o| o.name.as_str()).collect();
    for (name, o) in state.map(|s| &s.outputs).into_iter().flatten() {
        if !declared.contains(name.as_str()) {
            out.push(OutputChange {
                name: name.clone(),
                action: Action::Delete,
                before: Some(Value::from_json(&o.value).mark_if(o.sensitive)),
                after: Value::Null,
                sensitive: o.sensitive,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
