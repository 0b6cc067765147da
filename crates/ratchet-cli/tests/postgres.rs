//! The `ratchet` binary against a real PostgreSQL: every test gets a fresh database from
//! `ratchet_testkit::PgDatabase` (a throwaway cluster this test process starts itself) and
//! runs the real binary in a temp project folder.
//!
//! Waiting is always a poll with a deadline, never a fixed sleep, so a test is as fast as
//! the server allows and fails with a message instead of hanging.

mod common;

use std::io::Read;
use std::process::Child;
use std::time::{Duration, Instant};

use common::{Project, Run};
use ratchet_testkit::PgDatabase;
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Helpers

/// Writes `ratchet.toml` in the project folder (read by every later run there).
fn write_config(project: &Project, body: &str) {
    std::fs::write(project.path().join("ratchet.toml"), body).expect("write ratchet.toml");
}

/// Writes another config file in the project folder, for `--config NAME`.
fn write_named_config(project: &Project, name: &str, body: &str) {
    std::fs::write(project.path().join(name), body).expect("write config");
}

/// Polls `condition` until it holds, panicking with `what` after `timeout`.
#[track_caller]
fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a spawned ratchet, reading both pipes on threads so that it can never block on
/// a full pipe. Kills it and panics if it has not exited within `timeout`.
#[track_caller]
fn finish(mut child: Child, timeout: Duration) -> Run {
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
            panic!("ratchet did not exit within {timeout:?}; killed it\n--- stderr\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned(),
    }
}

fn table_exists(client: &mut postgres::Client, name: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .expect("to_regclass")
        .get(0)
}

fn count(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).expect(sql).get(0)
}

/// Whether another session of this database is running a query containing `fragment`.
fn running(client: &mut postgres::Client, fragment: &str) -> bool {
    let pattern = format!("%{fragment}%");
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
               AND state = 'active' AND query LIKE $1",
            &[&pattern],
        )
        .expect("pg_stat_activity")
        .get::<_, i64>(0)
        > 0
}

/// `(version, outcome, success)` of every history row, in id order.
fn history_rows(client: &mut postgres::Client, table: &str) -> Vec<(i64, String, bool)> {
    client
        .query(
            &format!("SELECT version, outcome, success FROM {table} ORDER BY id"),
            &[],
        )
        .expect("read history")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// The line of text `status` printed for `name`.
#[track_caller]
fn status_line<'a>(run: &'a Run, name: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("no status line for {name}:\n{}", run.stdout))
}

/// The state `status --format json` reports for `version`.
#[track_caller]
fn json_state(project: &Project, version: u64) -> String {
    let run = project.run(&["status", "--format", "json"]);
    let doc = run.json();
    doc["migrations"]
        .as_array()
        .expect("migrations array")
        .iter()
        .find(|m| m["version"] == version)
        .unwrap_or_else(|| panic!("version {version} not in status:\n{}", run.stdout))["state"]
        .as_str()
        .expect("state")
        .to_owned()
}

/// A URL on 127.0.0.1 where nothing listens: a port the OS just handed out, then freed.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

// ---------------------------------------------------------------------------------------
// Applying, status, verify, history

