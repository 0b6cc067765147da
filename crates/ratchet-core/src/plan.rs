//! From a migration set and its history to one [`Plan`]: the state of every migration, what
//! would run, and what blocks running. `status` renders it, `migrate --dry-run` prints its
//! steps, `migrate` executes them and `verify` demands that it is clean — one value, so the
//! commands can never disagree about what the database needs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::history::{derive, verify_chain, Derived};
use crate::{ChainBreak, HistoryRow, MigrationSet, Outcome, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationState {
    Applied,
    Pending,
    /// Applied, but the file's checksum differs from the one recorded.
    Modified,
    /// Applied, but the file is gone.
    Missing,
    /// A non-transactional migration failed part way; `repair --failed` clears it.
    Failed,
    /// `.sql.retired`: never runs.
    Retired,
    /// Not applied, yet a higher version is: someone merged an older branch late.
    OutOfOrder,
}

impl MigrationState {
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Modified => "modified",
            MigrationState::Missing => "missing",
            MigrationState::Failed => "failed",
            MigrationState::Retired => "retired",
            MigrationState::OutOfOrder => "out-of-order",
        }
    }
}

/// One line of `status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusEntry {
    pub version: Version,
    pub name: String,
    pub state: MigrationState,
    pub path: Option<PathBuf>,
    pub applied_at: Option<DateTime<Utc>>,
    /// `user@host` of the run that applied it.
    pub applied_by: Option<String>,
    pub checksum: Option<String>,
    pub applied_checksum: Option<String>,
    /// The last failure's error text (failed, or a rolled-back attempt of a pending one).
    pub last_error: Option<String>,
    pub failed_statement: Option<i32>,
}

/// Why `migrate` refuses to run and `verify` fails.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Blocker {
    Modified {
        version: Version,
        name: String,
        file_checksum: String,
        applied_checksum: String,
    },
    Missing {
        version: Version,
        name: String,
    },
    Failed {
        version: Version,
        name: String,
        statement: Option<i32>,
        error: Option<String>,
    },
    OutOfOrder {
        version: Version,
        name: String,
        newest_applied: Version,
    },
    ChainBroken(ChainBreak),
}

impl Blocker {
    /// A sentence for humans, naming the migration and what to do.
    pub fn message(&self) -> String {
        match self {
            Blocker::Modified { name, .. } => format!(
                "{name} was changed after it was applied (its checksum differs from the recorded one); \
                 restore the file, or accept the change with `ratchet repair --accept-checksum {}`",
                version_of(name)
            ),
            Blocker::Missing { name, .. } => format!(
                "{name} is recorded as applied but its file is gone; restore it, or retire it"
            ),
            Blocker::Failed {
                name,
                statement,
                error,
                ..
            } => {
                let at = statement.map(|s| format!(" at statement {s}")).unwrap_or_default();
                let why = error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
                format!(
                    "{name} failed{at} outside a transaction and may have left the schema half changed{why}; \
                     fix the database by hand, then run `ratchet repair --failed {} --reason \"...\"`",
                    version_of(name)
                )
            }
            Blocker::OutOfOrder { name, newest_applied, .. } => format!(
                "{name} is not applied but the newer version {newest_applied} is (out of order); \
                 renumber it above {newest_applied}, or set `out_of_order = true`"
            ),
            Blocker::ChainBroken(b) => b.message.clone(),
        }
    }
}

fn version_of(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}

#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Apply nothing above this version.
    pub target: Option<Version>,
    /// Allow applying a migration whose version is lower than the newest applied one.
    pub out_of_order: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Every migration the folder or the history knows, in version order.
    pub entries: Vec<StatusEntry>,
    /// Versions to apply, in order (all present in the set).
    pub steps: Vec<Version>,
    /// When non-empty, nothing may be applied.
    pub blockers: Vec<Blocker>,
    pub target: Option<Version>,
}

impl Plan {
    /// What `verify` demands: nothing blocks, nothing is pending, nothing out of order.
    pub fn is_clean(&self) -> bool {
        self.blockers.is_empty()
            && self
                .entries
                .iter()
                .all(|e| matches!(e.state, MigrationState::Applied | MigrationState::Retired))
    }

    pub fn count(&self, state: MigrationState) -> usize {
        self.entries.iter().filter(|e| e.state == state).count()
    }
}

