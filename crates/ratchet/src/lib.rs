//! ratchet: strict schema migrations for PostgreSQL and SQLite.
//!
//! The [`Migrator`] is what an application embeds and what the `ratchet` CLI drives:
//!
//! ```no_run
//! use ratchet::{Migrator, Settings};
//!
//! let settings = Settings {
//!     database_url: Some("sqlite:app.db".into()),
//!     ..Settings::default()
//! };
//! let migrator = Migrator::new(settings)?;
//! let set = migrator.load()?;                    // validate the folder: nothing touched yet
//! let expectations = migrator.load_expectations()?; // schema.toml, when configured
//! let mut session = migrator.connect(ratchet::ignore_notices())?;
//! let options = ratchet::MigrateOptions {
//!     expectations: expectations.as_ref(),
//!     ..Default::default()
//! };
//! session.migrate(&set, &options, &mut |_event| {})?;
//! // Refuse to start on a drifted database.
//! session.verify(&set, expectations.as_ref())?.into_result()?;
//! # Ok::<(), ratchet::Error>(())
//! ```

mod diff;
mod error;
mod migrator;

pub use diff::{DiffOptions, DiffOutcome, DiffReport, Orphan, Source};
pub use error::Error;
pub use migrator::{
    check_expectations, ignore_notices, Event, InspectHook, MigrateOptions, MigrateReport,
    Migrator, RepairAction, Session, Settings, VerifyReport,
};
pub use ratchet_core::{
    self as core, Blocker, Checksum, HistoryRow, Kind, LoadProblem, LoadProblems, Migration,
    MigrationSet, MigrationState, Outcome, Plan, StatusEntry, TransactionMode, Version,
};
pub use ratchet_driver::{
    redact, ApplyError, DatabaseUrl, DriverError, LockHolder, Notice, NoticeSink, StatementError,
    TOOL_VERSION,
};
pub use ratchet_schema as schema;
pub use ratchet_sql as sql;