#[test]
fn migrate_applies_in_order_and_records_who_and_when() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_users.sql",
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    );
    project.write(
        "0002_posts.sql",
        "CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n",
    );
    project.write(
        "0003_seed.sql",
        "INSERT INTO users VALUES (1);\nINSERT INTO posts VALUES (1, 1);\n",
    );

    let run = project.run(&["migrate"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("0001_users, 0002_posts, 0003_seed"),
        "{run:?}"
    );
    // Progress goes to stderr, in order.
    let a = run.stderr.find("applying 0001_users").expect("progress 1");
    let b = run.stderr.find("applying 0002_posts").expect("progress 2");
    let c = run.stderr.find("applying 0003_seed").expect("progress 3");
    assert!(a < b && b < c, "{}", run.stderr);

    let status = project.run(&["status"]);
    status.expect_code(0);
    let when = regex::Regex::new(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").unwrap();
    for name in ["0001_users", "0002_posts", "0003_seed"] {
        let line = status_line(&status, name);
        assert!(line.contains("applied"), "{line}");
        assert!(when.is_match(line), "no applied-at time: {line}");
        assert!(line.contains("postgres@"), "no applied-by: {line}");
    }
    assert!(status.stdout.contains("3 applied"), "{}", status.stdout);

    project.run(&["verify"]).expect_code(0);

    let history = project.run(&["history", "--format", "json"]);
    history.expect_code(0);
    let doc = history.json();
    assert_eq!(doc["ok"], true);
    let rows = doc["history"].as_array().expect("history array");
    assert_eq!(rows.len(), 3, "{}", history.stdout);
    for (row, version) in rows.iter().zip(1..) {
        assert_eq!(row["version"], version, "{row}");
        assert_eq!(row["success"], true, "{row}");
        assert_eq!(row["outcome"], "applied", "{row}");
        assert_eq!(row["kind"], "apply", "{row}");
        assert!(
            row["chain_hash"].as_str().is_some_and(|h| h.len() == 64),
            "{row}"
        );
        assert!(
            row["tool_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("ratchet ")),
            "{row}"
        );
        assert_eq!(row["db_user"], "postgres", "{row}");
        assert!(
            row["checksum"].as_str().is_some_and(|c| c.len() == 64),
            "{row}"
        );
    }

    let again = project.run(&["migrate"]);
    again.expect_code(0);
    assert!(again.stdout.contains("nothing to apply"), "{again:?}");
    assert_eq!(history_rows(&mut db.connect(), "ratchet_history").len(), 3);
}

#[test]
fn crlf_and_bom_copy_of_an_applied_file_still_verifies() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    let body = "-- users\nCREATE TABLE users (\n    id int\n);\n";
    project.write("0001_users.sql", body);
    project.run(&["migrate"]).expect_code(0);

    let mut windows = b"\xEF\xBB\xBF".to_vec();
    windows.extend_from_slice(body.replace('\n', "\r\n").as_bytes());
    project.write("0001_users.sql", windows);

    project.run(&["verify"]).expect_code(0);
    let status = project.run(&["status"]);
    status.expect_code(0);
    assert!(
        status_line(&status, "0001_users").contains("applied"),
        "{}",
        status.stdout
    );
    let again = project.run(&["migrate"]);
    again.expect_code(0);
    assert!(again.stdout.contains("nothing to apply"), "{again:?}");
}

#[test]
fn failing_statement_is_located_and_rolled_back_completely() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_broken.sql",
        "CREATE TABLE made_by_lines_one_to_three (\n    id int\n);\n\
         INSERT INTO missing_table (id) VALUES (1);\n",
    );

    let run = project.run(&["migrate"]);
    run.expect_code(1);
    // `INSERT INTO ` is 12 characters: the server points at the table name, column 13.
    assert!(
        run.stderr.contains("--> ") && run.stderr.contains("0001_broken.sql:4:13"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("= 42P01: relation \"missing_table\" does not exist"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rolled back"), "{}", run.stderr);
    // The offending line is quoted with a caret under the column.
    assert!(
        run.stderr
            .contains("4 | INSERT INTO missing_table (id) VALUES (1);"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("  | {}^", " ".repeat(12))),
        "{}",
        run.stderr
    );

    let mut client = db.connect();
    assert!(!table_exists(&mut client, "made_by_lines_one_to_three"));
    assert_eq!(
        history_rows(&mut client, "ratchet_history"),
        [(1, "rolled-back".to_owned(), false)]
    );
    let error: Option<String> = client
        .query_one("SELECT error FROM ratchet_history", &[])
        .unwrap()
        .get(0);
    assert!(
        error.as_deref().is_some_and(|e| e.contains("42P01")),
        "{error:?}"
    );

    let status = project.run(&["status"]);
    status.expect_code(0);
    assert!(
        status_line(&status, "0001_broken").contains("pending"),
        "{}",
        status.stdout
    );
    assert_eq!(json_state(&project, 1), "pending");
}

/// The header pg_dump writes: people paste dumps in as a baseline migration.
const PG_DUMP_HEADER: &str = "SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
";

#[test]
fn session_settings_of_a_migration_do_not_leak_into_the_history_or_the_next_migration() {
    let db = PgDatabase::new();
    let mut client = db.connect();
    client
        .batch_execute("CREATE ROLE someone_else; GRANT CREATE ON SCHEMA public TO someone_else")
        .unwrap();
    let project = Project::new(db.url());
    project.write(
        "0001_baseline.sql",
        format!("{PG_DUMP_HEADER}SET ROLE someone_else;\nCREATE TABLE public.base (id int);\n"),
    );
    // Unqualified, so it depends on the search_path; its notice on client_min_messages.
    project.write(
        "0002_next.sql",
        "CREATE TABLE next_one (id int);\n\
         DO $$ BEGIN RAISE NOTICE 'visible from 0002'; END $$;\n",
    );
    project.write(
        "0003_no_tx.sql",
        "-- ratchet:no-transaction\nSELECT pg_catalog.set_config('search_path', '', false);\n\
         CREATE TABLE public.from_no_tx (id int);\n",
    );
    project.write("0004_last.sql", "CREATE TABLE last_one (id int);\n");

    let run = project.run(&["migrate"]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("0002_next: NOTICE: visible from 0002"),
        "{}",
        run.stderr
    );
    for table in [
        "public.base",
        "public.next_one",
        "public.from_no_tx",
        "public.last_one",
    ] {
        assert!(table_exists(&mut client, table), "{table}");
    }
    let owner: String = client
        .query_one(
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'next_one'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(owner, "postgres", "SET ROLE of 0001 leaked into 0002");
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM ratchet_history WHERE outcome = 'applied'"
        ),
        4
    );
    project.run(&["verify"]).expect_code(0);
}

#[test]
fn deferred_constraint_violation_is_reported_and_recorded_like_a_failed_statement() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_deferred.sql",
        "CREATE TABLE parent (id int PRIMARY KEY);\n\
         CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n\
         INSERT INTO child VALUES (1);\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("= 23503: insert or update on table \"child\""),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> "), "{}", run.stderr);
    assert!(run.stderr.contains("deferred"), "{}", run.stderr);
    assert!(run.stderr.contains("rolled back"), "{}", run.stderr);
    assert!(!run.stderr.contains("WARNING"), "{}", run.stderr);

    let mut client = db.connect();
    assert!(!table_exists(&mut client, "parent"));
    assert_eq!(
        history_rows(&mut client, "ratchet_history"),
        [(1, "rolled-back".to_owned(), false)],
        "the attempt is recorded"
    );
    assert_eq!(json_state(&project, 1), "pending");
}

