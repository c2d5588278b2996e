//! Evaluation: a loaded [`Config`] plus input variables → resource instances
//! with their attribute values and dependencies.
//!
//! Works in two steps. First a static graph over the *declared* items of
//! every module (variables, locals, resources, data sources, outputs, module
//! calls), with an edge per reference; a topological order of it is the
//! evaluation order and its cycles are reported. Then each item is evaluated
//! in order for every instance of its module (`count` / `for_each` on module
//! calls multiply them), expanding resources into instances.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use hcl_edit::expr::Expression;
use strata_core::{Address, Diagnostic, Diagnostics, InstanceKey, Layer, Mode, ModulePath, Span, Type, Value, did_you_mean};
use strata_expr::{ChildScope, ExprCtx, Reference, eval_expr};
use strata_provider::ProviderSchema;

use crate::body::{check_body, eval_body, eval_generic_body};
use crate::loader::Config;
use crate::model::{Condition, ConditionKind, Expr, Module, Resource};
use crate::planner::{PlanRequest, Planned, Planner};
use crate::refs::{body_refs, expr_refs, first_attr, second_attr};
use crate::vars::{InputVariables, resolve_root_variable};

const UNKNOWN_REFERENCE: &str = "strata::config::unknown_reference";
const TOO_MANY_INSTANCES: &str = "strata::config::too_many_instances";
const TOO_EXPENSIVE: &str = "strata::eval::too_expensive";

/// Resource, data source and module instances one configuration may have in
/// total, across all modules: `count` and `for_each` of nested module calls
/// multiply, so each block's own limit does not bound the whole.
pub const MAX_INSTANCES: usize = 100_000;

/// Work units one evaluation may spend in total (see
/// `strata_expr::with_budget`): every step, every value a reference, call
/// or template produces, and every 16 bytes of its text count one. The
/// 10,000-instance benchmark configuration spends 316,000 units, so
/// 100,000 instances ([`MAX_INSTANCES`]) fit about five times over; a
/// release build spends the whole budget in about 4 s at worst
/// (bench/hostile_eval.sh, BENCHMARKS.md).
pub const RUN_BUDGET: u64 = 1 << 24;

/// Relative paths in `file()` and `templatefile()` resolve against the
/// working directory, as in Terraform; configurations use `path.module`.
pub(crate) fn file_base() -> &'static Path {
    Path::new("")
}

/// One resource instance after evaluation.
#[derive(Debug, Clone)]
pub struct ResourceInstance {
    pub addr: Address,
    /// The `resource` block header.
    pub span: Span,
    /// `layer = ...` and its span.
    pub layer_override: Option<(Layer, Span)>,
    /// Planned values of every attribute of the type's schema: configured
    /// values, defaults, prior values of computed attributes of existing
    /// objects, `Unknown` for the rest; sensitive attributes marked.
    pub values: Value,
    /// The planner's verdict: prior values, replacement.
    pub planned: Planned,
    /// Instances this one depends on (through references, locals, module
    /// inputs and outputs, and `depends_on`), with the span of the reference
    /// in this resource's block that leads there.
    pub dependencies: Vec<(Address, Option<Span>)>,
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    /// Attribute names from `ignore_changes`; `["*"]` for `all`.
    pub ignore_changes: Vec<String>,
    /// The provider configuration that manages it, by address:
    /// `provider["aws"]` (the default) or `provider["aws"].west` (`provider =
    /// aws.west`, or the configuration a module call passed in).
    pub provider: String,
}

#[derive(Debug, Clone)]
pub struct OutputValue {
    pub name: String,
    pub value: Value,
    pub sensitive: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub config: Value,
}

impl ProviderConfig {
    /// `provider["aws"]` or `provider["aws"].west`.
    pub fn address(&self) -> String {
        provider_address(&self.name, self.alias.as_deref())
    }
}

/// The address of a provider configuration of the root module, as
/// Terraform writes it in state: `provider["aws"]`, `provider["aws"].west`.
pub fn provider_address(name: &str, alias: Option<&str>) -> String {
    match alias {
        Some(a) => format!("provider[\"{name}\"].{a}"),
        None => format!("provider[\"{name}\"]"),
    }
}

/// The default provider configuration of a resource type: `aws_vpc` → `provider["aws"]`.
pub fn default_provider_address(ty: &str) -> String {
    provider_address(ty.split('_').next().unwrap_or(ty), None)
}

#[derive(Debug, Clone)]
pub struct MovedStatement {
    pub from: Address,
    pub to: Address,
    pub span: Span,
}

/// Settings from the `strata { }` block.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub strict_layers: bool,
    pub required_version: Option<String>,
    /// `backend "local" { path = ... }`: the kind and its settings.
    pub backend: Option<(String, Value)>,
    /// The `budget { }` block's settings.
    pub budget: Option<Value>,
    /// The `policy { }` block's settings.
    pub policy: Option<Value>,
}

/// The evaluated configuration.
#[derive(Debug, Clone, Default)]
pub struct Evaluated {
    /// Managed resource instances, in declaration order per module.
    pub resources: Vec<ResourceInstance>,
    /// Data source instances (read at plan time; values unknown until then).
    pub data: Vec<ResourceInstance>,
    pub outputs: Vec<OutputValue>,
    pub providers: Vec<ProviderConfig>,
    pub moved: Vec<MovedStatement>,
    pub settings: Settings,
    /// Values of the root module's variables (sensitive ones marked).
    pub root_variables: BTreeMap<String, Value>,
    /// Preconditions and postconditions of resource instances and data
    /// sources that were false (each also reported in the diagnostics).
    pub condition_failures: Vec<ConditionFailure>,
    /// Output preconditions that were false or invalid (errors; the name of
    /// a root output, `None` in a called module) and `check` assertions that
    /// were (warnings), each also reported in the diagnostics: after an
    /// apply, when values unknown at plan time are known, they are checked
    /// again.
    pub late_conditions: Vec<(Option<String>, Diagnostic)>,
    /// Resources declared with `prevent_destroy = true` (module keys and
    /// instance key left out, see [`without_keys`]), with the
    /// block header: none of their recorded instances may be deleted, also
    /// when `count` or `for_each` no longer names them.
    pub prevent_destroy: Vec<(Address, Span)>,
    /// Resource types and data sources the provider schema does not know,
    /// one entry per type (by mode and name), with the first block that uses
    /// it. Their instances are evaluated to unknown values (of any type) and
    /// placed in the graph by their dependencies; `validate`, `graph` and
    /// `cost` warn about each once, `plan` and `apply` refuse them.
    pub unsupported: Vec<UnsupportedType>,
}

/// The code of the warning for an unsupported type.
pub const UNSUPPORTED_TYPE: &str = "strata::config::unsupported_type";

/// Where the supported types are listed (diagnostics point there rather
/// than list them).
pub const SUPPORTED_TYPES_DOC: &str = "docs/supported-types.md";

/// A resource type or data source strata does not support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedType {
    pub mode: Mode,
    pub ty: String,
    /// The type label of the first block (in source order) that uses it.
    pub span: Span,
    /// How many blocks use it (across modules).
    pub blocks: usize,
    /// A supported type with a close name (a likely typo).
    pub near: Option<String>,
}

/// The resource types and data sources of a configuration that the schema
/// does not know, one entry per type (sorted by mode and name), each with
/// the first block (in source order) that uses it. Static: no evaluation.
pub fn unsupported_types(config: &Config, schema: &ProviderSchema) -> Vec<UnsupportedType> {
    let mut out: Vec<UnsupportedType> = Vec::new();
    let earlier = |a: &Span, b: &Span| (a.file, a.range.start) < (b.file, b.range.start);
    for r in config.modules.iter().flat_map(|m| m.resources.values()) {
        let known = match r.mode {
            Mode::Managed => schema.resource(&r.ty).is_some(),
            Mode::Data => schema.data_source(&r.ty).is_some(),
        };
        if known {
            continue;
        }
        match out.iter_mut().find(|u| u.mode == r.mode && u.ty == r.ty) {
            Some(u) => {
                u.blocks += 1;
                if earlier(&r.type_span, &u.span) {
                    u.span = r.type_span.clone();
                }
            }
            None => {
                let names: Vec<&String> = match r.mode {
                    Mode::Managed => schema.resources.keys().collect(),
                    Mode::Data => schema.data_sources.keys().collect(),
                };
                // Most unsupported types are real ones strata lacks, not
                // typos: suggest only a name a slip of the keyboard away.
                let near = did_you_mean(&r.ty, &names).filter(|s| strata_core::edit_distance(&r.ty, s) <= 2);
                out.push(UnsupportedType { mode: r.mode, ty: r.ty.clone(), span: r.type_span.clone(), blocks: 1, near });
            }
        }
    }
    out.sort_by(|a, b| (a.mode, &a.ty).cmp(&(b.mode, &b.ty)));
    out
}

impl UnsupportedType {
    /// `resource type` or `data source`.
    pub fn kind(&self) -> &'static str {
        match self.mode {
            Mode::Managed => "resource type",
            Mode::Data => "data source",
        }
    }

    fn label(&self) -> String {
        match self.blocks {
            1 => format!("strata does not support this {}", self.kind()),
            n => format!("strata does not support this {} (used by {n} blocks; this is the first)", self.kind()),
        }
    }

    fn help(&self, rest: &str) -> String {
        let near = self.near.as_ref().map(|n| format!("did you mean `{n}`? ")).unwrap_or_default();
        format!("{near}{rest}; the supported types are listed in {SUPPORTED_TYPES_DOC}")
    }

    /// The warning of `validate`, `graph` and `cost`: the type is placed by
    /// its dependencies, its attributes are unknown and it is not checked.
    pub fn warning(&self) -> Diagnostic {
        Diagnostic::warning(UNSUPPORTED_TYPE, format!("unsupported {} `{}`: its blocks are not checked", self.kind(), self.ty))
            .with_label(Some(self.span.clone()), self.label())
            .with_help(
                self.help(
                    "its attributes are unknown values and it is placed in the graph by its dependencies; `plan` and `apply` refuse it",
                ),
            )
    }

    /// The error with which `plan` and `apply` refuse the type.
    pub fn error(&self, code: &'static str) -> Diagnostic {
        Diagnostic::error(code, format!("cannot plan unsupported {} `{}`", self.kind(), self.ty))
            .with_label(Some(self.span.clone()), self.label())
            .with_help(self.help("remove its blocks or manage these objects with another tool"))
    }
}

/// A `precondition` or `postcondition` that was false.
#[derive(Debug, Clone)]
pub struct ConditionFailure {
    pub addr: Address,
    pub kind: ConditionKind,
    /// The diagnostic reported for it (also in the evaluation's diagnostics).
    pub diagnostic: Diagnostic,
}

/// A declared item of some module: a node of the static graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Item {
    Var(String),
    Local(String),
    Resource(String),
    Output(String),
    Call(String),
}

#[derive(Debug, Clone)]
struct Node {
    module: usize,
    item: Item,
}

/// One instance of a module: the root, or one `count`/`for_each` key of a call.
struct ModInst {
    module: usize,
    path: ModulePath,
    parent: Option<usize>,
    /// `count` / `each` bindings of the call that created this instance.
    repetition: Repetition,
    scope: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
enum Repetition {
    Single,
    Count(i64),
    Each(String, Value),
}

impl Repetition {
    fn key(&self) -> Option<InstanceKey> {
        match self {
            Repetition::Single => None,
            Repetition::Count(i) => Some(InstanceKey::Int(*i)),
            Repetition::Each(k, _) => Some(InstanceKey::Str(k.clone())),
        }
    }

