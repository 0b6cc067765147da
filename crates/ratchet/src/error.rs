use ratchet_core::HistoryRow;
use ratchet_core::{LoadProblems, Plan, Version};
use ratchet_driver::{ApplyError, DriverError};

/// Rows written by a run.
pub type HistoryRowList = Vec<HistoryRow>;

/// Why a [`crate::Migrator`] operation did not complete. Each variant says what was (and was
/// not) done, so a caller can decide what to tell a human.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The settings are unusable (bad URL, pattern, table name). Nothing was touched.
    #[error("{message}")]
    Config { message: String },
    /// The migrations folder has problems. Nothing was touched.
    #[error(transparent)]
    Load(#[from] LoadProblems),
    /// `--target` names no migration of the set.
    #[error("--target {0}: no migration has this version")]
    UnknownTarget(Version),
    /// The database could not be reached.
    #[error(transparent)]
    Connect(DriverError),
    /// Another runner kept the lock past `lock_wait`.
    #[error(transparent)]
    LockTimeout(DriverError),
    /// ratchet's own bookkeeping failed.
    #[error(transparent)]
    Driver(DriverError),
    /// The history and the files disagree (modified, missing, failed, out of order, broken
    /// chain): nothing was applied.
    #[error("refusing to migrate: {} problem(s) must be resolved first", plan.blockers.len())]
    Blocked { plan: Box<Plan> },
    /// A migration failed. `applied` lists what this run applied before it (those stay).
    #[error("{source}")]
    Migration {
        source: Box<ApplyError>,
        applied: HistoryRowList,
    },
    /// `schema.toml` cannot be read or is malformed (the message names its line and key).
    /// Nothing was touched.
    #[error("{}: {message}", path.display())]
    ExpectationsFile {
        path: std::path::PathBuf,
        message: String,
    },
    /// Everything is applied and intact, but declared expectations do not hold.
    #[error("{} expectation(s) of schema.toml do not hold", violations.len())]
    Expectations {
        violations: Vec<ratchet_schema::Violation>,
    },
    /// No scratch database could be provided (`ratchet diff` without `--dev-url` starts a
    /// throwaway PostgreSQL cluster from the installed server binaries).
    #[error("cannot provide a scratch database: {message}")]
    Scratch { message: String },
    /// `repair` was asked to do something the history does not allow.
    #[error("{message}")]
    Repair { message: String },
}

impl From<DriverError> for Error {
    fn from(err: DriverError) -> Self {
        match err {
            DriverError::Connect { .. } => Error::Connect(err),
            DriverError::LockTimeout { .. } => Error::LockTimeout(err),
            other => Error::Driver(other),
        }
    }
}