#[test]
fn error_column_in_a_file_with_a_bom_does_not_count_the_bom() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write("0001_bom.sql", b"\xEF\xBB\xBFSELECT * FROM missing;\r\n");
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    // `SELECT * FROM ` is 14 characters: editors put `missing` at column 15.
    assert!(run.stderr.contains("0001_bom.sql:1:15"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{feff}'),
        "the BOM is echoed: {}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Concurrency and the runner lock

#[test]
fn eight_concurrent_runners_apply_each_migration_exactly_once() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    for n in 1..=20 {
        let sleep = if n % 4 == 0 {
            "SELECT pg_sleep(0.05);\n"
        } else {
            ""
        };
        project.write(
            &format!("{n:04}_table_{n}.sql"),
            format!("CREATE TABLE t_{n} (id int);\n{sleep}INSERT INTO t_{n} VALUES ({n});\n"),
        );
    }

    let children: Vec<Child> = (0..8)
        .map(|_| project.spawn(&["--format", "json", "migrate"]))
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| finish(c, Duration::from_secs(120)))
        .collect();
    let mut applied_by_runs = 0;
    for run in &runs {
        run.expect_code(0);
        let doc = run.json();
        assert_eq!(doc["ok"], true, "{}", run.stdout);
        applied_by_runs += doc["applied"].as_array().expect("applied").len();
    }
    assert_eq!(
        applied_by_runs, 20,
        "the runners together applied each once"
    );

    let mut client = db.connect();
    let per_version: Vec<(i64, i64)> = client
        .query(
            "SELECT version, count(*) FROM ratchet_history WHERE outcome = 'applied' \
             GROUP BY version ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected: Vec<(i64, i64)> = (1..=20).map(|v| (v, 1)).collect();
    assert_eq!(per_version, expected);
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM ratchet_history"),
        20
    );
    for n in 1..=20 {
        assert_eq!(
            count(&mut client, &format!("SELECT count(*) FROM t_{n}")),
            1,
            "t_{n}"
        );
    }
    project.run(&["verify"]).expect_code(0);
}

#[test]
fn runner_killed_mid_migration_leaves_nothing_and_the_next_run_succeeds() {
    let db = PgDatabase::new();
    let mut client = db.connect();
    // The test controls how long the migration sleeps: long for the run it kills, zero for
    // the run after it.
    client
        .batch_execute(
            "CREATE TABLE sleep_control (seconds float8); INSERT INTO sleep_control VALUES (30)",
        )
        .unwrap();
    let project = Project::new(db.url());
    write_config(&project, "lock_wait = \"20s\"\n");
    project.write(
        "0001_slow.sql",
        "CREATE TABLE killed_mid_way (id int);\nSELECT pg_sleep(seconds) FROM sleep_control;\n",
    );

    let mut child = project.spawn(&["migrate"]);
    wait_until(
        "the migration's pg_sleep to run",
        Duration::from_secs(30),
        || running(&mut client, "pg_sleep(seconds)"),
    );
    child.kill().expect("SIGKILL ratchet");
    child.wait().expect("reap ratchet");

    // The server notices the dead runner: its advisory lock goes away by itself.
    wait_until(
        "the dead runner's advisory lock to be released",
        Duration::from_secs(10),
        || {
            count(
                &mut client,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
            ) == 0
        },
    );
    // ... and stops the statement the dead runner left running, which would otherwise hold
    // the migration's locks (here: on the new table's name) for the rest of its 30 s.
    wait_until(
        "the dead runner's statement to be cancelled",
        Duration::from_secs(10),
        || !running(&mut client, "pg_sleep(seconds)"),
    );

    assert!(!table_exists(&mut client, "killed_mid_way"));
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM ratchet_history WHERE outcome = 'applied'"
        ),
        0
    );
    client
        .batch_execute("UPDATE sleep_control SET seconds = 0")
        .unwrap();

    let started = Instant::now();
    let run = finish(project.spawn(&["migrate"]), Duration::from_secs(40));
    run.expect_code(0);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the next run took {:?}",
        started.elapsed()
    );
    assert!(run.stdout.contains("0001_slow"), "{run:?}");
    assert!(table_exists(&mut client, "killed_mid_way"));
    assert_eq!(
        history_rows(&mut client, "ratchet_history"),
        [(1, "applied".to_owned(), true)]
    );
    project.run(&["verify"]).expect_code(0);
}