    fn bind(&self, vars: &mut BTreeMap<String, Value>) {
        match self {
            Repetition::Single => {}
            Repetition::Count(i) => {
                vars.insert("count".into(), Value::map([("index", Value::Number(*i as f64))]));
            }
            Repetition::Each(k, v) => {
                vars.insert("each".into(), Value::map([("key", Value::string(k.clone())), ("value", v.clone())]));
            }
        }
    }
}

/// Evaluate a configuration. Reports every problem it finds.
pub fn evaluate(config: &Config, inputs: &InputVariables, schema: &ProviderSchema, planner: &dyn Planner) -> (Evaluated, Diagnostics) {
    evaluate_with_limits(config, inputs, schema, planner, Limits::default())
}

/// Run-wide limits of one evaluation (lowered by tests only).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub instances: usize,
    pub budget: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { instances: MAX_INSTANCES, budget: RUN_BUDGET }
    }
}

/// [`evaluate`] with explicit limits. A caller's open run budget
/// (`strata_expr::with_budget`) is shared rather than replaced.
pub(crate) fn evaluate_with_limits(
    config: &Config,
    inputs: &InputVariables,
    schema: &ProviderSchema,
    planner: &dyn Planner,
    limits: Limits,
) -> (Evaluated, Diagnostics) {
    strata_expr::with_budget(limits.budget, || {
        let result = evaluate_within_budget(config, inputs, schema, planner, limits.instances);
        tracing::debug!(units = strata_expr::run_spent(), limit = limits.budget, "evaluation work spent");
        result
    })
}

fn evaluate_within_budget(
    config: &Config,
    inputs: &InputVariables,
    schema: &ProviderSchema,
    planner: &dyn Planner,
    max_instances: usize,
) -> (Evaluated, Diagnostics) {
    let mut ev = Evaluator::new(config, inputs, schema, planner);
    ev.max_instances = max_instances;
    ev.add_moved(0);
    ev.resolve_providers();
    ev.build_static_graph();
    // A reference reported as unknown by the static analysis fails again when
    // evaluated; keep only the first (it has the better suggestion).
    let reported: Vec<Span> = ev.diags.iter().filter(|d| d.code == UNKNOWN_REFERENCE).filter_map(|d| d.primary_span().cloned()).collect();
    let static_count = ev.diags.0.len();
    let order = ev.order();
    for n in order {
        // Once the run's budget is spent every expression fails alike, and
        // once the instance limit is crossed nothing more is expanded: the
        // first error says it all.
        if strata_expr::run_exhausted() || ev.too_many_instances {
            break;
        }
        // What depends on an invalid variable is skipped: its problems
        // follow from the variable's, which is reported already.
        if ev.edges[n].iter().any(|(d, _)| ev.skipped[*d]) {
            ev.skip_node(n);
            continue;
        }
        ev.eval_node(n);
    }
    ev.eval_checks();
    ev.resolve_dependencies();
    ev.eval_root_blocks();
    ev.move_values_out();
    let Evaluator { mut out, mut diags, .. } = ev;
    out.unsupported = unsupported_types(config, schema);
    for u in &out.unsupported {
        diags.push(u.warning());
    }
    let mut i = 0;
    let mut budget_reported = false;
    diags.0.retain(|d| {
        i += 1;
        if d.code == TOO_EXPENSIVE {
            return !std::mem::replace(&mut budget_reported, true);
        }
        let repeated = i > static_count
            && d.code == UNKNOWN_REFERENCE
            && d.primary_span()
                .is_some_and(|s| reported.iter().any(|r| r.file == s.file && r.range.start <= s.range.start && s.range.end <= r.range.end));
        !repeated
    });
    diags.sort();
    out.resources.sort_by(|a, b| a.addr.cmp(&b.addr));
    (out, diags)
}

struct Evaluator<'a> {
    config: &'a Config,
    planner: &'a dyn Planner,
    inputs: &'a InputVariables,
    schema: &'a ProviderSchema,
    diags: Diagnostics,
    out: Evaluated,
    /// For each module: (parent module, call name).
    parents: Vec<Option<(usize, String)>>,
    nodes: Vec<Node>,
    index: HashMap<(usize, Item), usize>,
    /// Edges: node → (dependency node, span of the reference).
    edges: Vec<Vec<(usize, Option<Span>)>>,
    /// For each node, whether it is part of a cycle (then it is not evaluated).
    in_cycle: Vec<bool>,
    insts: Vec<ModInst>,
    insts_of: Vec<Vec<usize>>,
    /// Resource instances by static node: (module instance, index in out.resources).
    res_insts: HashMap<usize, Vec<(usize, usize)>>,
    /// Nodes whose static checks have run (once per declared resource).
    checked: BTreeSet<usize>,
    /// Values that failed to evaluate (`var.x`); they are unknown from then on,
    /// and problems that follow from that are not reported again.
    failed: BTreeSet<String>,
    /// Where each instance's value lives in its module instance's scope.
    slots: Vec<(Mode, usize, ValueSlot)>,
    /// For each resource node, the managed resources its body refers to only
    /// through an index (`aws_instance.app[count.index]`), with those indexes.
    keyed: HashMap<usize, HashMap<usize, Vec<KeyRef>>>,
    /// For each resource instance (index in out.resources), the instances of
    /// its keyed dependencies it refers to: (dependency node, keys).
    inst_keys: HashMap<usize, Vec<(usize, Vec<InstanceKey>)>>,
    /// For each node, whether it was not evaluated because it is an invalid
    /// variable or depends on one.
    skipped: Vec<bool>,
    /// Resource, data source and module instances so far, and the limit.
    instances: usize,
    max_instances: usize,
    /// Set once an expansion would cross `max_instances` (reported once).
    too_many_instances: bool,
    /// For each module, the provider configurations it can use: `aws`,
    /// `aws.west` → the root configuration's address.
    provider_maps: Vec<BTreeMap<String, String>>,
}

/// The index of a keyed reference: a literal, or an expression evaluated per instance.
#[derive(Clone)]
enum KeyRef {
    Literal(Value),
    Expr(Expression),
}

/// The keys an instance's keyed references evaluate to; a dependency whose
/// index is not a known number or string is left out (it stays whole).
fn instance_keys(keyed: Option<&HashMap<usize, Vec<KeyRef>>>, ctx: &ExprCtx) -> Vec<(usize, Vec<InstanceKey>)> {
    let key_of = |v: &Value| match v.peel() {
        Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 => Some(InstanceKey::Int(*n as i64)),
        Value::String(s) => Some(InstanceKey::Str(s.to_string())),
        _ => None,
    };
    let Some(keyed) = keyed else { return Vec::new() };
    keyed
        .iter()
        .filter_map(|(dep, refs)| {
            let keys = refs
                .iter()
                .map(|r| match r {
                    KeyRef::Literal(v) => key_of(v),
                    KeyRef::Expr(e) => eval_expr(e, ctx).ok().as_ref().and_then(key_of),
                })
                .collect::<Option<Vec<_>>>()?;
            Some((*dep, keys))
        })
        .collect()
}

/// The place of one resource instance's value in a scope.
struct ValueSlot {
    inst: usize,
    root: Vec<String>,
    key: Option<InstanceKey>,
}

impl<'a> Evaluator<'a> {
    fn new(config: &'a Config, inputs: &'a InputVariables, schema: &'a ProviderSchema, planner: &'a dyn Planner) -> Self {
        let mut parents = vec![None; config.modules.len()];
        for (m, children) in config.children.iter().enumerate() {
            for (name, &c) in children {
                parents[c] = Some((m, name.clone()));
            }
        }
        let root = ModInst {
            module: 0,
            path: ModulePath::root(),
            parent: None,
            repetition: Repetition::Single,
            scope: base_scope(&config.modules[0].dir, &config.root_dir),
        };
        let mut insts_of = vec![Vec::new(); config.modules.len()];
        insts_of[0].push(0);
        Evaluator {
            config,
            planner,
            inputs,
            schema,
            diags: Diagnostics::new(),
            out: Evaluated::default(),
            parents,
            nodes: Vec::new(),
            index: HashMap::new(),
            edges: Vec::new(),
            in_cycle: Vec::new(),
            insts: vec![root],
            insts_of,
            res_insts: HashMap::new(),
            checked: BTreeSet::new(),
            failed: BTreeSet::new(),
            slots: Vec::new(),
            keyed: HashMap::new(),
            inst_keys: HashMap::new(),
            skipped: Vec::new(),
            instances: 0,
            max_instances: MAX_INSTANCES,
            too_many_instances: false,
            provider_maps: vec![BTreeMap::new(); config.modules.len()],
        }
    }

