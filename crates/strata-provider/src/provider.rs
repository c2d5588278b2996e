//! The provider interface: one request struct in, one response struct out,
//! as OpenTofu's providers interface does. The engine talks to clouds only
//! through this trait; it never knows how a provider batches or retries.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use strata_core::{Address, Diagnostics, Value};

use crate::schema::ProviderSchema;

/// Tags strata writes on every object that takes tags: its address, the
/// state lineage, and the intent token of the create that made it. Engine
/// (drift, recovery) and providers agree on them here.
pub const TAG_ADDRESS: &str = "strata:address";
pub const TAG_LINEAGE: &str = "strata:lineage";
pub const TAG_INTENT: &str = "strata:intent";

/// The prefix of strata's own tags ([`TAG_ADDRESS`], [`TAG_LINEAGE`],
/// [`TAG_INTENT`]).
pub const STRATA_TAG_PREFIX: &str = "strata:";

/// Tags no configuration manages: strata's own (`strata:`) and those the
/// cloud reserves (`aws:`, such as `aws:cloudformation:stack-name`, which
/// no tagging call can set or remove). Plans never remove them and drift
/// never reports them; every other tag of an object is compared with the
/// configuration's `tags` merged with the provider's default tags.
pub fn is_system_tag(key: &str) -> bool {
    key.starts_with(STRATA_TAG_PREFIX) || key.starts_with("aws:")
}

/// The diagnostic code of a `configure` that found no credentials: `plan`
/// then plans against the recorded state instead of failing.
pub const NO_CREDENTIALS: &str = "strata::provider::no_credentials";

/// An error from the cloud, with the provider's own text.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderError {
    /// The API's error code (`InvalidVpcID.NotFound`, `Throttling`), if any.
    pub code: Option<String>,
    /// The API's message, shown to the user as is.
    pub message: String,
    /// Worth trying again later (throttling, 5xx) after the provider's own retries.
    pub retryable: bool,
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The evaluated `provider "aws" { ... }` block and the state lineage.
#[derive(Debug, Clone, Default)]
pub struct ConfigureRequest {
    /// region, endpoints { ec2 = ..., rds = ... }, default_tags { tags = {...} }, ...
    pub config: Value,
    /// Written as the `strata:lineage` tag on created objects.
    pub lineage: String,
}

/// One recorded object to read back.
#[derive(Debug, Clone)]
pub struct ReadObject {
    pub addr: Address,
    pub id: String,
    /// The recorded attributes (the provider may need more than the id).
    pub prior: Value,
}

/// Every recorded object of one type: the provider reads them in as few
/// calls as the API allows (one Describe per page, filtered by the ids).
#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub ty: String,
    pub objects: Vec<ReadObject>,
    /// Also read what no batched call reports, one call per object (load
    /// balancer and target group attributes): drift asks for it, a refresh
    /// before planning does not.
    pub deep: bool,
}

/// Whose an object is, as its `strata:lineage` tag says. Providers report
/// what they read; the engine decides what may be adopted, changed or
/// deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Ownership {
    /// No tags were read (the type has none).
    #[default]
    NotRead,
    /// The object has tags but no `strata:lineage` tag: strata did not make
    /// it (or someone removed the tag).
    Untagged,
    /// The object's `strata:lineage` tag.
    Lineage(String),
}

impl Ownership {
    /// From an object's tags (`None`: the type has no tags).
    pub fn of_tags(tags: Option<&BTreeMap<String, String>>) -> Ownership {
        match tags {
            None => Ownership::NotRead,
            Some(t) => t.get(TAG_LINEAGE).map_or(Ownership::Untagged, |l| Ownership::Lineage(l.clone())),
        }
    }