#[test]
fn lock_timeout_directive_stops_a_blocked_alter_instead_of_hanging() {
    let db = PgDatabase::new();
    let mut setup = db.connect();
    setup.batch_execute("CREATE TABLE busy (id int)").unwrap();
    let mut holder = db.connect();
    holder
        .batch_execute("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
        .unwrap();

    let project = Project::new(db.url());
    project.write(
        "0001_alter_busy.sql",
        "-- ratchet:lock-timeout 1s\nALTER TABLE busy ADD COLUMN x int;\n",
    );
    let started = Instant::now();
    let run = finish(project.spawn(&["migrate"]), Duration::from_secs(60));
    let elapsed = started.elapsed();
    run.expect_code(1);
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
    assert!(run.stderr.contains("55P03"), "{}", run.stderr);
    assert!(
        run.stderr.contains("0001_alter_busy.sql:2:"),
        "{}",
        run.stderr
    );

    // Once the other session lets go, the same migration goes through.
    holder.batch_execute("ROLLBACK").unwrap();
    project.run(&["migrate"]).expect_code(0);
    assert_eq!(
        count(
            &mut setup,
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_name = 'busy' AND column_name = 'x'"
        ),
        1
    );
}

#[test]
fn second_runner_gives_up_after_lock_wait_naming_the_holder_or_waits_and_finds_nothing() {
    let db = PgDatabase::new();
    let mut client = db.connect();
    let project = Project::new(db.url());
    write_named_config(&project, "short.toml", "lock_wait = \"1s\"\n");
    write_named_config(&project, "long.toml", "lock_wait = \"60s\"\n");
    project.write("0001_slow.sql", "SELECT pg_sleep(5);\n");

    let first = project.spawn(&["migrate"]);
    wait_until(
        "the first runner to hold the lock and sleep",
        Duration::from_secs(30),
        || running(&mut client, "pg_sleep(5)"),
    );

    let started = Instant::now();
    let impatient = project.run(&["--config", "short.toml", "migrate"]);
    impatient.expect_code(3);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(impatient.stderr.contains("pid "), "{}", impatient.stderr);
    assert!(
        impatient.stderr.contains("application_name ratchet"),
        "{}",
        impatient.stderr
    );
    assert!(impatient.stderr.contains("lock"), "{}", impatient.stderr);
    assert!(
        impatient.stderr.contains("client 127.0.0.1,"),
        "the holder's address, without a netmask: {}",
        impatient.stderr
    );

    let json = project.run(&["--config", "short.toml", "--format", "json", "migrate"]);
    json.expect_code(3);
    let doc = json.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["kind"], "lock-timeout", "{}", json.stdout);

    // A patient runner waits for the first to finish, then finds nothing left to do.
    let patient = project.spawn(&["--config", "long.toml", "migrate"]);
    let first = finish(first, Duration::from_secs(60));
    first.expect_code(0);
    assert!(first.stdout.contains("0001_slow"), "{first:?}");
    let patient = finish(patient, Duration::from_secs(60));
    patient.expect_code(0);
    assert!(
        patient.stderr.contains("waiting up to"),
        "the patient runner should have waited: {patient:?}"
    );
    assert!(patient.stdout.contains("nothing to apply"), "{patient:?}");
    assert_eq!(
        history_rows(&mut client, "ratchet_history"),
        [(1, "applied".to_owned(), true)]
    );
}

#[test]
fn waiting_runner_does_not_hold_up_create_index_concurrently_of_the_lock_holder() {
    // CREATE INDEX CONCURRENTLY waits for every transaction of the database that holds an
    // older snapshot. A runner waiting for the lock must not be one of them, or the holder's
    // index build would wait for the waiter, which waits for the holder.
    let db = PgDatabase::new();
    let mut client = db.connect();
    let project = Project::new(db.url());
    write_named_config(&project, "waiter.toml", "lock_wait = \"20s\"\n");
    project.write(
        "0001_items.sql",
        "CREATE TABLE items (id int);\nSELECT pg_sleep(1.5);\n",
    );
    project.write(
        "0002_items_idx.sql",
        "-- ratchet:no-transaction\nCREATE INDEX CONCURRENTLY items_id_idx ON items (id);\n",
    );

    let started = Instant::now();
    let holder = project.spawn(&["migrate"]);
    wait_until(
        "the first runner to sleep in 0001",
        Duration::from_secs(30),
        || running(&mut client, "pg_sleep(1.5)"),
    );
    let waiter = project.spawn(&["--config", "waiter.toml", "migrate"]);
    // Two sessions each (migration and lock): the waiter has opened its lock session.
    wait_until(
        "the second runner to wait for the lock",
        Duration::from_secs(30),
        || {
            count(
                &mut client,
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = 'ratchet'",
            ) >= 4
        },
    );

    let holder = finish(holder, Duration::from_secs(60));
    let holder_took = started.elapsed();
    holder.expect_code(0);
    assert!(
        holder_took < Duration::from_secs(10),
        "the index build waited for the waiting runner: {holder_took:?}"
    );
    let waiter = finish(waiter, Duration::from_secs(60));
    waiter.expect_code(0);
    assert!(waiter.stderr.contains("waiting up to"), "{waiter:?}");
    assert!(waiter.stdout.contains("nothing to apply"), "{waiter:?}");
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_id_idx'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
}

// ---------------------------------------------------------------------------------------
// Server messages and connection errors

#[test]
fn raise_notice_reaches_stderr_prefixed_with_the_migration() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_notice.sql",
        "DO $$\nBEGIN\n    RAISE NOTICE 'hello from 0001';\nEND\n$$;\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("0001_notice: NOTICE: hello from 0001"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("hello from 0001"), "{}", run.stdout);
}

