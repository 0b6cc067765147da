//! SQLite end to end: the real `ratchet` binary against a fresh database file per test.

mod common;

use std::collections::BTreeMap;

use common::{Project, Run};
use ratchet_testkit::SqliteDatabase;
use rusqlite::Connection;

struct Setup {
    db: SqliteDatabase,
    project: Project,
}

fn setup() -> Setup {
    let db = SqliteDatabase::new();
    let project = Project::new(db.url());
    Setup { db, project }
}

impl Setup {
    fn run(&self, args: &[&str]) -> Run {
        self.project.run(args)
    }

    fn write(&self, name: &str, body: impl AsRef<[u8]>) {
        self.project.write(name, body);
    }

    fn conn(&self) -> Connection {
        Connection::open(self.db.path()).expect("open the test database")
    }

    fn table_exists(&self, name: &str) -> bool {
        self.conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            > 0
    }

    fn count(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// `(version, outcome)` of every history row, in id order.
    fn history(&self) -> Vec<(i64, String)> {
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT version, outcome FROM ratchet_history ORDER BY id")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// `status --format json` as `(name, state)`.
    fn states(&self) -> Vec<(String, String)> {
        let run = self.run(&["--format", "json", "status"]);
        let json = run.json();
        json["migrations"]
            .as_array()
            .unwrap_or_else(|| panic!("no migrations in {json:#}"))
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_owned(),
                    e["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Replaces the temp paths and the clock in `text`.
    fn filtered(&self, text: &str) -> String {
        let db = self.db.path().display().to_string();
        let project = self.project.path().display().to_string();
        let text = text.replace(&db, "[DB]").replace(&project, "[DIR]");
        let time = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").unwrap();
        let ms = regex::Regex::new(r"\(\d+ ms\)").unwrap();
        let text = time.replace_all(&text, "[TIME]");
        ms.replace_all(&text, "([MS] ms)").into_owned()
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The "BY" column of status: the last column, so replacing it keeps the table aligned.
fn without_by(text: &str) -> String {
    let by = regex::Regex::new(r"(?m)(\[TIME\]  )\S+$").unwrap();
    by.replace_all(text, "${1}[BY]").into_owned()
}

fn three_migrations(s: &Setup) {
    s.write(
        "0001_create_users.sql",
        "create table users (\n  id integer primary key,\n  name text not null\n);\n",
    );
    s.write(
        "0002_add_email.sql",
        "alter table users add column email text;\ncreate unique index users_email on users (email);\n",
    );
    s.write(
        "0003_seed_admin.sql",
        "insert into users (name, email) values ('admin', 'admin@example.invalid');\n",
    );
}

#[test]
fn migrate_status_verify_history() {
    let s = setup();
    three_migrations(&s);

    let status = s.run(&["status"]);
    status.expect_code(0);
    insta::assert_snapshot!("status_pending", s.filtered(&status.stdout));
    assert!(!s.table_exists("ratchet_history"), "status creates nothing");

    let verify = s.run(&["verify"]);
    verify.expect_code(1);
    insta::assert_snapshot!("verify_pending", s.filtered(&verify.stdout));

    let migrate = s.run(&["migrate"]);
    migrate.expect_code(0);
    insta::assert_snapshot!(
        "migrate",
        s.filtered(&format!(
            "--- stdout\n{}--- stderr\n{}",
            migrate.stdout, migrate.stderr
        ))
    );
    assert_eq!(s.count("SELECT count(*) FROM users"), 1);

    let status = s.run(&["status"]);
    status.expect_code(0);
    insta::assert_snapshot!("status_applied", without_by(&s.filtered(&status.stdout)));

    let verify = s.run(&["verify"]);
    verify.expect_code(0);
    insta::assert_snapshot!("verify_ok", s.filtered(&verify.stdout));

    let history = s.run(&["history"]);
    history.expect_code(0);
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", history.stdout);
    assert!(lines[0].starts_with("ID"));
    for (line, name) in
        lines[1..]
            .iter()
            .zip(["0001_create_users", "0002_add_email", "0003_seed_admin"])
    {
        assert!(
            line.contains(name) && line.contains("apply") && line.contains("applied"),
            "{line}"
        );
    }

    // Running again is a no-op.
    let again = s.run(&["migrate"]);
    again.expect_code(0);
    assert!(
        again.stdout.contains("nothing to apply"),
        "{}",
        again.stdout
    );
    assert_eq!(s.history().len(), 3);
}

#[test]
fn a_failing_statement_reports_its_line_and_rolls_back() {
    let s = setup();
    s.write("0001_ok.sql", "create table ok (id integer);\n");
    s.write(
        "0002_broken.sql",
        "create table half (id integer);\ninsert into half values (1);\ninsert into missing_table values (1);\n",
    );
    let run = s.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("migrations/0002_broken.sql:3:"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!("failed_statement", s.filtered(&run.stderr));

    assert!(
        s.table_exists("ok"),
        "the migration before it stays applied"
    );
    assert!(
        !s.table_exists("half"),
        "the table from line 1 was rolled back"
    );
    assert_eq!(
        s.states(),
        pairs(&[("0001_ok", "applied"), ("0002_broken", "pending")])
    );
    assert_eq!(
        s.history(),
        [(1, "applied".to_owned()), (2, "rolled-back".to_owned())]
    );

    // status shows why the last attempt failed; history keeps the error.
    let status = s.run(&["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains("0002_broken.sql:3:") && status.stdout.contains("missing_table"),
        "{}",
        status.stdout
    );
    let history = s.run(&["--format", "json", "history"]);
    let rows = history.json()["history"].as_array().unwrap().clone();
    assert_eq!(rows[1]["outcome"], "rolled-back");
    assert_eq!(rows[1]["success"], false);
    assert!(rows[1]["error"].as_str().unwrap().contains("missing_table"));

    // JSON names the place too.
    let json = s.run(&["--format", "json", "migrate"]);
    json.expect_code(1);
    let doc = json.json();
    assert_eq!(doc["error"]["kind"], "migration-failed");
    assert_eq!(doc["error"]["failure"]["line"], 3);
    assert_eq!(doc["error"]["failure"]["statement"], 3);
    assert_eq!(doc["error"]["failure"]["outcome"], "rolled-back");

    // Fixed, it applies.
    s.write(
        "0002_broken.sql",
        "create table half (id integer);\ninsert into half values (1);\n",
    );
    s.run(&["migrate"]).expect_code(0);
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn trigger_bodies_apply() {
    let s = setup();
    s.write(
        "0001_audit.sql",
        "create table items (id integer primary key, name text);\n\
         create table audit (item_id integer, what text);\n\
         -- the body's semicolons do not end the statement\n\
         create trigger items_insert after insert on items\n\
         begin\n\
           insert into audit values (new.id, 'insert');\n\
           update audit set what = upper(what) where item_id = new.id;\n\
         end;\n\
         create trigger items_delete after delete on items begin insert into audit values (old.id, 'delete'); end;\n\
         insert into items (name) values ('a');\n",
    );
    s.run(&["migrate"]).expect_code(0);
    assert_eq!(
        s.count("SELECT count(*) FROM audit WHERE what = 'INSERT'"),
        1
    );
    s.conn().execute("DELETE FROM items", []).unwrap();
    assert_eq!(
        s.count("SELECT count(*) FROM audit WHERE what = 'delete'"),
        1
    );
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn a_whole_file_transaction_pair_is_replaced_by_the_runners() {
    let s = setup();
    s.write(
        "0001_wrapped.sql",
        "BEGIN;\ncreate table a (id integer);\ncreate table b (id integer);\nCOMMIT;\n",
    );
    s.write(
        "0002_wrapped_broken.sql",
        "BEGIN TRANSACTION;\ncreate table c (id integer);\ninsert into nope values (1);\nCOMMIT;\n",
    );
    s.run(&["migrate"]).expect_code(1);
    assert!(s.table_exists("a") && s.table_exists("b"));
    assert!(
        !s.table_exists("c"),
        "rolled back by the runner's transaction"
    );
    assert_eq!(
        s.states(),
        pairs(&[
            ("0001_wrapped", "applied"),
            ("0002_wrapped_broken", "pending")
        ])
    );
}

#[test]
fn a_crlf_and_bom_copy_still_verifies() {
    let s = setup();
    three_migrations(&s);
    s.run(&["migrate"]).expect_code(0);
    // What a Windows checkout with core.autocrlf and an editor adding a BOM does.
    for entry in std::fs::read_dir(s.project.migrations()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let windows = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        std::fs::write(&path, windows).unwrap();
    }
    let verify = s.run(&["verify"]);
    verify.expect_code(0);
    assert_eq!(
        s.states(),
        pairs(&[
            ("0001_create_users", "applied"),
            ("0002_add_email", "applied"),
            ("0003_seed_admin", "applied"),
        ])
    );
    s.run(&["migrate"]).expect_code(0);
    assert_eq!(s.history().len(), 3, "nothing re-applied");
}

#[test]
fn a_deleted_history_row_is_detected() {
    let s = setup();
    three_migrations(&s);
    s.run(&["migrate"]).expect_code(0);
    s.conn()
        .execute("DELETE FROM ratchet_history WHERE version = 2", [])
        .unwrap();

    let verify = s.run(&["verify"]);
    verify.expect_code(1);
    assert!(
        verify.stdout.contains("does not match the chain"),
        "{}",
        verify.stdout
    );
    insta::assert_snapshot!("verify_tampered", s.filtered(&verify.stdout));

    // Neither does migrate re-run 0002 over a schema that already has it.
    let migrate = s.run(&["migrate"]);
    migrate.expect_code(1);
    assert!(
        migrate.stderr.contains("refusing to migrate"),
        "{}",
        migrate.stderr
    );
    assert_eq!(s.history().len(), 2);

    let json = s.run(&["--format", "json", "verify"]);
    json.expect_code(1);
    let doc = json.json();
    assert_eq!(doc["ok"], false);
    let kinds: Vec<&str> = doc["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"chain-broken"), "{doc:#}");
}

#[test]
fn an_edited_checksum_in_the_history_is_detected() {
    let s = setup();
    three_migrations(&s);
    s.run(&["migrate"]).expect_code(0);
    // Hide an edit of 0001 by pasting the edited file's checksum into the history.
    s.write(
        "0001_create_users.sql",
        "create table if not exists users (\n  id integer primary key,\n  name text not null\n);\n",
    );
    let modified = s.run(&["--format", "json", "status"]);
    modified.expect_code(1);
    let file_checksum = modified.json()["migrations"][0]["checksum"]
        .as_str()
        .unwrap()
        .to_owned();
    s.conn()
        .execute(
            "UPDATE ratchet_history SET checksum = ?1 WHERE version = 1",
            [&file_checksum],
        )
        .unwrap();
    let verify = s.run(&["verify"]);
    verify.expect_code(1);
    assert!(
        verify.stdout.contains("does not match the chain"),
        "{}",
        verify.stdout
    );
}

#[test]
fn a_modified_file_blocks_until_its_checksum_is_accepted() {
    let s = setup();
    three_migrations(&s);
    s.run(&["migrate"]).expect_code(0);
    s.write(
        "0001_create_users.sql",
        "create table if not exists users (\n  id integer primary key,\n  name text not null\n);\n",
    );
    s.write("0004_more.sql", "create table more (id integer);\n");

    let status = s.run(&["status"]);
    status.expect_code(1);
    assert!(status.stdout.contains("modified"), "{}", status.stdout);

    let migrate = s.run(&["migrate"]);
    migrate.expect_code(1);
    insta::assert_snapshot!("migrate_modified", s.filtered(&migrate.stderr));
    assert!(!s.table_exists("more"), "nothing applied while blocked");
    s.run(&["verify"]).expect_code(1);

    // Accepting what is not modified is refused without touching anything.
    let wrong = s.run(&["repair", "--accept-checksum", "2", "--reason", "oops"]);
    wrong.expect_code(2);
    assert!(wrong.stderr.contains("not modified"), "{}", wrong.stderr);
    s.run(&["repair", "--accept-checksum", "1", "--reason", " "])
        .expect_code(2);

    let repair = s.run(&[
        "repair",
        "--accept-checksum",
        "1",
        "--reason",
        "added IF NOT EXISTS on purpose",
    ]);
    repair.expect_code(0);
    s.run(&["migrate"]).expect_code(0);
    assert!(s.table_exists("more"));
    s.run(&["verify"]).expect_code(0);

    let history = s.run(&["--format", "json", "history"]);
    let rows = history.json()["history"].as_array().unwrap().clone();
    let repair_row = rows.iter().find(|r| r["kind"] == "repair").unwrap();
    assert_eq!(repair_row["outcome"], "accepted");
    assert_eq!(repair_row["reason"], "added IF NOT EXISTS on purpose");
}

#[test]
fn a_failed_no_transaction_migration_blocks_until_repaired() {
    let s = setup();
    s.write("0001_first.sql", "create table first (id integer);\n");
    s.write(
        "0002_outside.sql",
        "-- ratchet:no-transaction\ncreate table step_one (id integer);\ninsert into nope values (1);\ncreate table step_three (id integer);\n",
    );
    s.write("0003_after.sql", "create table after (id integer);\n");

    let run = s.run(&["migrate"]);
    run.expect_code(1);
    assert!(run.stderr.contains("statement 2"), "{}", run.stderr);
    assert!(run.stderr.contains("0002_outside.sql:3:"), "{}", run.stderr);
    insta::assert_snapshot!("failed_no_transaction", s.filtered(&run.stderr));

    assert!(
        s.table_exists("step_one"),
        "statement 1 committed on its own"
    );
    assert!(!s.table_exists("step_three"));
    assert!(!s.table_exists("after"), "nothing after the failure ran");
    assert_eq!(
        s.states(),
        pairs(&[
            ("0001_first", "applied"),
            ("0002_outside", "failed"),
            ("0003_after", "pending"),
        ])
    );
    s.run(&["status"]).expect_code(1);

    let refused = s.run(&["migrate"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("repair --failed 0002"),
        "{}",
        refused.stderr
    );
    assert!(!s.table_exists("after"));

    // A human fixes the database and the file, then clears the state.
    s.conn().execute("DROP TABLE step_one", []).unwrap();
    s.write(
        "0002_outside.sql",
        "-- ratchet:no-transaction\ncreate table step_one (id integer);\ncreate table step_three (id integer);\n",
    );
    let repair = s.run(&["repair", "--failed", "2", "--reason", "x"]);
    repair.expect_code(0);
    assert_eq!(
        s.states(),
        pairs(&[
            ("0001_first", "applied"),
            ("0002_outside", "pending"),
            ("0003_after", "pending"),
        ])
    );
    // Clearing twice is refused.
    s.run(&["repair", "--failed", "2", "--reason", "x"])
        .expect_code(2);

    s.run(&["migrate"]).expect_code(0);
    assert!(s.table_exists("step_three") && s.table_exists("after"));
    s.run(&["verify"]).expect_code(0);
    let outcomes: Vec<String> = s.history().into_iter().map(|(_, o)| o).collect();
    assert_eq!(
        outcomes,
        ["applied", "started", "failed", "cleared", "started", "applied", "applied"]
    );
}

#[test]
fn two_concurrent_runners_apply_each_migration_once() {
    let s = setup();
    for v in 1..=10 {
        // Enough work per migration that the two runners overlap.
        s.write(
            &format!("{v:04}_step_{v}.sql"),
            format!(
                "create table t{v} (n integer);\n\
                 with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000)\n\
                 insert into t{v} select x from c;\n"
            ),
        );
    }
    let a = s.project.spawn(&["migrate"]);
    let b = s.project.spawn(&["migrate"]);
    let a = Run::from(a.wait_with_output().unwrap());
    let b = Run::from(b.wait_with_output().unwrap());
    a.expect_code(0);
    b.expect_code(0);

    let conn = s.conn();
    let mut st = conn
        .prepare(
            "SELECT version, count(*) FROM ratchet_history WHERE outcome = 'applied' GROUP BY version",
        )
        .unwrap();
    let applied: BTreeMap<i64, i64> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        applied,
        (1..=10).map(|v| (v, 1)).collect::<BTreeMap<_, _>>(),
        "runner A:\n{}\nrunner B:\n{}",
        a.stderr,
        b.stderr
    );
    for v in 1..=10 {
        assert_eq!(s.count(&format!("SELECT count(*) FROM t{v}")), 20000);
    }
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn json_outputs_parse() {
    let s = setup();
    three_migrations(&s);

    let status = s.run(&["--format", "json", "status"]).json();
    assert_eq!(status["ok"], true);
    assert_eq!(status["pending"], serde_json::json!([1, 2, 3]));

    let dry = s.run(&["--format", "json", "migrate", "--dry-run"]);
    dry.expect_code(0);
    let dry = dry.json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["steps"].as_array().unwrap().len(), 3);
    assert_eq!(
        dry["steps"][1]["statements"],
        serde_json::json!([
            "alter table users add column email text",
            "create unique index users_email on users (email)"
        ])
    );

    let migrate = s.run(&["--format", "json", "migrate"]);
    migrate.expect_code(0);
    let migrate = migrate.json();
    assert_eq!(migrate["ok"], true);
    assert_eq!(migrate["applied"].as_array().unwrap().len(), 3);

    let verify = s.run(&["--format", "json", "verify"]);
    verify.expect_code(0);
    let verify = verify.json();
    assert_eq!(verify["ok"], true);
    assert_eq!(verify["applied"], 3);

    let history = s.run(&["--format", "json", "history"]);
    history.expect_code(0);
    let history = history.json();
    let rows = history["history"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row["kind"], "apply");
        assert_eq!(row["outcome"], "applied");
        assert_eq!(row["checksum_algorithm"], "sha256-lf");
        assert_eq!(row["checksum"].as_str().unwrap().len(), 64);
        assert!(row["chain_hash"].is_string());
    }

    // Progress never leaks into the JSON document.
    let quiet = s.run(&["--format", "json", "migrate"]);
    quiet.expect_code(0);
    let _ = quiet.json();
}

#[test]
fn target_and_dry_run() {
    let s = setup();
    three_migrations(&s);

    let dry = s.run(&["migrate", "--dry-run"]);
    dry.expect_code(0);
    insta::assert_snapshot!("dry_run", s.filtered(&dry.stdout));
    assert!(
        !s.db.path().exists() || !s.table_exists("ratchet_history"),
        "dry-run creates no history table"
    );

    let dry = s.run(&["migrate", "--dry-run", "--target", "2"]);
    dry.expect_code(0);
    assert!(
        dry.stdout.contains("2 migration(s) would be applied"),
        "{}",
        dry.stdout
    );
    assert!(!dry.stdout.contains("0003_seed_admin"), "{}", dry.stdout);

    let run = s.run(&["migrate", "--target", "2"]);
    run.expect_code(0);
    assert_eq!(
        s.states(),
        pairs(&[
            ("0001_create_users", "applied"),
            ("0002_add_email", "applied"),
            ("0003_seed_admin", "pending"),
        ])
    );

    let unknown = s.run(&["migrate", "--target", "99"]);
    unknown.expect_code(2);
    assert!(unknown.stderr.contains("99"), "{}", unknown.stderr);
    assert_eq!(s.history().len(), 2);

    s.run(&["migrate"]).expect_code(0);
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn read_only_commands_do_not_create_the_database_file() {
    // Regression: opening the path created an empty database file, so `--dry-run` touched
    // something and a mistyped path left a stray database behind.
    let s = setup();
    three_migrations(&s);
    for args in [
        &["status"][..],
        &["verify"],
        &["history"],
        &["migrate", "--dry-run"],
    ] {
        s.run(args);
        assert!(!s.db.path().exists(), "ratchet {args:?} created the file");
    }
    s.run(&["repair", "--failed", "1", "--reason", "x"])
        .expect_code(2);
    s.run(&["migrate"]).expect_code(0);
    assert!(s.db.path().is_file());
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn a_no_transaction_failure_inside_its_own_transaction_is_recorded() {
    // Regression: the connection stayed inside the file's BEGIN, so recording the outcome
    // failed ("cannot start a transaction within a transaction") and the attempt looked like a
    // killed process, with the failing statement lost.
    let s = setup();
    s.write(
        "0001_own_tx.sql",
        "-- ratchet:no-transaction\ncreate table before (id integer);\nBEGIN;\n\
         create table inside (id integer);\ninsert into nope values (1);\nCOMMIT;\n",
    );
    let run = s.run(&["migrate"]);
    run.expect_code(1);
    assert!(run.stderr.contains("0001_own_tx.sql:5:"), "{}", run.stderr);
    assert!(run.stderr.contains("statement 4"), "{}", run.stderr);
    assert!(s.table_exists("before"));
    assert!(
        !s.table_exists("inside"),
        "the file's own transaction was rolled back"
    );
    assert_eq!(
        s.history(),
        [(1, "started".to_owned()), (1, "failed".to_owned())]
    );
    let status = s.run(&["--format", "json", "status"]);
    status.expect_code(1);
    assert_eq!(status.json()["migrations"][0]["failed_statement"], 4);
}

#[test]
fn a_no_transaction_file_that_leaves_its_transaction_open_fails() {
    let s = setup();
    s.write(
        "0001_no_commit.sql",
        "-- ratchet:no-transaction\ncreate table before (id integer);\nBEGIN;\n\
         create table inside (id integer);\n",
    );
    let run = s.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("BEGIN without COMMIT"),
        "{}",
        run.stderr
    );
    assert!(!s.table_exists("inside"));
    assert_eq!(s.states(), pairs(&[("0001_no_commit", "failed")]));
}

#[test]
fn a_second_runner_waits_for_a_no_transaction_migration() {
    let s = setup();
    // Many statements, each committed on its own: between them the second runner can read
    // the history and finds the first one's `started` row.
    let mut slow = String::from("-- ratchet:no-transaction\ncreate table big (n integer);\n");
    for _ in 0..40 {
        slow.push_str(
            "with recursive c(x) as (select 1 union all select x + 1 from c where x < 50000)\n\
             insert into big select x from c;\n",
        );
    }
    slow.push_str("create table done (id integer);\n");
    s.write("0001_slow_outside.sql", slow);
    s.write("0002_after.sql", "create table after (id integer);\n");
    let a = s.project.spawn(&["migrate"]);
    std::thread::sleep(std::time::Duration::from_millis(150));
    let b = s.run(&["migrate"]);
    let a = Run::from(a.wait_with_output().unwrap());
    a.expect_code(0);
    b.expect_code(0);
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn a_missing_file_blocks() {
    let s = setup();
    three_migrations(&s);
    s.run(&["migrate"]).expect_code(0);
    std::fs::remove_file(s.project.migrations().join("0002_add_email.sql")).unwrap();
    let status = s.run(&["status"]);
    status.expect_code(1);
    assert!(status.stdout.contains("missing"), "{}", status.stdout);
    s.run(&["verify"]).expect_code(1);
    s.write("0004_next.sql", "create table next (id integer);\n");
    s.run(&["migrate"]).expect_code(1);
    assert!(!s.table_exists("next"));
}

#[test]
fn out_of_order_is_refused_unless_configured() {
    let s = setup();
    s.write("0001_a.sql", "create table a (id integer);\n");
    s.write("0003_c.sql", "create table c (id integer);\n");
    s.run(&["migrate"]).expect_code(0);
    s.write("0002_b.sql", "create table b (id integer);\n");

    let run = s.run(&["migrate"]);
    run.expect_code(1);
    assert!(run.stderr.contains("out of order"), "{}", run.stderr);
    assert!(!s.table_exists("b"));
    assert_eq!(
        s.states()[1],
        ("0002_b".to_owned(), "out-of-order".to_owned())
    );

    std::fs::write(
        s.project.path().join("ratchet.toml"),
        "out_of_order = true\n",
    )
    .unwrap();
    s.run(&["migrate"]).expect_code(0);
    assert!(s.table_exists("b"));
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn an_empty_migration_applies_and_is_recorded() {
    let s = setup();
    s.write("0001_placeholder.sql", "-- intentionally empty\n");
    s.run(&["migrate"]).expect_code(0);
    assert_eq!(s.history(), [(1, "applied".to_owned())]);
    s.run(&["verify"]).expect_code(0);
}

#[test]
fn an_empty_folder_verifies_and_says_so() {
    let s = setup();
    let status = s.run(&["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains("no migrations yet"),
        "{}",
        status.stdout
    );
    s.run(&["migrate"]).expect_code(0);
    s.run(&["verify"]).expect_code(0);
    let history = s.run(&["history"]);
    history.expect_code(0);
    assert!(history.stdout.contains("empty"), "{}", history.stdout);
}

#[test]
fn a_schema_qualified_history_table_on_sqlite_is_a_config_error() {
    let s = setup();
    s.write("0001_a.sql", "create table a (id integer);\n");
    std::fs::write(
        s.project.path().join("ratchet.toml"),
        "history_table = \"ops.ratchet_history\"\n",
    )
    .unwrap();
    let run = s.run(&["migrate"]);
    run.expect_code(2);
    assert!(run.stderr.contains("history_table"), "{}", run.stderr);
    assert!(!run.stderr.contains("CREATE TABLE"), "{}", run.stderr);
}
