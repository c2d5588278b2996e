//! `null_resource` (hashicorp/null) and Terraform's built-in
//! `terraform_data`.

use rand::Rng;
use strata_core::Value;
use strata_provider::ProviderError;

use crate::args::Object;

pub(crate) fn create(ty: &str, o: &mut Object) -> Result<(), ProviderError> {
    match ty {
        // Upstream's id: a random decimal number.
        "null_resource" => o.set("id", Value::string(rand::rng().random_range(0..i64::MAX).to_string())),
        _ => {
            o.set("id", Value::string(uuid::Uuid::new_v4().to_string()));
            update(o);
        }
    }
    Ok(())
}

/// `terraform_data.output` is `input`, as planned.
pub(crate) fn update(o: &mut Object) {
    let input = o.raw("input").cloned().unwrap_or(Value::Null);
    o.set("output", input);
}
