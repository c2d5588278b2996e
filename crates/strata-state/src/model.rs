//! The state file format, version 1 (JSON).
//!
//! ```json
//! {"version": 1, "lineage": "uuid", "serial": 42, "strata_version": "0.1.0",
//!  "resources": [{"address": "aws_instance.app[0]", "type": "aws_instance", "layer": 3,
//!    "id": "i-0abc", "attributes": {...}, "sensitive_paths": [["password"]],
//!    "dependencies": ["aws_subnet.a"], "created_at": "2026-11-23T13:00:00Z"}],
//!  "intents": [{"address": "aws_instance.app[1]", "token": "uuid", "operation": "create",
//!    "started_at": "..."}],
//!  "outputs": {"name": {"value": ..., "sensitive": false}}}
//! ```
//!
//! Sensitive attribute values are stored (the state file is a secret, written
//! with mode 0600) but `sensitive_paths` tells every renderer to hide them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use strata_core::{Address, Layer, Value};

use crate::time::now_rfc3339;

/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// A UUID fixed when the state is first created; a plan made against one
    /// lineage never applies to another.
    pub lineage: String,
    /// Increases on every write that changes content.
    pub serial: u64,
    pub strata_version: String,
    #[serde(default)]
    pub resources: Vec<ResourceState>,
    /// Creates that were started but not recorded as finished (crash recovery).
    #[serde(default)]
    pub intents: Vec<Intent>,
    /// Objects replaced under `create_before_destroy` whose replacement was
    /// created but which are not deleted yet (the next apply deletes them).
    /// Each keeps the address of the instance it was replaced at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
}

