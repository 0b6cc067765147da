//! The append-only history: one row per attempt, never updated or deleted by ratchet. The
//! current state of each migration is *derived* from its rows, so the table is a log that can
//! be audited, not a mutable head pointer.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::checksum::{hex_digits, to_hex};
use crate::Version;

/// What an attempt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Apply,
    Rollback,
    Baseline,
    Retire,
    Repair,
    Adopt,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Apply => "apply",
            Kind::Rollback => "rollback",
            Kind::Baseline => "baseline",
            Kind::Retire => "retire",
            Kind::Repair => "repair",
            Kind::Adopt => "adopt",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        [
            Kind::Apply,
            Kind::Rollback,
            Kind::Baseline,
            Kind::Retire,
            Kind::Repair,
            Kind::Adopt,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// The effect a row had on its migration's state. Stored as text next to `success` because a
/// failure comes in two very different kinds: one rolled back (nothing left behind, the
/// migration is simply still pending) and one that may have left the schema half changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The migration is applied (apply, baseline).
    Applied,
    /// A transactional migration failed and its transaction was rolled back.
    RolledBack,
    /// A non-transactional migration failed part way; later runs are blocked until `repair`.
    Failed,
    /// A non-transactional migration began. Written *before* its first statement, so that a
    /// run killed half way leaves a trace: without a later row saying how it ended, the
    /// migration counts as failed, because its statements may have partly committed.
    Started,
    /// `repair --failed`: a human cleaned up after a failure; the migration is pending again.
    Cleared,
    /// `repair --accept-checksum`: a deliberate edit of an applied file was accepted.
    Accepted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::RolledBack => "rolled-back",
            Outcome::Failed => "failed",
            Outcome::Started => "started",
            Outcome::Cleared => "cleared",
            Outcome::Accepted => "accepted",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        [
            Outcome::Applied,
            Outcome::RolledBack,
            Outcome::Failed,
            Outcome::Started,
            Outcome::Cleared,
            Outcome::Accepted,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }

    /// Rows with these outcomes change which content counts as applied, so they carry a link
    /// of the tamper-evident chain.
    pub fn is_chained(self) -> bool {
        matches!(self, Outcome::Applied | Outcome::Accepted)
    }
}

/// One row of `ratchet_history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRow {
    pub id: i64,
    pub version: Version,
    pub name: String,
    pub kind: Kind,
    pub success: bool,
    pub outcome: Outcome,
    pub checksum: Option<String>,
    pub checksum_algorithm: Option<String>,
    pub chain_hash: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub execution_ms: Option<i64>,
    pub db_user: Option<String>,
    pub host: Option<String>,
    pub tool_version: String,
    pub error: Option<String>,
    /// 1-based number of the statement that failed, for non-transactional migrations.
    pub failed_statement: Option<i32>,
    /// Why a human did this (`repair`, `retire`).
    pub reason: Option<String>,
}

/// The link of the chain for a row: SHA-256 over the previous link, the version and the
/// checksum, NUL-separated so that no two different inputs concatenate to the same bytes.
///
/// Every row that changes which content counts as applied stores its link. Deleting such a
/// row, or rewriting its checksum or version, breaks the link of that row or of the next one,
/// which `verify` and `status` report: a hand edit of the history cannot go unnoticed unless
/// the editor also recomputes every later link.
pub fn chain_hash(previous: Option<&str>, version: Version, checksum_hex: &str) -> String {
    to_hex(&chain_digest(previous, version, checksum_hex))
}

/// The raw digest behind [`chain_hash`]. `verify` recomputes one per history row, so this
/// allocates nothing.
fn chain_digest(previous: Option<&str>, version: Version, checksum_hex: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous.unwrap_or("").as_bytes());
    hasher.update([0]);
    // The version's decimal digits, written into a stack buffer.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = version.0;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    hasher.update(&digits[at..]);
    hasher.update([0]);
    hasher.update(checksum_hex.as_bytes());
    hasher.finalize().into()
}

