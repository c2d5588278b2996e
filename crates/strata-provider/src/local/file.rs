//! hashicorp/local 2.x: `local_file` (a file written from the
//! configuration) and data `local_file` (a file read).

use strata_core::{Layer, Type};

use crate::schema::{BlockSchema, ResourceSchema, computed, optional, optional_computed, required};

/// The digests both the resource and the data source compute.
const DIGESTS: [&str; 6] =
    ["content_md5", "content_sha1", "content_sha256", "content_base64sha256", "content_sha512", "content_base64sha512"];

fn with_digests(block: BlockSchema) -> BlockSchema {
    DIGESTS.iter().fold(block, |b, d| b.attr(d, computed(Type::String)))
}

pub(super) fn resources() -> Vec<ResourceSchema> {
    let source = || optional(Type::String).force_new();
    let mode = || optional_computed(Type::String).default("0777").force_new();
    vec![
        ResourceSchema::new(
            "local_file",
            Layer::Infrastructure,
            with_digests(
                BlockSchema::new()
                    .attr("filename", required(Type::String).force_new())
                    .attr("content", source())
                    .attr("sensitive_content", source().sensitive())
                    .attr("content_base64", source())
                    .attr("source", source())
                    .attr("file_permission", mode())
                    .attr("directory_permission", mode()),
            ),
        )
        .free(),
    ]
}

pub(super) fn data_sources() -> Vec<ResourceSchema> {
    vec![ResourceSchema::new(
        "local_file",
        Layer::Infrastructure,
        with_digests(
            BlockSchema::new()
                .attr("filename", required(Type::String))
                .attr("content", computed(Type::String))
                .attr("content_base64", computed(Type::String)),
        ),
    )]
}