/// Computes the plan. Pure: the same set and rows always give the same plan.
pub fn plan(set: &MigrationSet, rows: &[HistoryRow], options: &PlanOptions) -> Plan {
    // Rows grouped by version, each group in id order (a stable sort keeps the history's
    // order), then folded: one sort instead of a list per version.
    let mut ordered: Vec<&HistoryRow> = rows.iter().collect();
    ordered.sort_by_key(|r| r.version);
    let derived: BTreeMap<Version, Derived<'_>> = ordered
        .chunk_by(|a, b| a.version == b.version)
        .map(|group| (group[0].version, derive(group.iter().copied())))
        .collect();
    let newest_applied = derived
        .iter()
        .filter(|(_, d)| matches!(d, Derived::Applied { .. }))
        .map(|(v, _)| *v)
        .max();

    let mut entries = Vec::new();
    let mut steps = Vec::new();
    let mut blockers: Vec<Blocker> = Vec::new();

    for migration in &set.migrations {
        let mut entry = StatusEntry {
            version: migration.version,
            name: migration.name.clone(),
            state: MigrationState::Pending,
            path: Some(migration.path.clone()),
            applied_at: None,
            applied_by: None,
            checksum: Some(migration.checksum.hex.clone()),
            applied_checksum: None,
            last_error: None,
            failed_statement: None,
        };
        match derived.get(&migration.version) {
            Some(Derived::Applied {
                applied_row,
                checksum_row,
            }) => {
                fill_applied(&mut entry, applied_row, checksum_row);
                let same = checksum_row
                    .checksum
                    .as_deref()
                    .zip(checksum_row.checksum_algorithm.as_deref())
                    .is_some_and(|(hex, algo)| migration.checksum.matches(hex, algo));
                if same {
                    entry.state = MigrationState::Applied;
                } else {
                    entry.state = MigrationState::Modified;
                    blockers.push(Blocker::Modified {
                        version: migration.version,
                        name: migration.name.clone(),
                        file_checksum: migration.checksum.hex.clone(),
                        applied_checksum: checksum_row.checksum.clone().unwrap_or_default(),
                    });
                }
            }
            Some(Derived::Failed { row }) => {
                entry.state = MigrationState::Failed;
                entry.last_error = failure_text(row);
                entry.failed_statement = row.failed_statement;
                blockers.push(Blocker::Failed {
                    version: migration.version,
                    name: migration.name.clone(),
                    statement: row.failed_statement,
                    error: failure_text(row),
                });
            }
            state @ (None | Some(Derived::NotApplied { .. })) => {
                if let Some(Derived::NotApplied {
                    last_failure: Some(row),
                }) = state
                {
                    entry.last_error = row.error.clone();
                }
                let late = newest_applied.filter(|newest| *newest > migration.version);
                if let Some(newest) = late {
                    entry.state = MigrationState::OutOfOrder;
                    if !options.out_of_order {
                        blockers.push(Blocker::OutOfOrder {
                            version: migration.version,
                            name: migration.name.clone(),
                            newest_applied: newest,
                        });
                    }
                }
                if options.target.is_none_or(|t| migration.version <= t) {
                    steps.push(migration.version);
                }
            }
        }
        entries.push(entry);
    }

    for retired in &set.retired {
        let mut entry = StatusEntry {
            version: retired.version,
            name: retired.name.clone(),
            state: MigrationState::Retired,
            path: Some(retired.path.clone()),
            applied_at: None,
            applied_by: None,
            checksum: None,
            applied_checksum: None,
            last_error: None,
            failed_statement: None,
        };
        if let Some(Derived::Applied {
            applied_row,
            checksum_row,
        }) = derived.get(&retired.version)
        {
            fill_applied(&mut entry, applied_row, checksum_row);
        }
        entries.push(entry);
    }

    for (version, state) in &derived {
        let known =
            set.get(*version).is_some() || set.retired.iter().any(|r| r.version == *version);
        if known {
            continue;
        }
        // A failed (or interrupted) non-transactional migration whose file was deleted since
        // may still have left the schema half changed: deleting the file must not make the
        // failed state vanish from `status` and stop blocking, and `repair --failed` needs an
        // entry to clear.
        if let Derived::Failed { row } = state {
            entries.push(StatusEntry {
                version: *version,
                name: row.name.clone(),
                state: MigrationState::Failed,
                path: None,
                applied_at: None,
                applied_by: None,
                checksum: None,
                applied_checksum: None,
                last_error: failure_text(row),
                failed_statement: row.failed_statement,
            });
            blockers.push(Blocker::Failed {
                version: *version,
                name: row.name.clone(),
                statement: row.failed_statement,
                error: failure_text(row),
            });
            continue;
        }
        if let Derived::Applied {
            applied_row,
            checksum_row,
        } = state
        {
            let mut entry = StatusEntry {
                version: *version,
                name: applied_row.name.clone(),
                state: MigrationState::Missing,
                path: None,
                applied_at: None,
                applied_by: None,
                checksum: None,
                applied_checksum: None,
                last_error: None,
                failed_statement: None,
            };
            fill_applied(&mut entry, applied_row, checksum_row);
            entries.push(entry);
            blockers.push(Blocker::Missing {
                version: *version,
                name: applied_row.name.clone(),
            });
        }
    }

    let breaks = verify_chain(rows);
    if !breaks.is_empty() {
        // A deleted history row makes its migration look "not applied, below the newest":
        // out-of-order advice ("renumber it") would then be wrong. The chain break is the
        // real finding and blocks on its own.
        blockers.retain(|b| !matches!(b, Blocker::OutOfOrder { .. }));
    }
    blockers.extend(breaks.into_iter().map(Blocker::ChainBroken));
    entries.sort_by_key(|e| e.version);

    Plan {
        entries,
        steps,
        blockers,
        target: options.target,
    }
}

/// What to tell a human about the row that left a migration failed. A `started` row carries
/// no error of its own: it is written before the first statement, and it only means trouble
/// when no row after it says how the attempt ended.
fn failure_text(row: &HistoryRow) -> Option<String> {
    match row.outcome {
        Outcome::Started => Some(
            "interrupted: it started outside a transaction and no outcome was ever recorded \
             (the process was killed or lost its connection), so some of its statements may \
             have run"
                .to_owned(),
        ),
        _ => row.error.clone(),
    }
}

fn fill_applied(entry: &mut StatusEntry, applied_row: &HistoryRow, checksum_row: &HistoryRow) {
    entry.applied_at = applied_row.finished_at.or(Some(applied_row.started_at));
    entry.applied_by = match (&applied_row.db_user, &applied_row.host) {
        (Some(user), Some(host)) => Some(format!("{user}@{host}")),
        (Some(user), None) => Some(user.clone()),
        (None, Some(host)) => Some(format!("@{host}")),
        (None, None) => None,
    };
    entry.applied_checksum = checksum_row.checksum.clone();
}
