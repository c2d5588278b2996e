//! The AWS provider against moto_server: the same HTTP API the SDK speaks to
//! AWS, no mocks. One test binary (the SDK links once).
//!
//! Every test here is named `moto_*`: `scripts/test.sh` starts moto_server,
//! exports `STRATA_TEST_MOTO_URL` and runs them; a plain `cargo nextest run`
//! leaves them out and counts them as skipped; run any other way without
//! moto they fail (see `support.rs`).

mod support;

mod clients;
mod compute;
mod data;
mod dns;
mod lb;
mod network;
mod rds;