    fn module(&self, m: usize) -> &'a Module {
        &self.config.modules[m]
    }

    // ---------------------------------------------------------------------
    // The static graph.

    fn build_static_graph(&mut self) {
        for (m, module) in self.config.modules.iter().enumerate() {
            let items = module
                .variables
                .keys()
                .map(|n| Item::Var(n.clone()))
                .chain(module.locals.keys().map(|n| Item::Local(n.clone())))
                .chain(module.resources.keys().map(|n| Item::Resource(n.clone())))
                .chain(module.outputs.keys().map(|n| Item::Output(n.clone())))
                .chain(self.config.children[m].keys().map(|n| Item::Call(n.clone())));
            for item in items {
                self.index.insert((m, item.clone()), self.nodes.len());
                self.nodes.push(Node { module: m, item });
            }
        }
        self.edges = vec![Vec::new(); self.nodes.len()];
        self.skipped = vec![false; self.nodes.len()];
        for id in 0..self.nodes.len() {
            let Node { module: m, item } = self.nodes[id].clone();
            let module = self.module(m);
            // Every item of a called module needs the call's instances first.
            if let Some((p, call)) = &self.parents[m] {
                let call_node = self.index[&(*p, Item::Call(call.clone()))];
                self.edges[id].push((call_node, None));
            }
            let mut refs = Vec::new();
            let mut depends_on: &[Expr] = &[];
            let mut ref_module = m;
            match &item {
                Item::Var(name) => {
                    if let Some((p, call)) = &self.parents[m]
                        && let Some(c) = self.module(*p).module_calls.get(call)
                        && let Some((_, e)) = c.inputs.get(name)
                    {
                        expr_refs(&e.expr, &[], &mut refs);
                        ref_module = *p;
                        self.add_refs(id, ref_module, e.file, refs, RefContext::default());
                        continue;
                    }
                }
                Item::Local(name) => expr_refs(&module.locals[name].value.expr, &[], &mut refs),
                Item::Output(name) => {
                    let o = &module.outputs[name];
                    if let Some(v) = &o.value {
                        expr_refs(&v.expr, &[], &mut refs);
                    }
                    for c in &o.preconditions {
                        self.condition_refs(c, ConditionKind::Precondition, &mut refs);
                    }
                    depends_on = &o.depends_on;
                }
                Item::Call(name) => {
                    let c = &module.module_calls[name];
                    for e in c.count.iter().chain(&c.for_each) {
                        expr_refs(&e.expr, &[], &mut refs);
                    }
                    depends_on = &c.depends_on;
                    let ctx = RefContext { count: c.count.is_some(), each: c.for_each.is_some(), ..RefContext::default() };
                    let file = c.span.file;
                    self.add_refs(id, m, file, refs, RefContext::default());
                    self.add_depends_on(id, m, depends_on);
                    // Inputs are evaluated by the child's variables, in this module's scope,
                    // with this call's count/each: check their references here once.
                    let mut input_refs = Vec::new();
                    for (_, e) in c.inputs.values() {
                        expr_refs(&e.expr, &[], &mut input_refs);
                    }
                    self.check_repetition_refs(&input_refs, file, ctx, "module");
                    continue;
                }
                Item::Resource(key) => {
                    let r = &module.resources[key];
                    for e in r.count.iter().chain(&r.for_each).chain(&r.layer) {
                        expr_refs(&e.expr, &[], &mut refs);
                    }
                    for c in &r.preconditions {
                        self.condition_refs(c, ConditionKind::Precondition, &mut refs);
                    }
                    for c in &r.postconditions {
                        self.condition_refs(c, ConditionKind::Postcondition, &mut refs);
                    }
                    let mut body = Vec::new();
                    body_refs(&r.body, &mut Vec::new(), &mut body);
                    let ctx = RefContext { count: r.count.is_some(), each: r.for_each.is_some(), self_name: Some(key.clone()) };
                    self.check_repetition_refs(&body, r.file, ctx.clone(), "resource");
                    self.find_keyed(id, m, &refs, &body, &r.depends_on);
                    refs.extend(body);
                    depends_on = &r.depends_on;
                    self.add_refs(id, m, r.file, refs, ctx);
                    self.add_depends_on(id, m, depends_on);
                    continue;
                }
            }
            let file = self.item_file(m, &item);
            self.add_refs(id, ref_module, file, refs, RefContext::default());
            self.add_depends_on(id, m, depends_on);
        }
    }

    /// The references of a condition; `self` is only for postconditions.
    fn condition_refs(&mut self, c: &Condition, kind: ConditionKind, refs: &mut Vec<Reference>) {
        let mut own = Vec::new();
        expr_refs(&c.condition.expr, &[], &mut own);
        expr_refs(&c.error_message.expr, &[], &mut own);
        for r in &own {
            if r.root == "self" && kind == ConditionKind::Precondition {
                self.diags.push(
                    Diagnostic::error("strata::config::invalid_self", "`self` is only available in postconditions")
                        .with_label(Some(Span::new(c.condition.file, r.span.clone())), "not available in a precondition")
                        .with_help("a precondition is checked before the object is planned; refer to the resource's inputs instead"),
                );
            }
        }
        refs.extend(own);
    }

    fn item_file(&self, m: usize, item: &Item) -> strata_core::FileId {
        let module = self.module(m);
        match item {
            Item::Var(n) => module.variables[n].span.file,
            Item::Local(n) => module.locals[n].span.file,
            Item::Resource(n) => module.resources[n].file,
            Item::Output(n) => module.outputs[n].span.file,
            Item::Call(n) => module.module_calls[n].span.file,
        }
    }

    /// `count.index` outside a counted block, `each.value` outside a `for_each` one.
    fn check_repetition_refs(&mut self, refs: &[Reference], file: strata_core::FileId, ctx: RefContext, what: &str) {
        for r in refs {
            let span = Some(Span::new(file, r.span.clone()));
            if r.root == "count" && !ctx.count {
                self.diags.push(
                    Diagnostic::error("strata::config::invalid_count_reference", "`count` is only available in blocks that set `count`")
                        .with_label(span, format!("this {what} has no `count`")),
                );
            } else if r.root == "each" && !ctx.each {
                self.diags.push(
                    Diagnostic::error("strata::config::invalid_each_reference", "`each` is only available in blocks that set `for_each`")
                        .with_label(span, format!("this {what} has no `for_each`")),
                );
            }
        }
    }

    fn add_depends_on(&mut self, id: usize, m: usize, items: &[Expr]) {
        for e in items {
            let span = e.span();
            let refs = strata_expr::references(&e.expr);
            let Some(r) = refs.first().filter(|_| matches!(e.expr, Expression::Traversal(_) | Expression::Variable(_))) else {
                self.diags.push(
                    Diagnostic::error(
                        "strata::config::invalid_depends_on",
                        "`depends_on` items must be references to resources or modules",
                    )
                    .with_label(span, "not a plain reference")
                    .with_help("write `aws_vpc.main` or `module.network`, without attributes or indexes"),
                );
                continue;
            };
            if r.root == "module" {
                let Some(call) = first_attr(r) else { continue };
                match self.config.children[m].get(call) {
                    Some(&child) => {
                        for dep in self.subtree_resource_nodes(child) {
                            self.edges[id].push((dep, span.clone()));
                        }
                    }
                    None => self.unknown_reference(
                        span,
                        &format!("module.{call}"),
                        self.module(m).module_calls.keys().map(|k| format!("module.{k}")),
                    ),
                }
                continue;
            }
            self.add_refs(id, m, e.file, vec![r.clone()], RefContext::default());
        }
    }

    fn subtree_resource_nodes(&self, m: usize) -> Vec<usize> {
        let mut out: Vec<usize> =
            self.module(m).resources.keys().filter_map(|k| self.index.get(&(m, Item::Resource(k.clone()))).copied()).collect();
        for &child in self.config.children[m].values() {
            out.extend(self.subtree_resource_nodes(child));
        }
        out
    }

    /// Resolve references made in module `m` and add edges from `id`.
    fn add_refs(&mut self, id: usize, m: usize, file: strata_core::FileId, refs: Vec<Reference>, ctx: RefContext) {
        let module = self.module(m);
        for r in refs {
            let span = Some(Span::new(file, r.span.clone()));
            let attr = first_attr(&r).map(str::to_string);
            let target = match (r.root.as_str(), attr.as_deref()) {
                ("count" | "each" | "path" | "terraform" | "self", _) => continue,
                ("var", Some(name)) => {
                    if !module.variables.contains_key(name) {
                        let mut d =
                            Diagnostic::error("strata::config::unknown_reference", format!("undeclared input variable `var.{name}`"))
                                .with_label(span, "no such variable in this module");
                        d = match did_you_mean(name, module.variables.keys()) {
                            Some(s) => d.with_help(format!("did you mean `var.{s}`?")),
                            None => d.with_help(format!("declare it with `variable \"{name}\" {{}}`")),
                        };
                        self.diags.push(d);
                        continue;
                    }
                    Item::Var(name.to_string())
                }
                ("local", Some(name)) => {
                    if !module.locals.contains_key(name) {
                        self.unknown_reference(span, &format!("local.{name}"), module.locals.keys().map(|k| format!("local.{k}")));
                        continue;
                    }
                    Item::Local(name.to_string())
                }
                ("module", Some(call)) => {
                    let Some(&child) = self.config.children[m].get(call) else {
                        if !module.module_calls.contains_key(call) {
                            self.unknown_reference(
                                span,
                                &format!("module.{call}"),
                                module.module_calls.keys().map(|k| format!("module.{k}")),
                            );
                        }
                        continue;
                    };
                    let outputs = &self.module(child).outputs;
                    match second_attr(&r) {
                        Some(out) if outputs.contains_key(out) => Item::Output(out.to_string()),
                        Some(out) => {
                            let mut d =
                                Diagnostic::error("strata::config::unknown_reference", format!("module `{call}` has no output `{out}`"))
                                    .with_label(span, "no such output");
                            d = match did_you_mean(out, outputs.keys()) {
                                Some(s) => d.with_help(format!("did you mean `module.{call}.{s}`?")),
                                None => d.with_help(format!("outputs of `{call}`: {}", join_or_none(outputs.keys()))),
                            };
                            self.diags.push(d);
                            continue;
                        }
                        None => {
                            // The whole module object: depends on every output.
                            for o in outputs.keys() {
                                let dep = self.index[&(child, Item::Output(o.clone()))];
                                self.edges[id].push((dep, span.clone()));
                            }
                            continue;
                        }
                    }
                }
                ("data", Some(ty)) => {
                    let name = second_attr_direct(&r);
                    let key = format!("data.{ty}.{}", name.unwrap_or(""));
                    if name.is_none() || !module.resources.contains_key(&key) {
                        let candidates = module.resources.keys().filter(|k| k.starts_with("data."));
                        self.unknown_reference(span, &key, candidates.cloned());
                        continue;
                    }
                    Item::Resource(key)
                }
                (root, Some(name)) => {
                    let key = format!("{root}.{name}");
                    if !module.resources.contains_key(&key) {
                        let candidates: Vec<String> = module.resources.keys().filter(|k| !k.starts_with("data.")).cloned().collect();
                        self.unknown_reference(span, &key, candidates);
                        continue;
                    }
                    if ctx.self_name.as_deref() == Some(key.as_str()) {
                        self.diags.push(
                            Diagnostic::error("strata::graph::cycle", format!("dependency cycle: {key} → {key}"))
                                .with_label(span, "a resource cannot refer to itself")
                                .with_help("refer to another resource, or use `self` only inside provisioners"),
                        );
                        continue;
                    }
                    Item::Resource(key)
                }
                (root, None) => {
                    let names = ["var", "local", "module", "data", "count", "each", "path", "terraform"];
                    let mut d = Diagnostic::error("strata::config::unknown_reference", format!("invalid reference `{root}`"))
                        .with_label(span, "not a reference strata knows");
                    let mut candidates: Vec<String> = names.iter().map(|s| s.to_string()).collect();
                    candidates.extend(module.resources.keys().cloned());
                    d = match did_you_mean(root, &candidates) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help("references start with var., local., module., data., a resource type, count., each. or path."),
                    };
                    self.diags.push(d);
                    continue;
                }
            };
            let target_module = match &target {
                Item::Output(_) => {
                    // Resolved above through the child module.
                    let call = attr.unwrap_or_default();
                    self.config.children[m][&call]
                }
                _ => m,
            };
            if let Some(&dep) = self.index.get(&(target_module, target)) {
                self.edges[id].push((dep, span));
            }
        }
    }

    fn unknown_reference(&mut self, span: Option<Span>, name: &str, candidates: impl IntoIterator<Item = String>) {
        let candidates: Vec<String> = candidates.into_iter().collect();
        let mut d = Diagnostic::error("strata::config::unknown_reference", format!("reference to undeclared `{name}`"))
            .with_label(span, "not declared in this module");
        d = match did_you_mean(name, &candidates) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("declare it in this module, or pass it in through a variable"),
        };
        self.diags.push(d);
    }

    /// A topological order of the static graph; cycles are reported and their nodes left out.
    fn order(&mut self) -> Vec<usize> {
        let n = self.nodes.len();
        let edge_list: Vec<(usize, usize)> =
            self.edges.iter().enumerate().flat_map(|(from, deps)| deps.iter().map(move |(to, _)| (from, *to))).collect();
        self.in_cycle = vec![false; n];
        for cycle in strata_graph::find_cycles(n, &edge_list) {
            for &c in &cycle {
                self.in_cycle[c] = true;
            }
            self.report_cycle(&cycle);
        }
        // Kahn's algorithm over dependencies; nodes in or behind cycles never become ready.
        let mut pending: Vec<usize> = self.edges.iter().map(|deps| deps.iter().map(|(d, _)| *d).collect::<BTreeSet<_>>().len()).collect();
        let mut dependents = vec![Vec::new(); n];
        for (from, deps) in self.edges.iter().enumerate() {
            for d in deps.iter().map(|(d, _)| *d).collect::<BTreeSet<_>>() {
                dependents[d].push(from);
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| pending[i] == 0).rev().collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop() {
            order.push(i);
            for &d in &dependents[i] {
                pending[d] -= 1;
                if pending[d] == 0 {
                    ready.push(d);
                }
            }
        }
        order
    }

    fn report_cycle(&mut self, cycle: &[usize]) {
        let names: Vec<String> = cycle.iter().map(|&c| self.node_name(c)).collect();
        let mut path = names.join(" → ");
        path.push_str(" → ");
        path.push_str(&names[0]);
        let mut d = Diagnostic::error("strata::graph::cycle", format!("dependency cycle: {path}"));
        for (i, &from) in cycle.iter().enumerate() {
            let to = cycle[(i + 1) % cycle.len()];
            let span = self.edges[from].iter().find(|(d, _)| *d == to).and_then(|(_, s)| s.clone());
            d = d.with_label(span, format!("{} refers to {}", names[i], names[(i + 1) % names.len()]));
        }
        self.diags.push(d.with_help("break the cycle: move the shared value into a variable or a separate resource"));
    }

    fn node_name(&self, id: usize) -> String {
        let Node { module, item } = &self.nodes[id];
        let prefix = self.static_prefix(*module);
        let local = match item {
            Item::Var(n) => format!("var.{n}"),
            Item::Local(n) => format!("local.{n}"),
            Item::Resource(n) => n.clone(),
            Item::Output(n) => format!("output.{n}"),
            Item::Call(n) => format!("module.{n}"),
        };
        format!("{prefix}{local}")
    }

    fn static_prefix(&self, mut m: usize) -> String {
        let mut parts = Vec::new();
        while let Some((p, call)) = &self.parents[m] {
            parts.push(format!("module.{call}."));
            m = *p;
        }
        parts.reverse();
        parts.concat()
    }

    // ---------------------------------------------------------------------
    // Evaluation.

    fn eval_node(&mut self, id: usize) {
        let Node { module: m, item } = self.nodes[id].clone();
        let insts = self.insts_of[m].clone();
        match item {
            Item::Var(name) => {
                for i in insts {
                    if !self.eval_var(i, &name) {
                        self.skipped[id] = true;
                    }
                }
            }
            Item::Local(name) => {
                let local = &self.module(m).locals[&name];
                for i in insts {
                    let v = self.eval_in(i, &local.value, None).unwrap_or(Value::unknown());
                    insert_path(&mut self.insts[i].scope, &["local", &name], v);
                }
            }
            Item::Output(name) => {
                for i in insts {
                    self.eval_output(i, &name);
                }
            }
            Item::Call(name) => {
                let call = &self.module(m).module_calls[&name];
                let what = format!("module.{name}");
                // Every instance of the module that calls, before any is made.
                let reps: Vec<_> = insts.iter().map(|&i| self.repetitions(i, call.count.as_ref(), call.for_each.as_ref(), &what)).collect();
                let n = reps.iter().flatten().map(Vec::len).sum();
                let admitted = self.admit_instances(n, call.count.as_ref().or(call.for_each.as_ref()), &call.span, "module");
                for (i, reps) in insts.into_iter().zip(reps) {
                    match reps {
                        Some(reps) if admitted => self.eval_call(i, &name, reps),
                        // The error is reported; what refers to the module sees an unknown value.
                        _ => insert_path(&mut self.insts[i].scope, &["module", &name], Value::unknown()),
                    }
                }
            }
            Item::Resource(key) => {
                let r = &self.module(m).resources[&key];
                if self.checked.insert(id) {
                    self.check_resource(r);
                }
                let reps: Vec<_> = insts.iter().map(|&i| self.repetitions(i, r.count.as_ref(), r.for_each.as_ref(), &key)).collect();
                let n = reps.iter().flatten().map(Vec::len).sum();
                let admitted = self.admit_instances(n, r.count.as_ref().or(r.for_each.as_ref()), &r.span, "resource");
                for (i, reps) in insts.into_iter().zip(reps) {
                    match reps {
                        Some(reps) if admitted => self.eval_resource(id, i, r, reps),
                        _ => insert_path(&mut self.insts[i].scope, &resource_root(r), Value::unknown()),
                    }
                }
            }
        }
    }

    /// Evaluate an expression in a module instance's scope, with optional
    /// extra bindings (`count`, `each`).
    fn eval_in(&mut self, inst: usize, e: &Expr, rep: Option<&Repetition>) -> Option<Value> {
        let result = {
            let scope = &self.insts[inst].scope;
            let mut vars = BTreeMap::new();
            if let Some(rep) = rep {
                rep.bind(&mut vars);
            }
            let child = ChildScope { parent: scope, vars };
            let ctx = ExprCtx { file: e.file, scope: &child, module_dir: file_base() };
            eval_expr(&e.expr, &ctx)
        };
        match result {
            Ok(v) => Some(v),
            Err(d) => {
                self.diags.extend(d);
                None
            }
        }
    }

    /// A node that depends on a skipped one: its values become unknown (so
    /// that blocks outside the static graph, such as provider blocks, see no
    /// missing names) and it counts as skipped for its own dependents.
    fn skip_node(&mut self, id: usize) {
        self.skipped[id] = true;
        let Node { module: m, item } = self.nodes[id].clone();
        let insts = self.insts_of[m].clone();
        let unknown = Value::unknown();
        for i in insts {
            let scope = &mut self.insts[i].scope;
            match &item {
                Item::Var(name) => insert_path(scope, &["var", name], unknown.clone()),
                Item::Local(name) => insert_path(scope, &["local", name], unknown.clone()),
                Item::Call(name) => insert_path(scope, &["module", name], unknown.clone()),
                Item::Resource(key) => insert_path(scope, &resource_root(&self.config.modules[m].resources[key]), unknown.clone()),
                Item::Output(_) => {}
            }
        }
        // Static checks do not depend on values: keep reporting them.
        if let Item::Resource(key) = &item
            && self.checked.insert(id)
        {
            let r = &self.module(m).resources[key];
            self.check_resource(r);
        }
    }

    /// Evaluate a variable of one module instance; false when its value is
    /// invalid (missing, of the wrong type, null or failing a validation).
    fn eval_var(&mut self, inst: usize, name: &str) -> bool {
        let mut valid = true;
        let m = self.insts[inst].module;
        let var = &self.module(m).variables[name];
        let ty = match &var.type_expr {
            Some(t) => {
                let empty = BTreeMap::new();
                let ctx = ExprCtx { file: t.file, scope: &empty, module_dir: file_base() };
                match strata_expr::parse_type_constraint(&t.expr, &ctx) {
                    Ok(ty) => ty,
                    Err(d) => {
                        self.diags.extend(d);
                        Type::Any
                    }
                }
            }
            None => Type::Any,
        };
        // Where the value comes from: the caller's input, the root's inputs, or the default.
        let mut value: Option<(Value, Option<Span>)> = None;
        if let Some(parent) = self.insts[inst].parent {
            let pm = self.insts[parent].module;
            let call_name = self.parents[m].as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
            let call = &self.module(pm).module_calls[&call_name];
            if let Some((_, e)) = call.inputs.get(name) {
                let rep = self.insts[inst].repetition.clone();
                let v = self.eval_in(parent, e, Some(&rep)).unwrap_or(Value::unknown());
                value = Some((v, e.span()));
            }
        } else {
            match resolve_root_variable(self.inputs, var, &ty) {
                Ok(Some(v)) => value = Some((v, None)),
                Ok(None) => {}
                Err(d) => {
                    self.failed.insert(format!("var.{name}"));
                    valid = false;
                    self.diags.push(d);
                    value = Some((Value::Unknown(ty.clone()), None));
                }
            }
        }
        let (raw, source_span) = match value {
            Some(v) => v,
            None => match &var.default {
                Some(d) => {
                    let v = self.eval_in(inst, d, None).unwrap_or(Value::unknown());
                    (v, d.span())
                }
                None => {
                    let span = match self.insts[inst].parent {
                        Some(_) => self.call_span(m),
                        None => Some(var.span.clone()),
                    };
                    let (msg, help) = if self.insts[inst].parent.is_some() {
                        (format!("module input `{name}` is required"), format!("set `{name} = ...` in the module block"))
                    } else {
                        (
                            format!("no value for required variable `{name}`"),
                            format!("set it with --var {name}=VALUE, a terraform.tfvars file, or STRATA_VAR_{name}"),
                        )
                    };
                    self.failed.insert(format!("var.{name}"));
                    valid = false;
                    self.diags.push(
                        Diagnostic::error("strata::config::missing_variable", msg)
                            .with_label(span, "required here")
                            .with_label(Some(var.span.clone()), "declared without a default")
                            .with_help(help),
                    );
                    (Value::Unknown(ty.clone()), None)
                }
            },
        };
        // A sensitive value is marked before it is converted, and no label
        // points at its source: the snippet would show it.
        let (raw, source_span) = if var.sensitive { (raw.mark_if(true), None) } else { (raw, source_span) };
        let mut v = if raw.is_null() && !var.nullable {
            self.failed.insert(format!("var.{name}"));
            valid = false;
            self.diags.push(
                Diagnostic::error("strata::config::invalid_variable_value", format!("variable `{name}` must not be null"))
                    .with_label(source_span.clone().or(Some(var.span.clone())), "null given")
                    .with_label(Some(var.span.clone()), "declared with nullable = false"),
            );
            Value::Unknown(ty.clone())
        } else {
            match raw.convert(&ty) {
                Ok(v) => v,
                Err(msg) => {
                    self.failed.insert(format!("var.{name}"));
                    valid = false;
                    self.diags.push(
                        Diagnostic::error("strata::config::invalid_variable_value", format!("invalid value for variable `{name}`: {msg}"))
                            .with_label(source_span.clone().or(Some(var.span.clone())), format!("expected {ty}"))
                            .with_label(Some(var.span.clone()), "variable declared here"),
                    );
                    Value::Unknown(ty.clone())
                }
            }
        };
        if var.sensitive {
            v = v.mark_if(true);
        }
        // Validation rules see this variable as `var.NAME`.
        for rule in &var.validations {
            let mut scope = BTreeMap::new();
            scope.insert("var".to_string(), Value::map([(name, v.clone())]));
            let ctx = ExprCtx { file: rule.condition.file, scope: &scope, module_dir: file_base() };
            match eval_expr(&rule.condition.expr, &ctx) {
                Ok(c) if c.is_unknown() => {}
                Ok(c) => match c.to_bool() {
                    Some(true) => {}
                    Some(false) => {
                        valid = false;
                        let ctx = ExprCtx { file: rule.error_message.file, scope: &scope, module_dir: file_base() };
                        let msg = match eval_expr(&rule.error_message.expr, &ctx) {
                            Ok(m) if !m.contains_sensitive() => m.to_template_string().unwrap_or_else(|| "validation failed".into()),
                            _ => "validation failed".into(),
                        };
                        self.diags.push(
                            Diagnostic::error("strata::config::variable_validation", format!("invalid value for variable `{name}`: {msg}"))
                                .with_label(rule.condition.span(), "this condition is false")
                                .with_label(source_span.clone(), "value given here"),
                        );
                    }
                    None => self.diags.push(
                        Diagnostic::error("strata::config::invalid_condition", "a validation condition must be true or false")
                            .with_label(rule.condition.span(), format!("this is a {}", c.type_name())),
                    ),
                },
                Err(d) => self.diags.extend(d),
            }
        }
        if !valid {
            // What refers to it is skipped; it stays unknown for the rest.
            self.failed.insert(format!("var.{name}"));
            v = Value::Unknown(ty).mark_if(var.sensitive);
        }
        if inst == 0 {
            self.out.root_variables.insert(name.to_string(), v.clone());
        }
        insert_path(&mut self.insts[inst].scope, &["var", name], v);
        valid
    }

    fn call_span(&self, m: usize) -> Option<Span> {
        let (p, call) = self.parents[m].as_ref()?;
        Some(self.module(*p).module_calls.get(call)?.span.clone())
    }

    fn eval_output(&mut self, inst: usize, name: &str) {
        let m = self.insts[inst].module;
        let o = &self.module(m).outputs[name];
        let Some(e) = &o.value else { return };
        if !o.preconditions.is_empty() {
            let path = &self.insts[inst].path;
            let subject = if path.is_root() { format!("output.{name}") } else { format!("{path}.output.{name}") };
            let ctx = ExprCtx { file: e.file, scope: &self.insts[inst].scope, module_dir: file_base() };
            let failed = check_conditions(&o.preconditions, ConditionKind::Precondition, &subject, &ctx);
            let root_output = path.is_root().then(|| name.to_string());
            for (d, _) in failed {
                self.out.late_conditions.push((root_output.clone(), d.clone()));
                self.diags.push(d);
            }
        }
        let mut v = self.eval_in(inst, e, None).unwrap_or(Value::unknown());
        if v.contains_sensitive() && !o.sensitive {
            self.diags.push(
                Diagnostic::error("strata::config::sensitive_output", format!("output `{name}` refers to sensitive values"))
                    .with_label(e.span(), "this value is sensitive")
                    .with_help("set `sensitive = true` in the output block to confirm it may hold secrets"),
            );
        }
        if nests_deeper_than(&v, MAX_OUTPUT_DEPTH) {
            self.diags.push(
                Diagnostic::error(
                    "strata::config::output_too_deep",
                    format!("output `{name}` nests lists, sets and maps more than {MAX_OUTPUT_DEPTH} levels deep"),
                )
                .with_label(e.span(), "this value")
                .with_help("strata records outputs in its state and plan files, which read back at most this deep; flatten the value or jsonencode() it"),
            );
        }
        if o.sensitive {
            v = v.mark_if(true);
        }
        match self.insts[inst].parent {
            None => self.out.outputs.push(OutputValue {
                name: name.to_string(),
                value: v,
                sensitive: o.sensitive,
                description: o.description.clone(),
            }),
            Some(parent) => {
                let call = self.parents[m].as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
                let key = self.insts[inst].repetition.key();
                let slot = instance_slot(&mut self.insts[parent].scope, &["module", &call], key.as_ref());
                if let Value::Map(map) = slot {
                    map.insert(name.to_string(), v);
                }
            }
        }
    }

    fn eval_call(&mut self, inst: usize, name: &str, reps: Vec<Repetition>) {
        let m = self.insts[inst].module;
        let call = &self.module(m).module_calls[name];
        let Some(&child) = self.config.children[m].get(name) else { return };
        let placeholder = match reps.first() {
            _ if call.count.is_some() => Value::List(Vec::new().into()),
            _ if call.for_each.is_some() => Value::Map(BTreeMap::new().into()),
            _ => Value::Map(BTreeMap::new().into()),
        };
        insert_path(&mut self.insts[inst].scope, &["module", name], placeholder);
        for rep in reps {
            let key = rep.key();
            // Create the slot in the parent (`module.NAME[key]`) for outputs.
            instance_slot(&mut self.insts[inst].scope, &["module", name], key.as_ref());
            let path = self.insts[inst].path.child(name, key);
            let scope = base_scope(&self.module(child).dir, &self.config.root_dir);
            let id = self.insts.len();
            self.insts.push(ModInst { module: child, path, parent: Some(inst), repetition: rep, scope });
            self.insts_of[child].push(id);
            self.add_moved(id);
        }
    }

    /// Evaluate `count` / `for_each` into the list of repetitions. `None` after an error.
    fn repetitions(&mut self, inst: usize, count: Option<&Expr>, for_each: Option<&Expr>, what: &str) -> Option<Vec<Repetition>> {
        match (count, for_each) {
            (Some(c), Some(f)) => {
                self.diags.push(
                    Diagnostic::error("strata::config::count_and_for_each", format!("`{what}` sets both `count` and `for_each`"))
                        .with_label(c.span(), "count here")
                        .with_label(f.span(), "for_each here")
                        .with_help("use one of them"),
                );
                None
            }
            (Some(c), None) => {
                let v = self.eval_in(inst, c, None)?;
                if !v.is_wholly_known() {
                    self.unknown_repetition(inst, c, "count", what);
                    return None;
                }
                let n = v.convert(&Type::Number).ok().and_then(|n| n.as_f64());
                match n {
                    Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 100_000.0 => Some((0..n as i64).map(Repetition::Count).collect()),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::config::invalid_count",
                                format!("`count` must be a whole number from 0 to 100000, got {}", describe(&v)),
                            )
                            .with_label(c.span(), "invalid count"),
                        );
                        None
                    }
                }
            }
            (None, Some(f)) => {
                let v = self.eval_in(inst, f, None)?;
                if v.is_unknown()
                    || v.as_map().is_some_and(|m| m.keys().len() != m.len())
                    || v.as_seq().is_some_and(|s| s.iter().any(Value::is_unknown))
                {
                    self.unknown_repetition(inst, f, "for_each", what);
                    return None;
                }
                if v.contains_sensitive() {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::config::sensitive_for_each",
                            "`for_each` must not use sensitive values: instance keys are shown in plans",
                        )
                        .with_label(f.span(), "sensitive"),
                    );
                    return None;
                }
                match v.peel() {
                    Value::Map(map) => Some(map.iter().map(|(k, v)| Repetition::Each(k.clone(), v.clone())).collect()),
                    Value::Set(items) => {
                        let mut out = Vec::new();
                        for item in items {
                            match item.as_str() {
                                Some(s) => out.push(Repetition::Each(s.to_string(), item.clone())),
                                None => {
                                    self.diags.push(
                                        Diagnostic::error("strata::config::invalid_for_each", "a `for_each` set must contain only strings")
                                            .with_label(f.span(), format!("contains a {}", item.type_name())),
                                    );
                                    return None;
                                }
                            }
                        }
                        Some(out)
                    }
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::config::invalid_for_each",
                                format!("`for_each` needs a map or a set of strings, got a {}", other.type_name()),
                            )
                            .with_label(f.span(), "not a map or set")
                            .with_help("convert a list with toset(...)"),
                        );
                        None
                    }
                }
            }
            (None, None) => Some(vec![Repetition::Single]),
        }
    }

    /// Count `n` more instances against the run-wide limit, before they are
    /// made. False (reported once, at the `count` / `for_each` that crosses
    /// the limit, or the block without one) when they would be too many.
    fn admit_instances(&mut self, n: usize, repetition: Option<&Expr>, block: &Span, what: &str) -> bool {
        if self.too_many_instances {
            return false;
        }
        let total = self.instances.saturating_add(n);
        if total <= self.max_instances {
            self.instances = total;
            return true;
        }
        self.too_many_instances = true;
        let max = self.max_instances;
        let (span, label) = match repetition {
            Some(e) => (e.span(), format!("{n} more instances here, {total} in total")),
            None => (Some(block.clone()), format!("one more {what} instance here, {total} in total")),
        };
        self.diags.push(
            Diagnostic::error(TOO_MANY_INSTANCES, format!("the configuration expands to more than {max} resource and module instances"))
                .with_label(span, label)
                .with_help(format!(
                    "at most {max} resource, data source and module instances are allowed in total; `count` and `for_each` of nested modules multiply: lower them"
                )),
        );
        false
    }

    /// `count` / `for_each` that are not known until apply: name the value responsible.
    fn unknown_repetition(&mut self, inst: usize, e: &Expr, arg: &str, what: &str) {
        let mut culprit = None;
        for r in strata_expr::references(&e.expr) {
            let text = self.config.sources.snippet(&Span::new(e.file, r.span.clone())).to_string();
            if let Ok(sub) = hcl_edit::parser::parse_expr(&text) {
                let sub = Expr { file: e.file, expr: sub };
                let mut scratch = std::mem::take(&mut self.diags);
                let v = self.eval_in(inst, &sub, None);
                std::mem::swap(&mut self.diags, &mut scratch);
                if v.is_none_or(|v| !v.is_wholly_known()) {
                    culprit = Some(text);
                    break;
                }
            }
        }
        // A value that is unknown because it already failed was reported once.
        if culprit
            .as_ref()
            .is_some_and(|c| self.failed.iter().any(|f| c == f || c.starts_with(&format!("{f}.")) || c.starts_with(&format!("{f}["))))
        {
            return;
        }
        let msg = match &culprit {
            Some(c) => format!("`{arg}` of `{what}` depends on `{c}`, which is known only after apply"),
            None => format!("`{arg}` of `{what}` depends on values known only after apply"),
        };
        self.diags.push(
            Diagnostic::error(if arg == "count" { "strata::config::unknown_count" } else { "strata::config::unknown_for_each" }, msg)
                .with_label(e.span(), format!("{arg} must be known when planning"))
                .with_help(format!(
                    "derive `{arg}` from variables or locals known at plan time; or apply the dependency first with `--target`"
                )),
        );
    }

    /// Static checks of a declared resource (once, not per instance).
    fn check_resource(&mut self, r: &Resource) {
        let schema = match r.mode {
            Mode::Managed => self.schema.resource(&r.ty),
            Mode::Data => self.schema.data_source(&r.ty),
        };
        match schema {
            Some(s) => {
                let d = check_body(&r.body, &s.block, r.file, &r.ty, &r.span);
                self.diags.extend(d);
                if let Some(e) = &r.lifecycle.ignore_changes {
                    check_ignore_changes(&self.config.sources, e, &s.block, &r.ty, &mut self.diags);
                }
            }
            None => {
                // Reported once per type (`unsupported_types`); what refers to
                // it sees unknown values, which are not reported again
                // (`for_each` over one, say).
                self.failed.insert(r.key());
            }
        }
    }

    fn eval_resource(&mut self, node: usize, inst: usize, r: &Resource, reps: Vec<Repetition>) {
        let provider = self.provider_of(self.insts[inst].module, r);
        let root = resource_root(r);
        let schema = match r.mode {
            Mode::Managed => self.schema.resource(&r.ty),
            Mode::Data => self.schema.data_source(&r.ty),
        };
        let initial = if r.count.is_some() {
            Value::List(Vec::new().into())
        } else if r.for_each.is_some() {
            Value::Map(BTreeMap::new().into())
        } else {
            Value::Null
        };
        insert_path(&mut self.insts[inst].scope, &root, initial);

        let layer_override = r.layer.as_ref().and_then(|e| self.eval_layer(inst, e));
        let create_before_destroy = self.lifecycle_bool(inst, r.lifecycle.create_before_destroy.as_ref());
        let prevent_destroy = self.lifecycle_bool(inst, r.lifecycle.prevent_destroy.as_ref());
        if prevent_destroy && r.mode == Mode::Managed {
            let addr = Address { module: self.insts[inst].path.clone(), mode: r.mode, ty: r.ty.clone(), name: r.name.clone(), key: None };
            let addr = without_keys(&addr);
            if !self.out.prevent_destroy.iter().any(|(a, _)| *a == addr) {
                self.out.prevent_destroy.push((addr, r.span.clone()));
            }
        }
        let ignore_changes = r.lifecycle.ignore_changes.as_ref().map(|e| ignore_list(&self.config.sources, e)).unwrap_or_default();
        for rep in reps {
            // Once the run's budget is spent every instance would fail alike
            // (and 100,000 of them hold a gigabyte of planned values).
            if strata_expr::run_exhausted() {
                break;
            }
            let key = rep.key();
            let mut keys = Vec::new();
            let addr =
                Address { module: self.insts[inst].path.clone(), mode: r.mode, ty: r.ty.clone(), name: r.name.clone(), key: key.clone() };
            let (value, planned) = match schema {
                Some(s) => {
                    let scope = &self.insts[inst].scope;
                    let mut vars = BTreeMap::new();
                    rep.bind(&mut vars);
                    let child = ChildScope { parent: scope, vars };
                    let ctx = ExprCtx { file: r.file, scope: &child, module_dir: file_base() };
                    let (config, d) = eval_body(&r.body, &s.block, &ctx);
                    self.diags.extend(d);
                    // Preconditions hold before the change is planned.
                    let subject = addr.to_string();
                    let failed = check_conditions(&r.preconditions, ConditionKind::Precondition, &subject, &ctx);
                    record_failures(&mut self.out, &mut self.diags, &addr, ConditionKind::Precondition, failed);
                    keys = instance_keys(self.keyed.get(&node), &ctx);
                    match r.mode {
                        Mode::Managed => {
                            // `moved { from = a.x, to = a.y }` moves every instance, key kept.
                            let moved_from = self.out.moved.iter().find_map(|m| {
                                if m.to == addr {
                                    Some(m.from.clone())
                                } else if m.to.key.is_none() && m.from.key.is_none() && m.to == addr.resource() {
                                    Some(m.from.clone().with_key(addr.key.clone()))
                                } else {
                                    None
                                }
                            });
                            let moved_from = moved_from.as_ref();
                            let mut planned = self.planner.plan(PlanRequest {
                                addr: &addr,
                                moved_from,
                                schema: s,
                                config: &config,
                                ignore_changes: &ignore_changes,
                                provider: &provider,
                            });
                            let value = std::mem::replace(&mut planned.value, Value::Null);
                            (value, planned)
                        }
                        Mode::Data => {
                            let args = strata_provider::plan_change(s, None, &config, &[], false).planned;
                            // Data sources are read now when their configured arguments are
                            // known and nothing they depend on is about to be created or
                            // replaced (the object they look for may not exist yet); otherwise
                            // (or without a provider) their values stay unknown until the
                            // apply re-evaluates.
                            let read_now = config.is_wholly_known() && !self.waits_on_pending(node);
                            let value = match read_now.then(|| self.planner.read_data(&addr, &provider, &args)).flatten() {
                                Some(Ok(v)) => v,
                                Some(Err(msg)) => {
                                    self.diags.push(
                                        Diagnostic::error("strata::provider::data_source", format!("cannot read `{addr}`: {msg}"))
                                            .with_label(Some(r.span.clone()), "read at plan time"),
                                    );
                                    args
                                }
                                None => args,
                            };
                            (value, Planned::default())
                        }
                    }
                }
                None => (Value::unknown(), Planned::default()),
            };
            // Postconditions see the planned object as `self`; unknown parts defer them to the apply.
            if !r.postconditions.is_empty() && schema.is_some() {
                let scope = &self.insts[inst].scope;
                let mut vars = BTreeMap::new();
                rep.bind(&mut vars);
                vars.insert("self".to_string(), value.clone());
                let child = ChildScope { parent: scope, vars };
                let ctx = ExprCtx { file: r.file, scope: &child, module_dir: file_base() };
                let failed = check_conditions(&r.postconditions, ConditionKind::Postcondition, &addr.to_string(), &ctx);
                record_failures(&mut self.out, &mut self.diags, &addr, ConditionKind::Postcondition, failed);
            }
            // The value lives in the scope while later items refer to it and
            // moves into the instance at the end (no second copy).
            *instance_slot(&mut self.insts[inst].scope, &root, key.as_ref()) = value;
            let slot = ValueSlot { inst, root: root.iter().map(|s| s.to_string()).collect(), key };
            let instance = ResourceInstance {
                addr,
                span: r.span.clone(),
                layer_override: layer_override.clone(),
                values: Value::Null,
                planned,
                dependencies: Vec::new(),
                create_before_destroy,
                prevent_destroy,
                ignore_changes: ignore_changes.clone(),
                provider: provider.clone(),
            };
            match r.mode {
                Mode::Managed => {
                    if !keys.is_empty() {
                        self.inst_keys.insert(self.out.resources.len(), keys);
                    }
                    self.res_insts.entry(node).or_default().push((inst, self.out.resources.len()));
                    self.slots.push((Mode::Managed, self.out.resources.len(), slot));
                    self.out.resources.push(instance);
                }
                Mode::Data => {
                    self.slots.push((Mode::Data, self.out.data.len(), slot));
                    self.out.data.push(instance);
                }
            }
        }
    }

    fn eval_layer(&mut self, inst: usize, e: &Expr) -> Option<(Layer, Span)> {
        let v = self.eval_in(inst, e, None)?;
        let text = v.to_template_string();
        match text.as_deref().and_then(|t| t.parse::<Layer>().ok()) {
            Some(l) => Some((l, e.span()?)),
            None => {
                self.diags.push(
                    Diagnostic::error("strata::config::invalid_layer", format!("invalid layer {}", describe(&v)))
                        .with_label(e.span(), "not a layer")
                        .with_help(format!("use 1..5 or one of: {}", Layer::NAMES.join(", "))),
                );
                None
            }
        }
    }

    fn lifecycle_bool(&mut self, inst: usize, e: Option<&Expr>) -> bool {
        let Some(e) = e else { return false };
        match self.eval_in(inst, e, None) {
            Some(v) => match v.to_bool() {
                Some(b) => b,
                None => {
                    self.diags.push(
                        Diagnostic::error("strata::config::invalid_value", "lifecycle settings must be true or false")
                            .with_label(e.span(), format!("this is {}", describe(&v))),
                    );
                    false
                }
            },
            None => false,
        }
    }

    /// Turn static resource dependencies into instance dependencies.
    fn resolve_dependencies(&mut self) {
        // Transitive resource dependencies of every static node, in evaluation order.
        let order = {
            let mut o: Vec<usize> = Vec::new();
            let mut seen = vec![false; self.nodes.len()];
            for i in 0..self.nodes.len() {
                self.visit(i, &mut seen, &mut o);
            }
            o
        };
        let mut res_deps: Vec<BTreeMap<usize, Option<Span>>> = vec![BTreeMap::new(); self.nodes.len()];
        for &id in &order {
            let mut acc: BTreeMap<usize, Option<Span>> = BTreeMap::new();
            for (dep, span) in &self.edges[id] {
                if self.in_cycle[*dep] && self.in_cycle[id] {
                    continue;
                }
                if self.is_managed(*dep) {
                    acc.entry(*dep).or_insert_with(|| span.clone());
                } else {
                    for r in res_deps[*dep].keys() {
                        acc.entry(*r).or_insert_with(|| span.clone());
                    }
                }
            }
            res_deps[id] = acc;
        }
        // Managed dependencies reached through something other than the
        // node's own references (locals, outputs, modules): always whole.
        let via_other: Vec<HashSet<usize>> = (0..self.nodes.len())
            .map(|id| {
                self.edges[id]
                    .iter()
                    .filter(|(d, _)| {
                        let in_same_cycle = self.in_cycle[*d] && self.in_cycle[id];
                        !self.is_managed(*d) && !in_same_cycle
                    })
                    .flat_map(|(d, _)| res_deps[*d].keys().copied())
                    .collect()
            })
            .collect();
        let inst_keys = std::mem::take(&mut self.inst_keys);
        let res_insts = std::mem::take(&mut self.res_insts);
        // Instances of a dependency that share our module instance down to the
        // deepest module the two resources have in common, indexed by that
        // shared ancestor: (dependency node, depth) → ancestor → resource indices.
        let mut by_ancestor: HashMap<(usize, usize), HashMap<usize, Vec<usize>>> = HashMap::new();
        for (node, instances) in &res_insts {
            let dep_nodes: Vec<(usize, &Option<Span>, usize)> = res_deps[*node]
                .iter()
                .map(|(dep_node, span)| (*dep_node, span, self.common_depth(self.nodes[*node].module, self.nodes[*dep_node].module)))
                .collect();
            for &(inst, idx) in instances {
                let mut deps = Vec::new();
                for &(dep_node, span, common) in &dep_nodes {
                    let Some(dep_instances) = res_insts.get(&dep_node) else { continue };
                    let index = by_ancestor.entry((dep_node, common)).or_insert_with(|| {
                        let mut m: HashMap<usize, Vec<usize>> = HashMap::new();
                        for &(dep_inst, dep_idx) in dep_instances {
                            m.entry(self.ancestor(dep_inst, common)).or_default().push(dep_idx);
                        }
                        m
                    });
                    let candidates = index.get(&self.ancestor(inst, common)).map_or(&[][..], Vec::as_slice);
                    // Referred to by index only: just the instances named
                    // (all of them when the keys name none, to stay safe).
                    let wanted = inst_keys
                        .get(&idx)
                        .and_then(|k| k.iter().find(|(d, _)| *d == dep_node))
                        .filter(|_| !via_other[*node].contains(&dep_node))
                        .map(|(_, keys)| keys);
                    let named: Vec<usize> = match wanted {
                        Some(keys) => candidates
                            .iter()
                            .copied()
                            .filter(|&i| self.out.resources[i].addr.key.as_ref().is_some_and(|k| keys.contains(k)))
                            .collect(),
                        None => Vec::new(),
                    };
                    // Every key must name an instance exactly (`"1"` is not `1`:
                    // the evaluator converts such keys), or the whole resource stays.
                    let exact = wanted
                        .is_some_and(|keys| keys.iter().all(|k| named.iter().any(|&i| self.out.resources[i].addr.key.as_ref() == Some(k))));
                    let chosen = if exact { named.as_slice() } else { candidates };
                    for &dep_idx in chosen {
                        deps.push((self.out.resources[dep_idx].addr.clone(), span.clone()));
                    }
                }
                self.out.resources[idx].dependencies = deps;
            }
        }
    }

    /// Move every instance's value from the scopes into `out` (evaluation is over).
    fn move_values_out(&mut self) {
        for (mode, idx, slot) in std::mem::take(&mut self.slots) {
            let root: Vec<&str> = slot.root.iter().map(String::as_str).collect();
            let v = std::mem::replace(instance_slot(&mut self.insts[slot.inst].scope, &root, slot.key.as_ref()), Value::Null);
            match mode {
                Mode::Managed => self.out.resources[idx].values = v,
                Mode::Data => self.out.data[idx].values = v,
            }
        }
    }

    /// The module instance at `depth` steps from the root on the way to `inst`.
    fn ancestor(&self, mut inst: usize, depth: usize) -> usize {
        while self.insts[inst].path.0.len() > depth {
            match self.insts[inst].parent {
                Some(p) => inst = p,
                None => break,
            }
        }
        inst
    }

    fn visit(&self, i: usize, seen: &mut [bool], out: &mut Vec<usize>) {
        // Iterative post-order DFS (deep graphs must not overflow the stack).
        if seen[i] {
            return;
        }
        let mut stack = vec![(i, 0usize)];
        seen[i] = true;
        while let Some((n, next)) = stack.pop() {
            if let Some((d, _)) = self.edges[n].get(next) {
                stack.push((n, next + 1));
                if !seen[*d] {
                    seen[*d] = true;
                    stack.push((*d, 0));
                }
            } else {
                out.push(n);
            }
        }
    }

    /// The managed resource node of this module a reference names, if any.
    fn managed_ref(&self, m: usize, r: &Reference) -> Option<usize> {
        if matches!(r.root.as_str(), "var" | "local" | "module" | "data" | "count" | "each" | "self" | "path" | "terraform") {
            return None;
        }
        let name = first_attr(r)?;
        let node = *self.index.get(&(m, Item::Resource(format!("{}.{name}", r.root))))?;
        self.is_managed(node).then_some(node)
    }

    /// Record which managed resources node `id` refers to only by index
    /// from its body (`other` are its count / for_each / layer references;
    /// those, `depends_on` and unindexed references make a dependency whole).
    fn find_keyed(&mut self, id: usize, m: usize, other: &[Reference], body: &[Reference], depends_on: &[Expr]) {
        let mut keyed: HashMap<usize, Vec<KeyRef>> = HashMap::new();
        let mut whole: HashSet<usize> = HashSet::new();
        for r in body {
            let Some(dep) = self.managed_ref(m, r) else { continue };
            match (&r.key_expr, r.path.get(1)) {
                (Some(e), _) => keyed.entry(dep).or_default().push(KeyRef::Expr(e.clone())),
                (None, Some(strata_expr::RefStep::Index(v))) if v.is_wholly_known() => {
                    keyed.entry(dep).or_default().push(KeyRef::Literal(v.clone()));
                }
                _ => {
                    whole.insert(dep);
                }
            }
        }
        let depends: Vec<Reference> = depends_on.iter().flat_map(|e| strata_expr::references(&e.expr)).collect();
        whole.extend(other.iter().chain(&depends).filter_map(|r| self.managed_ref(m, r)));
        keyed.retain(|dep, _| !whole.contains(dep));
        if !keyed.is_empty() {
            self.keyed.insert(id, keyed);
        }
    }

    /// Whether `node` depends — through variables, locals, outputs, module
    /// calls and data sources — on a managed resource with an instance about
    /// to be created or replaced.
    fn waits_on_pending(&self, node: usize) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![node];
        while let Some(id) = stack.pop() {
            for (dep, _) in &self.edges[id] {
                if !seen.insert(*dep) {
                    continue;
                }
                if !self.is_managed(*dep) {
                    stack.push(*dep);
                    continue;
                }
                let pending = self.res_insts.get(dep).is_some_and(|instances| {
                    instances.iter().any(|&(_, i)| {
                        let p = &self.out.resources[i].planned;
                        p.prior.is_none() || !p.requires_replace.is_empty() || p.replace_requested
                    })
                });
                if pending {
                    return true;
                }
            }
        }
        false
    }

    fn is_managed(&self, id: usize) -> bool {
        matches!(&self.nodes[id].item, Item::Resource(k) if !k.starts_with("data."))
    }

    /// Depth (number of module steps from the root) of the deepest common ancestor of two modules.
    fn common_depth(&self, a: usize, b: usize) -> usize {
        let chain = |mut m: usize| {
            let mut c = vec![m];
            while let Some((p, _)) = &self.parents[m] {
                m = *p;
                c.push(m);
            }
            c.reverse();
            c
        };
        let (ca, cb) = (chain(a), chain(b));
        ca.iter().zip(&cb).take_while(|(x, y)| x == y).count() - 1
    }

    /// The provider configurations each module can use, from the root's
    /// `provider` blocks down through the `providers` maps of module calls
    /// (a call without one passes its default configurations on). Checks
    /// every reference to a configuration once, statically: they do not
    /// depend on instances.
    fn resolve_providers(&mut self) {
        let root = self.module(0);
        let mut map = BTreeMap::new();
        // The default configuration exists without a block (credentials and
        // region from the environment), as in Terraform.
        map.insert("aws".to_string(), provider_address("aws", None));
        for p in &root.providers {
            let local = match &p.alias {
                Some(a) => format!("{}.{a}", p.name),
                None => p.name.clone(),
            };
            map.insert(local, provider_address(&p.name, p.alias.as_deref()));
        }
        self.provider_maps[0] = map;
        let config = self.config;
        let mut queue = vec![0];
        while let Some(m) = queue.pop() {
            for (call_name, &child) in &config.children[m] {
                let Some(call) = self.module(m).module_calls.get(call_name) else { continue };
                let mut map: BTreeMap<String, String> =
                    self.provider_maps[m].iter().filter(|(k, _)| !k.contains('.')).map(|(k, v)| (k.clone(), v.clone())).collect();
                let declared = &self.module(child).configuration_aliases;
                for (key, value) in &call.providers {
                    let Some(addr) = self.provider_maps[m].get(&value.local()).cloned() else {
                        self.unknown_provider(m, value);
                        continue;
                    };
                    if key.alias.is_some() && !declared.iter().any(|d| d.local() == key.local()) {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::config::unexpected_provider",
                                format!("module `{call_name}` does not declare the provider configuration `{}`", key.local()),
                            )
                            .with_label(Some(key.span.clone()), "not in the module's `configuration_aliases`")
                            .with_help(format!(
                                "declare it in the module: `terraform {{ required_providers {{ {} = {{ configuration_aliases = [{}] }} }} }}`",
                                key.name,
                                key.local()
                            )),
                        );
                        continue;
                    }
                    map.insert(key.local(), addr);
                }
                for d in declared {
                    if !map.contains_key(&d.local()) {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::config::missing_provider",
                                format!("module `{call_name}` needs the provider configuration `{}`, which is not passed in", d.local()),
                            )
                            .with_label(Some(call.span.clone()), "passed no such configuration")
                            .with_label(Some(d.span.clone()), "the module declares it here")
                            .with_help(format!(
                                "pass it in the module block: `providers = {{ {} = {}.ALIAS }}`",
                                d.local(),
                                d.name
                            )),
                        );
                    }
                }
                self.provider_maps[child] = map;
                queue.push(child);
            }
        }
        for (m, module) in config.modules.iter().enumerate() {
            for r in module.resources.values() {
                if let Some(p) = &r.provider
                    && !self.provider_maps[m].contains_key(&p.local())
                {
                    self.unknown_provider(m, p);
                }
            }
        }
    }

    fn unknown_provider(&mut self, m: usize, p: &crate::model::ProviderRef) {
        let known: Vec<String> = self.provider_maps[m].keys().cloned().collect();
        let in_root = m == 0;
        let mut d = Diagnostic::error(
            "strata::config::unknown_provider",
            format!("reference to undeclared provider configuration `{}`", p.local()),
        )
        .with_label(Some(p.span.clone()), "no such provider configuration in this module");
        d = match (did_you_mean(&p.local(), &known), &p.alias) {
            (Some(s), _) => d.with_help(format!("did you mean `{s}`?")),
            (None, Some(a)) if in_root => {
                d.with_help(format!("declare it with `provider \"{}\" {{ alias = \"{a}\" }}`; declared: {}", p.name, known.join(", ")))
            }
            (None, Some(_)) => d.with_help(format!(
                "list it in the module's `configuration_aliases` and pass it in the module block's `providers`; available: {}",
                known.join(", ")
            )),
            (None, None) => d.with_help(format!("declared: {}", known.join(", "))),
        };
        self.diags.push(d);
    }

    /// The address of the provider configuration that manages `r` in module `m`.
    fn provider_of(&self, m: usize, r: &Resource) -> String {
        let local = match &r.provider {
            Some(p) => p.local(),
            None => r.ty.split('_').next().unwrap_or(&r.ty).to_string(),
        };
        self.provider_maps[m].get(&local).cloned().unwrap_or_else(|| default_provider_address(&r.ty))
    }

    /// `moved` blocks of a new module instance (addresses prefixed with its path).
    fn add_moved(&mut self, inst: usize) {
        let m = self.insts[inst].module;
        for mv in &self.module(m).moved {
            let prefix = &self.insts[inst].path;
            match (parse_address(&self.config.sources, &mv.from, prefix), parse_address(&self.config.sources, &mv.to, prefix)) {
                (Ok(from), Ok(to)) => self.out.moved.push(MovedStatement { from, to, span: mv.span.clone() }),
                (Err(d), _) | (_, Err(d)) => self.diags.push(d),
            }
        }
    }

    /// `check` blocks: assertions evaluated once everything else is, in each
    /// module instance; a false (or invalid) one is a warning, never an error.
    fn eval_checks(&mut self) {
        for inst in 0..self.insts.len() {
            let m = self.insts[inst].module;
            for check in &self.module(m).checks {
                let path = &self.insts[inst].path;
                let subject = if path.is_root() { format!("check.{}", check.name) } else { format!("{path}.check.{}", check.name) };
                let ctx = ExprCtx { file: check.span.file, scope: &self.insts[inst].scope, module_dir: file_base() };
                for (mut d, _) in check_conditions(&check.asserts, ConditionKind::Assert, &subject, &ctx) {
                    d.severity = strata_core::Severity::Warning;
                    self.out.late_conditions.push((None, d.clone()));
                    self.diags.push(d);
                }
            }
        }
    }

    /// Provider blocks and the `strata` block, evaluated in the root scope.
    fn eval_root_blocks(&mut self) {
        let root = self.module(0);
        for p in &root.providers {
            let scope = &self.insts[0].scope;
            let ctx = ExprCtx { file: p.file, scope, module_dir: file_base() };
            let (config, d) = eval_generic_body(&p.body, &ctx);
            self.diags.extend(d);
            self.out.providers.push(ProviderConfig { name: p.name.clone(), alias: p.alias.clone(), config });
        }
        if let Some(s) = &root.settings {
            let scope = &self.insts[0].scope;
            let ctx = ExprCtx { file: s.file, scope, module_dir: file_base() };
            let (settings, d) = crate::settings::eval_settings(&s.body, &ctx);
            self.diags.extend(d);
            self.out.settings = settings;
        }
    }
}

