use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratchet_core::{
    plan, HistoryRow, Kind, LoadOptions, MigrationSet, MigrationState, Outcome, Plan, PlanOptions,
    Version, DEFAULT_NAME_PATTERN,
};
use ratchet_driver::{
    Applied, ApplySettings, Check, ConnectOptions, DatabaseUrl, Driver, DriverError, Inspect,
    LockHolder, NoticeSink, RecordRequest, TableName,
};
use ratchet_schema::{Due, Expectations, Schema, Violation};
use regex::Regex;
use serde::Serialize;

use crate::Error;

/// Everything a [`Migrator`] needs; every field has the default of the specification.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Option<String>,
    pub migrations_dir: PathBuf,
    /// `name` or `schema.name`.
    pub history_table: String,
    pub name_pattern: String,
    /// Apply migrations whose version is below the newest applied one instead of refusing.
    pub out_of_order: bool,
    /// Per-migration default; a file's `-- ratchet:lock-timeout` overrides it. Zero: none.
    pub lock_timeout: Duration,
    /// Per-migration default; `-- ratchet:statement-timeout` overrides it. Zero: none.
    pub statement_timeout: Duration,
    /// How long a runner waits for another runner to finish.
    pub lock_wait: Duration,
    /// `schema.toml`: declared expectations checked after each migration and by `verify`.
    /// `None`: there are none.
    pub expectations: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            migrations_dir: PathBuf::from("migrations"),
            history_table: "ratchet_history".into(),
            name_pattern: DEFAULT_NAME_PATTERN.into(),
            out_of_order: false,
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::ZERO,
            lock_wait: Duration::from_secs(60),
            expectations: None,
        }
    }
}

/// Progress of a run, for a UI to render.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Another runner holds the lock; this one waits.
    WaitingForLock {
        holder: &'a LockHolder,
        wait: Duration,
    },
    LockAcquired,
    Applying {
        migration: &'a ratchet_core::Migration,
    },
    Applied {
        migration: &'a ratchet_core::Migration,
        row: &'a HistoryRow,
    },
    /// Another runner applied it first (SQLite re-checks inside the write transaction).
    AlreadyApplied {
        migration: &'a ratchet_core::Migration,
    },
}

#[derive(Clone, Copy, Default)]
pub struct MigrateOptions<'a> {
    pub target: Option<Version>,
    /// Checked inside each migration's transaction, after its statements: a migration that
    /// leaves a due expectation broken is rolled back and recorded as a failed attempt.
    pub expectations: Option<&'a Expectations>,
    /// Called inside each migration's transaction too, after the expectations, with a view
    /// of the database as the migration left it; the reasons it returns reject the
    /// migration like broken expectations do. `ratchet diff` uses it to see what each
    /// migration creates and drops while it replays them.
    pub inspect: Option<&'a InspectHook<'a>>,
}

/// See [`MigrateOptions::inspect`].
pub type InspectHook<'a> =
    dyn Fn(&ratchet_core::Migration, &mut dyn Inspect) -> Result<Vec<String>, DriverError> + 'a;

impl std::fmt::Debug for MigrateOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrateOptions")
            .field("target", &self.target)
            .field("expectations", &self.expectations)
            .field("inspect", &self.inspect.map(|_| "Fn"))
            .finish()
    }
}

/// What `migrate` did.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    /// The plan as it stood under the lock, before anything ran.
    pub plan: Plan,
    pub applied: Vec<HistoryRow>,
}

/// The outcome of `verify`: the plan, clean or not, and the expectations that do not hold.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub plan: Plan,
    pub violations: Vec<Violation>,
    pub ok: bool,
}

impl VerifyReport {
    /// For start-up gates: `Err` unless everything is applied and intact and every
    /// expectation holds.
    pub fn into_result(self) -> Result<Plan, Error> {
        if self.ok {
            Ok(self.plan)
        } else if !self.violations.is_empty() && self.plan.is_clean() {
            Err(Error::Expectations {
                violations: self.violations,
            })
        } else {
            Err(Error::Blocked {
                plan: Box::new(self.plan),
            })
        }
    }
}

