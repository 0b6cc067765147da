use std::path::PathBuf;

use ratchet_sql::{Directives, Statement};
use serde::Serialize;

use crate::{Checksum, Version};

/// How the runner wraps a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransactionMode {
    /// The script and its history row commit together or not at all.
    PerMigration,
    /// `-- ratchet:no-transaction`: statements run one by one in autocommit, because some
    /// (`CREATE INDEX CONCURRENTLY`, `VACUUM`) refuse to run inside a transaction. A failure
    /// half way leaves a recorded `failed` state that only `repair` clears.
    None,
}

/// One runnable migration file, validated: its name fits the rule, its text is UTF-8, its
/// directives parsed and its statements split with byte ranges into [`Migration::source`].
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: Version,
    /// File name without `.sql`, e.g. `0001_create_users`; this is what history rows record.
    pub name: String,
    pub path: PathBuf,
    /// The file's text exactly as read (a BOM, if any, is still there), so every byte range
    /// and therefore every reported line and column refers to the file the user sees.
    pub source: String,
    pub checksum: Checksum,
    pub directives: Directives,
    pub transaction: TransactionMode,
    /// Statements to execute, in order. When the whole file was wrapped in one
    /// `BEGIN; ... COMMIT;` pair (the golang-migrate habit) the pair is not included: the
    /// runner's own transaction replaces it.
    pub statements: Vec<Statement>,
    pub unwrapped_transaction: bool,
    /// Versions named by `DEPENDS` / `ratchet:depends`, resolved and checked to be lower.
    pub depends: Vec<Version>,
    /// The matching `.down.sql`, if there is one.
    pub down: Option<PathBuf>,
}

impl Migration {
    pub fn file_name(&self) -> String {
        format!("{}.sql", self.name)
    }

    /// The SQL of statement `index`, without its terminating semicolon.
    pub fn statement_text(&self, index: usize) -> &str {
        self.statements[index].text(&self.source)
    }
}

/// `NNNN_name.sql.retired`: kept for the record, never executed, listed by `status`.
#[derive(Debug, Clone, Serialize)]
pub struct Retired {
    pub version: Version,
    pub name: String,
    pub path: PathBuf,
}
