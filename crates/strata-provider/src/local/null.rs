//! hashicorp/null 3.x `null_resource` and Terraform's built-in
//! `terraform_data`: objects that hold values and are replaced when their
//! triggers change.

use strata_core::{Layer, Type};

use crate::schema::{BlockSchema, ResourceSchema, computed, optional};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![
        ResourceSchema::new(
            "null_resource",
            Layer::Infrastructure,
            BlockSchema::new().attr("triggers", optional(Type::map(Type::String)).force_new()),
        )
        .free(),
        // `input` is stored and copied to `output`; a change of `input`
        // updates in place, one of `triggers_replace` replaces.
        ResourceSchema::new(
            "terraform_data",
            Layer::Infrastructure,
            BlockSchema::new()
                .attr("input", optional(Type::Any))
                .attr("output", computed(Type::Any).derived_from("input"))
                .attr("triggers_replace", optional(Type::Any).force_new()),
        )
        .free(),
    ]
}
