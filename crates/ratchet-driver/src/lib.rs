//! Database drivers: the history table, the runner lock, applying one migration, and
//! introspection.
//!
//! A [`Driver`] knows how to talk to one kind of database; it does not decide *what* to run —
//! that is the plan's job in `ratchet-core`. Each driver keeps the two promises the rest of
//! ratchet relies on:
//!
//! * a migration and its history row commit together (or, for `no-transaction` files, the
//!   outcome of every attempt is recorded, including an interrupted one);
//! * one runner at a time per database ([`Driver::lock`]), with the history re-read under the
//!   lock before anything is planned.
//!
//! [`Inspect::introspect`] reads the database's schema into a `ratchet_schema::Schema`, on the
//! same connection (so also inside an open migration transaction).

mod error;
mod history_sql;
mod ident;
mod introspect;
mod postgres;
mod sqlite;
mod url;

use std::sync::Arc;
use std::time::Duration;

use ratchet_core::{HistoryRow, Kind, Migration, Outcome, Version};
use ratchet_schema::Schema;

pub use crate::error::{ApplyError, DriverError, StatementError};
pub use crate::ident::{quote_ident, TableName, TableNameError};
pub use crate::url::{redact, DatabaseUrl, UrlError};

/// The version recorded in every history row.
pub const TOOL_VERSION: &str = concat!("ratchet ", env!("CARGO_PKG_VERSION"));

/// A message the server sent while a migration ran (`RAISE NOTICE`, a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The migration that was running, if any.
    pub migration: Option<String>,
    /// `NOTICE`, `WARNING`, `INFO`, ...
    pub severity: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

/// Receives notices as they arrive, from whatever thread the driver reads them on.
pub type NoticeSink = Arc<dyn Fn(Notice) + Send + Sync>;

/// Everything needed to open a connection.
#[derive(Clone)]
pub struct ConnectOptions {
    pub url: DatabaseUrl,
    pub history_table: TableName,
    /// Reported to PostgreSQL as `application_name`, so a DBA (and a waiting runner) can see
    /// who holds the lock.
    pub application_name: String,
    pub notices: NoticeSink,
    /// How long to wait for the connection to open.
    pub connect_timeout: Duration,
    /// How long to wait for another runner (the runner lock, and on SQLite a busy database).
    pub lock_wait: Duration,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("url", &self.url)
            .field("history_table", &self.history_table)
            .field("application_name", &self.application_name)
            .finish_non_exhaustive()
    }
}

/// Who holds the runner lock, as far as the database can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockHolder {
    pub pid: Option<i32>,
    pub application_name: Option<String>,
    pub client_addr: Option<String>,
    pub user: Option<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(pid) = self.pid {
            parts.push(format!("pid {pid}"));
        }
        if let Some(app) = self.application_name.as_deref().filter(|a| !a.is_empty()) {
            parts.push(format!("application_name {app}"));
        }
        if let Some(user) = &self.user {
            parts.push(format!("user {user}"));
        }
        parts.push(format!(
            "client {}",
            self.client_addr.as_deref().unwrap_or("local socket")
        ));
        if let Some(since) = self.since {
            parts.push(format!("since {}", since.format("%Y-%m-%d %H:%M:%S UTC")));
        }
        f.write_str(&parts.join(", "))
    }
}

/// Held while a runner works. Dropping it releases the lock; if the process dies instead,
/// the database releases it (the PostgreSQL lock lives on its own session).
pub trait RunnerLock: std::fmt::Debug {}

/// Per-migration execution settings, resolved from the file's directives and configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplySettings {
    /// `None`: the database's own default. `Some(ZERO)`: no limit.
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
}

/// What [`Driver::apply`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The migration ran; this is its history row.
    Ran(Box<HistoryRow>),
    /// Another runner applied it between planning and now (SQLite re-reads the history inside
    /// the write transaction); nothing was done.
    AlreadyApplied,
}

/// A history row ratchet writes for something other than applying a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRequest {
    pub version: Version,
    pub name: String,
    pub kind: Kind,
    pub outcome: Outcome,
    pub checksum: Option<String>,
    pub reason: Option<String>,
}