/// Whether `stored` (as read from the history) is the hex form of `digest`. Stored links are
/// written lowercase; an uppercase one was not written by ratchet and does not match.
fn is_hex_of(stored: &str, digest: &[u8; 32]) -> bool {
    stored.len() == 64 && stored.bytes().eq(hex_digits(digest))
}

/// The link the next chained row must store, given the history so far.
pub fn next_chain_hash(rows: &[HistoryRow], version: Version, checksum_hex: &str) -> String {
    let previous = rows
        .iter()
        .rev()
        .find(|r| r.success && r.outcome.is_chained())
        .and_then(|r| r.chain_hash.as_deref());
    chain_hash(previous, version, checksum_hex)
}

/// A place where the stored chain does not match what its rows say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub row_id: i64,
    pub version: Version,
    pub message: String,
}

/// Recomputes every link from the rows' own contents. Each row is checked against the
/// *stored* link of its predecessor, so one altered row is reported once, at the place where
/// it happened, rather than cascading through everything after it.
pub fn verify_chain(rows: &[HistoryRow]) -> Vec<ChainBreak> {
    let mut breaks = Vec::new();
    let mut previous: Option<&str> = None;
    for row in rows.iter().filter(|r| r.success && r.outcome.is_chained()) {
        let Some(stored) = row.chain_hash.as_deref() else {
            breaks.push(ChainBreak {
                row_id: row.id,
                version: row.version,
                message: format!(
                    "history row {} ({}) has no chain hash: it was not written by ratchet or was edited",
                    row.id, row.name
                ),
            });
            continue;
        };
        let expected = chain_digest(previous, row.version, row.checksum.as_deref().unwrap_or(""));
        if !is_hex_of(stored, &expected) {
            breaks.push(ChainBreak {
                row_id: row.id,
                version: row.version,
                message: format!(
                    "history row {} ({}) does not match the chain: this row, or a row before it, \
                     was altered or deleted by hand (a migration whose row was deleted shows as \
                     pending or out-of-order); restore the history from a backup, or investigate \
                     with `ratchet history`",
                    row.id, row.name
                ),
            });
        }
        previous = Some(stored);
    }
    breaks
}

/// What the rows of one version add up to.
#[derive(Debug, Clone, PartialEq)]
pub enum Derived<'a> {
    /// Never applied, rolled back, or cleared by `repair --failed`.
    NotApplied {
        last_failure: Option<&'a HistoryRow>,
    },
    /// Applied; `checksum_row` holds the checksum that counts (the apply, or a later accept).
    Applied {
        applied_row: &'a HistoryRow,
        checksum_row: &'a HistoryRow,
    },
    /// A non-transactional migration failed or was interrupted part way.
    Failed { row: &'a HistoryRow },
}

