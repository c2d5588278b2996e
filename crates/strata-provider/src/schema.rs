//! Schemas of resource types and data sources.
//!
//! A catalog reads like a table thanks to the small constructors here:
//!
//! ```
//! use strata_core::{Layer, Type};
//! use strata_provider::schema::{computed, optional, required, BlockSchema, ResourceSchema};
//!
//! let subnet = ResourceSchema::new(
//!     "aws_subnet",
//!     Layer::Infrastructure,
//!     BlockSchema::new()
//!         .attr("vpc_id", required(Type::String).force_new())
//!         .attr("map_public_ip_on_launch", optional(Type::Bool).default(false))
//!         .attr("arn", computed(Type::String)),
//! )
//! .tagged();
//! assert!(subnet.block.attribute("id").is_some_and(|id| id.computed));
//! assert_eq!(subnet.force_new_attributes(), ["vpc_id"]);
//! ```

use std::collections::BTreeMap;

use strata_core::{Layer, Type, Value};

#[derive(Debug, Clone, Default)]
pub struct ProviderSchema {
    /// `aws`.
    pub name: String,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
    /// Old resource type names kept as aliases (`aws_alb` → `aws_lb`), as
    /// the provider keeps them: the same schema and implementation, while
    /// addresses and the state keep the name written. Not in `resources`, so
    /// what walks every type (drift's listing, the docs page) sees each once.
    pub aliases: BTreeMap<String, String>,
}

impl ProviderSchema {
    /// The schema of a resource type, or of the type an alias names.
    pub fn resource(&self, ty: &str) -> Option<&ResourceSchema> {
        self.resources.get(ty).or_else(|| self.resources.get(self.aliases.get(ty)?))
    }

    /// The type an alias stands for; any other name as it is.
    pub fn canonical<'a>(&'a self, ty: &'a str) -> &'a str {
        self.aliases.get(ty).map_or(ty, String::as_str)
    }

    pub fn data_source(&self, ty: &str) -> Option<&ResourceSchema> {
        self.data_sources.get(ty)
    }

    /// Resource type names in lexical order (candidates for "did you mean").
    pub fn resource_type_names(&self) -> impl Iterator<Item = &str> {
        self.resources.keys().map(String::as_str)
    }

    /// Data source type names in lexical order.
    pub fn data_source_type_names(&self) -> impl Iterator<Item = &str> {
        self.data_sources.keys().map(String::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct ResourceSchema {
    pub type_name: String,
    /// The type's default layer (a resource may override it with `layer = ...`,
    /// and the graph lifts it to the highest layer among its dependencies).
    /// Data sources use `Layer::Infrastructure`; it is not used for them.
    pub layer: Layer,
    /// Whether the type takes `tags` (and so `default_tags` and the strata tags).
    pub taggable: bool,
    pub block: BlockSchema,
    /// How `strata cost` prices the type; `None` until declared (a tidy test
    /// fails for a resource type without it; data sources have none).
    pub pricing: Option<Pricing>,
    /// What `strata drift` needs to know of the type's objects.
    pub drift: DriftRelations,
}

/// How a resource type is priced: the one place that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pricing {
    /// Costs nothing by itself; `note` says what is billed elsewhere
    /// (`DNS queries are billed by usage ...`).
    Free { note: Option<&'static str> },
    /// Priced from the embedded catalog by `strata-cost`'s pricer for this
    /// model (which may add usage-based components).
    Catalog(PriceModel),
    /// Billed, but strata has no prices for it: every object is listed as
    /// not priced with this reason, and the total is a lower bound.
    NotPriced { reason: &'static str },
}

/// What a priced type is priced as; `strata-cost` has one pricer per model
/// (an exhaustive match: a new model does not compile without its pricer).
/// Old type names priced alike share a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PriceModel {
    /// An EC2 instance: compute hours, root and EBS block devices.
    Instance,
    /// An EBS volume: storage, IOPS and throughput.
    EbsVolume,
    /// An RDS instance: instance hours, storage, IOPS, backups.
    DbInstance,
    /// An application or network load balancer: hours and capacity units.
    LoadBalancer,
    /// A NAT gateway: hours and data processed.
    NatGateway,
    /// An Elastic IP address (public IPv4 hours).
    ElasticIp,
    /// A Route 53 hosted zone (global).
    HostedZone,
}

/// An object another object brings with it and owns (a VPC's default
/// security group, an instance's root volume): found at `path` in the
/// owner's state (`*`: every element of a list), of type `ty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companion {
    pub path: &'static [&'static str],
    pub ty: &'static str,
}

/// The relations drift uses to tell managed objects from unmanaged ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftRelations {
    /// Objects of this type are parts of an object of that type, which also
    /// manages them inline (a security group rule of its group, a route of
    /// its table): they are not listed on their own; a part added by hand
    /// shows up as a changed attribute of its owner.
    pub part_of: Option<&'static str>,
    /// The objects each object of this type brings with it.
    pub companions: Vec<Companion>,
    /// The type's objects are the same in every region (IAM): drift lists
    /// them through one provider configuration, not once per region alias.
    pub global: bool,
}

