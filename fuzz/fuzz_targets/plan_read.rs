//! Read arbitrary bytes as a saved plan file, the way `strata apply PLANFILE`
//! reads it: no input may panic, hang or exhaust memory; a plan that reads
//! back is one that strata can write and read again unchanged, and its
//! freshness can be checked. Run with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run plan_read corpus/plan_read -- -dict=plan.dict -max_total_time=600`
//! (see README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `Plan::load` reads the file as UTF-8 text first.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(plan) = strata_plan::Plan::parse(text) else { return };
    let _ = strata_plan::check_fresh(&plan, None, &plan.config_digest);
    // What `strata plan --out` would write for it must read back the same
    // (sensitive values read from a plan file keep their recorded hash,
    // whatever the key).
    let key = strata_state::StateKey::from_bytes([7; 32]);
    let written = plan.to_json_pretty(&key);
    let again = strata_plan::Plan::parse(&written).unwrap_or_else(|d| panic!("a plan strata read cannot be read back: {}\n{written}", d.message));
    assert_eq!(plan, again, "the plan changed on a write and read:\n{written}");
});
