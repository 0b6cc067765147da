//! PostgreSQL: the first-class target.
//!
//! Built on `tokio-postgres` driven by a private current-thread runtime rather than on the
//! blocking `postgres` wrapper, for two things the wrapper cannot do: pipelining (the history
//! row's INSERT and the COMMIT travel together) and reading a multi-statement query's results
//! as they stream, which tells exactly which statement of a batch failed. A transactional
//! migration therefore costs two round trips however many statements it has, where `psql`
//! pays one per statement plus BEGIN and COMMIT.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ratchet_core::{HistoryRow, Migration, Outcome, TransactionMode};
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;
use tokio_postgres::error::{DbError, ErrorPosition, SqlState};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, SimpleQueryMessage};

use crate::error::StatementError;
use crate::history_sql::{self, rejection_text, NewRow, Who, COLUMNS, INSERT_COLUMNS};
use crate::{
    Applied, ApplyError, ApplySettings, Check, ConnectOptions, DatabaseUrl, Driver, DriverError,
    Inspect, LockHolder, Notice, RecordRequest, RunnerLock, TableName,
};

type PgError = tokio_postgres::Error;

pub(crate) struct PgDriver {
    runtime: Arc<Runtime>,
    client: Client,
    config: Config,
    url: String,
    table: TableName,
    /// Name of the migration running now, read by the notice forwarder to prefix notices.
    current: Arc<Mutex<Option<String>>>,
    who: Who,
    /// Set once [`PgDriver::prepare_to_write`] ran: read-only commands (`status`, `verify`)
    /// skip its round trip.
    ready_to_write: bool,
    /// Link of the newest chained row. Refreshed by every `read_history`; valid while the
    /// runner lock is held, which is the only time anything is written.
    chain_tip: Option<String>,
    insert: Option<tokio_postgres::Statement>,
    /// Set while a migration's transaction is open and its check runs: what the check
    /// inspects must be read on this connection, inside the transaction.
    transaction_open: bool,
}

impl PgDriver {
    pub(crate) fn connect(options: &ConnectOptions) -> Result<PgDriver, DriverError> {
        let DatabaseUrl::Postgres(raw) = &options.url else {
            unreachable!("connect() dispatches on the URL kind")
        };
        let url = options.url.to_string();
        let mut config: Config = raw.parse().map_err(|err| DriverError::Connect {
            url: url.clone(),
            message: format!("invalid URL: {}", error_chain(&err)),
        })?;
        if config.get_application_name().is_none() {
            config.application_name(&options.application_name);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DriverError::Connect {
                url: url.clone(),
                message: format!("cannot start the I/O runtime: {e}"),
            })?;
        let runtime = Arc::new(runtime);
        let current: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = options.notices.clone();
        let running = current.clone();
        // Forwarded from the connection task while a query is awaited, so a long migration's
        // `RAISE NOTICE` reaches the user as it happens, not at the end.
        let on_notice = move |notice: DbError| {
            let migration = running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            sink(Notice {
                migration,
                severity: notice.severity().to_owned(),
                message: notice.message().to_owned(),
                detail: notice.detail().map(str::to_owned),
                hint: notice.hint().map(str::to_owned),
            });
        };
        let client = open(&runtime, &config, on_notice).map_err(|err| DriverError::Connect {
            url: url.clone(),
            message: error_chain(&err),
        })?;
        Ok(PgDriver {
            runtime,
            client,
            config,
            url,
            table: options.history_table.clone(),
            current,
            who: Who {
                db_user: None,
                host: crate::host_name(),
            },
            ready_to_write: false,
            chain_tip: None,
            insert: None,
            transaction_open: false,
        })
    }

