//! The AWS provider against moto_server: the same HTTP API the SDK speaks to
//! AWS, no mocks. One test binary (the SDK links once).
//!
//! `scripts/test.sh` starts moto_server and exports `STRATA_TEST_MOTO_URL`.
//! Without it the tests skip with a message, except in CI (`CI=true`), where
//! a missing moto is a failure.

mod support;

mod clients;
mod compute;
mod data;
mod dns;
mod lb;
mod network;
mod rds;