#[test]
fn unreachable_database_exits_3_without_printing_the_password() {
    let port = closed_port();
    for url in [
        format!("postgres://app:s3cretpw@127.0.0.1:{port}/db"),
        format!("postgresql://app@127.0.0.1:{port}/db?password=s3cretpw"),
    ] {
        let project = Project::new(url.clone());
        project.write("0001_x.sql", "SELECT 1;\n");
        for args in [
            &["migrate"][..],
            &["status"][..],
            &["--format", "json", "migrate"][..],
            &["--format", "json", "verify"][..],
        ] {
            let run = project.run(args);
            run.expect_code(3);
            let all = format!("{}{}", run.stdout, run.stderr);
            assert!(!all.contains("s3cretpw"), "{url} {args:?} leaked:\n{all}");
            assert!(all.contains("***"), "{url} {args:?}:\n{all}");
            if args.contains(&"json") {
                let doc = run.json();
                assert_eq!(doc["ok"], false);
                assert_eq!(doc["exit_code"], 3);
                assert_eq!(doc["error"]["kind"], "connect", "{}", run.stdout);
            } else {
                assert!(run.stdout.is_empty(), "{run:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Transactions: no-transaction files, CONCURRENTLY, BEGIN/COMMIT in files

#[test]
fn create_index_concurrently_applies_in_a_no_transaction_file() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_items.sql",
        "CREATE TABLE items (id int, name text);\nINSERT INTO items VALUES (1, 'a'), (2, 'b');\n",
    );
    project.write(
        "0002_items_name_idx.sql",
        "-- ratchet:no-transaction\nCREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(0);
    assert!(run.stderr.contains("(no transaction)"), "{}", run.stderr);

    let mut client = db.connect();
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
    // A no-transaction migration writes a `started` row first, then its outcome.
    assert_eq!(
        history_rows(&mut client, "ratchet_history"),
        [
            (1, "applied".to_owned(), true),
            (2, "started".to_owned(), false),
            (2, "applied".to_owned(), true),
        ]
    );
    project.run(&["verify"]).expect_code(0);
}

#[test]
fn create_index_concurrently_in_a_transactional_file_fails_with_25001_and_help() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_items.sql",
        "CREATE TABLE items (id int, name text);\n",
    );
    project.write(
        "0002_items_name_idx.sql",
        "CREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(run.stderr.contains("25001"), "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("help") && l.contains("ratchet:no-transaction")),
        "{}",
        run.stderr
    );
    // The migration before it stays applied, and the run says so.
    assert!(run.stderr.contains("0001_items"), "{}", run.stderr);
    let mut client = db.connect();
    assert!(!table_exists(&mut client, "items_name_idx"));
    assert_eq!(json_state(&project, 1), "applied");
    assert_eq!(json_state(&project, 2), "pending");
}

#[test]
fn failed_no_transaction_migration_blocks_until_repaired() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_accounts.sql",
        "CREATE TABLE accounts (id int, email text);\n\
         INSERT INTO accounts VALUES (1, 'a@example.com'), (2, 'a@example.com');\n",
    );
    project.write(
        "0002_accounts_indexes.sql",
        "-- ratchet:no-transaction\n\
         CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_id_idx ON accounts (id);\n\
         CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);\n",
    );

    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(run.stderr.contains("23505"), "{}", run.stderr);
    assert!(
        run.stderr.contains("0002_accounts_indexes.sql:3:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("INVALID index public.accounts_email_key"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("repair --failed 0002"),
        "{}",
        run.stderr
    );

    let status = project.run(&["status"]);
    status.expect_code(1);
    assert!(
        status_line(&status, "0002_accounts_indexes").contains("failed"),
        "{}",
        status.stdout
    );
    assert_eq!(json_state(&project, 2), "failed");
    project.run(&["verify"]).expect_code(1);

    let refused = project.run(&["migrate"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("repair --failed"),
        "{}",
        refused.stderr
    );

    // A human cleans up, records it, and fixes the data.
    let mut client = db.connect();
    client
        .batch_execute("DROP INDEX accounts_email_key")
        .unwrap();
    let repaired = project.run(&[
        "repair",
        "--failed",
        "2",
        "--reason",
        "dropped invalid index",
    ]);
    repaired.expect_code(0);
    client
        .batch_execute("DELETE FROM accounts WHERE id = 2")
        .unwrap();

    project.run(&["migrate"]).expect_code(0);
    project.run(&["verify"]).expect_code(0);
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email_key'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);

    let repair_rows: Vec<(String, String, Option<String>)> = client
        .query(
            "SELECT kind, outcome, reason FROM ratchet_history WHERE version = 2 AND kind = 'repair'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        repair_rows,
        [(
            "repair".to_owned(),
            "cleared".to_owned(),
            Some("dropped invalid index".to_owned())
        )]
    );
    let history = project.run(&["history"]);
    history.expect_code(0);
    assert!(
        history.stdout.contains("reason: dropped invalid index"),
        "{}",
        history.stdout
    );
}

#[test]
fn file_wrapped_in_begin_commit_applies() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_wrapped.sql",
        "BEGIN;\nCREATE TABLE wrapped (id int);\nINSERT INTO wrapped VALUES (1);\nCOMMIT;\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(0);
    // No "there is already a transaction in progress" warning either.
    assert!(!run.stderr.contains("WARNING"), "{}", run.stderr);
    let mut client = db.connect();
    assert_eq!(count(&mut client, "SELECT count(*) FROM wrapped"), 1);
    project.run(&["verify"]).expect_code(0);
}

