//! hashicorp/random 3.x: `random_password`, `random_string`, `random_id`,
//! `random_pet`, `random_uuid`, `random_integer`, `random_shuffle`. Every
//! argument forces replacement (a random value is made once); `keepers`
//! is an arbitrary map whose change makes a new value.

use strata_core::{Layer, Type};

use crate::schema::{BlockSchema, ResourceSchema, computed, optional, optional_computed, required};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![password(), string(), id(), pet(), uuid(), integer(), shuffle()]
}

fn keepers() -> crate::schema::AttributeSchema {
    optional(Type::map(Type::String)).force_new()
}

/// The arguments `random_password` and `random_string` share (upstream's
/// `passwordStringSchema`).
fn characters() -> BlockSchema {
    let min = || optional(Type::Number).default(0).force_new();
    let flag = || optional(Type::Bool).default(true).force_new();
    BlockSchema::new()
        .attr("keepers", keepers())
        .attr("length", required(Type::Number).force_new())
        .attr("special", flag())
        .attr("upper", flag())
        .attr("lower", flag())
        .attr("numeric", optional_computed(Type::Bool).default(true).force_new())
        .attr("number", optional_computed(Type::Bool).default(true).force_new())
        .attr("min_numeric", min())
        .attr("min_upper", min())
        .attr("min_lower", min())
        .attr("min_special", min())
        .attr("override_special", optional(Type::String).force_new())
}

fn password() -> ResourceSchema {
    ResourceSchema::new(
        "random_password",
        Layer::Infrastructure,
        characters().attr("result", computed(Type::String).sensitive()).attr("bcrypt_hash", computed(Type::String).sensitive()),
    )
    .free()
}

fn string() -> ResourceSchema {
    ResourceSchema::new("random_string", Layer::Infrastructure, characters().attr("result", computed(Type::String))).free()
}

fn id() -> ResourceSchema {
    let mut block = BlockSchema::new()
        .attr("keepers", keepers())
        .attr("byte_length", required(Type::Number).force_new())
        .attr("prefix", optional(Type::String).force_new());
    for a in ["b64_url", "b64_std", "hex", "dec"] {
        block = block.attr(a, computed(Type::String));
    }
    ResourceSchema::new("random_id", Layer::Infrastructure, block).free()
}

fn pet() -> ResourceSchema {
    ResourceSchema::new(
        "random_pet",
        Layer::Infrastructure,
        BlockSchema::new()
            .attr("keepers", keepers())
            .attr("length", optional(Type::Number).default(2).force_new())
            .attr("prefix", optional(Type::String).force_new())
            .attr("separator", optional(Type::String).default("-").force_new()),
    )
    .free()
}

fn uuid() -> ResourceSchema {
    ResourceSchema::new(
        "random_uuid",
        Layer::Infrastructure,
        BlockSchema::new().attr("keepers", keepers()).attr("result", computed(Type::String)),
    )
    .free()
}

fn integer() -> ResourceSchema {
    ResourceSchema::new(
        "random_integer",
        Layer::Infrastructure,
        BlockSchema::new()
            .attr("keepers", keepers())
            .attr("min", required(Type::Number).force_new())
            .attr("max", required(Type::Number).force_new())
            .attr("seed", optional(Type::String).force_new())
            .attr("result", computed(Type::Number)),
    )
    .free()
}

fn shuffle() -> ResourceSchema {
    ResourceSchema::new(
        "random_shuffle",
        Layer::Infrastructure,
        BlockSchema::new()
            .attr("keepers", keepers())
            .attr("input", required(Type::list(Type::String)).force_new())
            .attr("seed", optional(Type::String).force_new())
            .attr("result_count", optional(Type::Number).force_new())
            .attr("result", computed(Type::list(Type::String))),
    )
    .free()
}
