//! strata's local utility providers: the types of
//! [`strata_provider::local::PROVIDERS`] (random, null, terraform_data,
//! time, local, template),
//! served in-process through the [`Provider`] trait, without a cloud.
//!
//! Invariant: no cloud SDK and no network except where a type's purpose is
//! one. What these types make (random values, ids) is recorded in the state
//! like any other object; reading one back returns what was recorded, so a
//! second plan is clean.

mod args;
mod file;
mod null;
mod random;
mod template;
mod time;

use async_trait::async_trait;
use strata_core::{Diagnostics, Value};
use strata_provider::{
    ApplyAction, ApplyRequest, ApplyResponse, ConfigureRequest, FindByIntentRequest, FindByIntentResponse, ImportRequest, ImportResponse,
    ListRequest, ListResponse, Provider, ProviderError, ProviderSchema, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
    ReadResult,
};

/// One instance per provider configuration, as any provider; every local
/// provider name is served by this one implementation (it dispatches on the
/// type).
#[derive(Debug, Default)]
pub struct LocalProvider;

impl LocalProvider {
    pub fn new() -> LocalProvider {
        LocalProvider
    }

    /// The resource types implemented here (each must have a schema, and
    /// each local schema an implementation: `tests/registry.rs`).
    pub fn resource_types() -> &'static [&'static str] {
        &[
            "random_password",
            "random_string",
            "random_id",
            "random_pet",
            "random_uuid",
            "random_integer",
            "random_shuffle",
            "null_resource",
            "terraform_data",
            "time_static",
            "time_sleep",
            "local_file",
        ]
    }

    /// The data sources implemented here.
    pub fn data_source_types() -> &'static [&'static str] {
        &["local_file", "template_file"]
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError { code: Some("strata::local::invalid".into()), message: message.into(), retryable: false }
}

/// Make an object: the planned value with its computed attributes set.
fn create(ty: &str, planned: &Value) -> Result<Value, ProviderError> {
    let mut object = args::Object::new(planned)?;
    match ty {
        t if t.starts_with("random_") => random::create(t, &mut object)?,
        "null_resource" | "terraform_data" => null::create(ty, &mut object)?,
        "time_static" => time::create_static(&mut object)?,
        "time_sleep" => time::create_sleep(&mut object),
        "local_file" => file::create(&mut object)?,
        _ => return Err(invalid(format!("resource type {ty} cannot be managed yet"))),
    }
    Ok(object.finish())
}

/// Change an object in place: every argument of these types that cannot
/// change in place forces replacement, so the planned value is the new
/// object, computed attributes carried over from the prior one.
fn update(ty: &str, prior: Option<&Value>, planned: &Value) -> Result<Value, ProviderError> {
    let mut object = args::Object::new(planned)?;
    object.keep_known_from(prior);
    if ty == "terraform_data" {
        null::update(&mut object);
    }
    Ok(object.finish())
}

#[async_trait]
impl Provider for LocalProvider {
    fn schema(&self) -> &ProviderSchema {
        strata_provider::local::schema()
    }

    /// The local providers take no settings.
    async fn configure(&self, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }

    /// A recorded object is what it was made as: nothing outside strata
    /// holds it.
    /// A file is read back from the disk.
    async fn read(&self, req: ReadRequest) -> ReadResponse {
        let mut objects = Vec::with_capacity(req.objects.len());
        for o in req.objects {
            let state = match req.ty.as_str() {
                "local_file" => match file::read(&o.prior) {
                    Ok(s) => s,
                    Err(e) => return ReadResponse { error: Some(e), ..ReadResponse::default() },
                },
                _ => Some(o.prior),
            };
            objects.push(ReadResult::new(o.addr, state));
        }
        ReadResponse { objects, calls: 0, error: None }
    }

    async fn read_data(&self, req: ReadDataRequest) -> ReadDataResponse {
        let result = match req.ty.as_str() {
            "local_file" => file::read_data(&req.config),
            "template_file" => template::read_data(&req.config),
            ty => Err(invalid(format!("data source {ty} cannot be read yet"))),
        };
        match result {
            Ok(state) => ReadDataResponse { state, error: None },
            Err(e) => ReadDataResponse { state: Value::Null, error: Some(e) },
        }
    }

    async fn apply(&self, req: ApplyRequest) -> ApplyResponse {
        let result: Result<Option<Value>, ProviderError> = async {
            match (req.action, req.ty.as_str()) {
                (ApplyAction::Create, "time_sleep") => {
                    let wait = time::duration(&args::Object::new(&req.planned)?, "create_duration")?;
                    time::sleep(wait).await;
                    create(&req.ty, &req.planned).map(Some)
                }
                (ApplyAction::Create, ty) => create(ty, &req.planned).map(Some),
                (ApplyAction::Update, ty) => update(ty, req.prior.as_ref(), &req.planned).map(Some),
                (ApplyAction::Delete, "time_sleep") => {
                    let prior = req.prior.as_ref().map_or(Ok(None), |p| time::duration(&args::Object::new(p)?, "destroy_duration"))?;
                    time::sleep(prior).await;
                    Ok(None)
                }
                (ApplyAction::Delete, "local_file") => req.prior.as_ref().map_or(Ok(()), file::delete).map(|()| None),
                (ApplyAction::Delete, _) => Ok(None),
            }
        }
        .await;
        match result {
            Ok(new_state) => ApplyResponse { new_state, error: None },
            Err(e) => ApplyResponse { new_state: None, error: Some(e) },
        }
    }

    /// Nothing a crashed create made survives it (the values lived in the
    /// process): the create is made again.
    async fn find_by_intent(&self, _req: FindByIntentRequest) -> FindByIntentResponse {
        FindByIntentResponse::default()
    }

    async fn import(&self, req: ImportRequest) -> ImportResponse {
        ImportResponse { state: None, error: Some(invalid(format!("{} cannot be imported", req.ty))) }
    }

    /// Nothing of these types exists outside a state: none is unmanaged.
    async fn list(&self, _req: ListRequest) -> ListResponse {
        ListResponse::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_local_schema_type_is_implemented() {
        let schema = strata_provider::local::schema();
        let declared: Vec<&str> = schema.resource_type_names().collect();
        let mut implemented = LocalProvider::resource_types().to_vec();
        implemented.sort_unstable();
        assert_eq!(declared, implemented);
        let declared: Vec<&str> = schema.data_source_type_names().collect();
        let mut implemented = LocalProvider::data_source_types().to_vec();
        implemented.sort_unstable();
        assert_eq!(declared, implemented);
    }
}
