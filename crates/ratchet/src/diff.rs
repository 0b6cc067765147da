//! `ratchet diff`: compares two sources of schema truth.
//!
//! * `live`: the configured database, introspected;
//! * `replay`: the migrations folder applied from scratch on a scratch database;
//! * a `.sql` file: a declarative schema (what the application's models declare), loaded into
//!   a scratch database;
//! * a `.toml` file: declared expectations (`schema.toml`), checked against the other side.
//!
//! The scratch database is `--dev-url` when given (wiped before each use), otherwise a
//! throwaway PostgreSQL cluster started from the installed server binaries and removed when
//! the comparison ends, however it ends ([`ratchet_pgcluster`]); for SQLite, a fresh in-memory
//! database.

use std::cell::RefCell;
use std::path::PathBuf;

use ratchet_core::{LoadOptions, MigrationSet};
use ratchet_driver::{DatabaseUrl, DriverError, Inspect, NoticeSink};
use ratchet_schema::{
    Change, Direction, Due, Expectations, Lineage, ObjectKind, Schema, Violation,
};

use crate::migrator::{check_expectations, MigrateOptions, Migrator, Session};
use crate::Error;

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Live,
    Replay,
    /// A declarative schema file.
    SchemaSql(PathBuf),
    /// Declared expectations.
    Expectations(PathBuf),
}

impl Source {
    /// `live`, `replay`, a path ending in `.sql`, or a path ending in `.toml`.
    pub fn parse(text: &str) -> Result<Source, String> {
        let lower = text.to_ascii_lowercase();
        match text {
            "live" => Ok(Source::Live),
            "replay" => Ok(Source::Replay),
            _ if lower.ends_with(".sql") => Ok(Source::SchemaSql(text.into())),
            _ if lower.ends_with(".toml") => Ok(Source::Expectations(text.into())),
            _ => Err(format!(
                "{text:?} is not a schema source: write `live`, `replay`, a declarative schema \
                 file (`.sql`) or an expectations file (`.toml`)"
            )),
        }
    }

    /// How reports name this side.
    pub fn label(&self) -> String {
        match self {
            Source::Live => "live".into(),
            Source::Replay => "replay".into(),
            Source::SchemaSql(path) | Source::Expectations(path) => path.display().to_string(),
        }
    }
}

/// How to compare.
#[derive(Clone, Copy)]
pub struct DiffOptions<'a> {
    /// A database ratchet may wipe and use as scratch; otherwise it starts its own.
    pub dev_url: Option<&'a str>,
    /// Receives a line before each slow step (starting a cluster, replaying).
    pub progress: &'a dyn Fn(&str),
    pub notices: &'a NoticeSink,
}

impl std::fmt::Debug for DiffOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiffOptions")
            .field("dev_url", &self.dev_url.map(ratchet_driver::redact))
            .finish_non_exhaustive()
    }
}

/// What a comparison found.
#[derive(Debug, Clone)]
pub enum DiffOutcome {
    /// Two schemas: their differences, `left` to `right` (see [`ratchet_schema::diff`]).
    Changes(Vec<Change>),
    /// Expectations against a schema: those that do not hold.
    Violations(Vec<Violation>),
}

#[derive(Debug, Clone)]
pub struct DiffReport {
    pub left: String,
    pub right: String,
    pub outcome: DiffOutcome,
    /// When one side is `replay`: which migration created and dropped each table and column.
    pub lineage: Option<Lineage>,
    /// The schemas compared: left then right, one when both sides were the same source, none
    /// for an expectations file.
    pub schemas: Vec<Schema>,
}

impl DiffReport {
    /// Nothing differs, nothing is violated.
    pub fn is_clean(&self) -> bool {
        match &self.outcome {
            DiffOutcome::Changes(changes) => changes.is_empty(),
            DiffOutcome::Violations(violations) => violations.is_empty(),
        }
    }

