//! Schemas of the AWS resource types and data sources strata supports.

use crate::schema::ProviderSchema;

/// The AWS provider schema.
pub fn schema() -> &'static ProviderSchema {
    todo!("filled in by the schema work")
}