    /// Learns the database user recorded in history rows and turns on the dead-client check,
    /// once, before the first write.
    fn prepare_to_write(&mut self) -> Result<(), DriverError> {
        if self.ready_to_write {
            return Ok(());
        }
        let messages = self
            .block_on(self.client.simple_query(&format!(
                "SELECT current_user::text, {CHECK_CLIENT_CONNECTION}"
            )))
            .map_err(|e| database("reading current_user", &e))?;
        self.who.db_user = messages.into_iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        });
        self.ready_to_write = true;
        Ok(())
    }

    /// Drops every schema but the system ones (with everything in them, extensions
    /// included) and recreates an empty `public`. For scratch databases only.
    pub(crate) fn dangerous_wipe(&mut self) -> Result<(), DriverError> {
        self.block_on(self.client.batch_execute(WIPE))
            .map_err(|e| database("wiping the scratch database", &e))
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn table_exists(&mut self) -> Result<bool, DriverError> {
        let quoted = self.table.quoted();
        let rows = self
            .block_on(self.client.query_typed(
                "SELECT to_regclass($1) IS NOT NULL",
                &[(&quoted, Type::TEXT)],
            ))
            .map_err(|e| database("looking for the history table", &e))?;
        Ok(rows.first().is_some_and(|r| r.get(0)))
    }

    fn insert_statement(&mut self) -> Result<tokio_postgres::Statement, PgError> {
        if let Some(statement) = &self.insert {
            return Ok(statement.clone());
        }
        let sql = format!(
            "INSERT INTO {} ({INSERT_COLUMNS}) VALUES \
             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING id",
            self.table.quoted()
        );
        let statement = self.block_on(self.client.prepare(&sql))?;
        self.insert = Some(statement.clone());
        Ok(statement)
    }

    /// Inserts `row` and, when `commit` is set, COMMITs in the same round trip: the two
    /// requests are pipelined. If the INSERT fails, the server turns that COMMIT into a
    /// rollback, so the migration is never committed without its row.
    fn insert_row_and(&mut self, mut row: NewRow, commit: bool) -> Result<HistoryRow, PgError> {
        row.link(self.chain_tip.as_deref());
        let statement = self.insert_statement()?;
        let version = i64::try_from(row.version.0).unwrap_or(i64::MAX);
        let kind = row.kind.as_str();
        let success = row.success();
        let outcome = row.outcome.as_str();
        let params: [&(dyn ToSql + Sync); 17] = [
            &version,
            &row.name,
            &kind,
            &success,
            &outcome,
            &row.checksum,
            &row.checksum_algorithm,
            &row.chain_hash,
            &row.started_at,
            &row.finished_at,
            &row.execution_ms,
            &row.db_user,
            &row.host,
            &crate::TOOL_VERSION,
            &row.error,
            &row.failed_statement,
            &row.reason,
        ];
        let client = &self.client;
        let (inserted, committed) = self.runtime.block_on(async {
            let insert = client.query_one(&statement, &params);
            if commit {
                let (inserted, committed) =
                    futures_util::future::join(insert, client.batch_execute("COMMIT")).await;
                (inserted, Some(committed))
            } else {
                (insert.await, None)
            }
        });
        let id: i64 = inserted?.get(0);
        if let Some(committed) = committed {
            committed?;
        }
        Ok(row.into_row(id))
    }

    fn insert_row(&mut self, row: NewRow) -> Result<HistoryRow, PgError> {
        self.insert_row_and(row, false)
    }

    /// Commits the tip only once the row is durable.
    fn remember(&mut self, row: &HistoryRow) {
        if row.chain_hash.is_some() {
            self.chain_tip = row.chain_hash.clone();
        }
    }

    fn invalid_indexes(&mut self) -> Result<BTreeSet<String>, PgError> {
        let rows = self.block_on(self.client.query_typed(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid",
            &[],
        ))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Runs `sql` (one or more statements) with the simple query protocol and counts the
    /// statements that completed, so a failure can be pinned to its statement even when the
    /// server gives no position.
    fn run_counted(&mut self, sql: &str) -> Result<usize, (usize, PgError)> {
        self.runtime.block_on(async {
            let mut stream = std::pin::pin!(self
                .client
                .simple_query_raw(sql)
                .await
                .map_err(|e| (0, e))?);
            let mut completed = 0;
            while let Some(message) = stream.next().await {
                match message {
                    Ok(SimpleQueryMessage::CommandComplete(_)) => completed += 1,
                    Ok(_) => {}
                    Err(e) => return Err((completed, e)),
                }
            }
            Ok(completed)
        })
    }

    /// Runs `check` on the migration's work. A rejection or a failure to check ends the
    /// transaction (when `in_transaction`) and records the attempt with `outcome`.
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
            let _ = self.block_on(self.client.batch_execute("ROLLBACK"));
        }
        let outcome = if in_transaction {
            Outcome::RolledBack
        } else {
            Outcome::Failed
        };
        let mut failed = NewRow::apply(migration, outcome, &self.who);
        failed.started_at = row.started_at;
        failed.finish(clock);
        match verdict {
            Ok(reasons) => {
                failed.error = Some(rejection_text(&reasons));
                let not_recorded = self.insert_row(failed).err().map(|e| error_chain(&e));
                Err(ApplyError::Rejected {
                    migration: migration.name.clone(),
                    reasons,
                    outcome,
                    not_recorded,
                })
            }
            Err(err) => {
                failed.error = Some(format!("checking the migration's result failed: {err}"));
                let _ = self.insert_row(failed);
                Err(err.into())
            }
        }
    }

    fn apply_in_transaction(
        &mut self,
        migration: &Migration,
        settings: ApplySettings,
        check: Option<Check<'_>>,
    ) -> Result<Applied, ApplyError> {
        let mut row = NewRow::apply(migration, Outcome::Applied, &self.who);
        let clock = Instant::now();
        let batch = Batch::new(migration, settings);
        match self.run_counted(&batch.sql) {
            Ok(_) => {
                // Still inside the migration's transaction: what the check sees is what would
                // be committed, and a rejection rolls all of it back.
                self.transaction_open = true;
                let checked = self.run_check(migration, check, &row, clock, true);
                self.transaction_open = false;
                checked?;
                row.finish(clock);
                match self.insert_row_and(row, true) {
                    Ok(recorded) => {
                        self.remember(&recorded);
                        Ok(Applied::Ran(Box::new(recorded)))
                    }
                    Err(err) => {
                        let _ = self.block_on(self.client.batch_execute("ROLLBACK"));
                        Err(database(&format!("recording {}", migration.name), &err).into())
                    }
                }
            }
            Err((completed, err)) => {
                // Also ends the transaction when a statement-level failure left it open.
                let _ = self.block_on(self.client.batch_execute("ROLLBACK"));
                let located = batch.locate(completed, &err);
                let Some((index, offset, deferred)) = located else {
                    return Err(database(&format!("applying {}", migration.name), &err).into());
                };
                let mut error = statement_error(migration, index, offset, &err);
                if deferred {
                    let note = "a deferred constraint, checked at the end of the migration \
                                (the statement that violated it may be an earlier one)";
                    error.context = Some(match error.context.take() {
                        Some(context) => format!("{note}\n{context}"),
                        None => note.to_owned(),
                    });
                }
                let mut failed = NewRow::apply(migration, Outcome::RolledBack, &self.who);
                failed.started_at = row.started_at;
                failed.finish(clock);
                failed.error = Some(error.summary());
                let not_recorded = self.insert_row(failed).err().map(|e| error_chain(&e));
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
        settings: ApplySettings,
        check: Option<Check<'_>>,
    ) -> Result<Applied, ApplyError> {
        let context = format!("applying {}", migration.name);
        let clock = Instant::now();
        let started = NewRow::apply(migration, Outcome::Started, &self.who);
        let started_at = started.started_at;
        self.insert_row(started)
            .map_err(|e| database(&context, &e))?;
        let invalid_before = self.invalid_indexes().map_err(|e| database(&context, &e))?;
        let timeouts = settings.statements("SET");
        if !timeouts.is_empty() {
            self.block_on(self.client.batch_execute(&timeouts))
                .map_err(|e| database(&context, &e))?;
        }
        // One statement per request: each commits on its own, and the statement that fails is
        // the one that was sent.
        let mut failure = None;
        for (i, statement) in migration.statements.iter().enumerate() {
            let text = statement.text(&migration.source);
            if let Err((_, err)) = self.run_counted(text) {
                failure = Some((i, err));
                break;
            }
        }
        // Also undoes the migration's own session `SET`s (search_path, role, ...), which
        // must neither redirect the history insert below nor leak into later migrations.
        let _ = self.block_on(self.client.batch_execute(RESTORE_SESSION));
        let mut row = NewRow::apply(migration, Outcome::Applied, &self.who);
        row.started_at = started_at;
        row.finish(clock);
        match failure {
            None => {
                self.run_check(migration, check, &row, clock, false)?;
                let recorded = self.insert_row(row).map_err(|e| database(&context, &e))?;
                self.remember(&recorded);
                Ok(Applied::Ran(Box::new(recorded)))
            }
            Some((index, err)) => {
                let error = statement_error(migration, index, error_position(&err), &err);
                let invalid_indexes = self
                    .invalid_indexes()
                    .map(|after| after.difference(&invalid_before).cloned().collect())
                    .unwrap_or_default();
                row.outcome = Outcome::Failed;
                row.error = Some(error.summary());
                row.failed_statement = i32::try_from(index + 1).ok();
                let not_recorded = self.insert_row(row).err().map(|e| error_chain(&e));
                Err(ApplyError::Statement {
                    error: Box::new(error),
                    outcome: Outcome::Failed,
                    invalid_indexes,
                    not_recorded,
                })
            }
        }
    }
}

/// Empties a scratch database: extensions first (their objects may live in any schema), then
/// every non-system schema, then a fresh `public` as `CREATE DATABASE` would give.
const WIPE: &str = r"DO $wipe$
DECLARE r record;
BEGIN
    FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
        EXECUTE format('DROP EXTENSION %I CASCADE', r.extname);
    END LOOP;
    FOR r IN SELECT nspname FROM pg_namespace
             WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
               AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%' LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
    END LOOP;
    CREATE SCHEMA public;
END
$wipe$";

/// Opens a connection whose messages are pumped by a task on `runtime`; notices go to
/// `on_notice`.
fn open(
    runtime: &Runtime,
    config: &Config,
    on_notice: impl Fn(DbError) + Send + 'static,
) -> Result<Client, PgError> {
    runtime.block_on(async {
        let (client, mut connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            // Ends when the connection closes or fails; the client then reports the error
            // on its next request.
            while let Some(Ok(message)) = messages.next().await {
                if let AsyncMessage::Notice(notice) = message {
                    on_notice(notice);
                }
            }
        });
        Ok(client)
    })
}