#[test]
fn commit_in_the_middle_of_a_transactional_file_is_rejected_before_connecting() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_split.sql",
        "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(2);
    assert!(run.stderr.contains("0001_split.sql:2"), "{}", run.stderr);
    assert!(run.stderr.contains("COMMIT"), "{}", run.stderr);
    let mut client = db.connect();
    assert!(!table_exists(&mut client, "a"));
    assert!(!table_exists(&mut client, "ratchet_history"));

    // Not even a connection: an unreachable database gives the same exit 2.
    let offline = Project::new(format!("postgres://app@127.0.0.1:{}/db", closed_port()));
    offline.write(
        "0001_split.sql",
        "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
    );
    offline.run(&["migrate"]).expect_code(2);
}

#[test]
fn statement_timeout_directive_cancels_a_long_statement_with_57014() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_slow.sql",
        "-- ratchet:statement-timeout 1s\nCREATE TABLE st (id int);\nSELECT pg_sleep(5);\n",
    );
    let started = Instant::now();
    let run = finish(project.spawn(&["migrate"]), Duration::from_secs(30));
    let elapsed = started.elapsed();
    run.expect_code(1);
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    assert!(run.stderr.contains("57014"), "{}", run.stderr);
    assert!(run.stderr.contains("0001_slow.sql:3:"), "{}", run.stderr);
    let mut client = db.connect();
    assert!(!table_exists(&mut client, "st"));
}

// ---------------------------------------------------------------------------------------
// Tampering and drift

fn three_applied(db: &PgDatabase) -> Project {
    let project = Project::new(db.url());
    project.write("0001_a.sql", "CREATE TABLE a (id int);\n");
    project.write("0002_b.sql", "CREATE TABLE b (id int);\n");
    project.write("0003_c.sql", "CREATE TABLE c (id int);\n");
    project.run(&["migrate"]).expect_code(0);
    project.run(&["verify"]).expect_code(0);
    project
}

#[test]
fn deleted_history_row_breaks_the_chain_and_fails_verify() {
    let db = PgDatabase::new();
    let project = three_applied(&db);
    db.connect()
        .batch_execute("DELETE FROM ratchet_history WHERE version = 2")
        .unwrap();
    let run = project.run(&["verify"]);
    run.expect_code(1);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("chain"), "{all}");
    assert!(all.contains("altered or deleted"), "{all}");

    let json = project.run(&["--format", "json", "verify"]);
    json.expect_code(1);
    let doc = json.json();
    assert_eq!(doc["ok"], false);
    let kinds: Vec<&str> = doc["blockers"]
        .as_array()
        .expect("blockers")
        .iter()
        .filter_map(|b| b["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"chain-broken"), "{}", json.stdout);
    project.run(&["migrate"]).expect_code(1);
}

#[test]
fn rewritten_checksum_in_history_is_detected() {
    let db = PgDatabase::new();
    let project = three_applied(&db);
    db.connect()
        .batch_execute("UPDATE ratchet_history SET checksum = 'x' WHERE version = 1")
        .unwrap();
    let run = project.run(&["verify"]);
    run.expect_code(1);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("altered or deleted"), "{all}");
    assert!(all.contains("0001_a"), "{all}");
    project.run(&["migrate"]).expect_code(1);
}

#[test]
fn history_table_changed_by_hand_is_reported_naming_the_column() {
    let db = PgDatabase::new();
    let project = three_applied(&db);
    let mut client = db.connect();
    client
        .batch_execute(
            "ALTER TABLE ratchet_history ALTER COLUMN checksum TYPE bytea \
             USING convert_to(checksum, 'UTF8')",
        )
        .unwrap();
    for command in ["verify", "status", "history"] {
        let run = project.run(&[command]);
        run.expect_code(1);
        assert!(
            run.stderr.contains("column checksum is of type bytea"),
            "{command}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{command}: {}",
            run.stderr
        );
    }
    client
        .batch_execute(
            "ALTER TABLE ratchet_history ALTER COLUMN checksum TYPE text \
             USING convert_from(checksum, 'UTF8'); \
             ALTER TABLE ratchet_history ALTER COLUMN tool_version DROP NOT NULL; \
             UPDATE ratchet_history SET tool_version = NULL WHERE version = 2",
        )
        .unwrap();
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("column tool_version holds NULL"),
        "{}",
        run.stderr
    );
}

