//! hashicorp/template 2.x data `template_file`: a template rendered with
//! Terraform's template syntax and the given variables.

use strata_core::{Layer, Type};

use crate::schema::{BlockSchema, ResourceSchema, computed, optional};

pub(super) fn data_sources() -> Vec<ResourceSchema> {
    vec![ResourceSchema::new(
        "template_file",
        Layer::Infrastructure,
        BlockSchema::new()
            .attr("template", optional(Type::String))
            .attr("filename", optional(Type::String))
            .attr("vars", optional(Type::map(Type::String)))
            .attr("rendered", computed(Type::String)),
    )]
}