/// A resource's static address: the instance key and module instance keys left out.
pub fn without_keys(addr: &Address) -> Address {
    let module = ModulePath(addr.module.0.iter().map(|s| strata_core::ModuleStep { name: s.name.clone(), key: None }).collect());
    Address { module, mode: addr.mode, ty: addr.ty.clone(), name: addr.name.clone(), key: None }
}

/// Evaluate conditions; returns the diagnostics of those that failed or are
/// invalid, each with whether it is a failure (false) rather than an invalid
/// condition. An unknown condition is deferred (to the apply, or the next plan).
fn check_conditions(conds: &[Condition], kind: ConditionKind, subject: &str, ctx: &ExprCtx) -> Vec<(Diagnostic, bool)> {
    let mut out = Vec::new();
    for c in conds {
        // `self` in a precondition was reported with the static graph.
        if kind == ConditionKind::Precondition && strata_expr::references(&c.condition.expr).iter().any(|r| r.root == "self") {
            continue;
        }
        let cctx = ExprCtx { file: c.condition.file, ..*ctx };
        let v = match eval_expr(&c.condition.expr, &cctx) {
            Ok(v) => v,
            Err(d) => {
                out.extend(d.0.into_iter().map(|d| (d, false)));
                continue;
            }
        };
        if v.is_unknown() {
            continue;
        }
        match v.to_bool() {
            Some(true) => {}
            Some(false) => {
                let mctx = ExprCtx { file: c.error_message.file, ..*ctx };
                let msg = match eval_expr(&c.error_message.expr, &mctx) {
                    Ok(m) if m.contains_sensitive() => "(the error message refers to sensitive values)".to_string(),
                    Ok(m) => m.to_template_string().unwrap_or_else(|| "the condition is false".into()),
                    Err(_) => "the condition is false (its error_message could not be evaluated)".into(),
                };
                let (code, help) = match kind {
                    ConditionKind::Assert => (
                        "strata::config::check_failed",
                        format!("`{subject}` only warns; the plan goes on: fix what the assertion reports"),
                    ),
                    ConditionKind::Precondition => (
                        "strata::config::precondition_failed",
                        format!("a precondition must hold before `{subject}` is planned: change the values it checks"),
                    ),
                    ConditionKind::Postcondition => (
                        "strata::config::postcondition_failed",
                        format!("the object of `{subject}` does not satisfy its postcondition: change its configuration or the condition"),
                    ),
                };
                out.push((
                    Diagnostic::error(code, format!("{} of `{subject}` failed: {msg}", kind.as_str()))
                        .with_label(c.condition.span(), "this condition is false")
                        .with_help(help),
                    true,
                ));
            }
            None => out.push((
                Diagnostic::error("strata::config::invalid_condition", format!("a {} condition must be true or false", kind.as_str()))
                    .with_label(
                        c.condition.span(),
                        if v.is_null() { "this is null".to_string() } else { format!("this is a {}", v.type_name()) },
                    )
                    .with_help("write a condition that evaluates to a bool, such as `length(var.x) > 0`"),
                false,
            )),
        }
    }
    out
}

