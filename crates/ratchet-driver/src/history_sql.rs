//! The history table's columns, shared by every dialect so that the drivers cannot drift
//! apart on what a row contains.

use chrono::{DateTime, Utc};
use ratchet_core::{HistoryRow, Kind, Outcome, Version};

use crate::DriverError;

/// Columns in the order every SELECT and INSERT uses.
pub(crate) const COLUMNS: &str = "id, version, name, kind, success, outcome, checksum, \
     checksum_algorithm, chain_hash, started_at, finished_at, execution_ms, db_user, host, \
     tool_version, error, failed_statement, reason";

/// Columns written by an INSERT (everything but the generated `id`).
pub(crate) const INSERT_COLUMNS: &str = "version, name, kind, success, outcome, checksum, \
     checksum_algorithm, chain_hash, started_at, finished_at, execution_ms, db_user, host, \
     tool_version, error, failed_statement, reason";

/// A row about to be inserted; `id` comes back from the database.
#[derive(Debug, Clone)]
pub(crate) struct NewRow {
    pub version: Version,
    pub name: String,
    pub kind: Kind,
    pub outcome: Outcome,
    pub checksum: Option<String>,
    pub checksum_algorithm: Option<String>,
    pub chain_hash: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub execution_ms: Option<i64>,
    pub db_user: Option<String>,
    pub host: Option<String>,
    pub error: Option<String>,
    pub failed_statement: Option<i32>,
    pub reason: Option<String>,
}

impl NewRow {
    /// An `apply` row for `migration`, stamped now.
    pub fn apply(migration: &ratchet_core::Migration, outcome: Outcome, who: &Who) -> NewRow {
        NewRow {
            version: migration.version,
            name: migration.name.clone(),
            kind: Kind::Apply,
            outcome,
            checksum: Some(migration.checksum.hex.clone()),
            checksum_algorithm: Some(migration.checksum.algorithm.to_owned()),
            chain_hash: None,
            started_at: Utc::now(),
            finished_at: None,
            execution_ms: None,
            db_user: who.db_user.clone(),
            host: who.host.clone(),
            error: None,
            failed_statement: None,
            reason: None,
        }
    }

    /// A row for `repair` and other bookkeeping that runs no SQL of the user's.
    pub fn record(request: &crate::RecordRequest, who: &Who) -> NewRow {
        let now = Utc::now();
        NewRow {
            version: request.version,
            name: request.name.clone(),
            kind: request.kind,
            outcome: request.outcome,
            checksum: request.checksum.clone(),
            checksum_algorithm: request
                .checksum
                .as_ref()
                .map(|_| ratchet_core::Checksum::SHA256_LF.to_owned()),
            chain_hash: None,
            started_at: now,
            finished_at: Some(now),
            execution_ms: Some(0),
            db_user: who.db_user.clone(),
            host: who.host.clone(),
            error: None,
            failed_statement: None,
            reason: request.reason.clone(),
        }
    }

    /// Fills in the chain link when this row's outcome carries one.
    pub fn link(&mut self, tip: Option<&str>) {
        if self.outcome.is_chained() {
            self.chain_hash = Some(ratchet_core::chain_hash(
                tip,
                self.version,
                self.checksum.as_deref().unwrap_or(""),
            ));
        }
    }

    /// Stamps the end of the attempt.
    pub fn finish(&mut self, clock: std::time::Instant) {
        self.finished_at = Some(Utc::now());
        self.execution_ms = Some(i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX));
    }

    pub fn success(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Applied | Outcome::Cleared | Outcome::Accepted
        )
    }

    pub fn into_row(self, id: i64) -> HistoryRow {
        HistoryRow {
            id,
            success: self.success(),
            version: self.version,
            name: self.name,
            kind: self.kind,
            outcome: self.outcome,
            checksum: self.checksum,
            checksum_algorithm: self.checksum_algorithm,
            chain_hash: self.chain_hash,
            started_at: self.started_at,
            finished_at: self.finished_at,
            execution_ms: self.execution_ms,
            db_user: self.db_user,
            host: self.host,
            tool_version: crate::TOOL_VERSION.to_owned(),
            error: self.error,
            failed_statement: self.failed_statement,
            reason: self.reason,
        }
    }
}

/// Who is running: recorded in every row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Who {
    pub db_user: Option<String>,
    pub host: Option<String>,
}

/// The newest chained row's link: what the next chained row builds on.
pub(crate) fn chain_tip(rows: &[HistoryRow]) -> Option<String> {
    rows.iter()
        .rev()
        .find(|r| r.success && r.outcome.is_chained())
        .and_then(|r| r.chain_hash.clone())
}

pub(crate) fn parse_kind(table: &str, text: &str) -> Result<Kind, DriverError> {
    Kind::parse(text).ok_or_else(|| DriverError::CorruptHistory {
        table: table.to_owned(),
        message: format!("unknown kind {text:?}"),
    })
}

pub(crate) fn parse_outcome(table: &str, text: &str) -> Result<Outcome, DriverError> {
    Outcome::parse(text).ok_or_else(|| DriverError::CorruptHistory {
        table: table.to_owned(),
        message: format!("unknown outcome {text:?}"),
    })
}

pub(crate) fn parse_version(table: &str, value: i64) -> Result<Version, DriverError> {
    u64::try_from(value)
        .map(Version)
        .map_err(|_| DriverError::CorruptHistory {
            table: table.to_owned(),
            message: format!("negative version {value}"),
        })
}

/// The history's `error` text for a migration a check rejected.
pub(crate) fn rejection_text(reasons: &[String]) -> String {
    format!("rejected: {}", reasons.join("; "))
}
