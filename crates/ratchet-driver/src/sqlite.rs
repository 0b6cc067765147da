//! SQLite: the embedded default.
//!
//! Two layers keep concurrent runners apart. The runner lock is an OS file lock (`flock`) on
//! `<database>.ratchet-lock`, held for the whole run and released by the kernel if the process
//! dies, so a second runner waits instead of mistaking a running no-transaction migration for a
//! crashed one. Underneath it, each migration runs in `BEGIN IMMEDIATE` with the history
//! re-read inside that transaction, so even a runner that bypasses the lock (an older ratchet,
//! a library user calling `apply` directly) can never apply one migration twice.

use std::time::{Duration, Instant};

use ratchet_core::history::{derive, Derived};
use ratchet_core::{HistoryRow, Migration, Outcome, TransactionMode};
use rusqlite::{Connection, ErrorCode, OptionalExtension};

use crate::error::StatementError;
use crate::history_sql::{self, rejection_text, NewRow, Who, COLUMNS, INSERT_COLUMNS};
use crate::{
    Applied, ApplyError, ApplySettings, Check, ConnectOptions, DatabaseUrl, Driver, DriverError,
    Inspect, LockHolder, RecordRequest, RunnerLock, TableName,
};

pub(crate) struct SqliteDriver {
    conn: Connection,
    /// Set while the database file does not exist yet: `conn` is then an empty in-memory
    /// stand-in and the file is created by the first write (`ensure_history_table`). Opening
    /// the path directly created an empty database file on `status`, `verify`, `history` and
    /// `migrate --dry-run` (which promises to touch nothing), so a mistyped path left a stray
    /// database behind and reported every migration as pending.
    create_on_write: Option<std::path::PathBuf>,
    /// `<database>.ratchet-lock`; `None` for an in-memory database, which no other process
    /// can reach.
    lock_path: Option<std::path::PathBuf>,
    url: String,
    table: TableName,
    who: Who,
    busy_timeout: Duration,
}

/// The runner lock: an exclusive OS lock on a file next to the database. Dropping the file
/// handle releases it; so does the process dying.
#[derive(Debug)]
struct FileLock {
    file: Option<std::fs::File>,
}

impl RunnerLock for FileLock {}

impl Drop for FileLock {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = file.unlock();
        }
    }
}

