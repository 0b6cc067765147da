//! PostgreSQL: the first-class target.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use postgres::error::ErrorPosition;
use postgres::{Client, Config, NoTls};
use ratchet_core::{HistoryRow, Migration, Outcome, TransactionMode};
use sha2::{Digest, Sha256};

use crate::error::StatementError;
use crate::history_sql::{self, NewRow, Who, COLUMNS, INSERT_COLUMNS};
use crate::{
    Applied, ApplyError, ApplySettings, ConnectOptions, DatabaseUrl, Driver, DriverError,
    LockHolder, Notice, RecordRequest, RunnerLock, TableName,
};

pub(crate) struct PgDriver {
    client: Client,
    config: Config,
    url: String,
    table: TableName,
    /// Name of the migration running now, read by the notice callback to prefix notices.
    current: Arc<Mutex<Option<String>>>,
    who: Who,
    /// Link of the newest chained row. Refreshed by every `read_history`; valid while the
    /// runner lock is held, which is the only time anything is written.
    chain_tip: Option<String>,
    insert: Option<postgres::Statement>,
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
        let current: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = options.notices.clone();
        let running = current.clone();
        // Called from inside the client while it waits for a query's result, so a long
        // migration's `RAISE NOTICE` reaches the user as it happens, not at the end.
        config.notice_callback(move |notice| {
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
        });
        let mut client = config.connect(NoTls).map_err(|err| DriverError::Connect {
            url: url.clone(),
            message: error_chain(&err),
        })?;
        let db_user: Option<String> = client
            .query_one("SELECT current_user::text", &[])
            .map_err(|e| database("reading current_user", &e))?
            .get(0);
        check_client_connection(&mut client)
            .map_err(|e| database("enabling client_connection_check_interval", &e))?;
        Ok(PgDriver {
            client,
            config,
            url,
            table: options.history_table.clone(),
            current,
            who: Who {
                db_user,
                host: crate::host_name(),
            },
            chain_tip: None,
            insert: None,
        })
    }

    fn table_exists(&mut self) -> Result<bool, DriverError> {
        let row = self
            .client
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL",
                &[&self.table.quoted()],
            )
            .map_err(|e| database("looking for the history table", &e))?;
        Ok(row.get(0))
    }

    fn insert_row(&mut self, mut row: NewRow) -> Result<HistoryRow, postgres::Error> {
        row.link(self.chain_tip.as_deref());
        let statement = match &self.insert {
            Some(s) => s.clone(),
            None => {
                let sql = format!(
                    "INSERT INTO {} ({INSERT_COLUMNS}) VALUES \
                     ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING id",
                    self.table.quoted()
                );
                let s = self.client.prepare(&sql)?;
                self.insert = Some(s.clone());
                s
            }
        };
        let version = i64::try_from(row.version.0).unwrap_or(i64::MAX);
        let id: i64 = self
            .client
            .query_one(
                &statement,
                &[
                    &version,
                    &row.name,
                    &row.kind.as_str(),
                    &row.success(),
                    &row.outcome.as_str(),
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
                ],
            )?
            .get(0);
        Ok(row.into_row(id))
    }

    /// Commits the tip only once the row is durable.
    fn remember(&mut self, row: &HistoryRow) {
        if row.chain_hash.is_some() {
            self.chain_tip = row.chain_hash.clone();
        }
    }

    fn set_timeouts(
        &mut self,
        settings: ApplySettings,
        local: bool,
    ) -> Result<(), postgres::Error> {
        // set_config() takes the value as a bound parameter; SET cannot.
        for (name, value) in [
            ("lock_timeout", settings.lock_timeout),
            ("statement_timeout", settings.statement_timeout),
        ] {
            if let Some(value) = value {
                let millis = format!("{}ms", value.as_millis());
                self.client
                    .execute("SELECT set_config($1, $2, $3)", &[&name, &millis, &local])?;
            }
        }
        Ok(())
    }

    fn invalid_indexes(&mut self) -> Result<BTreeSet<String>, postgres::Error> {
        let rows = self.client.query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid",
            &[],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn apply_in_transaction(
        &mut self,
        migration: &Migration,
        settings: ApplySettings,
    ) -> Result<Applied, ApplyError> {
        let mut row = NewRow::apply(migration, Outcome::Applied, &self.who);
        let clock = Instant::now();
        let failure =
            (|| -> Result<Result<HistoryRow, (usize, postgres::Error, bool)>, postgres::Error> {
                self.client.batch_execute("BEGIN")?;
                self.set_timeouts(settings, true)?;
                for (i, statement) in migration.statements.iter().enumerate() {
                    if let Err(err) = self.client.batch_execute(statement.text(&migration.source)) {
                        return Ok(Err((i, err, false)));
                    }
                }
                // Deferred constraints (and constraint triggers) are checked here rather than
                // by COMMIT: a failing COMMIT was reported as ratchet's own error (no
                // SQLSTATE, no location), left no history row, and the ROLLBACK after it drew
                // "WARNING: there is no transaction in progress". The failure is shown at the
                // last statement, with a context line saying it was a deferred check.
                if let Some(last) = migration.statements.len().checked_sub(1) {
                    if let Err(err) = self.client.batch_execute("SET CONSTRAINTS ALL IMMEDIATE") {
                        return Ok(Err((last, err, true)));
                    }
                }
                row.finish(clock);
                // Inside the transaction, so that it commits with the migration: a session
                // `SET` it made (pg_dump's `set_config('search_path', '', false)`, `SET ROLE`)
                // would otherwise outlive its commit, break the history insert below
                // ("relation ratchet_history does not exist") and change how every later
                // migration of this run behaves. (After a rollback the server undoes them.)
                restore_session(&mut self.client)?;
                let recorded = self.insert_row(row.clone())?;
                self.client.batch_execute("COMMIT")?;
                Ok(Ok(recorded))
            })();
        match failure {
            Ok(Ok(recorded)) => {
                self.remember(&recorded);
                Ok(Applied::Ran(Box::new(recorded)))
            }
            Ok(Err((index, err, deferred))) => {
                let _ = self.client.batch_execute("ROLLBACK");
                let mut error = statement_error(migration, index, &err);
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
            Err(err) => {
                let _ = self.client.batch_execute("ROLLBACK");
                Err(database(&format!("applying {}", migration.name), &err).into())
            }
        }
    }

    fn apply_without_transaction(
        &mut self,
        migration: &Migration,
        settings: ApplySettings,
    ) -> Result<Applied, ApplyError> {
        let context = format!("applying {}", migration.name);
        let clock = Instant::now();
        let started = NewRow::apply(migration, Outcome::Started, &self.who);
        let started_at = started.started_at;
        self.insert_row(started)
            .map_err(|e| database(&context, &e))?;
        let invalid_before = self.invalid_indexes().map_err(|e| database(&context, &e))?;
        self.set_timeouts(settings, false)
            .map_err(|e| database(&context, &e))?;
        let mut failure = None;
        for (i, statement) in migration.statements.iter().enumerate() {
            if let Err(err) = self.client.batch_execute(statement.text(&migration.source)) {
                failure = Some((i, err));
                break;
            }
        }
        // Also undoes the migration's own session `SET`s (search_path, role, ...), which
        // must neither redirect the history insert below nor leak into later migrations.
        let _ = restore_session(&mut self.client);
        let mut row = NewRow::apply(migration, Outcome::Applied, &self.who);
        row.started_at = started_at;
        row.finish(clock);
        match failure {
            None => {
                let recorded = self.insert_row(row).map_err(|e| database(&context, &e))?;
                self.remember(&recorded);
                Ok(Applied::Ran(Box::new(recorded)))
            }
            Some((index, err)) => {
                let error = statement_error(migration, index, &err);
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

impl Driver for PgDriver {
    fn describe(&self) -> String {
        self.url.clone()
    }

    fn read_history(&mut self) -> Result<Vec<HistoryRow>, DriverError> {
        if !self.table_exists()? {
            self.chain_tip = None;
            return Ok(Vec::new());
        }
        let table = self.table.to_string();
        let sql = format!("SELECT {COLUMNS} FROM {} ORDER BY id", self.table.quoted());
        let rows = self
            .client
            .query(&sql, &[])
            .map_err(|e| database("reading the history", &e))?;
        let mut history = Vec::with_capacity(rows.len());
        for r in rows {
            history.push(HistoryRow {
                id: r.get(0),
                version: history_sql::parse_version(&table, r.get(1))?,
                name: r.get(2),
                kind: history_sql::parse_kind(&table, r.get(3))?,
                success: r.get(4),
                outcome: history_sql::parse_outcome(&table, r.get(5))?,
                checksum: r.get(6),
                checksum_algorithm: r.get(7),
                chain_hash: r.get(8),
                started_at: r.get(9),
                finished_at: r.get(10),
                execution_ms: r.get(11),
                db_user: r.get(12),
                host: r.get(13),
                tool_version: r.get(14),
                error: r.get(15),
                failed_statement: r.get(16),
                reason: r.get(17),
            });
        }
        self.chain_tip = history_sql::chain_tip(&history);
        Ok(history)
    }

    fn lock(
        &mut self,
        wait: Duration,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<Box<dyn RunnerLock>, DriverError> {
        let key = lock_key(&self.table);
        let started = Instant::now();
        let mut session = self
            .config
            .connect(NoTls)
            .map_err(|e| DriverError::Connect {
                url: self.url.clone(),
                message: error_chain(&e),
            })?;
        let context = "taking the migration lock";
        let try_lock = |session: &mut Client| -> Result<bool, DriverError> {
            Ok(session
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .map_err(|e| database(context, &e))?
                .get(0))
        };
        if !try_lock(&mut session)? {
            let holder = lock_holder(&mut session, key).ok().flatten();
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
                    let holder = lock_holder(&mut session, key).ok().flatten().or(holder);
                    return Err(DriverError::LockTimeout {
                        waited: started.elapsed(),
                        holder,
                    });
                }
                std::thread::sleep((deadline - now).min(LOCK_POLL));
                if try_lock(&mut session)? {
                    break;
                }
            }
        }
        Ok(Box::new(PgLock {
            session: Some(session),
            key,
        }))
    }

    fn ensure_history_table(&mut self) -> Result<(), DriverError> {
        // Checked first instead of `IF NOT EXISTS`, whose "already exists, skipping" notice
        // would reach the user on every run.
        if self.table_exists()? {
            return Ok(());
        }
        let table = self.table.quoted();
        let mut ddl = String::new();
        if let Some(schema) = &self.table.schema {
            ddl.push_str(&format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n",
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
            COMMENT ON TABLE {table} IS 'ratchet: append-only log of every migration attempt; never edit by hand';",
            crate::quote_ident(&format!("{}_version_idx", self.table.name)),
        ));
        self.client
            .batch_execute(&format!("BEGIN; {ddl}; COMMIT"))
            .map_err(|e| {
                let _ = self.client.batch_execute("ROLLBACK");
                database("creating the history table", &e)
            })
    }

    fn apply(
        &mut self,
        migration: &Migration,
        settings: ApplySettings,
    ) -> Result<Applied, ApplyError> {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(migration.name.clone());
        let result = match migration.transaction {
            TransactionMode::PerMigration => self.apply_in_transaction(migration, settings),
            TransactionMode::None => self.apply_without_transaction(migration, settings),
        };
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
        result
    }

    fn record(&mut self, request: &RecordRequest) -> Result<HistoryRow, DriverError> {
        let row = NewRow::record(request, &self.who);
        let recorded = self
            .insert_row(row)
            .map_err(|e| database("writing the history", &e))?;
        self.remember(&recorded);
        Ok(recorded)
    }
}

/// Without this, a runner killed in the middle of a long statement leaves its backend running
/// that statement to the end (the server only notices the closed socket when it next talks to
/// the client), holding the migration's locks after the runner lock (on its own, idle
/// session) is already released: the next runner then failed with a lock timeout behind a
/// dead process. PostgreSQL 14+ can poll the socket during a query; older servers don't know
/// the setting (`current_setting(.., true)` is NULL there, so nothing is set), and a value the
/// URL already set is kept.
fn check_client_connection(client: &mut Client) -> Result<(), postgres::Error> {
    client.execute(
        "SELECT set_config('client_connection_check_interval', '1000', false) \
         WHERE current_setting('client_connection_check_interval', true) = '0'",
        &[],
    )?;
    Ok(())
}

/// Puts the migration connection back in its state at connect time after a migration ran:
/// user, role and every setting (values given in the URL are the defaults `RESET` returns
/// to). `RESET ALL` also clears the per-migration timeouts.
fn restore_session(client: &mut Client) -> Result<(), postgres::Error> {
    client.batch_execute("RESET SESSION AUTHORIZATION; RESET ROLE; RESET ALL")?;
    check_client_connection(client)
}

/// The advisory lock's session. Dropping it unlocks and closes the session.
struct PgLock {
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
        if let Some(mut session) = self.session.take() {
            // Closing the session would release it too; unlocking first makes the release
            // explicit and immediate even if closing is slow.
            let _ = session.execute("SELECT pg_advisory_unlock($1)", &[&self.key]);
            let _ = session.close();
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

fn lock_holder(session: &mut Client, key: i64) -> Result<Option<LockHolder>, postgres::Error> {
    // A bigint advisory key appears in pg_locks split into classid (high half) and objid
    // (low half), with objsubid = 1. host(): `client_addr::text` printed "127.0.0.1/32".
    let bits = key as u64;
    let high = i64::from((bits >> 32) as u32);
    let low = i64::from(bits as u32);
    let row = session.query_opt(
        "SELECT a.pid, a.application_name, host(a.client_addr), a.usename::text, a.backend_start \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
           AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         LIMIT 1",
        &[&high, &low],
    )?;
    Ok(row.map(|r| LockHolder {
        pid: r.get(0),
        application_name: r.get(1),
        client_addr: r.get(2),
        user: r.get(3),
        since: r.get(4),
    }))
}

fn statement_error(migration: &Migration, index: usize, err: &postgres::Error) -> StatementError {
    let Some(db) = err.as_db_error() else {
        let mut e = StatementError::at(migration, index, None);
        e.message = error_chain(err);
        return e;
    };
    let text = migration.statement_text(index);
    let offset = match db.position() {
        Some(ErrorPosition::Original(position)) => {
            Some(ratchet_sql::char_position_to_byte(text, *position as usize))
        }
        _ => None,
    };
    let mut e = StatementError::at(migration, index, offset);
    e.sqlstate = Some(db.code().code().to_owned());
    e.message = db.message().to_owned();
    e.detail = db.detail().map(str::to_owned);
    e.hint = db.hint().map(str::to_owned);
    e.context = db.where_().map(str::to_owned);
    e
}

fn database(context: &str, err: &postgres::Error) -> DriverError {
    DriverError::Database {
        context: context.to_owned(),
        message: error_chain(err),
        sqlstate: err.code().map(|c| c.code().to_owned()),
    }
}

/// postgres::Error's Display is terse ("error connecting to server"); the cause is in its
/// source chain.
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
