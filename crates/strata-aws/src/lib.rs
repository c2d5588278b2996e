//! strata's AWS provider: implements [`strata_provider::Provider`] with the
//! AWS SDK (EC2, RDS, ELBv2, Route 53, IAM, STS).
//!
//! Invariant: the only crate that knows the AWS SDK. Everything it returns
//! is `strata_core::Value`s shaped by the schemas in `strata_provider::aws`.
//! Each resource type lives behind [`resources::ResourceType`]; this file
//! only dispatches.

mod batch;
mod clients;
mod ec2kit;
mod resources;
pub mod util;

use std::collections::HashMap;

use async_trait::async_trait;
use strata_core::{Diagnostic, Diagnostics, Value};
use strata_provider::{
    ApplyAction, ApplyRequest, ApplyResponse, ConfigureRequest, FindByIntentRequest, FindByIntentResponse, ImportRequest, ImportResponse,
    ListRequest, ListResponse, Provider, ProviderError, ProviderSchema, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use tokio::sync::OnceCell;

pub use clients::Clients;
use resources::ResourceType;
/// The id of an `aws_volume_attachment` (Terraform's: `vai-` and a CRC-32 of device, instance and volume).
pub use resources::compute::attachment_id as volume_attachment_id;

pub struct AwsProvider {
    clients: OnceCell<Clients>,
    types: HashMap<&'static str, Box<dyn ResourceType>>,
}

impl Default for AwsProvider {
    fn default() -> Self {
        AwsProvider::new()
    }
}

impl AwsProvider {
    pub fn new() -> AwsProvider {
        AwsProvider { clients: OnceCell::new(), types: resources::all().into_iter().map(|t| (t.type_name(), t)).collect() }
    }

    /// The resource types this provider implements (each must have a schema,
    /// and each schema an implementation: `tests/registry.rs`).
    pub fn resource_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.types.keys().copied()
    }

    fn clients(&self) -> Result<&Clients, ProviderError> {
        self.clients.get().ok_or_else(|| util::invalid("the AWS provider is used before it is configured"))
    }

    /// The implementation of a type, or of the type an alias (`aws_alb`) names.
    fn resource(&self, ty: &str) -> Result<&dyn ResourceType, ProviderError> {
        self.types
            .get(strata_provider::aws::schema().canonical(ty))
            .map(|b| b.as_ref())
            .ok_or_else(|| util::invalid(format!("resource type {ty} cannot be managed yet")))
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn schema(&self) -> &ProviderSchema {
        strata_provider::aws::schema()
    }

    async fn configure(&self, req: ConfigureRequest) -> Diagnostics {
        let mut d = Diagnostics::new();
        match Clients::from_config(&req.config, &req.lineage).await {
            Ok(c) => {
                let _ = self.clients.set(c);
            }
            Err(e) if e.code.as_deref() == Some(strata_provider::NO_CREDENTIALS) => {
                d.push(Diagnostic::error(strata_provider::NO_CREDENTIALS, e.message).with_help(
                    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or `access_key`/`secret_key` in the provider block",
                ))
            }
            Err(e) => d.push(Diagnostic::error("strata::aws::configure", format!("cannot configure the AWS provider: {e}"))),
        }
        d
    }

    async fn read(&self, req: ReadRequest) -> ReadResponse {
        let result = async {
            let (c, t) = (self.clients()?, self.resource(&req.ty)?);
            let (mut objects, calls) = t.read(c, &req.objects).await?;
            let deep = if req.deep { t.read_deep(c, &mut objects).await? } else { 0 };
            let priors: HashMap<&strata_core::Address, &Value> = req.objects.iter().map(|o| (&o.addr, &o.prior)).collect();
            for o in &mut objects {
                if let Some(state) = o.state.as_mut() {
                    util::settle_tags(state, priors.get(&o.addr).copied().unwrap_or(&Value::Null), &c.default_tags);
                }
                o.ownership = o.state.as_mut().map(util::take_lineage).unwrap_or_default();
                o.by_name = t.named();
            }
            Ok((objects, calls + deep))
        }
        .await;
        match result {
            Ok((objects, calls)) => ReadResponse { objects, calls, error: None },
            Err(e) => ReadResponse { error: Some(e), ..ReadResponse::default() },
        }
    }

    async fn read_data(&self, req: ReadDataRequest) -> ReadDataResponse {
        let result = async {
            // Evaluated locally, with or without credentials.
            if req.ty == "aws_iam_policy_document" {
                return resources::iam::policy_document::read(&req.config);
            }
            resources::read_data(self.clients()?, &req.ty, &req.config).await
        }
        .await;
        match result {
            Ok(state) => ReadDataResponse { state, error: None },
            Err(e) => ReadDataResponse { error: Some(e), ..ReadDataResponse::default() },
        }
    }

    async fn apply(&self, req: ApplyRequest) -> ApplyResponse {
        let result = async {
            let (c, t) = (self.clients()?, self.resource(&req.ty)?);
            let mut state = match req.action {
                ApplyAction::Create => t.create(c, &req).await.map(Some),
                ApplyAction::Update => t.update(c, &req).await.map(Some),
                ApplyAction::Delete => t.delete(c, &req).await.map(|()| None),
            }?;
            if let Some(s) = state.as_mut() {
                util::settle_tags(s, &req.planned, &c.default_tags);
            }
            Ok::<_, ProviderError>(state)
        }
        .await;
        match result {
            Ok(mut new_state) => {
                new_state.as_mut().map(util::take_lineage);
                ApplyResponse { new_state, error: None }
            }
            Err(e) => ApplyResponse { new_state: None, error: Some(e) },
        }
    }

    async fn find_by_intent(&self, req: FindByIntentRequest) -> FindByIntentResponse {
        let result = async {
            util::planned_needed(&req.planned, &req.ty)?;
            let (c, t, addr) = (self.clients()?, self.resource(&req.ty)?, req.addr.to_string());
            let mut found = if req.orphan {
                t.find_orphan(c, &addr, &req.token, &req.planned).await
            } else {
                t.find_by_intent(c, &addr, &req.token, &req.planned).await
            }?;
            if let Some(s) = found.as_mut() {
                util::settle_tags(s, &req.planned, &c.default_tags);
            }
            Ok::<_, ProviderError>(found)
        }
        .await;
        match result {
            Ok(mut found) => {
                FindByIntentResponse { ownership: found.as_mut().map(util::take_lineage).unwrap_or_default(), found, error: None }
            }
            Err(e) => FindByIntentResponse { found: None, error: Some(e), ..FindByIntentResponse::default() },
        }
    }

    async fn import(&self, req: ImportRequest) -> ImportResponse {
        let result = async {
            let c = self.clients()?;
            let mut state = self.resource(&req.ty)?.import(c, &req.id).await?;
            if let Some(s) = state.as_mut() {
                util::settle_tags(s, &Value::Null, &c.default_tags);
            }
            Ok::<_, ProviderError>(state)
        }
        .await;
        match result {
            Ok(mut state) => {
                state.as_mut().map(util::take_lineage);
                ImportResponse { state, error: None }
            }
            Err(e) => ImportResponse { state: None, error: Some(e) },
        }
    }

    async fn list(&self, req: ListRequest) -> ListResponse {
        let result = async { self.resource(&req.ty)?.list(self.clients()?).await }.await;
        match result {
            Ok((objects, calls)) => ListResponse { objects, calls, error: None },
            Err(e) => ListResponse { error: Some(e), ..ListResponse::default() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Intent recovery runs before planning, without planned objects: a
    /// lookup then must not say "nothing exists" (the intent would be
    /// dropped and the object made twice) nor adopt a partial state.
    #[tokio::test]
    async fn intent_lookups_without_the_planned_object_fail() {
        let p = AwsProvider::new();
        for ty in ["aws_route", "aws_db_instance", "aws_vpc"] {
            let req = FindByIntentRequest {
                addr: format!("{ty}.x").parse().unwrap(),
                ty: ty.into(),
                token: "t".into(),
                planned: Value::Null,
                orphan: false,
            };
            let r = p.find_by_intent(req).await;
            assert!(r.found.is_none());
            assert_eq!(r.error.and_then(|e| e.code).as_deref(), Some("strata::aws::planned_needed"), "{ty}");
        }
    }
}
