//! Data sources.

use strata_core::Value;
use strata_provider::ProviderError;

use crate::clients::Clients;

/// Read a data source of type `ty` with its arguments.
pub async fn read_data(_c: &Clients, ty: &str, _config: &Value) -> Result<Value, ProviderError> {
    Err(crate::util::invalid(format!("data source {ty} is not supported yet")))
}