/// Report condition diagnostics, and record the failures of an instance.
fn record_failures(out: &mut Evaluated, diags: &mut Diagnostics, addr: &Address, kind: ConditionKind, failed: Vec<(Diagnostic, bool)>) {
    for (d, is_failure) in failed {
        if is_failure {
            out.condition_failures.push(ConditionFailure { addr: addr.clone(), kind, diagnostic: d.clone() });
        }
        diags.push(d);
    }
}

#[derive(Debug, Clone, Default)]
struct RefContext {
    count: bool,
    each: bool,
    self_name: Option<String>,
}

/// `data.TYPE.NAME`: the name is the second step.
fn second_attr_direct(r: &Reference) -> Option<&str> {
    match r.path.get(1) {
        Some(strata_expr::RefStep::Attr(a)) => Some(a),
        _ => None,
    }
}

fn join_or_none<'s>(items: impl Iterator<Item = &'s String>) -> String {
    let v: Vec<&str> = items.map(String::as_str).collect();
    if v.is_empty() { "(none)".into() } else { v.join(", ") }
}

fn describe(v: &Value) -> String {
    if v.contains_sensitive() { "(sensitive value)".into() } else { format!("{v}") }
}

/// Where a resource's value lives in a module instance's scope.
fn resource_root(r: &Resource) -> Vec<&str> {
    match r.mode {
        Mode::Managed => vec![r.ty.as_str(), r.name.as_str()],
        Mode::Data => vec!["data", r.ty.as_str(), r.name.as_str()],
    }
}

