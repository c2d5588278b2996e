//! The shared vocabulary of strata.
//!
//! Every pipeline crate speaks in these types: [`Value`] (with unknown and
//! sensitive marks), [`Type`] constraints, resource [`Address`]es, and
//! [`Diagnostic`]s that point at spans in a [`SourceMap`]. This crate knows
//! nothing of HCL syntax, graphs, state or clouds.

pub mod address;
pub mod diag;
pub mod layer;
pub mod shown;
pub mod time;
pub mod types;
pub mod value;

pub use address::{Address, InstanceKey, Mode, ModulePath, ModuleStep};
pub use diag::{Diagnostic, Diagnostics, FileId, Label, Severity, SourceMap, Span, did_you_mean, edit_distance};
pub use layer::Layer;
pub use types::{ObjectAttr, Type};
pub use value::{Value, format_number};
