//! `strata drift` (filled in by the drift work).

use crate::Ui;
use crate::cli::DriftArgs;

pub fn run(_ui: &Ui, _args: &DriftArgs) -> std::io::Result<u8> {
    eprintln!("error: strata drift is not available yet");
    Ok(crate::exit::ERROR)
}