/// What a [`Check`] can look at: the database as the migration left it, seen from inside the
/// migration's transaction when it has one.
pub trait Inspect {
    /// The database's schema: every user object, without system catalogs, objects owned by
    /// extensions, or ratchet's history table (with its indexes and sequence).
    ///
    /// # Transactions
    /// Runs plain queries on this driver's connection and never begins, commits or rolls
    /// back, so it can run inside an open transaction (a migration's, to validate its
    /// effect before commit) and then sees that transaction's uncommitted changes. On
    /// PostgreSQL it pins `search_path`, `TimeZone` and the other settings that change how
    /// the catalog prints names and literals, for its own statements only, and puts them
    /// back before returning (see `introspect::postgres`). In a failed (aborted)
    /// transaction it fails like any query.
    ///
    /// # Connections
    /// On PostgreSQL, when no migration's transaction is open and this connection's
    /// transaction (if any) has written nothing, it also opens a second connection for the
    /// duration of the call, which reads half of the relations at the same time; if that
    /// connection cannot be made, or waits for a lock, this one reads everything.
    fn introspect(&mut self) -> Result<Schema, DriverError>;

    /// Runs one query on this connection (inside the migration's transaction, if any) and
    /// returns its rows with every value as text, `NULL` for a null. For `schema.toml`
    /// assertions, which are plain `SELECT`s written by users.
    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<String>>, DriverError>;
}

/// Decides, after a migration's statements ran and before its history row is written,
/// whether it may count as applied: no reasons lets it through, any reason rejects it. A
/// rejected transactional migration is rolled back; a `no-transaction` one (which cannot be)
/// is recorded as failed. Either way the attempt is recorded with its reasons.
pub type Check<'a> =
    &'a mut dyn FnMut(&Migration, &mut dyn Inspect) -> Result<Vec<String>, DriverError>;

pub trait Driver: Send + Inspect {
    /// The URL with its password hidden.
    fn describe(&self) -> String;

    /// Every row of the history, in id order; empty when the table does not exist yet
    /// (reading never creates it).
    fn read_history(&mut self) -> Result<Vec<HistoryRow>, DriverError>;

    /// Takes the runner lock, waiting up to `wait`. `on_wait` is called once, with whoever
    /// holds it, if the lock is not free at once. Fails with [`DriverError::LockTimeout`]
    /// when it is not released in time.
    ///
    /// # Locking
    /// On PostgreSQL this is a session-level advisory lock on a dedicated connection, so it
    /// does not depend on the migration connection's transaction state and the server drops
    /// it when the process dies. On SQLite it is an OS file lock on `<database>.ratchet-lock`,
    /// which the kernel drops when the process dies.
    fn lock(
        &mut self,
        wait: Duration,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<Box<dyn RunnerLock>, DriverError>;

    /// Creates the history table (and its schema) if it does not exist.
    fn ensure_history_table(&mut self) -> Result<(), DriverError>;

    /// Runs one migration and records the attempt, success or failure. `check`, when given,
    /// runs after the migration's statements and before its history row (see [`Check`]).
    fn apply(
        &mut self,
        migration: &Migration,
        settings: ApplySettings,
        check: Option<Check<'_>>,
    ) -> Result<Applied, ApplyError>;

    /// Appends a row for `repair` and friends, chained when its outcome requires it.
    fn record(&mut self, request: &RecordRequest) -> Result<HistoryRow, DriverError>;
}

/// Opens a connection to the database `options.url` names.
pub fn connect(options: &ConnectOptions) -> Result<Box<dyn Driver>, DriverError> {
    match &options.url {
        DatabaseUrl::Postgres(_) => Ok(Box::new(postgres::PgDriver::connect(options)?)),
        DatabaseUrl::Sqlite(_) => Ok(Box::new(sqlite::SqliteDriver::connect(options)?)),
    }
}

/// Drops everything in the database `options.url` names — on PostgreSQL every schema but the
/// system ones (then an empty `public` is recreated), on SQLite every table, view and trigger.
/// For a scratch database only: `ratchet diff --dev-url` replays migrations there.
pub fn dangerous_wipe_database(options: &ConnectOptions) -> Result<(), DriverError> {
    match &options.url {
        DatabaseUrl::Postgres(_) => postgres::PgDriver::connect(options)?.dangerous_wipe(),
        DatabaseUrl::Sqlite(_) => sqlite::SqliteDriver::connect(options)?.dangerous_wipe(),
    }
}

/// The OS host name recorded in history rows.
pub(crate) fn host_name() -> Option<String> {
    gethostname::gethostname().into_string().ok()
}
