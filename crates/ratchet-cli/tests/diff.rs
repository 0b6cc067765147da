//! `ratchet diff` against real databases: drift made by hand, a declarative schema whose
//! tables no migration creates (or one migration creates and another drops), expectations,
//! and the throwaway scratch cluster that must be gone afterwards, even when the replay fails.

mod common;

use std::path::PathBuf;

use common::{Project, Run};
use ratchet_testkit::{PgDatabase, SqliteDatabase};

fn pg_project() -> (PgDatabase, Project) {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    (db, project)
}

/// The folder of the audit_log incident: 0001 creates it, 0002 drops it.
fn audit_log_history(project: &Project) {
    project.write(
        "0001_core.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\
         CREATE TABLE audit_log (id bigint, at timestamptz DEFAULT now());\n",
    );
    project.write(
        "0002_cleanup.sql",
        "DROP TABLE audit_log;\nCREATE INDEX users_email ON users (email);\n",
    );
}

/// The throwaway cluster's folder, as `diff` announces it on stderr.
fn scratch_dir(run: &Run) -> PathBuf {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("scratch database: a throwaway PostgreSQL cluster in "))
        .unwrap_or_else(|| panic!("no scratch cluster announced:\n{}", run.stderr));
    let rest = line.trim_start_matches("scratch database: a throwaway PostgreSQL cluster in ");
    PathBuf::from(rest.split(" (started").next().expect("path"))
}

/// Waits briefly for the cluster's removal (it is synchronous, but a server process may take
/// a moment to exit), then checks nothing of it remains.
#[track_caller]
fn assert_removed(dir: &std::path::Path) {
    for _ in 0..100 {
        let running = std::process::Command::new("pgrep")
            .args(["-f", &dir.display().to_string()])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !dir.exists() && !running {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the scratch cluster {} was not removed", dir.display());
}

/// Drift: a column added by hand after `migrate`. `ratchet diff` (replay vs live) names the
/// table and the column, says no migration creates it, and exits 1. The ephemeral cluster
/// it used is gone afterwards.
#[test]
fn a_column_added_by_hand_is_reported_by_diff() {
    let (db, project) = pg_project();
    audit_log_history(&project);
    project.run(&["migrate"]).expect_code(0);

    let clean = project.run(&["diff"]);
    clean.expect_code(0);
    assert_eq!(clean.stdout, "no differences\n");
    assert_removed(&scratch_dir(&clean));

    // By hand, with psql, as the incident happened.
    let psql = ratchet_testkit::pg_bin_dir()
        .map(|dir| dir.join("psql"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| "psql".into());
    let status = std::process::Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url()])
        .args(["-c", "ALTER TABLE users ADD COLUMN nickname text"])
        .status()
        .expect("run psql");
    assert!(status.success(), "psql failed");
    let run = project.run(&["diff"]);
    run.expect_code(1);
    assert_eq!(
        run.stdout,
        "table public.users\n\
         \x20 + column nickname text (only in live)\n\
         1 difference: 0 only in replay, 1 only in live, 0 changed\n\
         note: live has column public.users.nickname, but no migration creates it\n"
    );
    assert_removed(&scratch_dir(&run));

    let json = project.run(&["--format", "json", "diff"]);
    json.expect_code(1);
    let doc = json.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["left"], "replay");
    assert_eq!(doc["right"], "live");
    assert_eq!(doc["changes"][0]["change"], "extra");
    assert_eq!(doc["changes"][0]["object"]["table"], "public.users");
    assert_eq!(doc["changes"][0]["object"]["column"]["name"], "nickname");
    assert_eq!(doc["orphans"][0]["name"], "public.users.nickname");
}

/// `diff live live`, `diff replay replay`: identical sources, nothing to report.
#[test]
fn identical_sources_have_no_differences() {
    let (_db, project) = pg_project();
    audit_log_history(&project);
    project.run(&["migrate"]).expect_code(0);
    for args in [
        &["diff", "live", "live"][..],
        &["diff", "replay", "replay"][..],
    ] {
        let run = project.run(args);
        run.expect_code(0);
        assert_eq!(run.stdout, "no differences\n", "{args:?}");
    }
}

