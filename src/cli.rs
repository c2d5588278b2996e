//! Command-line arguments (low level: parsing and value validation only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "Plan, price and apply infrastructure in five layers", long_about = None)]
pub struct Cli {
    /// Switch to this directory before doing anything else.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,

    /// Disable colours (also when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a configuration: syntax, references, types, schemas, layers and cycles.
    Validate(ValidateArgs),
    /// Show the resource graph ordered by the five-layer model.
    Graph(GraphArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The configuration directory.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,

    /// Set a root variable (repeatable): --var region=eu-west-1.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Load variable values from a .tfvars, .hcl or .json file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,

    /// Same as --format json.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}
