//! Integration tests: they run the real `strata` binary on fixtures and examples.
//! One test binary (autotests = false) so that linking happens once.

mod support;

mod alb_names;
mod aliases;
mod calls;
mod ci;
mod colors;
mod conditions;
mod crash;
mod drift;
mod e2e;
mod examples;
mod faults;
mod fixtures;
mod graph;
mod hostile;
mod iam;
mod local;
mod orphans;
mod plan;
mod registry;
mod secrets;
mod state;
mod supported_types;
mod tags;
mod tidy;
mod unsupported;
mod validate;