impl State {
    /// An empty state with a fresh lineage, serial 0 (the first write makes it 1).
    pub fn new() -> State {
        State {
            version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            strata_version: env!("CARGO_PKG_VERSION").to_string(),
            resources: Vec::new(),
            intents: Vec::new(),
            deposed: Vec::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// The resource recorded at `address` (printed form, e.g. `aws_instance.app[0]`).
    pub fn resource(&self, address: &str) -> Option<&ResourceState> {
        self.resources.iter().find(|r| r.address == address)
    }

    pub fn resource_mut(&mut self, address: &str) -> Option<&mut ResourceState> {
        self.resources.iter_mut().find(|r| r.address == address)
    }

    /// The resource recorded at a parsed address.
    pub fn resource_at(&self, address: &Address) -> Option<&ResourceState> {
        self.resource(&address.to_string())
    }

    /// Record `r`, replacing the entry with the same address in place or
    /// appending a new one.
    pub fn upsert_resource(&mut self, r: ResourceState) {
        match self.resource_mut(&r.address) {
            Some(slot) => *slot = r,
            None => self.resources.push(r),
        }
    }

    pub fn remove_resource(&mut self, address: &str) -> Option<ResourceState> {
        let i = self.resources.iter().position(|r| r.address == address)?;
        Some(self.resources.remove(i))
    }

    /// Remove the intent for `address`, if any.
    pub fn remove_intent(&mut self, address: &str) -> Option<Intent> {
        let i = self.intents.iter().position(|x| x.address == address)?;
        Some(self.intents.remove(i))
    }

    /// True when both states record the same things; `serial` and
    /// `strata_version` (bookkeeping of the write itself) are ignored.
    pub fn same_content(&self, other: &State) -> bool {
        self.version == other.version
            && self.lineage == other.lineage
            && self.resources == other.resources
            && self.intents == other.intents
            && self.deposed == other.deposed
            && self.outputs == other.outputs
    }

    /// The state file text: pretty JSON with a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        // Every map key is a string and serde_json::Value holds no non-finite
        // numbers, so serialization cannot fail.
        let mut s = serde_json::to_string_pretty(self).expect("a State always serializes");
        s.push('\n');
        s
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// Printed form of a [`strata_core::Address`]; see [`ResourceState::addr`].
    pub address: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// The layer (1..5) the instance had when it was recorded.
    pub layer: u8,
    /// The provider's id of the object (`i-0abc`, `vpc-123`).
    pub id: String,
    /// Every attribute as the provider last reported it.
    pub attributes: serde_json::Value,
    /// Paths (attribute names / list indices as strings) whose values are secret.
    #[serde(default)]
    pub sensitive_paths: Vec<Vec<String>>,
    /// Addresses this instance depended on when it was recorded (teardown order
    /// for objects no longer in the configuration).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// RFC 3339.
    #[serde(default)]
    pub created_at: String,
    /// Opaque provider data carried through untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<serde_json::Value>,
    /// The provider configuration that manages the object, as Terraform
    /// writes it (`provider["aws"].west`); absent for the type's default
    /// configuration (`provider["aws"]`). Refresh and delete of an object no
    /// longer in the configuration use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

impl ResourceState {
    /// A record of a live object from its attributes as a [`Value`]: sensitive
    /// marks become `sensitive_paths`, unknowns become null, `created_at` is
    /// now; `dependencies` and `private` start empty.
    pub fn from_value(address: &Address, layer: Layer, id: impl Into<String>, attributes: &Value) -> ResourceState {
        ResourceState {
            address: address.to_string(),
            ty: address.ty.clone(),
            layer: layer.number(),
            id: id.into(),
            attributes: attributes.to_json(),
            sensitive_paths: sensitive_paths(attributes),
            dependencies: Vec::new(),
            created_at: now_rfc3339(),
            private: None,
            provider: None,
        }
    }

    /// The recorded layer, if it is in 1..=5 (checked when state is read).
    pub fn layer(&self) -> Option<Layer> {
        Layer::from_number(self.layer)
    }

    pub fn addr(&self) -> Result<Address, strata_core::address::AddressParseError> {
        self.address.parse()
    }

    /// The attributes as a [`Value`], sensitive paths marked.
    pub fn values(&self) -> Value {
        let mut v = Value::from_json(&self.attributes);
        for path in &self.sensitive_paths {
            mark_path(&mut v, path);
        }
        v
    }
}

/// The paths (map keys, list indices as strings) of every sensitive mark in
/// `v`, outermost marks only, in a stable order. A marked root gives `[[]]`.
pub fn sensitive_paths(v: &Value) -> Vec<Vec<String>> {
    fn walk(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Sensitive(_) => out.push(path.clone()),
            Value::List(items) | Value::Set(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(item, path, out);
                    path.pop();
                }
            }
            Value::Map(m) => {
                for (k, item) in m {
                    path.push(k.clone());
                    walk(item, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

fn mark_path(v: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        let inner = std::mem::replace(v, Value::Null);
        *v = inner.mark_if(true);
        return;
    };
    match v {
        Value::Map(m) => {
            if let Some(child) = m.get_mut(first) {
                mark_path(child, rest);
            }
        }
        Value::List(items) | Value::Set(items) => {
            if let Some(child) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                mark_path(child, rest);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub address: String,
    /// Idempotency token, also written as the `strata:intent` tag.
    pub token: String,
    /// `create` (the only operation that needs recovery).
    pub operation: String,
    pub started_at: String,
    /// What finds the object once the address has left the configuration:
    /// the planned value's known, non-sensitive top-level attributes that are
    /// strings, numbers, booleans or lists of them (deterministic names,
    /// route destinations, final snapshot settings). Absent in intents
    /// written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<serde_json::Value>,
    /// The addresses the create depended on (teardown order of an object
    /// found after its address left the configuration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// The provider configuration the create went to, as on
    /// [`ResourceState::provider`] (absent: the type's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: serde_json::Value,
    #[serde(default)]
    pub sensitive: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(address: &str, id: &str) -> ResourceState {
        let addr: Address = address.parse().unwrap();
        ResourceState::from_value(&addr, Layer::Infrastructure, id, &Value::map([("id", Value::string(id))]))
    }

    #[test]
    fn deposed_objects_round_trip_and_count_as_content() {
        let mut s = State::new();
        let plain = s.to_json_pretty();
        assert!(!plain.contains("deposed"), "an empty list is not written, so older readers see the same file");
        let read: State = serde_json::from_str(&plain).unwrap();
        assert!(read.deposed.is_empty());

        s.deposed.push(record("aws_vpc.main", "vpc-old"));
        assert!(!s.same_content(&read), "a deposed object is content");
        let back: State = serde_json::from_str(&s.to_json_pretty()).unwrap();
        assert_eq!(back.deposed, s.deposed);
        assert!(back.same_content(&s));
    }
}
