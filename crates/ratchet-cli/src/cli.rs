//! The command line, as clap sees it. No logic here: `main` hands the parsed values to the
//! command modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ratchet",
    version,
    about = "Strict schema migrations for PostgreSQL and SQLite",
    long_about = "Strict schema migrations for PostgreSQL and SQLite.\n\n\
        Exit codes: 0 ok; 1 problems found or a migration failed; 2 bad invocation, \
        configuration or migration set (nothing touched the database); 3 the database \
        could not be reached or another runner's lock was not released in time."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Configuration file [default: ./ratchet.toml if it exists]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL (overrides RATCHET_DATABASE_URL, DATABASE_URL and the file)
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Migrations folder (overrides `migrations` in the file)
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output format on stdout (sarif and github: `lint` only)
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print only results and errors, no progress
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (lint only)
    Sarif,
    /// GitHub Actions annotations (lint only)
    Github,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write ratchet.toml and the migrations folder
    Init,
    /// Create the next numbered migration file
    New(NewArgs),
    /// Show every migration and its state
    Status,
    /// Apply pending migrations in order
    Migrate(MigrateArgs),
    /// Exit 0 only if every migration is applied, unchanged, and the history is intact
    Verify,
    /// Show every attempt recorded in the history table
    History,
    /// Record a human fix: clear a failed state, or accept a changed checksum
    Repair(RepairArgs),
    /// Find unsafe and broken migrations before they reach a database (no database needed)
    Lint(LintArgs),
    /// Compare two schema sources: live, replay, a schema .sql file, a schema.toml
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The expected side: `live`, `replay` (the migrations applied to a scratch database),
    /// a declarative schema `.sql` file, or an expectations `.toml` file [default: replay]
    #[arg(value_name = "LEFT")]
    pub left: Option<String>,
    /// The side compared with it [default: live]
    #[arg(value_name = "RIGHT")]
    pub right: Option<String>,
    /// A database ratchet may wipe and use as its scratch database [default: a throwaway
    /// PostgreSQL cluster started from the installed server binaries; for SQLite, memory]
    #[arg(long, value_name = "URL")]
    pub dev_url: Option<String>,
}

impl Command {
    /// The subcommand's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Init => "init",
            Command::New(_) => "new",
            Command::Status => "status",
            Command::Migrate(_) => "migrate",
            Command::Verify => "verify",
            Command::History => "history",
            Command::Repair(_) => "repair",
            Command::Lint(_) => "lint",
            Command::Diff(_) => "diff",
        }
    }
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does, e.g. add_email_to_users
    pub name: String,
    /// Add `-- ratchet:no-transaction` (for CREATE INDEX CONCURRENTLY and the like)
    #[arg(long)]
    pub no_transaction: bool,
    /// Also create the matching .down.sql
    #[arg(long)]
    pub down: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Apply nothing above this version
    #[arg(long, value_name = "VERSION")]
    pub target: Option<u64>,
    /// Print the plan and the SQL; touch nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("action").required(true).args(["failed", "accept_checksum"]))]
pub struct RepairArgs {
    /// Clear the failed state of this version (after fixing the database by hand)
    #[arg(long, value_name = "VERSION")]
    pub failed: Option<u64>,
    /// Accept the current file's checksum for this applied version
    #[arg(long, value_name = "VERSION")]
    pub accept_checksum: Option<u64>,
    /// Why (recorded in the history)
    #[arg(long, required = true)]
    pub reason: String,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Find unsafe and broken migrations before they reach a database.\n\n\
        With no PATHS, lints every *.sql file (including .down.sql) in the migrations folder. \
        A PATH may be a file or a folder (its *.sql files, not its subfolders). Needs no \
        database. Exit 1 when any finding is an error, 0 otherwise, 2 for a bad invocation, \
        configuration or unreadable file."
)]
pub struct LintArgs {
    /// Files or folders to lint [default: the migrations folder]
    #[arg(value_name = "PATHS", conflicts_with = "list_rules")]
    pub paths: Vec<PathBuf>,
    /// Lint only migrations whose version is greater than this one, in folders (overrides
    /// `since` in [lint]); files named on the command line are always linted
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub since: Option<u64>,
    /// Lint only migrations the database has not applied yet (connects to read the history);
    /// applied ones are still read, so `undeclared-dependency` knows what they created
    #[arg(long)]
    pub pending: bool,
    /// Print every rule with its default severity, and exit
    #[arg(long)]
    pub list_rules: bool,
}

fn parse_version(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{text:?} is not a migration version (digits, e.g. 0030)"
        ));
    }
    text.parse()
        .map_err(|_| format!("{text} is too large for a migration version"))
}