/// Checks the expectations due at `due` against the database `inspect` sees. Introspects
/// only when a structural expectation is due; runs each due assertion. An assertion whose
/// SQL fails is itself a violation (it cannot prove anything), not an error of ratchet's.
pub fn check_expectations(
    expectations: &Expectations,
    due: Due,
    inspect: &mut dyn Inspect,
) -> Result<Vec<Violation>, DriverError> {
    let mut violations = Vec::new();
    if expectations.has_structural(due) {
        let schema = inspect.introspect()?;
        violations = expectations.check(&schema, due);
    }
    for assertion in expectations.due_assertions(due) {
        match inspect.query_text(&assertion.sql) {
            Ok(rows) => violations.extend(assertion.violation(&rows)),
            Err(err) => {
                violations.push(assertion.could_not_run(&err.to_string()));
                // On PostgreSQL the failed query ended the transaction's usefulness: later
                // queries in it would only fail the same way.
                break;
            }
        }
    }
    Ok(violations)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairAction {
    /// Clear the failed state of this version: a human fixed the database; the migration is
    /// pending again.
    ClearFailed(Version),
    /// Record the file's current checksum as the applied one (a deliberate edit).
    AcceptChecksum(Version),
}

/// Discards server notices; for callers that do not show them.
pub fn ignore_notices() -> NoticeSink {
    Arc::new(|_| {})
}

/// A validated configuration. Creating one checks the settings; it touches nothing.
#[derive(Debug, Clone)]
pub struct Migrator {
    settings: Settings,
    url: Option<DatabaseUrl>,
    table: TableName,
    pattern: Regex,
}

impl Migrator {
    pub fn new(settings: Settings) -> Result<Migrator, Error> {
        let url = settings
            .database_url
            .as_deref()
            .map(DatabaseUrl::parse)
            .transpose()
            .map_err(|e| Error::Config {
                message: e.to_string(),
            })?;
        let table = TableName::parse(&settings.history_table).map_err(|e| Error::Config {
            message: format!("history_table: {e}"),
        })?;
        // SQLite's only schemas are attached database files; a schema-qualified name there is
        // a configuration mistake, better reported now than as a failed CREATE TABLE later.
        if let (Some(DatabaseUrl::Sqlite(_)), Some(schema)) = (&url, &table.schema) {
            if schema != "main" {
                return Err(Error::Config {
                    message: format!(
                        "history_table = \"{}\": SQLite has no schema \"{schema}\"; use a plain \
                         table name such as \"{}\"",
                        settings.history_table, table.name
                    ),
                });
            }
        }
        let pattern = Regex::new(&settings.name_pattern).map_err(|e| Error::Config {
            message: format!("name_pattern is not a valid regular expression: {e}"),
        })?;
        Ok(Migrator {
            settings,
            url,
            table,
            pattern,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The database URL, if one is configured. Its `Display` hides the password.
    pub fn url(&self) -> Option<&DatabaseUrl> {
        self.url.as_ref()
    }

    /// Reads and validates `schema.toml`, when the settings name one. Like [`Migrator::load`]
    /// it touches no database: a malformed file stops every command before connecting.
    pub fn load_expectations(&self) -> Result<Option<Expectations>, Error> {
        let Some(path) = &self.settings.expectations else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| Error::ExpectationsFile {
            path: path.clone(),
            message: format!("cannot read it: {e}"),
        })?;
        Expectations::parse(&text)
            .map(Some)
            .map_err(|e| Error::ExpectationsFile {
                path: path.clone(),
                message: e.to_string(),
            })
    }

    /// Reads and validates the migrations folder. Pure: no connection is made, so a broken
    /// folder is reported before anything can touch the database.
    pub fn load(&self) -> Result<MigrationSet, Error> {
        let options = LoadOptions {
            name_pattern: self.pattern.clone(),
            dialect: self
                .url
                .as_ref()
                .map(DatabaseUrl::dialect)
                .unwrap_or(ratchet_sql::Dialect::Postgres),
        };
        Ok(MigrationSet::load(&self.settings.migrations_dir, &options)?)
    }

    /// Opens a session. `notices` receives server notices as they arrive.
    pub fn connect(&self, notices: NoticeSink) -> Result<Session, Error> {
        let url = self.url.clone().ok_or_else(|| Error::Config {
            message: "no database URL: pass --database-url, set RATCHET_DATABASE_URL or \
                      DATABASE_URL, or set database_url in ratchet.toml"
                .into(),
        })?;
        self.connect_with(&self.connect_options(url, notices))
    }

    /// How this migrator connects to `url` (another database than the configured one, for
    /// scratch work).
    pub(crate) fn connect_options(&self, url: DatabaseUrl, notices: NoticeSink) -> ConnectOptions {
        ConnectOptions {
            url,
            history_table: self.table.clone(),
            application_name: "ratchet".into(),
            notices,
            connect_timeout: Duration::from_secs(10),
            lock_wait: self.settings.lock_wait,
        }
    }

    pub(crate) fn connect_with(&self, options: &ConnectOptions) -> Result<Session, Error> {
        let driver = ratchet_driver::connect(options)?;
        Ok(Session {
            settings: self.settings.clone(),
            driver,
        })
    }

    /// The kind of database scratch work happens on: the dev database's when one is given,
    /// else the configured database's, else PostgreSQL (the first-class target).
    pub(crate) fn scratch_dialect(&self, dev_url: Option<&DatabaseUrl>) -> ratchet_sql::Dialect {
        dev_url
            .or(self.url.as_ref())
            .map_or(ratchet_sql::Dialect::Postgres, DatabaseUrl::dialect)
    }
}

/// A connection to the database plus the settings to run with.
pub struct Session {
    settings: Settings,
    driver: Box<dyn Driver>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("database", &self.driver.describe())
            .finish_non_exhaustive()
    }
}

impl Session {
    fn plan_options(
        &self,
        set: &MigrationSet,
        target: Option<Version>,
    ) -> Result<PlanOptions, Error> {
        if let Some(target) = target {
            if set.get(target).is_none() {
                return Err(Error::UnknownTarget(target));
            }
        }
        Ok(PlanOptions {
            target,
            out_of_order: self.settings.out_of_order,
        })
    }

    /// The plan against the current history, without taking the lock or creating anything:
    /// what `status` and `migrate --dry-run` show.
    pub fn plan(&mut self, set: &MigrationSet, target: Option<Version>) -> Result<Plan, Error> {
        let options = self.plan_options(set, target)?;
        let rows = self.driver.read_history()?;
        Ok(plan(set, &rows, &options))
    }

    /// Every row of the history, oldest first.
    pub fn history(&mut self) -> Result<Vec<HistoryRow>, Error> {
        Ok(self.driver.read_history()?)
    }

    /// The versions the history says are applied now, whatever the folder holds: what
    /// `lint --pending` leaves out. Reading never creates the history table.
    pub fn applied_versions(&mut self) -> Result<BTreeSet<Version>, Error> {
        let rows = self.driver.read_history()?;
        let mut by_version: BTreeMap<Version, Vec<&HistoryRow>> = BTreeMap::new();
        for row in &rows {
            by_version.entry(row.version).or_default().push(row);
        }
        Ok(by_version
            .into_iter()
            .filter(|(_, rows)| {
                matches!(
                    ratchet_core::history::derive(rows.iter().copied()),
                    ratchet_core::history::Derived::Applied { .. }
                )
            })
            .map(|(version, _)| version)
            .collect())
    }

    /// Whether the database is exactly what the folder says: every migration applied,
    /// checksums equal, chain intact, nothing failed, pending or out of order; and every
    /// expectation holds (all of them are due: the folder is meant to be fully applied).
    pub fn verify(
        &mut self,
        set: &MigrationSet,
        expectations: Option<&Expectations>,
    ) -> Result<VerifyReport, Error> {
        let plan = self.plan(set, None)?;
        let violations = match expectations {
            Some(expectations) => check_expectations(expectations, Due::All, &mut *self.driver)?,
            None => Vec::new(),
        };
        Ok(VerifyReport {
            ok: plan.is_clean() && violations.is_empty(),
            plan,
            violations,
        })
    }

    /// The database's schema, as the driver introspects it.
    pub fn introspect(&mut self) -> Result<Schema, Error> {
        Ok(self.driver.introspect()?)
    }

    /// A read view of the database: introspection and plain queries.
    pub fn inspect(&mut self) -> &mut dyn Inspect {
        &mut *self.driver
    }

    /// Applies the pending migrations in order, one transaction each (unless a file says
    /// `no-transaction`), under the runner lock. Stops at the first failure.
    ///
    /// # Locking
    /// The lock is taken before the history is read, and the plan is made from that read,
    /// so two runners never plan from the same history. It is released when this returns,
    /// on every path, including a panic (the guard's `Drop`), and by the server if the
    /// process dies.
    pub fn migrate(
        &mut self,
        set: &MigrationSet,
        options: &MigrateOptions,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<MigrateReport, Error> {
        let plan_options = self.plan_options(set, options.target)?;
        let wait = self.settings.lock_wait;
        let _lock = self.driver.lock(wait, &mut |holder| {
            on_event(Event::WaitingForLock { holder, wait });
        })?;
        on_event(Event::LockAcquired);
        self.driver.ensure_history_table()?;
        let rows = self.driver.read_history()?;
        let plan = plan(set, &rows, &plan_options);
        if !plan.blockers.is_empty() {
            return Err(Error::Blocked {
                plan: Box::new(plan),
            });
        }
        let mut applied = Vec::new();
        // Expectations without `since` hold once the whole folder is applied: they are due
        // after its newest migration.
        let newest = set.migrations.last().map(|m| m.version);
        let mut check = |migration: &ratchet_core::Migration, inspect: &mut dyn Inspect| {
            let mut reasons = Vec::new();
            if let Some(expectations) = options.expectations {
                let due = if Some(migration.version) == newest {
                    Due::All
                } else {
                    Due::UpTo(migration.version)
                };
                let violations = check_expectations(expectations, due, inspect)?;
                reasons.extend(violations.iter().map(|v| format!("schema.toml: {v}")));
            }
            if let Some(hook) = options.inspect {
                reasons.extend(hook(migration, inspect)?);
            }
            Ok(reasons)
        };
        let checking = options.expectations.is_some() || options.inspect.is_some();
        for version in &plan.steps {
            let migration = set.get(*version).expect("plan steps come from the set");
            on_event(Event::Applying { migration });
            let settings = ApplySettings {
                lock_timeout: Some(
                    migration
                        .directives
                        .lock_timeout
                        .unwrap_or(self.settings.lock_timeout),
                ),
                statement_timeout: Some(
                    migration
                        .directives
                        .statement_timeout
                        .unwrap_or(self.settings.statement_timeout),
                ),
            };
            let check: Option<Check<'_>> = checking.then_some(&mut check);
            match self.driver.apply(migration, settings, check) {
                Ok(Applied::Ran(row)) => {
                    on_event(Event::Applied {
                        migration,
                        row: &row,
                    });
                    applied.push(*row);
                }
                Ok(Applied::AlreadyApplied) => on_event(Event::AlreadyApplied { migration }),
                Err(source) => {
                    return Err(Error::Migration {
                        source: Box::new(source),
                        applied,
                    })
                }
            }
        }
        Ok(MigrateReport { plan, applied })
    }

    /// Records a human decision in the history (itself an appended row with its reason).
    pub fn repair(
        &mut self,
        set: &MigrationSet,
        action: RepairAction,
        reason: &str,
    ) -> Result<HistoryRow, Error> {
        if reason.trim().is_empty() {
            return Err(Error::Repair {
                message: "--reason must say why (it is recorded in the history)".into(),
            });
        }
        let _lock = self.driver.lock(self.settings.lock_wait, &mut |_| {})?;
        self.driver.ensure_history_table()?;
        let rows = self.driver.read_history()?;
        let current = plan(set, &rows, &PlanOptions::default());
        let (version, outcome, checksum) = match action {
            RepairAction::ClearFailed(v) | RepairAction::AcceptChecksum(v) => {
                let entry = current.entries.iter().find(|e| e.version == v);
                let state = entry.map(|e| e.state);
                match (action, state) {
                    (RepairAction::ClearFailed(_), Some(MigrationState::Failed)) => {
                        (v, Outcome::Cleared, None)
                    }
                    (RepairAction::AcceptChecksum(_), Some(MigrationState::Modified)) => {
                        let file = set.get(v).map(|m| m.checksum.hex.clone());
                        (v, Outcome::Accepted, file)
                    }
                    (_, None) => {
                        return Err(Error::Repair {
                            message: format!("no migration has version {v}"),
                        })
                    }
                    (RepairAction::ClearFailed(_), Some(state)) => {
                        return Err(Error::Repair {
                            message: format!(
                                "version {v} is {}, not failed: nothing to clear",
                                state.as_str()
                            ),
                        })
                    }
                    (RepairAction::AcceptChecksum(_), Some(state)) => {
                        return Err(Error::Repair {
                            message: format!(
                                "version {v} is {}, not modified: there is no changed checksum to accept",
                                state.as_str()
                            ),
                        })
                    }
                }
            }
        };
        let name = current
            .entries
            .iter()
            .find(|e| e.version == version)
            .map(|e| e.name.clone())
            .unwrap_or_default();
        Ok(self.driver.record(&RecordRequest {
            version,
            name,
            kind: Kind::Repair,
            outcome,
            checksum,
            reason: Some(reason.trim().to_owned()),
        })?)
    }
}
