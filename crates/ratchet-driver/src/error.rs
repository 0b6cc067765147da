use std::path::PathBuf;
use std::time::Duration;

use ratchet_core::{Migration, Outcome};
use ratchet_sql::LineIndex;

use crate::LockHolder;

/// The tool could not do its job with the database (as opposed to a migration failing).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// Could not open a connection. `url` has its password hidden.
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    /// Another runner held the lock for longer than `lock_wait`.
    #[error("gave up waiting for the migration lock after {}{}", humantime_like(*waited), holder.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    LockTimeout {
        waited: Duration,
        holder: Option<LockHolder>,
    },
    /// A query of ratchet's own failed (reading or writing the history, taking the lock).
    #[error("{context}: {message}")]
    Database {
        context: String,
        message: String,
        sqlstate: Option<String>,
    },
    /// The history table holds something ratchet did not write.
    #[error("the history table {table} is not readable: {message}")]
    CorruptHistory { table: String, message: String },
}

fn humantime_like(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// A statement of a migration failed. Everything needed to point at the exact spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    pub migration: String,
    pub path: PathBuf,
    /// 1-based number of the failing statement in the file.
    pub statement: usize,
    /// 1-based position in the file of the error (or of the statement's start when the
    /// database did not say where).
    pub line: usize,
    pub column: usize,
    /// The text of that line, for showing with a caret.
    pub source_line: String,
    /// The SQLSTATE (PostgreSQL), or the result code's name such as `SQLITE_CONSTRAINT`.
    pub sqlstate: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// PL/pgSQL context (`PL/pgSQL function inline_code_block line 3 at RAISE`).
    pub context: Option<String>,
}

impl StatementError {
    /// One line for the history's `error` column: where, what, and the SQLSTATE.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        );
        match &self.sqlstate {
            Some(code) if code.starts_with("SQLITE_") => text.push_str(&format!(" ({code})")),
            Some(code) => text.push_str(&format!(" (SQLSTATE {code})")),
            None => {}
        }
        text
    }

    /// Locates `offset_in_statement` (a byte offset into the statement's text) in the file.
    pub(crate) fn at(
        migration: &Migration,
        statement_index: usize,
        offset_in_statement: Option<usize>,
    ) -> StatementError {
        let statement = &migration.statements[statement_index];
        let offset = statement.range.start + offset_in_statement.unwrap_or(0);
        let index = LineIndex::new(&migration.source);
        let (line, column) = index.line_col(offset.min(migration.source.len()));
        StatementError {
            migration: migration.name.clone(),
            path: migration.path.clone(),
            statement: statement_index + 1,
            line,
            column,
            source_line: index.line_text(&migration.source, line).to_owned(),
            sqlstate: None,
            message: String::new(),
            detail: None,
            hint: None,
            context: None,
        }
    }
}

/// Applying a migration failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApplyError {
    /// A statement failed. `outcome` says what was left behind: `RolledBack` (nothing) or
    /// `Failed` (a non-transactional migration stopped part way).
    #[error("{} failed at {}:{}:{}: {}", .error.migration, .error.path.display(), .error.line, .error.column, .error.message)]
    Statement {
        error: Box<StatementError>,
        outcome: Outcome,
        /// Indexes left INVALID by a failed `CREATE INDEX CONCURRENTLY` (schema-qualified).
        invalid_indexes: Vec<String>,
        /// Set when the failure itself could not be written to the history.
        not_recorded: Option<String>,
    },
    /// The migration ran, but a [`crate::Check`] (declared expectations) rejected what it
    /// did. `outcome`: `RolledBack` (nothing of it remains) or `Failed` (a `no-transaction`
    /// migration, whose statements stay).
    #[error("{migration} was rejected: {}", reasons.join("; "))]
    Rejected {
        migration: String,
        /// One sentence per broken expectation.
        reasons: Vec<String>,
        outcome: Outcome,
        /// Set when the rejection itself could not be written to the history.
        not_recorded: Option<String>,
    },
    /// The connection or ratchet's own bookkeeping failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
}