/// The root names every module instance starts with.
fn base_scope(module_dir: &Path, root_dir: &Path) -> BTreeMap<String, Value> {
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| ".".into());
    let mut scope = BTreeMap::new();
    scope.insert("var".into(), Value::Map(BTreeMap::new().into()));
    scope.insert("local".into(), Value::Map(BTreeMap::new().into()));
    scope.insert("module".into(), Value::Map(BTreeMap::new().into()));
    scope.insert("data".into(), Value::Map(BTreeMap::new().into()));
    scope.insert(
        "path".into(),
        Value::map([
            ("module", Value::string(module_dir.display().to_string())),
            ("root", Value::string(root_dir.display().to_string())),
            ("cwd", Value::string(cwd)),
        ]),
    );
    scope.insert("terraform".into(), Value::map([("workspace", Value::string("default"))]));
    scope
}

/// Insert `value` at `scope[path[0]][path[1]]...`, creating maps on the way.
fn insert_path(scope: &mut BTreeMap<String, Value>, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        scope.insert((*first).to_string(), value);
        return;
    }
    let entry = scope.entry((*first).to_string()).or_insert_with(|| Value::Map(BTreeMap::new().into()));
    if !matches!(entry, Value::Map(_)) {
        *entry = Value::Map(BTreeMap::new().into());
    }
    if let Value::Map(m) = entry {
        insert_path(m, rest, value);
    }
}

