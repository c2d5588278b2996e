//! Schemas of resource types and data sources.

use std::collections::BTreeMap;

use strata_core::{Layer, Type, Value};

#[derive(Debug, Clone, Default)]
pub struct ProviderSchema {
    /// `aws`.
    pub name: String,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

impl ProviderSchema {
    pub fn resource(&self, ty: &str) -> Option<&ResourceSchema> {
        self.resources.get(ty)
    }

    pub fn data_source(&self, ty: &str) -> Option<&ResourceSchema> {
        self.data_sources.get(ty)
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
}

#[derive(Debug, Clone, Default)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttributeSchema>,
    pub blocks: BTreeMap<String, NestedBlock>,
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
}