impl SqliteDriver {
    pub(crate) fn connect(options: &ConnectOptions) -> Result<SqliteDriver, DriverError> {
        let DatabaseUrl::Sqlite(path) = &options.url else {
            unreachable!("connect() dispatches on the URL kind")
        };
        let url = options.url.to_string();
        let cannot = |message: String| DriverError::Connect {
            url: url.clone(),
            message,
        };
        let missing = path.as_os_str() != ":memory:" && !path.exists();
        let conn = if missing {
            // Still fail at connect time (exit 3) when the file could never be created.
            match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) if !parent.is_dir() => {
                    return Err(cannot(format!(
                        "the folder {} does not exist",
                        parent.display()
                    )))
                }
                _ => Connection::open_in_memory(),
            }
        } else {
            Connection::open(path)
        }
        .map_err(|e| cannot(e.to_string()))?;
        // Fail fast on a file that is not a database, instead of on the first real query.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map_err(|e| DriverError::Connect {
                url: url.clone(),
                message: e.to_string(),
            })?;
        conn.busy_timeout(options.lock_wait)
            .map_err(|e| database("configuring the connection", &e))?;
        let lock_path = (path.as_os_str() != ":memory:").then(|| {
            let mut name = path.as_os_str().to_owned();
            name.push(".ratchet-lock");
            std::path::PathBuf::from(name)
        });
        Ok(SqliteDriver {
            conn,
            create_on_write: missing.then(|| path.clone()),
            lock_path,
            url,
            table: options.history_table.clone(),
            who: Who {
                db_user: os_user(),
                host: crate::host_name(),
            },
            busy_timeout: options.lock_wait,
        })
    }

    /// Creates the database file on the first write; see `create_on_write`. Every writing
    /// entry point calls it, so nothing can be written to the in-memory stand-in and lost.
    /// Drops every view, table and trigger (indexes go with their tables). For scratch
    /// databases only.
    pub(crate) fn dangerous_wipe(&mut self) -> Result<(), DriverError> {
        let context = "wiping the scratch database";
        self.create_file()?;
        let objects: Vec<(String, String)> = self
            .conn
            .prepare(
                "SELECT type, name FROM sqlite_schema \
                 WHERE type IN ('view', 'table', 'trigger') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
                 ORDER BY type = 'table', name",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| database(context, &e))?;
        let mut sql = String::from("PRAGMA foreign_keys = OFF;\n");
        for (kind, name) in objects {
            sql.push_str(&format!(
                "DROP {} IF EXISTS {};\n",
                kind.to_ascii_uppercase(),
                crate::quote_ident(&name)
            ));
        }
        self.conn
            .execute_batch(&sql)
            .map_err(|e| database(context, &e))
    }

    fn create_file(&mut self) -> Result<(), DriverError> {
        if let Some(path) = self.create_on_write.take() {
            let conn = Connection::open(&path).map_err(|e| DriverError::Connect {
                url: self.url.clone(),
                message: e.to_string(),
            })?;
            conn.busy_timeout(self.busy_timeout)
                .map_err(|e| database("configuring the connection", &e))?;
            self.conn = conn;
        }
        Ok(())
    }

    fn table_exists(&self) -> Result<bool, DriverError> {
        let master = match &self.table.schema {
            Some(schema) => format!("{}.sqlite_master", crate::quote_ident(schema)),
            None => "sqlite_master".to_owned(),
        };
        self.conn
            .query_row(
                &format!("SELECT count(*) FROM {master} WHERE type = 'table' AND name = ?1"),
                [&self.table.name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| database("looking for the history table", &e))
    }

    fn rows(
        &self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<HistoryRow>, DriverError> {
        if !self.table_exists()? {
            return Ok(Vec::new());
        }
        let table = self.table.to_string();
        let sql = format!(
            "SELECT {COLUMNS} FROM {} {filter} ORDER BY id",
            self.table.quoted()
        );
        let read = || -> rusqlite::Result<Vec<(HistoryRow, String, String, i64)>> {
            let mut statement = self.conn.prepare(&sql)?;
            let rows = statement.query_map(params, |r| {
                Ok((
                    HistoryRow {
                        id: r.get(0)?,
                        version: ratchet_core::Version(0),
                        name: r.get(2)?,
                        kind: ratchet_core::Kind::Apply,
                        success: r.get(4)?,
                        outcome: Outcome::Applied,
                        checksum: r.get(6)?,
                        checksum_algorithm: r.get(7)?,
                        chain_hash: r.get(8)?,
                        started_at: r.get(9)?,
                        finished_at: r.get(10)?,
                        execution_ms: r.get(11)?,
                        db_user: r.get(12)?,
                        host: r.get(13)?,
                        tool_version: r.get(14)?,
                        error: r.get(15)?,
                        failed_statement: r.get(16)?,
                        reason: r.get(17)?,
                    },
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(1)?,
                ))
            })?;
            rows.collect()
        };
        let raw = read().map_err(|e| database("reading the history", &e))?;
        raw.into_iter()
            .map(|(mut row, kind, outcome, version)| {
                row.kind = history_sql::parse_kind(&table, &kind)?;
                row.outcome = history_sql::parse_outcome(&table, &outcome)?;
                row.version = history_sql::parse_version(&table, version)?;
                Ok(row)
            })
            .collect()
    }

    fn insert_row(&self, mut row: NewRow, tip: Option<&str>) -> rusqlite::Result<HistoryRow> {
        row.link(tip);
        let sql = format!(
            "INSERT INTO {} ({INSERT_COLUMNS}) VALUES \
             (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
            self.table.quoted()
        );
        let version = i64::try_from(row.version.0).unwrap_or(i64::MAX);
        self.conn.prepare_cached(&sql)?.execute(rusqlite::params![
            version,
            row.name,
            row.kind.as_str(),
            row.success(),
            row.outcome.as_str(),
            row.checksum,
            row.checksum_algorithm,
            row.chain_hash,
            row.started_at,
            row.finished_at,
            row.execution_ms,
            row.db_user,
            row.host,
            crate::TOOL_VERSION,
            row.error,
            row.failed_statement,
            row.reason,
        ])?;
        Ok(row.into_row(self.conn.last_insert_rowid()))
    }

    /// `BEGIN IMMEDIATE` takes SQLite's write lock now rather than at the first write, so two
    /// runners cannot both read "not applied" and then both apply.
    fn begin_immediate(&self) -> Result<(), DriverError> {
        let started = Instant::now();
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| {
            if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) {
                DriverError::LockTimeout {
                    waited: started.elapsed(),
                    holder: None,
                }
            } else {
                database("starting a write transaction", &e)
            }
        })
    }

    /// The rows of one version and the chain tip, read inside the write transaction.
    fn fresh_state(
        &self,
        migration: &Migration,
    ) -> Result<(Vec<HistoryRow>, Option<String>), DriverError> {
        let version = i64::try_from(migration.version.0).unwrap_or(i64::MAX);
        let rows = self.rows("WHERE version = ?1", &[&version])?;
        let tip = if self.table_exists()? {
            self.conn
                .query_row(
                    &format!(
                        "SELECT chain_hash FROM {} WHERE chain_hash IS NOT NULL AND success \
                         ORDER BY id DESC LIMIT 1",
                        self.table.quoted()
                    ),
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| database("reading the history", &e))?
        } else {
            None
        };
        Ok((rows, tip))
    }

    fn run_statements(&self, migration: &Migration) -> Result<(), (usize, rusqlite::Error)> {
        for (i, statement) in migration.statements.iter().enumerate() {
            self.conn
                .execute_batch(statement.text(&migration.source))
                .map_err(|e| (i, e))?;
        }
        Ok(())
    }

    /// Runs `check` on the migration's work; see the PostgreSQL driver's twin. A rejection
    /// or a failure to check ends the transaction (when `in_transaction`) and records the
    /// attempt.
    fn run_check(
        &mut self,
        migration: &Migration,
        check: Option<Check<'_>>,
        row: &NewRow,
        clock: Instant,
        in_transaction: bool,
    ) -> Result<(), ApplyError> {
        let Some(check) = check else {
            return Ok(());
        };
        let verdict = check(migration, self);
        if matches!(&verdict, Ok(reasons) if reasons.is_empty()) {
            return Ok(());
        }
        if in_transaction {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let outcome = if in_transaction {
            Outcome::RolledBack
        } else {
            Outcome::Failed
        };
        let mut failed = NewRow::apply(migration, outcome, &self.who);
        failed.started_at = row.started_at;
        failed.finish(clock);
        let (reason, result) = match verdict {
            Ok(reasons) => (rejection_text(&reasons), Ok(reasons)),
            Err(err) => (
                format!("checking the migration's result failed: {err}"),
                Err(err),
            ),
        };
        failed.error = Some(reason);
        // Outside a transaction (no-transaction files) the row is written by the caller's
        // own write transaction, opened below only when there is none.
        let own = self.conn.is_autocommit();
        if own {
            self.begin_immediate()?;
        }
        let recorded = self.insert_row(failed, None);
        if own {
            let _ = self.conn.execute_batch(if recorded.is_ok() {
                "COMMIT"
            } else {
                "ROLLBACK"
            });
        }
        let not_recorded = recorded.err().map(|e| e.to_string());
        match result {
            Ok(reasons) => Err(ApplyError::Rejected {
                migration: migration.name.clone(),
                reasons,
                outcome,
                not_recorded,
            }),
            Err(err) => Err(err.into()),
        }
    }

    fn apply_in_transaction(
        &mut self,
        migration: &Migration,
        check: Option<Check<'_>>,
    ) -> Result<Applied, ApplyError> {
        self.begin_immediate()?;
        let (rows, tip) = match self.fresh_state(migration) {
            Ok(state) => state,
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        };
        match still_pending(migration, &rows) {
            Ok(true) => {}
            Ok(false) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Ok(Applied::AlreadyApplied);
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        let clock = Instant::now();
        let mut row = NewRow::apply(migration, Outcome::Applied, &self.who);
        match self.run_statements(migration) {
            Ok(()) => {
                // Inside BEGIN IMMEDIATE: the check sees what would be committed.
                self.run_check(migration, check, &row, clock, true)?;
                row.finish(clock);
                let committed = self
                    .insert_row(row, tip.as_deref())
                    .and_then(|recorded| self.conn.execute_batch("COMMIT").map(|()| recorded));
                match committed {
                    Ok(recorded) => Ok(Applied::Ran(Box::new(recorded))),
                    Err(e) => {
                        let _ = self.conn.execute_batch("ROLLBACK");
                        Err(database(&format!("recording {}", migration.name), &e).into())
                    }
                }
            }
            Err((index, err)) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                let error = statement_error(migration, index, &err);
                row.outcome = Outcome::RolledBack;
                row.finish(clock);
                row.error = Some(error.summary());
                let not_recorded = self.insert_row(row, None).err().map(|e| e.to_string());
                Err(ApplyError::Statement {
                    error: Box::new(error),
                    outcome: Outcome::RolledBack,
                    invalid_indexes: Vec::new(),
                    not_recorded,
                })
            }
        }
    }

    fn apply_without_transaction(
        &mut self,
        migration: &Migration,
        check: Option<Check<'_>>,
    ) -> Result<Applied, ApplyError> {
        let context = format!("applying {}", migration.name);
        // Claim the migration atomically: re-read and write the `started` row in one write
        // transaction, then run the statements in autocommit.
        self.begin_immediate()?;
        let claimed = (|| -> Result<bool, DriverError> {
            let (rows, _) = self.fresh_state(migration)?;
            if !still_pending(migration, &rows)? {
                return Ok(false);
            }
            let started = NewRow::apply(migration, Outcome::Started, &self.who);
            self.insert_row(started, None)
                .map_err(|e| database(&context, &e))?;
            Ok(true)
        })();
        match claimed {
            Ok(true) => self
                .conn
                .execute_batch("COMMIT")
                .map_err(|e| database(&context, &e))?,
            Ok(false) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Ok(Applied::AlreadyApplied);
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        let clock = Instant::now();
        let mut row = NewRow::apply(migration, Outcome::Applied, &self.who);
        let mut result = self.run_statements(migration);
        // A no-transaction file may manage its own transactions. If a statement failed inside
        // its BEGIN ... COMMIT, or the file ended without the COMMIT, the connection is still
        // in that transaction: roll it back (as closing the connection would). Otherwise the
        // BEGIN IMMEDIATE below fails ("cannot start a transaction within a transaction"), the
        // outcome is never recorded and the attempt looks like a killed process, with the
        // failing statement lost.
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
            if result.is_ok() {
                let last = migration.statements.len().saturating_sub(1);
                result = Err((
                    last,
                    rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                        Some(
                            "the migration ended inside a transaction it opened (BEGIN without \
                             COMMIT); that transaction was rolled back"
                                .into(),
                        ),
                    ),
                ));
            }
        }
        row.finish(clock);
        if result.is_ok() {
            self.run_check(migration, check, &row, clock, false)?;
        }
        self.begin_immediate()?;
        let tip = self
            .fresh_state(migration)
            .map(|(_, tip)| tip)
            .unwrap_or_default();
        let outcome = match result {
            Ok(()) => self
                .insert_row(row, tip.as_deref())
                .map(|row| Applied::Ran(Box::new(row)))
                .map_err(|e| database(&context, &e).into()),
            Err((index, err)) => {
                let error = statement_error(migration, index, &err);
                row.outcome = Outcome::Failed;
                row.error = Some(error.summary());
                row.failed_statement = i32::try_from(index + 1).ok();
                let not_recorded = self.insert_row(row, None).err().map(|e| e.to_string());
                Err(ApplyError::Statement {
                    error: Box::new(error),
                    outcome: Outcome::Failed,
                    invalid_indexes: Vec::new(),
                    not_recorded,
                })
            }
        };
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(database(&context, &e).into());
        }
        outcome
    }
}