    /// Another state's object: tagged with a lineage other than `ours`.
    pub fn foreign_to(&self, ours: &str) -> Option<&str> {
        match self {
            Ownership::Lineage(l) if l != ours => Some(l),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReadResult {
    pub addr: Address,
    /// `None`: the object no longer exists (deleted outside strata).
    pub state: Option<Value>,
    /// The lineage tag the read found (set by the provider's dispatch from
    /// the object's tags).
    pub ownership: Ownership,
    /// The object was found by a name the configuration chose (an RDS
    /// identifier, a group name), not by an id the cloud assigned: another
    /// object may have taken the name since it was recorded.
    pub by_name: bool,
}

impl ReadResult {
    /// A result whose ownership the dispatch fills in.
    pub fn new(addr: Address, state: Option<Value>) -> ReadResult {
        ReadResult { addr, state, ownership: Ownership::NotRead, by_name: false }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReadResponse {
    pub objects: Vec<ReadResult>,
    /// API calls made, for `-v` logs and benchmarks.
    pub calls: usize,
    pub error: Option<ProviderError>,
}

/// A data source to read at plan time.
#[derive(Debug, Clone)]
pub struct ReadDataRequest {
    pub addr: Address,
    pub ty: String,
    /// The data block's arguments (unset ones null).
    pub config: Value,
}

#[derive(Debug, Clone, Default)]
pub struct ReadDataResponse {
    pub state: Value,
    pub error: Option<ProviderError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyAction {
    Create,
    Update,
    Delete,
}

/// Per-resource `timeouts { create = "40m" }`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeouts {
    pub create: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub addr: Address,
    pub ty: String,
    pub action: ApplyAction,
    /// The recorded object (updates and deletes).
    pub prior: Option<Value>,
    /// The planned object, unknowns resolved where the engine could (creates
    /// and updates); sensitive marks are kept.
    pub planned: Value,
    /// The idempotency token recorded as an intent before a create; used as
    /// the API's client token where there is one and as the `strata:intent` tag.
    pub token: Option<String>,
    pub timeouts: Timeouts,
}

#[derive(Debug, Clone, Default)]
pub struct ApplyResponse {
    /// The object as the cloud now reports it; `None` after a delete.
    pub new_state: Option<Value>,
    pub error: Option<ProviderError>,
}

/// Crash recovery: does an object created under this intent exist?
#[derive(Debug, Clone)]
pub struct FindByIntentRequest {
    pub addr: Address,
    pub ty: String,
    pub token: String,
    /// The planned object (deterministic names: RDS identifier, target group
    /// name); for an `orphan`, the identity the intent recorded.
    pub planned: Value,
    /// The address has left the configuration: the object, if found, will be
    /// deleted. The lookup only finds it and finishes nothing the create left
    /// undone (it must not change anything).
    pub orphan: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FindByIntentResponse {
    pub found: Option<Value>,
    pub error: Option<ProviderError>,
    /// The lineage tag of the found object.
    pub ownership: Ownership,
}

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub addr: Address,
    pub ty: String,
    pub id: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportResponse {
    pub state: Option<Value>,
    pub error: Option<ProviderError>,
}

/// Every object of a type in the region (drift: unmanaged objects).
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub ty: String,
}

#[derive(Debug, Clone)]
pub struct ListedObject {
    pub id: String,
    pub tags: BTreeMap<String, String>,
    /// Made by the cloud itself, not by any configuration (an account's
    /// default network: its VPC, subnets, security groups, main route
    /// tables). Drift leaves these out unless asked to list them.
    pub provider_default: bool,
    /// For a type without tags, the object it belongs to, as (type, id): a
    /// route table association's route table, a target group attachment's
    /// target group, a record's hosted zone, a volume attachment's instance.
    /// Drift matches such an object to a state through its parent.
    pub parent: Option<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct ListResponse {
    pub objects: Vec<ListedObject>,
    pub calls: usize,
    pub error: Option<ProviderError>,
}

#[async_trait]
pub trait Provider: Send + Sync {
    fn schema(&self) -> &ProviderSchema;

    /// Set up clients from the provider block; errors are diagnostics without spans.
    async fn configure(&self, req: ConfigureRequest) -> Diagnostics;

    async fn read(&self, req: ReadRequest) -> ReadResponse;

    async fn read_data(&self, req: ReadDataRequest) -> ReadDataResponse;

    async fn apply(&self, req: ApplyRequest) -> ApplyResponse;

    async fn find_by_intent(&self, req: FindByIntentRequest) -> FindByIntentResponse;

    async fn import(&self, req: ImportRequest) -> ImportResponse;

    async fn list(&self, req: ListRequest) -> ListResponse;
}