/// The slot of one instance under `scope[path...]`: the value itself without
/// a key, element `i` of a list for `count`, entry `k` of a map for `for_each`.
/// Created (as an empty object) if missing.
/// How deeply an output value may nest lists, sets and maps. The state and
/// plan files are JSON read with serde_json's limit of 128 levels: an output
/// sits 3 levels down in either, and a set is written as 2 levels in a plan
/// file, so 60 always reads back (a deeper output was written and then made
/// the state unreadable).
const MAX_OUTPUT_DEPTH: usize = 60;

/// Whether `v` nests collections more than `limit` levels deep; looks no
/// deeper than that, so any value is checked in bounded stack.
fn nests_deeper_than(v: &Value, limit: usize) -> bool {
    match v {
        Value::Sensitive(inner) => nests_deeper_than(inner, limit),
        Value::List(items) | Value::Set(items) => limit == 0 || items.iter().any(|i| nests_deeper_than(i, limit - 1)),
        Value::Map(m) => limit == 0 || m.values().any(|i| nests_deeper_than(i, limit - 1)),
        _ => false,
    }
}

fn instance_slot<'v>(scope: &'v mut BTreeMap<String, Value>, path: &[&str], key: Option<&InstanceKey>) -> &'v mut Value {
    let mut cur: &mut BTreeMap<String, Value> = scope;
    let (last, init) = path.split_last().map_or(("", &[][..]), |(l, i)| (*l, i));
    for p in init {
        let e = cur.entry((*p).to_string()).or_insert_with(|| Value::Map(BTreeMap::new().into()));
        if !matches!(e, Value::Map(_)) {
            *e = Value::Map(BTreeMap::new().into());
        }
        let Value::Map(m) = e else { unreachable!("just made a map") };
        cur = m;
    }
    let slot = cur.entry(last.to_string()).or_insert(Value::Null);
    match key {
        None => {
            if slot.is_null() {
                *slot = Value::Map(BTreeMap::new().into());
            }
            slot
        }
        Some(InstanceKey::Int(i)) => {
            if !matches!(slot, Value::List(_)) {
                *slot = Value::List(Vec::new().into());
            }
            let Value::List(items) = slot else { unreachable!("just made a list") };
            let i = usize::try_from(*i).unwrap_or(0);
            while items.len() <= i {
                items.push(Value::Map(BTreeMap::new().into()));
            }
            &mut items[i]
        }
        Some(InstanceKey::Str(k)) => {
            if !matches!(slot, Value::Map(_)) {
                *slot = Value::Map(BTreeMap::new().into());
            }
            let Value::Map(m) = slot else { unreachable!("just made a map") };
            m.entry(k.clone()).or_insert_with(|| Value::Map(BTreeMap::new().into()))
        }
    }
}

