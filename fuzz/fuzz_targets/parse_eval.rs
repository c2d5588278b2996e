//! Parse and evaluate arbitrary text as a configuration file, then build the
//! graph: no input may panic, hang or exhaust memory. Run with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run parse_eval corpus/parse_eval -- -dict=hcl.dict -max_total_time=600`
//! (see README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Work units the whole evaluation of one input may spend: every expression
/// shares them (see `strata_expr::with_budget`), so that many expensive
/// expressions, or one evaluated per `count` instance, cannot add up to a
/// timeout. Each expression also has its own limit (`1 << 22`).
const RUN_BUDGET: u64 = 1 << 21;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let dir = std::path::Path::new("/nonexistent-strata-fuzz");
    let (mut config, _) = strata_config::load_sources(dir, &[("main.tf", text)]);
    let schema = strata_provider::aws::schema();
    let ev = strata_expr::with_budget(RUN_BUDGET, || {
        let (inputs, _) = strata_config::collect_inputs(&mut config, &strata_config::VarSources::default());
        strata_config::evaluate(&config, &inputs, schema, &strata_config::NoPriorState).0
    });
    let (nodes, opts) = strata_config::graph_input(&ev, schema);
    let _ = strata_graph::build(nodes, &opts);
});