/// A transactional migration as one simple-query message: BEGIN, the timeouts, every
/// statement, the deferred-constraint check and the session reset. The server stops at the
/// first error and the transaction is rolled back, so nothing of a failed migration remains.
struct Batch {
    sql: String,
    /// Statements before the migration's own (BEGIN, SET LOCAL ...).
    prefix: usize,
    /// Character position in `sql` where each statement starts, for mapping error positions.
    starts: Vec<usize>,
    lengths: Vec<usize>,
}

impl Batch {
    fn new(migration: &Migration, settings: ApplySettings) -> Batch {
        let mut sql = String::from("BEGIN;\n");
        let timeouts = settings.statements("SET LOCAL");
        sql.push_str(&timeouts);
        let prefix = 1 + timeouts.matches(";\n").count();
        let mut chars = sql.chars().count();
        let mut starts = Vec::with_capacity(migration.statements.len());
        let mut lengths = Vec::with_capacity(migration.statements.len());
        for statement in &migration.statements {
            let text = statement.text(&migration.source);
            let length = text.chars().count();
            starts.push(chars);
            lengths.push(length);
            sql.push_str(text);
            // On a line of its own: a statement may end in a `--` comment.
            sql.push_str("\n;\n");
            chars += length + 3;
        }
        // Deferred constraints (and constraint triggers) are checked here rather than by
        // COMMIT: a failing COMMIT was reported as ratchet's own error (no SQLSTATE, no
        // location) and left no history row.
        sql.push_str("SET CONSTRAINTS ALL IMMEDIATE;\n");
        // Inside the transaction, so that it commits with the migration: a session `SET` it
        // made (pg_dump's `set_config('search_path', '', false)`, `SET ROLE`) would otherwise
        // outlive its commit, break the history insert ("relation ratchet_history does not
        // exist") and change how every later migration of this run behaves.
        sql.push_str(RESTORE_SESSION);
        Batch {
            sql,
            prefix,
            starts,
            lengths,
        }
    }