    /// When one side is `replay`: the tables and columns only one side has, with the
    /// migrations that created (and dropped) them. A table declared by the other side that a
    /// migration created and a later one dropped is named with both migrations: the incident
    /// of a stream dropping a table the code still used.
    pub fn orphans(&self) -> Vec<Orphan> {
        let Some(lineage) = &self.lineage else {
            return Vec::new();
        };
        let replay_is_left = self.left == "replay";
        let other = if replay_is_left {
            &self.right
        } else {
            &self.left
        };
        let mut out = Vec::new();
        match &self.outcome {
            DiffOutcome::Changes(changes) => {
                for change in changes {
                    let (kind, life) = match (change.kind(), change.table(), change.column()) {
                        (ObjectKind::Table, Some(table), None) => ("table", lineage.table(table)),
                        (ObjectKind::Column, Some(table), Some(column)) => {
                            ("column", lineage.column(table, column))
                        }
                        _ => continue,
                    };
                    let name = match change.column() {
                        Some(column) => format!("{}.{column}", change.table().expect("matched")),
                        None => change.table().expect("matched").to_string(),
                    };
                    let only_in_replay = match change.direction() {
                        Direction::Missing => replay_is_left,
                        Direction::Extra => !replay_is_left,
                        Direction::Changed => continue,
                    };
                    out.push(Orphan {
                        kind,
                        name,
                        other: other.clone(),
                        only_in_replay,
                        created_by: life.and_then(|l| l.created_by.clone()),
                        dropped_by: life.and_then(|l| l.dropped_by.clone()),
                    });
                }
            }
            DiffOutcome::Violations(violations) => {
                // A required table that the replay does not have: say whether a migration
                // ever created it.
                for violation in violations {
                    let Some(table) = violation.missing_table.as_deref() else {
                        continue;
                    };
                    let life = lineage.table_named(table);
                    out.push(Orphan {
                        kind: "table",
                        name: table.to_owned(),
                        other: other.clone(),
                        only_in_replay: false,
                        created_by: life.and_then(|l| l.created_by.clone()),
                        dropped_by: life.and_then(|l| l.dropped_by.clone()),
                    });
                }
            }
        }
        out
    }
}

/// A table or column only one side of a comparison with `replay` has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Orphan {
    /// `table` or `column`.
    pub kind: &'static str,
    /// `schema.table` or `schema.table.column`.
    pub name: String,
    /// The side compared with the replay: `live`, `schema.sql`, `schema.toml`...
    pub other: String,
    /// True when only the replay has it; false when only `other` has it.
    pub only_in_replay: bool,
    pub created_by: Option<String>,
    pub dropped_by: Option<String>,
}

impl Orphan {
    /// One sentence naming the migrations involved.
    pub fn message(&self) -> String {
        let Orphan {
            kind,
            name,
            other,
            only_in_replay,
            created_by,
            dropped_by,
        } = self;
        let has = if other.to_ascii_lowercase().ends_with(".toml") {
            "requires"
        } else {
            "has"
        };
        match (only_in_replay, created_by, dropped_by) {
            (false, Some(created), Some(dropped)) => format!(
                "{other} {has} {kind} {name}, but migration {created} created it and migration \
                 {dropped} dropped it"
            ),
            (false, _, _) => format!("{other} {has} {kind} {name}, but no migration creates it"),
            (true, Some(created), _) => {
                format!("migration {created} creates {kind} {name}, but {other} does not have it")
            }
            (true, None, _) => {
                format!("the migrations create {kind} {name}, but {other} does not have it")
            }
        }
    }
}

/// A schema, and what was learned while building it.
struct Materialized {
    schema: Schema,
    lineage: Option<Lineage>,
    /// Assertions of the expectations on the other side, run on this side's database.
    failed_assertions: Vec<Violation>,
}

