//! hashicorp/time 0.x: `time_static` (a time stamp taken once) and
//! `time_sleep` (a wait after create and before destroy).

use strata_core::{Layer, Type};

use crate::schema::{BlockSchema, ResourceSchema, computed, optional, optional_computed};

pub(super) fn resources() -> Vec<ResourceSchema> {
    let triggers = || optional(Type::map(Type::String)).force_new();
    let mut stamp = BlockSchema::new().attr("rfc3339", optional_computed(Type::String).force_new()).attr("triggers", triggers());
    for part in ["day", "hour", "minute", "month", "second", "unix", "year"] {
        stamp = stamp.attr(part, computed(Type::Number));
    }
    vec![
        ResourceSchema::new("time_static", Layer::Infrastructure, stamp).free(),
        ResourceSchema::new(
            "time_sleep",
            Layer::Infrastructure,
            BlockSchema::new()
                .attr("create_duration", optional(Type::String))
                .attr("destroy_duration", optional(Type::String))
                .attr("triggers", triggers()),
        )
        .free(),
    ]
}