    /// Which statement failed, the byte offset of the error in it, and whether it was the
    /// deferred-constraint check. `None` when the failure was in ratchet's own prefix.
    fn locate(&self, completed: usize, err: &PgError) -> Option<(usize, Option<usize>, bool)> {
        let count = self.starts.len();
        if let Some(position) = error_position(err) {
            let at = position.saturating_sub(1);
            if let Some(i) =
                (0..count).find(|&i| at >= self.starts[i] && at <= self.starts[i] + self.lengths[i])
            {
                return Some((i, Some(at - self.starts[i] + 1), false));
            }
        }
        let index = completed.checked_sub(self.prefix)?;
        match index.cmp(&count) {
            std::cmp::Ordering::Less => Some((index, None, false)),
            _ if count > 0 => Some((count - 1, None, true)),
            _ => None,
        }
    }
}

impl ApplySettings {
    /// `SET [LOCAL] lock_timeout = N; ...` for the configured limits. The values are integers
    /// of milliseconds computed here, never text from a file, and `SET` cannot take a bound
    /// parameter; sending them separately through `set_config($1)` would cost a round trip
    /// each, per migration.
    fn statements(&self, set: &str) -> String {
        let mut sql = String::new();
        for (name, value) in [
            ("lock_timeout", self.lock_timeout),
            ("statement_timeout", self.statement_timeout),
        ] {
            if let Some(value) = value {
                sql.push_str(&format!("{set} {name} = {};\n", value.as_millis()));
            }
        }
        sql
    }
}

