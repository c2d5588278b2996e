//! One implementation per resource type, behind [`ResourceType`].

use async_trait::async_trait;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use crate::clients::Clients;

pub(crate) mod compute;
mod data;
mod dns;
pub(crate) mod iam;
mod lb;
mod network;
mod rds;

pub use data::read_data;

/// What strata does with one AWS resource type.
#[async_trait]
pub trait ResourceType: Send + Sync {
    fn type_name(&self) -> &'static str;

    /// Read many recorded objects in as few calls as the API allows (one
    /// Describe per page, filtered by the ids). Returns one result per object
    /// (`state: None` when it is gone) and the number of API calls made.
    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError>;

    /// For a deep read: complete the read states with what only per-object
    /// calls report. Returns the number of calls made.
    async fn read_deep(&self, _c: &Clients, _results: &mut [ReadResult]) -> Result<usize, ProviderError> {
        Ok(0)
    }

    /// Create the object and wait until it is usable; return its state.
    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError>;

    /// Change the object in place; return its new state.
    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError>;

    /// Delete the object and wait until it is gone. Deleting an object that
    /// does not exist succeeds.
    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError>;

    /// After a crash: the object a create of `addr` with this token made, if
    /// any (by the `strata:intent` tag, or a deterministic name where there
    /// are no tags), with what the create left undone finished. `planned`
    /// is known ([`crate::util::planned_needed`]).
    async fn find_by_intent(&self, c: &Clients, addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError>;

    /// After a crash, for an address no longer configured: the object a
    /// create with this token made, found with the `identity` the intent
    /// recorded, changing nothing (it is about to be deleted). Types whose
    /// lookup finishes the object override it.
    async fn find_orphan(&self, c: &Clients, addr: &str, token: &str, identity: &Value) -> Result<Option<Value>, ProviderError> {
        self.find_by_intent(c, addr, token, identity).await
    }

    /// Objects are read by a name the configuration chose (RDS identifiers
    /// and group names, key pair names) rather than by an id the cloud
    /// assigned: another object may have taken the name since.
    fn named(&self) -> bool {
        false
    }

    /// The state of an existing object by id (`strata import`).
    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError>;

    /// Every object of this type in the region (drift: unmanaged objects).
    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError>;
}

/// Every supported resource type.
pub fn all() -> Vec<Box<dyn ResourceType>> {
    let mut v: Vec<Box<dyn ResourceType>> = Vec::new();
    v.extend(network::types());
    v.extend(compute::types());
    v.extend(rds::types());
    v.extend(lb::types());
    v.extend(dns::types());
    v.extend(iam::types());
    v
}