impl Migrator {
    /// Compares `left` with `right`. Everything that can be checked without a database (the
    /// migrations folder, `.sql` and `.toml` files) is read first, so a malformed input stops
    /// the comparison before any connection.
    pub fn diff(
        &self,
        left: &Source,
        right: &Source,
        options: &DiffOptions<'_>,
    ) -> Result<DiffReport, Error> {
        if matches!(
            (left, right),
            (Source::Expectations(_), Source::Expectations(_))
        ) {
            return Err(Error::Config {
                message: "diff compares expectations (.toml) with a schema: give `live`, \
                          `replay` or a .sql file as the other side"
                    .into(),
            });
        }
        let mut scratch = Scratch::new(self, options)?;
        let inputs = Inputs::read(self, [left, right], scratch.dialect)?;
        let expectations = inputs.expectations.as_ref();

        let left_side = match left {
            Source::Expectations(_) => None,
            _ => Some(self.materialize(left, &inputs, &mut scratch, expectations, options)?),
        };
        // The same source twice (`live live`) is read once: a second read could only differ
        // by what changed in between, which is not what was asked.
        let right_side = match right {
            Source::Expectations(_) => None,
            _ if right == left => None,
            _ => Some(self.materialize(right, &inputs, &mut scratch, expectations, options)?),
        };
        let lineage = [&left_side, &right_side]
            .into_iter()
            .flatten()
            .find_map(|m| m.lineage.clone());
        let outcome = match (&left_side, &right_side) {
            (Some(l), Some(r)) => DiffOutcome::Changes(ratchet_schema::diff(&l.schema, &r.schema)),
            (Some(l), None) if right == left => {
                DiffOutcome::Changes(ratchet_schema::diff(&l.schema, &l.schema))
            }
            (Some(side), None) | (None, Some(side)) => {
                let expectations = expectations.expect("one side is the expectations file");
                let mut violations = expectations.check(&side.schema, Due::All);
                violations.extend(side.failed_assertions.iter().cloned());
                DiffOutcome::Violations(violations)
            }
            (None, None) => unreachable!("refused above"),
        };
        Ok(DiffReport {
            left: left.label(),
            right: right.label(),
            outcome,
            lineage,
            schemas: [left_side, right_side]
                .into_iter()
                .flatten()
                .map(|m| m.schema)
                .collect(),
        })
    }

    fn materialize(
        &self,
        source: &Source,
        inputs: &Inputs,
        scratch: &mut Scratch<'_>,
        expectations: Option<&Expectations>,
        options: &DiffOptions<'_>,
    ) -> Result<Materialized, Error> {
        let mut lineage = None;
        let mut session = match source {
            Source::Live => self.connect(options.notices.clone())?,
            Source::Replay => {
                let set = inputs.set.as_ref().expect("read for replay");
                let mut session = scratch.session(options)?;
                (options.progress)(&format!(
                    "replaying {} migration(s) on the scratch database",
                    set.migrations.len()
                ));
                let learned = RefCell::new(Lineage::default());
                let watch = |migration: &ratchet_core::Migration, inspect: &mut dyn Inspect| {
                    let schema = inspect.introspect()?;
                    learned.borrow_mut().after(&migration.name, &schema);
                    Ok::<_, DriverError>(Vec::new())
                };
                let migrate = MigrateOptions {
                    inspect: Some(&watch),
                    ..MigrateOptions::default()
                };
                session.migrate(set, &migrate, &mut |_| {})?;
                lineage = Some(learned.into_inner());
                session
            }
            Source::SchemaSql(path) => {
                let set = inputs
                    .declared
                    .iter()
                    .find(|(p, _)| p == path)
                    .map(|(_, set)| set)
                    .expect("read above");
                let mut session = scratch.session(options)?;
                (options.progress)(&format!(
                    "loading {} into the scratch database",
                    path.display()
                ));
                session.migrate(set, &MigrateOptions::default(), &mut |_| {})?;
                session
            }
            Source::Expectations(_) => unreachable!("not materialized"),
        };
        let schema = session.introspect()?;
        let failed_assertions = match expectations {
            Some(expectations) => {
                // Structural checks run on the schema; only the SQL assertions need this
                // database, and they must run before a scratch database is wiped.
                let assertions = Expectations {
                    assertions: expectations.assertions.clone(),
                    ..Expectations::default()
                };
                check_expectations(&assertions, Due::All, session.inspect())?
            }
            None => Vec::new(),
        };
        Ok(Materialized {
            schema,
            lineage,
            failed_assertions,
        })
    }
}

/// The files a comparison needs, read and validated before any connection.
struct Inputs {
    set: Option<MigrationSet>,
    declared: Vec<(PathBuf, MigrationSet)>,
    expectations: Option<Expectations>,
}