/// Without this, a runner killed in the middle of a long statement leaves its backend running
/// that statement to the end (the server only notices the closed socket when it next talks to
/// the client), holding the migration's locks after the runner lock (on its own, idle
/// session) is already released: the next runner then failed with a lock timeout behind a
/// dead process. PostgreSQL 14+ can poll the socket during a query; older servers don't know
/// the setting (`current_setting(.., true)` is NULL there, so nothing is set), and a value the
/// URL already set is kept.
const CHECK_CLIENT_CONNECTION: &str =
    "CASE WHEN current_setting('client_connection_check_interval', true) = '0' \
     THEN set_config('client_connection_check_interval', '1000', false) END";

/// Puts the migration connection back in its state at connect time after a migration ran:
/// user, role and every setting (values given in the URL are the defaults `RESET` returns
/// to). `RESET ALL` also clears the per-migration timeouts and the connection check, which the
/// last statement turns back on.
const RESTORE_SESSION: &str = "RESET SESSION AUTHORIZATION;\nRESET ROLE;\nRESET ALL;\n\
     SELECT CASE WHEN current_setting('client_connection_check_interval', true) = '0' \
     THEN set_config('client_connection_check_interval', '1000', false) END;\n";

impl Driver for PgDriver {
    fn describe(&self) -> String {
        self.url.clone()
    }

