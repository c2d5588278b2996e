//! Command-line arguments (low level: parsing and value validation only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "Plan, price and apply infrastructure in five layers", long_about = None)]
pub struct Cli {
    /// Switch to this directory before doing anything else.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,

    /// Disable colours (also off when NO_COLOR is set or CLICOLOR=0, and on a stream that is not a terminal unless CLICOLOR_FORCE is set).
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
    /// Compare the configuration with the state: what would change, by layer, and what it costs.
    Plan(PlanArgs),
    /// Make the changes: plan (or take a saved plan), show cost, ask, then apply layer by layer.
    Apply(ApplyArgs),
    /// Delete everything this configuration manages, top-down (layer 5 to 1).
    Destroy(DestroyArgs),
    /// Read the recorded objects back from the cloud and update the state.
    Refresh(RefreshArgs),
    /// Record an existing cloud object in the state under a configured address.
    Import(ImportArgs),
    /// Compare the cloud with the state: changed attributes, objects deleted outside
    /// strata, unmanaged objects. Exit 0 no drift, 2 drift, 1 error.
    Drift(DriftArgs),
    /// Price the plan: monthly cost before and after, per layer and resource.
    Cost(CostArgs),
    /// Show a saved plan, or the current state when no plan file is given.
    Show(ShowArgs),
    /// Inspect the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print the root module's outputs from the state.
    Output(OutputArgs),
    /// Remove a lock left behind by a process that is gone.
    ForceUnlock(ForceUnlockArgs),
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

    #[command(flatten)]
    pub variables: VarArgs,
}

/// Root variable values given on the command line.
#[derive(Debug, Args)]
pub struct VarArgs {
    /// Set a root variable (repeatable): --var region=eu-west-1.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Load variable values from a .tfvars, .hcl or .json file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

/// What a plan covers: whether it refreshes first, and `--target` / `--replace`.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Read the recorded objects from the cloud before planning (`--refresh=false` skips it).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,

    /// Plan only this resource or module and what it depends on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,

    /// Replace this resource instance even if nothing forces it (repeatable).
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
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

#[derive(Debug, Args)]
pub struct DirArg {
    /// The configuration directory (its `strata` block says where the state is).
    #[arg(long = "dir", default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file written by `strata plan --out`; without it, the state is shown.
    #[arg(value_name = "PLANFILE")]
    pub plan: Option<PathBuf>,

    #[command(flatten)]
    pub dir: DirArg,

    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the resource instances in the state.
    List {
        /// Only addresses starting with these (e.g. `module.net`, `aws_instance.app`).
        #[arg(value_name = "ADDR")]
        filters: Vec<String>,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Show one resource instance's recorded attributes.
    Show {
        #[arg(value_name = "ADDR")]
        address: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Print the path of the state file the configuration's backend names
    /// (for scripts that fetch or store the state, e.g. in CI).
    Path {
        #[command(flatten)]
        dir: DirArg,
    },
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// One output; all when omitted.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    #[command(flatten)]
    pub dir: DirArg,

    /// Print as JSON (sensitive values included, as Terraform does for machines).
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,

    /// With --json: one versioned document, `{"format_version": 1, "outputs": {...}}`,
    /// instead of Terraform's `output -json` shape.
    #[arg(long, requires = "json")]
    pub wrapped: bool,

    /// Print a string output's value without quotes.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock id shown by the command that found the state locked.
    #[arg(value_name = "LOCK_ID")]
    pub id: String,

    #[command(flatten)]
    pub dir: DirArg,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Exit 0 when there are no changes, 2 when there are, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Save the plan to this file for `strata show` and `strata apply`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Print the plan as JSON (docs/plan-json.md).
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub pricing: PricingArgs,
}

#[derive(Debug, Args)]
pub struct PricingArgs {
    /// Load an AWS Price List bulk offer file (JSON) over the embedded catalog (repeatable).
    #[arg(long = "prices", value_name = "FILE")]
    pub prices: Vec<PathBuf>,

    /// Usage figures for usage-based prices (YAML).
    #[arg(long = "usage-file", value_name = "FILE")]
    pub usage_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Output format; `markdown` is the pull-request comment, `json` the baseline of the next run.
    #[arg(long, value_enum, default_value_t = CostFormat::Table)]
    pub format: CostFormat,

    /// Compare with the JSON report of an earlier run (e.g. the base branch).
    #[arg(long, value_name = "FILE")]
    pub compare_to: Option<PathBuf>,

    /// The project's name in the report, and in the Markdown comment's
    /// marker `<!-- strata-cost: NAME -->` that CI uses to find and update
    /// its own comment [default: the configuration directory's name].
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,

    /// Write a usage file listing the usage-priced parts of every resource,
    /// keeping the figures FILE already has (and pricing with them).
    #[arg(long, value_name = "FILE", conflicts_with = "usage_file")]
    pub sync_usage_file: Option<PathBuf>,

    #[command(flatten)]
    pub pricing: PricingArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Wait this long for the state lock (e.g. 30s, 2m) instead of failing at once.
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// At most this many cloud operations at once.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub parallelism: usize,

    /// Let an operation start as soon as its dependencies are done, without
    /// waiting for the whole previous layer (the five-layer barrier).
    #[arg(long)]
    pub no_layer_barrier: bool,

    /// Stop scheduling new operations after the first failure.
    #[arg(long)]
    pub fail_fast: bool,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,

    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The configuration directory, or a plan file saved by `strata plan --out`
    /// (then the configuration is the current directory, or --chdir).
    #[arg(default_value = ".", value_name = "DIR|PLANFILE")]
    pub target: PathBuf,

    #[command(flatten)]
    pub variables: VarArgs,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub pricing: PricingArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The configured address to record the object under (`aws_vpc.main`).
    #[arg(value_name = "ADDR")]
    pub address: String,

    /// The cloud object's id (`vpc-0abc`).
    #[arg(value_name = "ID")]
    pub id: String,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Output format (`prometheus` writes textfile-collector metrics).
    #[arg(long, value_enum, default_value_t = DriftFormat::Text)]
    pub format: DriftFormat,

    /// Write the refreshed attributes into the state (drift never writes it otherwise).
    #[arg(long)]
    pub refresh_state: bool,

    /// Check without a state: every object found is unmanaged. Without this
    /// flag a missing state is an error, so that a scheduled check pointed at
    /// the wrong place fails instead of reporting the whole account.
    #[arg(long)]
    pub without_state: bool,

    /// List what the cloud made itself (the account's default VPC, its
    /// subnets, default security groups, main route tables) as unmanaged
    /// too; by default they are counted and left out.
    #[arg(long)]
    pub include_defaults: bool,

    /// Another state file of the same account (another configuration's):
    /// the objects it records, and objects without tags whose parent it
    /// manages, are not unmanaged. Repeatable; a quoted glob
    /// (`--state 'envs/*/.strata/state.json'`) names every match. Only the
    /// configuration's own state is compared.
    #[arg(long = "state", value_name = "FILE")]
    pub states: Vec<String>,

    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    Text,
    Json,
    Markdown,
    Prometheus,
}
