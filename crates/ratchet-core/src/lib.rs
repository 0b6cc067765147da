//! The pure heart of ratchet: what a migration set is, what the history says, and what to do
//! next. Nothing here talks to a database or is async, so every rule about ordering, checksums
//! and states can be tested exhaustively without one.
//!
//! The flow every command follows is: [`MigrationSet::load`] (files → validated set) →
//! history rows from a driver → [`plan`] (set + history → one [`Plan`]) → a driver applies the
//! plan's steps. `status`, `migrate --dry-run`, `migrate` and `verify` all read the same [`Plan`].

pub mod checksum;
pub mod file;
pub mod history;
pub mod migration;
pub mod plan;
pub mod set;
pub mod version;

pub use checksum::Checksum;
pub use file::read_file;
pub use history::{chain_hash, ChainBreak, HistoryRow, Kind, Outcome};
pub use migration::{Migration, Retired, TransactionMode};
pub use plan::{plan, Blocker, MigrationState, Plan, PlanOptions, StatusEntry};
pub use set::{LoadOptions, LoadProblem, LoadProblems, MigrationSet, DEFAULT_NAME_PATTERN};
pub use version::{Version, WrittenVersion};