    fn read_history(&mut self) -> Result<Vec<HistoryRow>, DriverError> {
        let table = self.table.to_string();
        // Sorted here, not by the server: a new backend's first sort is a measurable part of
        // `verify`'s budget, and sorting a few thousand ids in place costs nothing.
        let sql = format!("SELECT {COLUMNS} FROM {}", self.table.quoted());
        // One round trip: asking first whether the table exists would double the cost of
        // `verify`, whose whole budget is a few round trips. A database never migrated has no
        // table (or schema) yet, and that is an empty history, not an error.
        let missing = |e: &tokio_postgres::Error| {
            e.code() == Some(&SqlState::UNDEFINED_TABLE)
                || e.code() == Some(&SqlState::INVALID_SCHEMA_NAME)
        };
        let failed = |e: tokio_postgres::Error| database("reading the history", &e);
        // Each row becomes a `HistoryRow` as it arrives and is dropped: the rows of a
        // collected result all share the client's read buffer, which then cannot be reused
        // and grows to the size of the whole history (1,000 rows: verify 0.95x the time).
        let read = async {
            let rows = match self.client.query_typed_raw(&sql, no_parameters()).await {
                Ok(rows) => rows,
                Err(e) if missing(&e) => return Ok(None),
                Err(e) => return Err(failed(e)),
            };
            let mut rows = std::pin::pin!(rows);
            let mut history = Vec::new();
            while let Some(row) = rows.next().await {
                history.push(history_row(&table, &row.map_err(failed)?)?);
            }
            Ok(Some(history))
        };
        let Some(mut history) = self.block_on(read)? else {
            self.chain_tip = None;
            return Ok(Vec::new());
        };
        history.sort_unstable_by_key(|r| r.id);
        self.chain_tip = history_sql::chain_tip(&history);
        Ok(history)
    }

    fn lock(
        &mut self,
        wait: Duration,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<Box<dyn RunnerLock>, DriverError> {
        self.prepare_to_write()?;
        let key = lock_key(&self.table);
        let started = Instant::now();
        let session =
            open(&self.runtime, &self.config, |_| {}).map_err(|e| DriverError::Connect {
                url: self.url.clone(),
                message: error_chain(&e),
            })?;
        let lock = PgLock {
            runtime: self.runtime.clone(),
            session: Some(session),
            key,
        };
        let session = lock.session.as_ref().expect("just set");
        let context = "taking the migration lock";
        let try_lock = || -> Result<bool, DriverError> {
            let rows = self
                .runtime
                .block_on(
                    session.query_typed("SELECT pg_try_advisory_lock($1)", &[(&key, Type::INT8)]),
                )
                .map_err(|e| database(context, &e))?;
            Ok(rows.first().is_some_and(|r| r.get(0)))
        };
        if !try_lock()? {
            let holder = lock_holder(&self.runtime, session, key).ok().flatten();
            on_wait(holder.as_ref().unwrap_or(&LockHolder::default()));
            // Poll rather than block in `pg_advisory_lock()`: a session blocked there holds a
            // snapshot for as long as it waits, and the holder's `CREATE INDEX CONCURRENTLY`
            // waits for every older snapshot in the database, i.e. for the waiter, which
            // waits for the holder; bounded by lock_timeout, the index build then failed
            // with 55P03 and left an INVALID index and a failed migration behind. Each try
            // below holds a snapshot only for an instant.
            let deadline = started + wait;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    let holder = lock_holder(&self.runtime, session, key)
                        .ok()
                        .flatten()
                        .or(holder);
                    return Err(DriverError::LockTimeout {
                        waited: started.elapsed(),
                        holder,
                    });
                }
                std::thread::sleep((deadline - now).min(LOCK_POLL));
                if try_lock()? {
                    break;
                }
            }
        }
        Ok(Box::new(lock))
    }

    fn ensure_history_table(&mut self) -> Result<(), DriverError> {
        self.prepare_to_write()?;
        // Checked first instead of `IF NOT EXISTS`, whose "already exists, skipping" notice
        // would reach the user on every run.
        if self.table_exists()? {
            return Ok(());
        }
        let table = self.table.quoted();
        let mut ddl = String::from("BEGIN;\n");
        if let Some(schema) = &self.table.schema {
            // Same reason: only create a schema that is missing, so no notice is printed.
            let schema_literal = format!("'{}'", schema.replace('\'', "''"));
            ddl.push_str(&format!(
                "DO $ratchet$ BEGIN IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = {schema_literal}) \
                 THEN CREATE SCHEMA {}; END IF; END $ratchet$;\n",
                crate::quote_ident(schema)
            ));
        }
        ddl.push_str(&format!(
            "CREATE TABLE {table} (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                version bigint NOT NULL,
                name text NOT NULL,
                kind text NOT NULL,
                success boolean NOT NULL,
                outcome text NOT NULL,
                checksum text,
                checksum_algorithm text,
                chain_hash text,
                started_at timestamptz NOT NULL,
                finished_at timestamptz,
                execution_ms bigint,
                db_user text,
                host text,
                tool_version text NOT NULL,
                error text,
                failed_statement integer,
                reason text
            );
            CREATE INDEX {} ON {table} (version);
            COMMENT ON TABLE {table} IS 'ratchet: append-only log of every migration attempt; never edit by hand';
            COMMIT;",
            crate::quote_ident(&format!("{}_version_idx", self.table.name)),
        ));
        let result = self.block_on(self.client.batch_execute(&ddl));
        result.map_err(|e| {
            let _ = self.block_on(self.client.batch_execute("ROLLBACK"));
            database("creating the history table", &e)
        })
    }

    fn apply(
        &mut self,
        migration: &Migration,
        settings: ApplySettings,
        check: Option<Check<'_>>,
    ) -> Result<Applied, ApplyError> {
        self.prepare_to_write()?;
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(migration.name.clone());
        let result = match migration.transaction {
            TransactionMode::PerMigration => self.apply_in_transaction(migration, settings, check),
            TransactionMode::None => self.apply_without_transaction(migration, settings, check),
        };
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
        result
    }

    fn record(&mut self, request: &RecordRequest) -> Result<HistoryRow, DriverError> {
        self.prepare_to_write()?;
        let row = NewRow::record(request, &self.who);
        let recorded = self
            .insert_row(row)
            .map_err(|e| database("writing the history", &e))?;
        self.remember(&recorded);
        Ok(recorded)
    }
}