impl ResourceSchema {
    /// A type that is not taggable. Every object has an `id`: a computed
    /// `id` attribute is added unless the block already declares one (data
    /// sources often take `id` as an optional argument).
    pub fn new(type_name: impl Into<String>, layer: Layer, block: BlockSchema) -> ResourceSchema {
        let mut block = block;
        block.attributes.entry("id".into()).or_insert_with(|| computed(Type::String));
        ResourceSchema { type_name: type_name.into(), layer, taggable: false, block, pricing: None, drift: DriftRelations::default() }
    }

    /// Declares the type free (it costs nothing by itself).
    pub fn free(mut self) -> ResourceSchema {
        self.pricing = Some(Pricing::Free { note: None });
        self
    }

    /// Declares the type free, with a note on what is billed by usage.
    pub fn free_noting(mut self, note: &'static str) -> ResourceSchema {
        self.pricing = Some(Pricing::Free { note: Some(note) });
        self
    }

    /// Declares the type priced from the catalog as `model`.
    pub fn priced(mut self, model: PriceModel) -> ResourceSchema {
        self.pricing = Some(Pricing::Catalog(model));
        self
    }

    /// Declares the type billed but not priced by strata, with the reason.
    pub fn not_priced(mut self, reason: &'static str) -> ResourceSchema {
        self.pricing = Some(Pricing::NotPriced { reason });
        self
    }

    /// Declares the type's objects parts of an object of type `owner`
    /// ([`DriftRelations::part_of`]).
    pub fn part_of(mut self, owner: &'static str) -> ResourceSchema {
        self.drift.part_of = Some(owner);
        self
    }

    /// Declares an object each object of this type brings with it
    /// ([`DriftRelations::companions`]).
    pub fn companion(mut self, path: &'static [&'static str], ty: &'static str) -> ResourceSchema {
        self.drift.companions.push(Companion { path, ty });
        self
    }

    /// The type's objects are global (the same in every region).
    pub fn global(mut self) -> ResourceSchema {
        self.drift.global = true;
        self
    }

    /// Marks the type taggable and adds `tags` (optional `map(string)`) and
    /// `tags_all` (computed: `tags` merged with the provider's default tags).
    pub fn tagged(mut self) -> ResourceSchema {
        self.taggable = true;
        self.block.attributes.insert("tags".into(), optional(Type::map(Type::String)));
        self.block.attributes.insert("tags_all".into(), computed(Type::map(Type::String)));
        self
    }

    /// Paths of the attributes and blocks whose change forces replacement, in
    /// lexical order; nested paths are joined with `.`
    /// (`root_block_device.encrypted`). A block marked `force_new` is listed
    /// itself and its contents are not repeated.
    pub fn force_new_attributes(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.block.collect_force_new("", &mut out);
        out
    }
}

#[derive(Debug, Clone, Default)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttributeSchema>,
    pub blocks: BTreeMap<String, NestedBlock>,
}

impl BlockSchema {
    pub fn new() -> BlockSchema {
        BlockSchema::default()
    }

    /// Adds (or replaces) an attribute; for building catalogs.
    pub fn attr(mut self, name: &str, attribute: AttributeSchema) -> BlockSchema {
        self.attributes.insert(name.into(), attribute);
        self
    }

    /// Adds (or replaces) a nested block type; for building catalogs.
    pub fn block(mut self, name: &str, block: NestedBlock) -> BlockSchema {
        self.blocks.insert(name.into(), block);
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&AttributeSchema> {
        self.attributes.get(name)
    }

    pub fn nested_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.get(name)
    }