#[test]
fn edited_applied_file_blocks_until_its_checksum_is_accepted() {
    let db = PgDatabase::new();
    let project = three_applied(&db);
    project.write("0001_a.sql", "CREATE TABLE IF NOT EXISTS a (id int);\n");

    let status = project.run(&["status"]);
    status.expect_code(1);
    assert!(
        status_line(&status, "0001_a").contains("modified"),
        "{}",
        status.stdout
    );
    assert_eq!(json_state(&project, 1), "modified");

    let refused = project.run(&["migrate"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("0001_a"), "{}", refused.stderr);
    // The suggested command is printed with the file's zero-padded version; it works as is.
    assert!(
        refused.stderr.contains("repair --accept-checksum 0001"),
        "{}",
        refused.stderr
    );
    project.run(&["verify"]).expect_code(1);

    project
        .run(&[
            "repair",
            "--accept-checksum",
            "0001",
            "--reason",
            "IF NOT EXISTS is harmless",
        ])
        .expect_code(0);
    project.run(&["verify"]).expect_code(0);
    assert_eq!(json_state(&project, 1), "applied");
    let mut client = db.connect();
    let reason: Option<String> = client
        .query_one(
            "SELECT reason FROM ratchet_history WHERE outcome = 'accepted'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(reason.as_deref(), Some("IF NOT EXISTS is harmless"));
}

#[test]
fn deleted_applied_file_is_missing_and_fails_verify() {
    let db = PgDatabase::new();
    let project = three_applied(&db);
    std::fs::remove_file(project.migrations().join("0002_b.sql")).unwrap();
    let status = project.run(&["status"]);
    status.expect_code(1);
    assert!(
        status_line(&status, "0002_b").contains("missing"),
        "{}",
        status.stdout
    );
    assert_eq!(json_state(&project, 2), "missing");
    let verify = project.run(&["verify"]);
    verify.expect_code(1);
    assert!(verify.stdout.contains("0002_b"), "{verify:?}");
    project.run(&["migrate"]).expect_code(1);
}

#[test]
fn out_of_order_file_is_refused_unless_configured() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write("0001_a.sql", "CREATE TABLE a (id int);\n");
    project.write("0003_c.sql", "CREATE TABLE c (id int);\n");
    project.run(&["migrate"]).expect_code(0);
    project.write("0002_b.sql", "CREATE TABLE b (id int);\n");

    let status = project.run(&["status"]);
    status.expect_code(1);
    assert!(
        status_line(&status, "0002_b").contains("out-of-order"),
        "{}",
        status.stdout
    );
    assert_eq!(json_state(&project, 2), "out-of-order");

    let refused = project.run(&["migrate"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("0002_b"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("out of order"),
        "{}",
        refused.stderr
    );
    let mut client = db.connect();
    assert!(!table_exists(&mut client, "b"));

    write_config(&project, "out_of_order = true\n");
    let run = project.run(&["migrate"]);
    run.expect_code(0);
    assert!(run.stdout.contains("0002_b"), "{run:?}");
    assert!(table_exists(&mut client, "b"));
    project.run(&["verify"]).expect_code(0);
}

// ---------------------------------------------------------------------------------------
// Target, dry run, configuration, JSON

#[test]
fn target_applies_only_up_to_the_version_and_dry_run_touches_nothing() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write("0001_a.sql", "CREATE TABLE a (id int);\n");
    project.write("0002_b.sql", "CREATE TABLE b (id int);\n");
    project.write("0003_c.sql", "CREATE TABLE c (id int);\n");

    let dry = project.run(&["migrate", "--dry-run"]);
    dry.expect_code(0);
    for sql in [
        "CREATE TABLE a (id int);",
        "CREATE TABLE b (id int);",
        "CREATE TABLE c (id int);",
    ] {
        assert!(dry.stdout.contains(sql), "{}", dry.stdout);
    }
    let mut client = db.connect();
    let history: Option<String> = client
        .query_one("SELECT to_regclass('ratchet_history')::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(history, None, "dry run created the history table");
    assert!(!table_exists(&mut client, "a"));

    let dry_json = project.run(&["--format", "json", "migrate", "--dry-run", "--target", "2"]);
    dry_json.expect_code(0);
    let doc = dry_json.json();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(
        doc["steps"].as_array().map(Vec::len),
        Some(2),
        "{}",
        dry_json.stdout
    );
    assert!(!table_exists(&mut client, "ratchet_history"));

    let run = project.run(&["migrate", "--target", "2"]);
    run.expect_code(0);
    assert!(table_exists(&mut client, "a"));
    assert!(table_exists(&mut client, "b"));
    assert!(!table_exists(&mut client, "c"));
    assert_eq!(json_state(&project, 3), "pending");
    project.run(&["verify"]).expect_code(1);

    project.run(&["migrate", "--target", "9"]).expect_code(2);
    project.run(&["migrate"]).expect_code(0);
    assert!(table_exists(&mut client, "c"));
}

#[test]
fn schema_qualified_history_table_is_created_and_used() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    write_config(&project, "history_table = \"ops.ratchet_history\"\n");
    project.write("0001_a.sql", "CREATE TABLE a (id int);\n");
    project.write("0002_b.sql", "CREATE TABLE b (id int);\n");
    project.run(&["migrate"]).expect_code(0);

    let mut client = db.connect();
    assert!(table_exists(&mut client, "ops.ratchet_history"));
    assert!(!table_exists(&mut client, "public.ratchet_history"));
    assert_eq!(
        history_rows(&mut client, "ops.ratchet_history"),
        [
            (1, "applied".to_owned(), true),
            (2, "applied".to_owned(), true)
        ]
    );
    project.run(&["verify"]).expect_code(0);
    let again = project.run(&["migrate"]);
    again.expect_code(0);
    assert!(again.stdout.contains("nothing to apply"), "{again:?}");
}

#[test]
fn json_format_gives_one_document_per_command() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write("0001_a.sql", "CREATE TABLE a (id int);\n");

    let status = project.run(&["--format", "json", "status"]);
    status.expect_code(0);
    let doc = status.json();
    assert_eq!(doc["ok"], true, "{}", status.stdout);
    assert_eq!(doc["pending"], serde_json::json!([1]), "{}", status.stdout);

    let migrate = project.run(&["--format", "json", "migrate"]);
    migrate.expect_code(0);
    let doc = migrate.json();
    assert_eq!(doc["ok"], true, "{}", migrate.stdout);
    assert_eq!(doc["applied"][0]["name"], "0001_a", "{}", migrate.stdout);

    let verify = project.run(&["--format", "json", "verify"]);
    verify.expect_code(0);
    let doc = verify.json();
    assert_eq!(doc["ok"], true, "{}", verify.stdout);
    assert_eq!(doc["applied"], 1);

    let history = project.run(&["--format", "json", "history"]);
    history.expect_code(0);
    let doc = history.json();
    assert_eq!(doc["ok"], true, "{}", history.stdout);
    assert_eq!(doc["history"].as_array().map(Vec::len), Some(1));

    // A failure is one document too, with "ok": false.
    project.write("0002_bad.sql", "SELECT * FROM nowhere;\n");
    let failed = project.run(&["--format", "json", "migrate"]);
    failed.expect_code(1);
    let doc = failed.json();
    assert_eq!(doc["ok"], false, "{}", failed.stdout);
    assert_eq!(doc["error"]["kind"], "migration-failed");
    assert_eq!(doc["error"]["failure"]["sqlstate"], "42P01");
    assert_eq!(doc["error"]["failure"]["line"], 1);
    assert_eq!(doc["error"]["failure"]["column"], 15);
    // Every document parses on its own: nothing else was printed on stdout.
    for run in [&status, &migrate, &verify, &history, &failed] {
        assert!(serde_json::from_str::<Value>(&run.stdout).is_ok());
    }
}

/// `lint --pending` reads the history and lints only what the database has not applied: an
/// old migration that was fine to run once (a DROP TABLE) no longer drowns the signal, and an
/// applied migration still tells `undeclared-dependency` what it created.
#[test]
fn lint_pending_lints_only_migrations_the_database_has_not_applied() {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_create_accounts.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY);\nDROP TABLE IF EXISTS legacy_sessions;\n",
    );
    project.run(&["migrate"]).expect_code(0);
    project.write(
        "0002_index_accounts.sql",
        "CREATE INDEX accounts_id_idx ON accounts (id);\n",
    );

    let all = project.run(&["--format", "json", "lint"]);
    let rules = |run: &Run| -> Vec<(String, String)> {
        run.json()["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| {
                let file = d["file"].as_str().expect("file");
                let name = file.rsplit('/').next().expect("name").to_owned();
                (name, d["rule"].as_str().expect("rule").to_owned())
            })
            .collect()
    };
    assert!(
        rules(&all)
            .iter()
            .any(|(f, r)| f == "0001_create_accounts.sql" && r == "ban-drop-table"),
        "{}",
        all.stdout
    );

    let pending = project.run(&["--format", "json", "lint", "--pending"]);
    let found = rules(&pending);
    assert!(
        found.iter().all(|(f, _)| f == "0002_index_accounts.sql"),
        "only the pending file is reported: {found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(_, r)| r == "require-concurrent-index-creation"),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, r)| r == "undeclared-dependency"),
        "accounts was created by the applied 0001: {found:?}"
    );
    assert!(
        pending
            .stderr
            .contains("1 migration(s) skipped: already applied"),
        "{}",
        pending.stderr
    );

    // The database is needed for --pending, and its absence is exit 3 like everywhere else.
    let unreachable = Project::new(format!(
        "postgres://nobody:secret@127.0.0.1:{}/none",
        closed_port()
    ));
    unreachable.write("0001_a.sql", "SELECT 1;\n");
    let run = unreachable.run(&["lint", "--pending"]);
    run.expect_code(3);
    assert!(!run.stderr.contains("secret"), "{}", run.stderr);
}

/// A wrong password is a connection failure (exit 3) that says authentication failed, and
/// neither the wrong password nor the right one is ever printed.
#[test]
fn wrong_password_exits_3_saying_authentication_failed_without_printing_it() {
    let db = PgDatabase::new();
    let mut url = url::Url::parse(&db.url()).expect("test URL");
    if url.password().is_none() {
        eprintln!(
            "skipped: the test server ({}) takes no password",
            url.host_str().unwrap_or("?")
        );
        return;
    }
    url.set_password(Some("wr0ng-pa55word"))
        .expect("set password");
    let project = Project::new(url.as_str());
    project.write("0001_a.sql", "SELECT 1;\n");
    for args in [
        &["status"][..],
        &["--format", "json", "verify"][..],
        &["migrate"][..],
    ] {
        let run = project.run(args);
        run.expect_code(3);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            all.contains("password authentication failed"),
            "{args:?}: {all}"
        );
        assert!(!all.contains("wr0ng-pa55word"), "{args:?}: {all}");
        assert!(
            all.contains("***"),
            "the URL is shown with its password hidden: {all}"
        );
    }
}