impl Inspect for PgDriver {
    fn introspect(&mut self) -> Result<ratchet_schema::Schema, DriverError> {
        // A second connection reads half of the schema, unless a migration's transaction
        // is open: it would not see the transaction's changes (see `introspect::postgres`).
        let helper = (!self.transaction_open).then_some(&self.config);
        crate::introspect::postgres::introspect(&self.runtime, &self.client, &self.table, helper)
    }

    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<String>>, DriverError> {
        // The simple protocol returns every value as text, as psql shows it.
        let messages = self
            .block_on(self.client.simple_query(sql))
            .map_err(|e| database("running a query", &e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).unwrap_or("NULL").to_owned())
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }
}

/// The advisory lock's session. Dropping it unlocks and closes the session.
struct PgLock {
    runtime: Arc<Runtime>,
    session: Option<Client>,
    key: i64,
}

impl std::fmt::Debug for PgLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLock").field("key", &self.key).finish()
    }
}

impl RunnerLock for PgLock {}

impl Drop for PgLock {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            // Closing the session would release it too; unlocking first makes the release
            // explicit and immediate even if closing is slow.
            let _ = self.runtime.block_on(
                session.query_typed("SELECT pg_advisory_unlock($1)", &[(&self.key, Type::INT8)]),
            );
            drop(session);
        }
    }
}

/// How often a waiting runner retries the lock (see [`PgDriver::lock`] for why it polls).
const LOCK_POLL: Duration = Duration::from_millis(100);

