//! Parse and evaluate arbitrary text as a configuration file, then build the
//! graph: no input may panic. Run with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run parse_eval -- -max_total_time=600`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let dir = std::path::Path::new("/nonexistent-strata-fuzz");
    let (mut config, _) = strata_config::load_sources(dir, &[("main.tf", text)]);
    let (inputs, _) = strata_config::collect_inputs(&mut config, &strata_config::VarSources::default());
    let schema = strata_provider::aws::schema();
    let (ev, _) = strata_config::evaluate(&config, &inputs, schema, &strata_config::NoPriorState);
    let (nodes, opts) = strata_config::graph_input(&ev, schema);
    let _ = strata_graph::build(nodes, &opts);
});
