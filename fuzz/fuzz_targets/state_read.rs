//! Read arbitrary bytes as a state file, the way `strata` reads
//! `.strata/state.json`: no input may panic, hang or exhaust memory; an error
//! becomes a diagnostic; a state that reads back is one that strata can write
//! and read again unchanged (its addresses canonical, its attributes
//! readable as values). Run with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run state_read corpus/state_read -- -dict=state.dict -max_total_time=600`
//! (see README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("/nonexistent-strata-fuzz/.strata/state.json");
    let state = match strata_state::parse_state(path, data) {
        Ok(state) => state,
        Err(e) => {
            let _ = e.to_diagnostic();
            return;
        }
    };
    for r in state.resources.iter().chain(&state.deposed) {
        let _ = r.values();
        let _ = r.addr();
    }
    // What strata writes back after reading must read again as the same state.
    let text = state.to_json_pretty();
    let again = strata_state::parse_state(path, text.as_bytes()).unwrap_or_else(|e| panic!("a state strata read cannot be read back: {e}\n{text}"));
    assert_eq!(state, again, "the state changed on a write and read:\n{text}");
});