    /// Every name the block accepts, attributes then blocks (candidates for
    /// "did you mean").
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attributes.keys().chain(self.blocks.keys()).map(String::as_str)
    }

    fn collect_force_new(&self, prefix: &str, out: &mut Vec<String>) {
        let mut entries: Vec<(&String, Option<&BlockSchema>)> = Vec::new();
        for (name, a) in &self.attributes {
            if a.force_new {
                entries.push((name, None));
            }
        }
        for (name, b) in &self.blocks {
            entries.push((name, (!b.force_new).then_some(&b.block)));
        }
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (name, nested) in entries {
            let path = format!("{prefix}{name}");
            match nested {
                Some(block) => block.collect_force_new(&format!("{path}."), out),
                None => out.push(path),
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct AttributeSchema {
    pub ty: Type,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// The provider sets it (known after apply unless configured).
    pub computed: bool,
    /// Changing it forces the object to be replaced.
    pub force_new: bool,
    /// Never rendered (passwords).
    pub sensitive: bool,
    /// The value the provider assumes when the attribute is not configured.
    pub default: Option<Value>,
    /// Changes by itself all the time (an RDS instance's latest restorable
    /// time): a refresh that finds only such changes keeps the recorded
    /// object, so the state's serial (and a saved plan) stays as it was.
    pub volatile: bool,
    /// A computed attribute the provider derives from this argument of the
    /// same block (`terraform_data.output` from `input`): planned unknown
    /// whenever the argument changes, instead of keeping its recorded value.
    pub derived_from: Option<&'static str>,
    /// A JSON policy document compared by meaning
    /// ([`crate::policy::policies_equivalent`]): a planned value equivalent
    /// to the recorded one keeps the recorded text.
    pub json_policy: bool,
}

/// An argument that must be set.
pub fn required(ty: Type) -> AttributeSchema {
    AttributeSchema::new(ty, true, false, false)
}

/// An argument that may be set; null when it is not (unless it has a default).
pub fn optional(ty: Type) -> AttributeSchema {
    AttributeSchema::new(ty, false, true, false)
}

/// An attribute only the provider sets.
pub fn computed(ty: Type) -> AttributeSchema {
    AttributeSchema::new(ty, false, false, true)
}

/// An argument that may be set; the provider chooses the value when it is not.
pub fn optional_computed(ty: Type) -> AttributeSchema {
    AttributeSchema::new(ty, false, true, true)
}

impl AttributeSchema {
    fn new(ty: Type, required: bool, optional: bool, computed: bool) -> AttributeSchema {
        AttributeSchema {
            ty,
            required,
            optional,
            computed,
            force_new: false,
            sensitive: false,
            default: None,
            volatile: false,
            derived_from: None,
            json_policy: false,
        }
    }

    /// See [`AttributeSchema::derived_from`].
    pub fn derived_from(mut self, argument: &'static str) -> AttributeSchema {
        self.derived_from = Some(argument);
        self
    }

    pub fn volatile(mut self) -> AttributeSchema {
        self.volatile = true;
        self
    }

    pub fn json_policy(mut self) -> AttributeSchema {
        self.json_policy = true;
        self
    }

    pub fn force_new(mut self) -> AttributeSchema {
        self.force_new = true;
        self
    }

    pub fn sensitive(mut self) -> AttributeSchema {
        self.sensitive = true;
        self
    }

    pub fn default(mut self, value: impl IntoDefault) -> AttributeSchema {
        self.default = Some(value.into_default());
        self
    }
}

/// Literals accepted by [`AttributeSchema::default`]: `true`, `300`, `"HTTP"`.
pub trait IntoDefault {
    fn into_default(self) -> Value;
}

impl IntoDefault for bool {
    fn into_default(self) -> Value {
        Value::Bool(self)
    }
}

impl IntoDefault for i32 {
    fn into_default(self) -> Value {
        Value::Number(f64::from(self))
    }
}

impl IntoDefault for &str {
    fn into_default(self) -> Value {
        Value::string(self)
    }
}

impl IntoDefault for Value {
    fn into_default(self) -> Value {
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block: `root_block_device { }`.
    Single,
    /// Ordered blocks: `default_action { }`.
    List,
    /// Unordered blocks: `ingress { }`.
    Set,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: usize,
    pub max_items: Option<usize>,
    /// Changing the block forces replacement.
    pub force_new: bool,
    /// Optional and computed ("attributes as blocks" such as a route table's
    /// `route`): when the configuration leaves the block out entirely, the
    /// recorded blocks are kept (routes may be managed as `aws_route`
    /// resources); `route = []` empties it.
    pub computed: bool,
}

impl NestedBlock {
    /// At most one block (`max_items` 1).
    pub fn single(block: BlockSchema) -> NestedBlock {
        NestedBlock { nesting: Nesting::Single, block, min_items: 0, max_items: Some(1), force_new: false, computed: false }
    }

    pub fn list(block: BlockSchema) -> NestedBlock {
        NestedBlock { nesting: Nesting::List, block, min_items: 0, max_items: None, force_new: false, computed: false }
    }

    pub fn set(block: BlockSchema) -> NestedBlock {
        NestedBlock { nesting: Nesting::Set, block, min_items: 0, max_items: None, force_new: false, computed: false }
    }

    pub fn min_items(mut self, n: usize) -> NestedBlock {
        self.min_items = n;
        self
    }

    pub fn max_items(mut self, n: usize) -> NestedBlock {
        self.max_items = Some(n);
        self
    }

    pub fn force_new(mut self) -> NestedBlock {
        self.force_new = true;
        self
    }

    pub fn computed(mut self) -> NestedBlock {
        self.computed = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ResourceSchema {
        let device = BlockSchema::new()
            .attr("encrypted", optional_computed(Type::Bool).force_new())
            .attr("volume_size", optional_computed(Type::Number));
        let template = BlockSchema::new().attr("name", optional(Type::String).force_new());
        ResourceSchema::new(
            "test_thing",
            Layer::Application,
            BlockSchema::new()
                .attr("ami", required(Type::String).force_new())
                .attr("password", optional(Type::String).sensitive())
                .attr("zone", optional_computed(Type::String).force_new())
                .block("root_block_device", NestedBlock::single(device))
                .block("launch_template", NestedBlock::single(template).force_new()),
        )
        .tagged()
    }

    #[test]
    fn constructors_set_flags() {
        let a = required(Type::String).force_new();
        assert!(a.required && !a.optional && !a.computed && a.force_new && !a.sensitive);
        let a = optional_computed(Type::Bool).default(true);
        assert!(!a.required && a.optional && a.computed);
        assert_eq!(a.default, Some(Value::Bool(true)));
        assert_eq!(optional(Type::Number).default(300).default, Some(Value::Number(300.0)));
        assert_eq!(optional(Type::String).default("HTTP").default, Some(Value::string("HTTP")));
        assert!(computed(Type::String).computed);
        assert!(optional(Type::String).sensitive().sensitive);
    }

    #[test]
    fn new_adds_id_and_tagged_adds_tags() {
        let s = sample();
        assert!(s.taggable);
        assert!(s.block.attribute("id").is_some_and(|a| a.computed && !a.optional));
        assert_eq!(s.block.attribute("tags").map(|a| &a.ty), Some(&Type::map(Type::String)));
        assert!(s.block.attribute("tags_all").is_some_and(|a| a.computed && !a.optional));

        // A declared `id` (data sources take it as an argument) is kept.
        let ds = ResourceSchema::new("d", Layer::Infrastructure, BlockSchema::new().attr("id", optional_computed(Type::String)));
        assert!(!ds.taggable);
        assert!(ds.block.attribute("id").is_some_and(|a| a.optional));
    }

    #[test]
    fn names_lists_attributes_then_blocks() {
        let s = sample();
        let names: Vec<&str> = s.block.names().collect();
        assert_eq!(names, ["ami", "id", "password", "tags", "tags_all", "zone", "launch_template", "root_block_device"]);
        assert_eq!(strata_core::did_you_mean("amii", s.block.names()).as_deref(), Some("ami"));
    }

    #[test]
    fn force_new_paths_include_nested_attributes_and_blocks() {
        assert_eq!(sample().force_new_attributes(), ["ami", "launch_template", "root_block_device.encrypted", "zone"]);
    }

    #[test]
    fn nested_block_constructors() {
        let b = NestedBlock::single(BlockSchema::new());
        assert_eq!((b.nesting, b.min_items, b.max_items), (Nesting::Single, 0, Some(1)));
        let b = NestedBlock::list(BlockSchema::new()).min_items(1).max_items(5);
        assert_eq!((b.nesting, b.min_items, b.max_items), (Nesting::List, 1, Some(5)));
        let b = NestedBlock::set(BlockSchema::new()).force_new();
        assert_eq!((b.nesting, b.max_items, b.force_new), (Nesting::Set, None, true));
    }

    #[test]
    fn provider_type_names() {
        let mut p = ProviderSchema { name: "aws".into(), ..ProviderSchema::default() };
        p.resources.insert("b".into(), sample());
        p.resources.insert("a".into(), sample());
        assert_eq!(p.resource_type_names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.data_source_type_names().count(), 0);
    }

    #[test]
    fn aliases_resolve_to_their_type() {
        let mut p = ProviderSchema { name: "aws".into(), ..ProviderSchema::default() };
        p.resources.insert("new".into(), sample());
        p.aliases.insert("old".into(), "new".into());
        assert!(p.resource("old").is_some());
        assert_eq!((p.canonical("old"), p.canonical("new"), p.canonical("other")), ("new", "new", "other"));
        assert_eq!(p.resource_type_names().collect::<Vec<_>>(), ["new"]);
    }
}