/// A declarative schema (what the ORM models declare) against the replay: tables and columns
/// no migration creates, and a table one migration created and a later one dropped, named
/// with both migrations.
#[test]
fn schema_sql_against_replay_names_orphans_and_both_migrations() {
    let (_db, project) = pg_project();
    audit_log_history(&project);
    std::fs::write(
        project.path().join("schema.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, user_id integer);\n\
         CREATE INDEX users_email ON users (email);\n\
         CREATE TABLE audit_log (id bigint, at timestamptz DEFAULT now());\n\
         CREATE TABLE orders (id bigint);\n",
    )
    .expect("schema.sql");
    let run = project.run(&["diff", "schema.sql", "replay"]);
    run.expect_code(1);
    for expected in [
        "note: schema.sql has table public.audit_log, but migration 0001_core created it and \
         migration 0002_cleanup dropped it",
        "note: schema.sql has table public.orders, but no migration creates it",
        "note: schema.sql has column public.users.user_id, but no migration creates it",
    ] {
        assert!(
            run.stdout.contains(expected),
            "{expected}\n---\n{}",
            run.stdout
        );
    }
    assert_removed(&scratch_dir(&run));

    // And the reverse: what the migrations create that the declaration lacks.
    std::fs::write(
        project.path().join("schema.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
    )
    .expect("schema.sql");
    let run = project.run(&["diff", "replay", "schema.sql"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("index users_email"),
        "the replay's extra index is listed: {}",
        run.stdout
    );
}

/// `--dev-url`: a database ratchet may wipe. Whatever was in it is gone before the replay,
/// and the configured database itself is refused as a dev database.
#[test]
fn dev_url_is_wiped_and_used_and_the_live_database_is_refused() {
    let (db, project) = pg_project();
    audit_log_history(&project);
    project.run(&["migrate"]).expect_code(0);
    let dev = PgDatabase::new();
    dev.connect()
        .batch_execute("CREATE TABLE leftover (id int); CREATE SCHEMA junk;")
        .expect("dirty dev database");
    let run = project.run(&["diff", "--dev-url", &dev.url()]);
    run.expect_code(0);
    assert!(!run.stderr.contains("throwaway"), "{}", run.stderr);
    let leftover: i64 = dev
        .connect()
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname = 'leftover'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(leftover, 0, "the dev database was wiped");

    let refused = project.run(&["diff", "--dev-url", &db.url()]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("is the configured database itself"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains(&db.url()),
        "password hidden: {}",
        refused.stderr
    );
}

/// A replay that fails reports the migration's error, exits 1, and still removes the
/// throwaway cluster.
#[test]
fn the_scratch_cluster_is_removed_when_the_replay_fails() {
    let (_db, project) = pg_project();
    project.write("0001_ok.sql", "CREATE TABLE a (id int);\n");
    project.write(
        "0002_broken.sql",
        "CREATE TABLE b (id int);\nSELECT nope FROM a;\n",
    );
    let run = project.run(&["diff"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("migration 0002_broken failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("0002_broken.sql:2:8"), "{}", run.stderr);
    assert_removed(&scratch_dir(&run));
}

/// Expectations against live or replay: violations, exit 1; a table a migration dropped is
/// named with both migrations.
#[test]
fn expectations_against_replay_and_live() {
    let (_db, project) = pg_project();
    audit_log_history(&project);
    std::fs::write(
        project.path().join("declared.toml"),
        "[tables.audit_log.required]\nid = \"bigint\"\n\n[tables.users.required]\nemail = \"text\"\n",
    )
    .expect("toml");
    project.run(&["migrate"]).expect_code(0);
    for args in [
        &["diff", "declared.toml", "replay"][..],
        &["diff", "live", "declared.toml"][..],
    ] {
        let run = project.run(args);
        run.expect_code(1);
        assert!(
            run.stdout
                .contains("tables.audit_log (line 1): table audit_log does not exist"),
            "{args:?}: {}",
            run.stdout
        );
    }
    let run = project.run(&["diff", "declared.toml", "replay"]);
    assert!(
        run.stdout.contains(
            "note: declared.toml requires table audit_log, but migration 0001_core created it \
             and migration 0002_cleanup dropped it"
        ),
        "{}",
        run.stdout
    );
    let both = project.run(&["diff", "declared.toml", "other.toml"]);
    both.expect_code(2);
}

/// SQLite: the scratch database is an in-memory one; no cluster is started.
#[test]
fn sqlite_replay_uses_memory_and_finds_drift() {
    let db = SqliteDatabase::new();
    let project = Project::new(db.url());
    project.write(
        "0001_notes.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n",
    );
    project.run(&["migrate"]).expect_code(0);
    let clean = project.run(&["diff"]);
    clean.expect_code(0);
    assert!(!clean.stderr.contains("throwaway"), "{}", clean.stderr);
    rusqlite::Connection::open(db.path())
        .expect("open")
        .execute_batch("ALTER TABLE notes ADD COLUMN secret TEXT")
        .expect("hand edit");
    let run = project.run(&["diff"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("+ column secret TEXT (only in live)"),
        "{}",
        run.stdout
    );
}

/// Bad sources are invocation errors, before anything starts.
#[test]
fn a_source_that_is_not_one_is_exit_2() {
    let (_db, project) = pg_project();
    let run = project.run(&["diff", "staging"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("\"staging\" is not a schema source"),
        "{}",
        run.stderr
    );
    let run = project.run(&["diff", "missing.sql", "live"]);
    run.expect_code(2);
    assert!(run.stderr.contains("missing.sql"), "{}", run.stderr);
}