impl Inputs {
    fn read(
        migrator: &Migrator,
        sources: [&Source; 2],
        dialect: ratchet_sql::Dialect,
    ) -> Result<Inputs, Error> {
        let mut inputs = Inputs {
            set: None,
            declared: Vec::new(),
            expectations: None,
        };
        let any_name = regex::Regex::new(".*").expect("a valid pattern");
        for source in sources {
            match source {
                Source::Live => {}
                Source::Replay => {
                    if inputs.set.is_none() {
                        inputs.set = Some(migrator.load()?);
                    }
                }
                Source::SchemaSql(path) => {
                    // A declarative schema file has no migration name to check.
                    let options = LoadOptions {
                        name_pattern: any_name.clone(),
                        dialect,
                    };
                    inputs
                        .declared
                        .push((path.clone(), MigrationSet::single_file(path, &options)?));
                }
                Source::Expectations(path) => {
                    let text =
                        std::fs::read_to_string(path).map_err(|e| Error::ExpectationsFile {
                            path: path.clone(),
                            message: format!("cannot read it: {e}"),
                        })?;
                    let parsed =
                        Expectations::parse(&text).map_err(|e| Error::ExpectationsFile {
                            path: path.clone(),
                            message: e.to_string(),
                        })?;
                    inputs.expectations = Some(parsed);
                }
            }
        }
        Ok(inputs)
    }
}

/// Where replays and declarative schemas are built. Started on first use; a cluster it
/// started is stopped and removed when this is dropped, on every path out of `diff`.
struct Scratch<'m> {
    migrator: &'m Migrator,
    dev_url: Option<DatabaseUrl>,
    dialect: ratchet_sql::Dialect,
    cluster: Option<ratchet_pgcluster::Cluster>,
}

impl<'m> Scratch<'m> {
    fn new(migrator: &'m Migrator, options: &DiffOptions<'_>) -> Result<Scratch<'m>, Error> {
        let dev_url = options
            .dev_url
            .map(DatabaseUrl::parse)
            .transpose()
            .map_err(|e| Error::Config {
                message: format!("--dev-url: {e}"),
            })?;
        if let (Some(dev), Some(live)) = (&dev_url, migrator.url()) {
            if dev.is_same_database(live) {
                return Err(Error::Config {
                    message: format!(
                        "--dev-url {dev} is the configured database itself; ratchet wipes the \
                         dev database, so give it a scratch one"
                    ),
                });
            }
        }
        Ok(Scratch {
            migrator,
            dialect: migrator.scratch_dialect(dev_url.as_ref()),
            dev_url,
            cluster: None,
        })
    }

    /// A session on an empty scratch database.
    fn session(&mut self, options: &DiffOptions<'_>) -> Result<Session, Error> {
        let url = match (&self.dev_url, self.dialect) {
            (Some(url), _) => url.clone(),
            (None, ratchet_sql::Dialect::Sqlite) => {
                DatabaseUrl::parse("sqlite::memory:").expect("a valid URL")
            }
            (None, ratchet_sql::Dialect::Postgres) => {
                if self.cluster.is_none() {
                    let cluster =
                        ratchet_pgcluster::Cluster::start(&ratchet_pgcluster::Options::default())
                            .map_err(|e| Error::Scratch {
                            message: e.to_string(),
                        })?;
                    (options.progress)(&format!(
                        "scratch database: a throwaway PostgreSQL cluster in {} (started in {} \
                         ms, removed when diff ends; pass --dev-url to use your own)",
                        cluster.dir().display(),
                        cluster.startup_time().as_millis()
                    ));
                    self.cluster = Some(cluster);
                }
                let cluster = self.cluster.as_ref().expect("started above");
                DatabaseUrl::parse(&cluster.url("postgres")).map_err(|e| Error::Scratch {
                    message: e.to_string(),
                })?
            }
        };
        let connect = self.migrator.connect_options(url, options.notices.clone());
        // A second use of the same scratch database (replay, then a .sql file) starts empty
        // too; an in-memory SQLite database is new on every connection.
        if !matches!(&connect.url, DatabaseUrl::Sqlite(p) if p.as_os_str() == ":memory:") {
            // Its "drop cascades to ..." notices are ratchet's business, not the user's.
            let quiet = ratchet_driver::ConnectOptions {
                notices: crate::ignore_notices(),
                ..connect.clone()
            };
            ratchet_driver::dangerous_wipe_database(&quiet)?;
        }
        self.migrator.connect_with(&connect)
    }
}