/// Every `ignore_changes` item must name a whole attribute or block of the
/// type: strata cannot ignore part of one (`tags["Name"]`), and an item that
/// names nothing would leave changes planned that the author meant to ignore.
fn check_ignore_changes(
    sources: &strata_core::SourceMap,
    e: &Expr,
    block: &strata_provider::BlockSchema,
    ty: &str,
    diags: &mut Diagnostics,
) {
    let items = match &e.expr {
        Expression::Variable(v) if v.as_str() == "all" => return,
        Expression::Array(items) => items,
        _ => {
            diags.push(
                Diagnostic::error("strata::config::invalid_ignore_changes", "`ignore_changes` must be a list of attribute names, or `all`")
                    .with_label(e.span(), "not a list")
                    .with_help("write `ignore_changes = [tags, user_data]` or `ignore_changes = all`"),
            );
            return;
        }
    };
    let names = block.attributes.keys().chain(block.blocks.keys());
    let names: Vec<&String> = names.collect();
    for item in items.iter() {
        let Some(span) = hcl_edit::Span::span(item).map(|r| Span::new(e.file, r)) else { continue };
        let text = sources.snippet(&span).trim().trim_matches('"').to_string();
        if names.iter().any(|n| **n == text) {
            continue;
        }
        let root: String = text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        // `tags["DeployedAt"]`: one entry of a map attribute.
        let is_map = block.attributes.get(&root).is_some_and(|a| matches!(a.ty, Type::Map(_)));
        let key = text.strip_prefix(root.as_str()).and_then(|r| r.strip_prefix("[\"")).and_then(|r| r.strip_suffix("\"]"));
        if is_map && key.is_some_and(|k| !k.contains('"')) {
            continue;
        }
        let d = if root != text && names.iter().any(|n| **n == root) {
            Diagnostic::error("strata::config::invalid_ignore_changes", format!("strata cannot ignore part of an attribute: `{text}`"))
                .with_label(Some(span), "a path inside an attribute")
                .with_help(format!("ignore the whole attribute with `{root}`, or remove this item"))
        } else {
            let mut d = Diagnostic::error("strata::config::invalid_ignore_changes", format!("`{ty}` has no attribute `{text}` to ignore"))
                .with_label(Some(span), "not an attribute of this type");
            if let Some(s) = did_you_mean(&text, names.iter().map(|n| n.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            d
        };
        diags.push(d);
    }
}

/// `ignore_changes = [tags, user_data]` or `all`: the attribute names.
fn ignore_list(sources: &strata_core::SourceMap, e: &Expr) -> Vec<String> {
    match &e.expr {
        Expression::Variable(v) if v.as_str() == "all" => vec!["*".into()],
        Expression::Array(items) => items
            .iter()
            .filter_map(|i| hcl_edit::Span::span(i).map(|r| sources.snippet(&Span::new(e.file, r)).trim().trim_matches('"').to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

/// A `moved` block's `from` / `to`: a resource address written as a traversal.
fn parse_address(sources: &strata_core::SourceMap, e: &Expr, prefix: &ModulePath) -> Result<Address, Diagnostic> {
    let span = e.span();
    let text = span.as_ref().map(|s| sources.snippet(s).trim().to_string()).unwrap_or_default();
    match text.parse::<Address>() {
        Ok(mut a) => {
            let mut steps = prefix.0.clone();
            steps.extend(a.module.0);
            a.module = ModulePath(steps);
            Ok(a)
        }
        Err(err) => Err(Diagnostic::error("strata::config::invalid_address", format!("invalid address in `moved`: {err}"))
            .with_label(span, "not a resource address")
            .with_help("write a resource address such as `aws_instance.web` or `module.app.aws_instance.web[0]`")),
    }
}