impl Driver for SqliteDriver {
    fn describe(&self) -> String {
        self.url.clone()
    }

    fn read_history(&mut self) -> Result<Vec<HistoryRow>, DriverError> {
        self.rows("", &[])
    }

    fn lock(
        &mut self,
        wait: Duration,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<Box<dyn RunnerLock>, DriverError> {
        let Some(path) = &self.lock_path else {
            return Ok(Box::new(FileLock { file: None }));
        };
        let context = format!("taking the migration lock {}", path.display());
        let io = |e: std::io::Error| DriverError::Database {
            context: context.clone(),
            message: e.to_string(),
            sqlstate: None,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let started = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = read_holder(&mut file);
                    if !told {
                        on_wait(&holder);
                        told = true;
                    }
                    if started.elapsed() >= wait {
                        return Err(DriverError::LockTimeout {
                            waited: started.elapsed(),
                            holder: Some(holder),
                        });
                    }
                    // A file lock cannot be waited on with a deadline; poll briefly.
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        write_holder(&mut file).map_err(io)?;
        Ok(Box::new(FileLock { file: Some(file) }))
    }

    fn ensure_history_table(&mut self) -> Result<(), DriverError> {
        self.create_file()?;
        let table = self.table.quoted();
        let index = match &self.table.schema {
            Some(schema) => format!(
                "{}.{}",
                crate::quote_ident(schema),
                crate::quote_ident(&format!("{}_version_idx", self.table.name))
            ),
            None => crate::quote_ident(&format!("{}_version_idx", self.table.name)),
        };
        let started = Instant::now();
        // SQLite's DDL is transactional and IF NOT EXISTS is silent, so concurrent first
        // runs are safe.
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {table} (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    success INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    checksum TEXT,
                    checksum_algorithm TEXT,
                    chain_hash TEXT,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    execution_ms INTEGER,
                    db_user TEXT,
                    host TEXT,
                    tool_version TEXT NOT NULL,
                    error TEXT,
                    failed_statement INTEGER,
                    reason TEXT
                );
                CREATE INDEX IF NOT EXISTS {index} ON {} (version);",
                crate::quote_ident(&self.table.name)
            ))
            .map_err(|e| {
                if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) {
                    DriverError::LockTimeout {
                        waited: started.elapsed(),
                        holder: None,
                    }
                } else {
                    database("creating the history table", &e)
                }
            })
    }

    fn apply(
        &mut self,
        migration: &Migration,
        _settings: ApplySettings,
        check: Option<Check<'_>>,
    ) -> Result<Applied, ApplyError> {
        // lock_timeout/statement_timeout have no SQLite equivalent; waiting for the write
        // lock is bounded by busy_timeout (lock_wait) instead.
        self.create_file()?;
        match migration.transaction {
            TransactionMode::PerMigration => self.apply_in_transaction(migration, check),
            TransactionMode::None => self.apply_without_transaction(migration, check),
        }
    }

    fn record(&mut self, request: &RecordRequest) -> Result<HistoryRow, DriverError> {
        let context = "writing the history";
        self.create_file()?;
        self.begin_immediate()?;
        let result = (|| {
            let rows = self.rows("", &[])?;
            let tip = history_sql::chain_tip(&rows);
            self.insert_row(NewRow::record(request, &self.who), tip.as_deref())
                .map_err(|e| database(context, &e))
        })();
        match result {
            Ok(row) => {
                self.conn
                    .execute_batch("COMMIT")
                    .map_err(|e| database(context, &e))?;
                Ok(row)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

impl Inspect for SqliteDriver {
    fn introspect(&mut self) -> Result<ratchet_schema::Schema, DriverError> {
        crate::introspect::sqlite::introspect(&self.conn, &self.table)
    }

    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<String>>, DriverError> {
        let context = "running a query";
        let mut statement = self.conn.prepare(sql).map_err(|e| database(context, &e))?;
        let columns = statement.column_count();
        let mut rows = statement.query([]).map_err(|e| database(context, &e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| database(context, &e))? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                use rusqlite::types::ValueRef;
                let value = row.get_ref(i).map_err(|e| database(context, &e))?;
                values.push(match value {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(x) => x.to_string(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

/// Whether the history, re-read inside the write transaction, still says `migration` is to be
/// run. Under the runner lock the answer is always yes; without it (a caller that skipped
/// `lock`), the plan was made before this transaction, so another runner may have applied the
/// migration meanwhile (`Ok(false)`: skip it) or claimed it. A `started`
/// row may belong to a no-transaction migration still running in another process, and a
/// `failed` one must not run again before `repair --failed`; checking only for "applied" (as
/// this code once did) ran such a migration's statements a second time.
fn still_pending(migration: &Migration, rows: &[HistoryRow]) -> Result<bool, DriverError> {
    match derive(rows.iter()) {
        Derived::NotApplied { .. } => Ok(true),
        Derived::Applied { .. } => Ok(false),
        Derived::Failed { row } => Err(DriverError::Database {
            context: format!("applying {}", migration.name),
            message: format!(
                "another runner recorded a {} attempt of it (history row {}) after this run made \
                 its plan; it may still be running. Nothing was run: see `ratchet status`",
                if row.outcome == Outcome::Started {
                    "started, unfinished"
                } else {
                    "failed"
                },
                row.id
            ),
            sqlstate: None,
        }),
    }
}

/// SQLite has no database user; the history records the OS user running ratchet. `$USER` is
/// often unset in containers and CI, so fall back to the process owner's name in
/// /etc/passwd (the owner of /proc/self is the process's user), then to the bare uid.
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    if let Some(name) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.is_empty()))
    {
        return Some(name);
    }
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

/// Records who holds the lock, for a waiting runner to show.
fn write_holder(file: &mut std::fs::File) -> std::io::Result<()> {
    use std::io::{Seek, Write};
    file.set_len(0)?;
    file.rewind()?;
    writeln!(
        file,
        "pid={} since={}",
        std::process::id(),
        chrono::Utc::now().to_rfc3339()
    )
}

fn read_holder(file: &mut std::fs::File) -> LockHolder {
    use std::io::{Read, Seek};
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    let mut holder = LockHolder {
        application_name: Some("ratchet".into()),
        client_addr: Some("this machine".into()),
        ..LockHolder::default()
    };
    for word in text.split_whitespace() {
        if let Some(pid) = word.strip_prefix("pid=") {
            holder.pid = pid.parse().ok();
        } else if let Some(since) = word.strip_prefix("since=") {
            holder.since = chrono::DateTime::parse_from_rfc3339(since)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc));
        }
    }
    holder
}

fn statement_error(migration: &Migration, index: usize, err: &rusqlite::Error) -> StatementError {
    let text = migration.statement_text(index);
    let (offset, message, code) = match err {
        rusqlite::Error::SqlInputError {
            error,
            msg,
            sql,
            offset,
            ..
        } => {
            // execute_batch reports the offset within the remaining tail it prepared.
            let base = text.len().saturating_sub(sql.len());
            let at = usize::try_from(*offset).ok().map(|o| base + o);
            (at, msg.clone(), Some(error.extended_code))
        }
        rusqlite::Error::SqliteFailure(error, msg) => (
            None,
            msg.clone().unwrap_or_else(|| error.to_string()),
            Some(error.extended_code),
        ),
        other => (None, other.to_string(), None),
    };
    let mut e = StatementError::at(migration, index, offset);
    e.message = message;
    e.sqlstate = code.map(sqlite_code_name);
    e
}

/// SQLite has no SQLSTATE; its primary result code's C name is the closest equivalent.
fn sqlite_code_name(extended: std::os::raw::c_int) -> String {
    let name = match extended & 0xff {
        1 => "SQLITE_ERROR",
        2 => "SQLITE_INTERNAL",
        3 => "SQLITE_PERM",
        4 => "SQLITE_ABORT",
        5 => "SQLITE_BUSY",
        6 => "SQLITE_LOCKED",
        7 => "SQLITE_NOMEM",
        8 => "SQLITE_READONLY",
        9 => "SQLITE_INTERRUPT",
        10 => "SQLITE_IOERR",
        11 => "SQLITE_CORRUPT",
        13 => "SQLITE_FULL",
        14 => "SQLITE_CANTOPEN",
        17 => "SQLITE_SCHEMA",
        18 => "SQLITE_TOOBIG",
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        21 => "SQLITE_MISUSE",
        23 => "SQLITE_AUTH",
        25 => "SQLITE_RANGE",
        26 => "SQLITE_NOTADB",
        _ => return format!("SQLITE_{extended}"),
    };
    name.to_owned()
}

fn database(context: &str, err: &rusqlite::Error) -> DriverError {
    DriverError::Database {
        context: context.to_owned(),
        message: err.to_string(),
        sqlstate: None,
    }
}