/// One advisory-lock key per history table, so two independent migration sets in one
/// database (different `history_table`s) do not serialise each other.
fn lock_key(table: &TableName) -> i64 {
    let digest = Sha256::digest(format!("ratchet:{}", table.quoted()).as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn lock_holder(
    runtime: &Runtime,
    session: &Client,
    key: i64,
) -> Result<Option<LockHolder>, PgError> {
    // A bigint advisory key appears in pg_locks split into classid (high half) and objid
    // (low half), with objsubid = 1. host(): `client_addr::text` printed "127.0.0.1/32".
    let bits = key as u64;
    let high = i64::from((bits >> 32) as u32);
    let low = i64::from(bits as u32);
    let rows = runtime.block_on(session.query_typed(
        "SELECT a.pid, a.application_name, host(a.client_addr), a.usename::text, a.backend_start \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
           AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         LIMIT 1",
        &[(&high, Type::INT8), (&low, Type::INT8)],
    ))?;
    Ok(rows.first().map(|r| LockHolder {
        pid: r.get(0),
        application_name: r.get(1),
        client_addr: r.get(2),
        user: r.get(3),
        since: r.get(4),
    }))
}

/// The 1-based character position the server reported, when it is one in the query we sent.
fn error_position(err: &PgError) -> Option<usize> {
    match err.as_db_error()?.position()? {
        ErrorPosition::Original(position) => Some(*position as usize),
        ErrorPosition::Internal { .. } => None,
    }
}

/// `position`: where in the statement's text the error is, as a 1-based character position
/// (PostgreSQL's unit).
fn statement_error(
    migration: &Migration,
    index: usize,
    position: Option<usize>,
    err: &PgError,
) -> StatementError {
    let text = migration.statement_text(index);
    let offset = position.map(|p| ratchet_sql::char_position_to_byte(text, p));
    let Some(db) = err.as_db_error() else {
        let mut e = StatementError::at(migration, index, offset);
        e.message = error_chain(err);
        return e;
    };
    let mut e = StatementError::at(migration, index, offset);
    e.sqlstate = Some(db.code().code().to_owned());
    e.message = db.message().to_owned();
    e.detail = db.detail().map(str::to_owned);
    e.hint = db.hint().map(str::to_owned);
    e.context = db.where_().map(str::to_owned);
    e
}

pub(crate) fn database(context: &str, err: &PgError) -> DriverError {
    DriverError::Database {
        context: context.to_owned(),
        message: error_chain(err),
        sqlstate: err.code().map(|c| c.code().to_owned()),
    }
}

/// tokio_postgres::Error's Display is terse ("error connecting to server"); the cause is in
/// its source chain.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A history row as [`COLUMNS`] selects it. A table changed by hand (a column's type, a NULL
/// where ratchet always writes a value) is reported naming the column, not as a panic.
fn history_row(table: &str, r: &tokio_postgres::Row) -> Result<HistoryRow, DriverError> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        table: &str,
        r: &'a tokio_postgres::Row,
        i: usize,
    ) -> Result<T, DriverError> {
        r.try_get(i).map_err(|e| {
            let column = &r.columns()[i];
            let was_null = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<tokio_postgres::types::WasNull>());
            let message = if was_null {
                format!("column {} holds NULL", column.name())
            } else {
                format!(
                    "column {} is of type {}, not the type ratchet created it with",
                    column.name(),
                    column.type_()
                )
            };
            DriverError::CorruptHistory {
                table: table.to_owned(),
                message,
            }
        })
    }
    Ok(HistoryRow {
        id: get(table, r, 0)?,
        version: history_sql::parse_version(table, get(table, r, 1)?)?,
        name: get(table, r, 2)?,
        kind: history_sql::parse_kind(table, get(table, r, 3)?)?,
        success: get(table, r, 4)?,
        outcome: history_sql::parse_outcome(table, get(table, r, 5)?)?,
        checksum: get(table, r, 6)?,
        checksum_algorithm: get(table, r, 7)?,
        chain_hash: get(table, r, 8)?,
        started_at: get(table, r, 9)?,
        finished_at: get(table, r, 10)?,
        execution_ms: get(table, r, 11)?,
        db_user: get(table, r, 12)?,
        host: get(table, r, 13)?,
        tool_version: get(table, r, 14)?,
        error: get(table, r, 15)?,
        failed_statement: get(table, r, 16)?,
        reason: get(table, r, 17)?,
    })
}

/// The parameters of a statement that has none, typed as `query_typed_raw` wants them.
fn no_parameters() -> std::iter::Empty<(&'static (dyn ToSql + Sync), Type)> {
    std::iter::empty()
}