/// Folds one version's rows (in id order) into its current state.
pub fn derive<'a>(rows: impl IntoIterator<Item = &'a HistoryRow>) -> Derived<'a> {
    let mut state = Derived::NotApplied { last_failure: None };
    for row in rows {
        state = match (row.outcome, state) {
            (Outcome::Applied, _) => Derived::Applied {
                applied_row: row,
                checksum_row: row,
            },
            (Outcome::Failed | Outcome::Started, _) => Derived::Failed { row },
            (Outcome::RolledBack, Derived::NotApplied { .. }) => Derived::NotApplied {
                last_failure: Some(row),
            },
            (Outcome::Cleared, Derived::Failed { .. }) => {
                Derived::NotApplied { last_failure: None }
            }
            (Outcome::Accepted, Derived::Applied { applied_row, .. }) => Derived::Applied {
                applied_row,
                checksum_row: row,
            },
            // A rollback row of a future `rollback` command: the migration is undone.
            (_, _) if row.kind == Kind::Rollback && row.success => {
                Derived::NotApplied { last_failure: None }
            }
            (_, unchanged) => unchanged,
        };
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn row(id: i64, version: u64, outcome: Outcome, checksum: &str) -> HistoryRow {
        HistoryRow {
            id,
            version: Version(version),
            name: format!("{version:04}_m"),
            kind: Kind::Apply,
            success: matches!(
                outcome,
                Outcome::Applied | Outcome::Accepted | Outcome::Cleared
            ),
            outcome,
            checksum: Some(checksum.to_owned()),
            checksum_algorithm: Some("sha256-lf".to_owned()),
            chain_hash: None,
            started_at: DateTime::<Utc>::UNIX_EPOCH,
            finished_at: None,
            execution_ms: Some(1),
            db_user: None,
            host: None,
            tool_version: "test".into(),
            error: None,
            failed_statement: None,
            reason: None,
        }
    }

    fn chained(specs: &[(u64, &str)]) -> Vec<HistoryRow> {
        let mut rows: Vec<HistoryRow> = Vec::new();
        for (i, (version, checksum)) in specs.iter().enumerate() {
            let mut r = row(i as i64 + 1, *version, Outcome::Applied, checksum);
            r.chain_hash = Some(next_chain_hash(&rows, Version(*version), checksum));
            rows.push(r);
        }
        rows
    }

    proptest::proptest! {
        /// The allocation-free digest is the documented formula: previous link, NUL, the
        /// version's decimal digits, NUL, the checksum. Stored links depend on it never changing.
        #[test]
        fn chain_hash_is_the_documented_formula(
            previous in proptest::option::of("[0-9a-f]{64}"),
            version in proptest::prop_oneof![proptest::num::u64::ANY, 0u64..10],
            checksum in "[0-9a-f]{0,64}",
        ) {
            let mut hasher = Sha256::new();
            hasher.update(previous.as_deref().unwrap_or("").as_bytes());
            hasher.update([0]);
            hasher.update(version.to_string().as_bytes());
            hasher.update([0]);
            hasher.update(checksum.as_bytes());
            let expected = to_hex(&hasher.finalize());
            let actual = chain_hash(previous.as_deref(), Version(version), &checksum);
            proptest::prop_assert!(is_hex_of(&expected, &chain_digest(previous.as_deref(), Version(version), &checksum)));
            proptest::prop_assert_eq!(actual, expected);
        }
    }

    #[test]
    fn intact_chain_verifies() {
        let rows = chained(&[(1, "aa"), (2, "bb"), (3, "cc")]);
        assert!(verify_chain(&rows).is_empty());
    }

    #[test]
    fn deleted_row_is_detected_at_its_successor() {
        let mut rows = chained(&[(1, "aa"), (2, "bb"), (3, "cc")]);
        rows.remove(1);
        let breaks = verify_chain(&rows);
        assert_eq!(breaks.len(), 1);
        assert_eq!(breaks[0].row_id, 3);
    }

    #[test]
    fn rewritten_checksum_is_detected_once() {
        let mut rows = chained(&[(1, "aa"), (2, "bb"), (3, "cc")]);
        rows[0].checksum = Some("ff".into());
        let breaks = verify_chain(&rows);
        assert_eq!(breaks.iter().map(|b| b.row_id).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn failed_then_cleared_then_applied() {
        let failed = row(1, 5, Outcome::Failed, "aa");
        let cleared = row(2, 5, Outcome::Cleared, "aa");
        let applied = row(3, 5, Outcome::Applied, "aa");
        assert!(matches!(derive([&failed]), Derived::Failed { .. }));
        assert!(matches!(
            derive([&failed, &cleared]),
            Derived::NotApplied { last_failure: None }
        ));
        assert!(matches!(
            derive([&failed, &cleared, &applied]),
            Derived::Applied { .. }
        ));
    }

    #[test]
    fn rolled_back_attempt_leaves_the_migration_pending() {
        let rolled = row(1, 5, Outcome::RolledBack, "aa");
        assert!(matches!(
            derive([&rolled]),
            Derived::NotApplied {
                last_failure: Some(_)
            }
        ));
    }
}
