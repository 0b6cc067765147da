//! What users see when the migrations folder, the configuration or the invocation is wrong:
//! exit 2, every problem named with its file and position, and nothing touched — not even the
//! SQLite file created.

mod common;

use common::{Project, Run};
use ratchet_testkit::SqliteDatabase;

/// A project whose database is a not-yet-existing SQLite file.
struct Setup {
    db: SqliteDatabase,
    project: Project,
}

fn setup() -> Setup {
    let db = SqliteDatabase::new();
    let project = Project::new(db.url());
    Setup { db, project }
}

/// Replaces the temp paths in `text` so snapshots are stable.
fn filtered(setup: &Setup, text: &str) -> String {
    let project = setup.project.path().display().to_string();
    let db = setup.db.path().display().to_string();
    text.replace(&db, "[DB]").replace(&project, "[DIR]")
}

fn broken_folder(project: &Project) {
    project.write(
        "0001_create_users.sql",
        "create table users (id integer);\n",
    );
    project.write(
        "0032-add-column.sql",
        "alter table users add column a int;\n",
    );
    project.write(
        "0033_AddColumn.sql",
        "alter table users add column b int;\n",
    );
    project.write(
        "0002_add_email.sql",
        "alter table users add column email text;\n",
    );
    project.write(
        "0002_add_phone.sql",
        "alter table users add column phone text;\n",
    );
    project.write(
        "0003_latin1.sql",
        b"-- encoded in Latin-1\ninsert into users (id) values (1); -- caf\xe9\n".as_slice(),
    );
    project.write(
        "0004_wants_later.sql",
        "-- DEPENDS: 0009_later.sql\nselect 1;\n",
    );
    project.write("0009_later.sql", "select 1;\n");
    project.write(
        "0005_frob.sql",
        "-- ratchet:frobnicate\ncreate table t (id int);\n",
    );
    project.write(
        "0006_stray_commit.sql",
        "create table a (id int);\ncommit;\ncreate table b (id int);\n",
    );
    project.write("0007_orphan.down.sql", "drop table x;\n");
    project.write("notes.txt", "remember to add indexes\n");
}

#[test]
fn a_broken_folder_lists_every_problem_and_touches_nothing() {
    let s = setup();
    broken_folder(&s.project);

    let run = s.project.run(&["migrate"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "", "diagnostics go to stderr");
    insta::assert_snapshot!("broken_folder_text", filtered(&s, &run.stderr));

    for args in [
        &["status"][..],
        &["verify"],
        &["migrate", "--dry-run"],
        &["repair", "--failed", "1", "--reason", "fixed"],
    ] {
        let other = s.project.run(args);
        other.expect_code(2);
        assert_eq!(other.stderr, run.stderr, "ratchet {args:?}");
    }

    assert!(
        !s.db.path().exists(),
        "the SQLite file must not be created from a broken folder"
    );
}

#[test]
fn a_broken_folder_as_json() {
    let s = setup();
    broken_folder(&s.project);
    let run = s.project.run(&["--format", "json", "migrate"]);
    run.expect_code(2);
    let json = run.json();
    assert_eq!(json["ok"], false);
    assert_eq!(json["exit_code"], 2);
    assert_eq!(json["error"]["kind"], "migration-set");
    let problems = json["error"]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 10, "{json:#}");
    let text = filtered(&s, &serde_json::to_string_pretty(&json).unwrap());
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    insta::assert_json_snapshot!("broken_folder_json", json);
    assert!(!s.db.path().exists());
}

#[test]
fn a_missing_migrations_folder_is_exit_2() {
    let s = setup();
    std::fs::remove_dir(s.project.migrations()).unwrap();
    let run = s.project.run(&["status"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("cannot read the migrations folder"),
        "{}",
        run.stderr
    );
    assert!(!s.db.path().exists());
}

fn with_config(body: &str) -> (Setup, Run) {
    let s = setup();
    s.project
        .write("0001_a.sql", "create table a (id integer);\n");
    std::fs::write(s.project.path().join("ratchet.toml"), body).unwrap();
    let run = s.project.run(&["migrate"]);
    (s, run)
}

#[test]
fn a_duration_written_as_a_number_names_its_line_and_key() {
    let (s, run) = with_config("migrations = \"migrations\"\nlock_wait = 5\n");
    run.expect_code(2);
    assert!(run.stderr.contains("lock_wait"), "{}", run.stderr);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    insta::assert_snapshot!("config_number_duration", filtered(&s, &run.stderr));
    assert!(!s.db.path().exists());
}

#[test]
fn an_unknown_key_is_named() {
    let (s, run) = with_config("lock_wiat = \"5s\"\n");
    run.expect_code(2);
    assert!(run.stderr.contains("lock_wiat"), "{}", run.stderr);
    insta::assert_snapshot!("config_unknown_key", filtered(&s, &run.stderr));
    assert!(!s.db.path().exists());
}

#[test]
fn a_bad_duration_text_is_named() {
    let (s, run) = with_config("lock_wait = \"soon\"\n");
    run.expect_code(2);
    insta::assert_snapshot!("config_bad_duration", filtered(&s, &run.stderr));
    assert!(!s.db.path().exists());
}

#[test]
fn a_bad_name_pattern_is_exit_2() {
    let (s, run) = with_config("name_pattern = '^(\\d{4}_[a-z]+\\.sql$'\n");
    run.expect_code(2);
    assert!(run.stderr.contains("name_pattern"), "{}", run.stderr);
    assert!(!s.db.path().exists());
}

#[test]
fn a_bad_config_as_json() {
    let (_s, run) = {
        let s = setup();
        std::fs::write(s.project.path().join("ratchet.toml"), "lock_wait = 5\n").unwrap();
        let run = s.project.run(&["--format", "json", "status"]);
        (s, run)
    };
    run.expect_code(2);
    let json = run.json();
    assert_eq!(json["exit_code"], 2);
    assert_eq!(json["error"]["kind"], "usage");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("lock_wait"));
}

#[test]
fn an_explicit_config_that_does_not_exist_is_exit_2() {
    let s = setup();
    let run = s.project.run(&["--config", "nope.toml", "status"]);
    run.expect_code(2);
    assert!(run.stderr.contains("nope.toml"), "{}", run.stderr);
}

#[test]
fn a_mysql_url_is_exit_2_and_never_shows_the_password() {
    let project = Project::new("mysql://root:s3cret@localhost/app");
    project.write("0001_a.sql", "select 1;\n");
    let run = project.run(&["migrate"]);
    run.expect_code(2);
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    assert!(run.stderr.contains("***"), "{}", run.stderr);
    insta::assert_snapshot!("mysql_url", run.stderr);

    let run = project.run(&["--format", "json", "status"]);
    run.expect_code(2);
    assert!(!run.stdout.contains("s3cret"));
    assert_eq!(run.json()["exit_code"], 2);
}

#[test]
fn an_unknown_url_scheme_is_exit_2() {
    let project = Project::new("http://example.invalid/db");
    let run = project.run(&["status"]);
    run.expect_code(2);
    assert!(run.stderr.contains("unsupported scheme"), "{}", run.stderr);
}

#[test]
fn a_bad_invocation_is_exit_2() {
    let s = setup();
    s.project.run(&["frobnicate"]).expect_code(2);
    s.project.run(&["migrate", "--target", "x"]).expect_code(2);
    s.project.run(&["repair", "--reason", "x"]).expect_code(2);
    s.project
        .run(&[
            "repair",
            "--failed",
            "1",
            "--accept-checksum",
            "1",
            "--reason",
            "x",
        ])
        .expect_code(2);
    assert!(!s.db.path().exists());
}

#[test]
fn an_unreachable_sqlite_file_is_exit_3() {
    let project = Project::new("sqlite:/nonexistent-dir/for/sure/app.db");
    project.write("0001_a.sql", "select 1;\n");
    let run = project.run(&["status"]);
    run.expect_code(3);
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
}

#[test]
fn a_file_that_is_not_a_database_is_exit_3() {
    let s = setup();
    std::fs::write(
        s.db.path(),
        "this is not a database, just text that is long enough",
    )
    .unwrap();
    s.project.write("0001_a.sql", "select 1;\n");
    let run = s.project.run(&["status"]);
    run.expect_code(3);
}

// ---------------------------------------------------------------------------------------------
// `new` and `init`

fn created(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("created "))
        .map(|p| {
            std::path::Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn new_numbers_files_and_they_load_cleanly() {
    let s = setup();
    let p = &s.project;

    let run = p.run(&["new", "Add Email"]);
    run.expect_code(0);
    assert_eq!(created(&run), ["0001_add_email.sql"]);
    assert!(p.migrations().join("0001_add_email.sql").is_file());

    let run = p.run(&["new", "AddPhoneNumber", "--down"]);
    run.expect_code(0);
    assert_eq!(
        created(&run),
        [
            "0002_add_phone_number.sql",
            "0002_add_phone_number.down.sql"
        ]
    );
    assert!(p
        .migrations()
        .join("0002_add_phone_number.down.sql")
        .is_file());

    let run = p.run(&["new", "index emails", "--no-transaction"]);
    run.expect_code(0);
    assert_eq!(created(&run), ["0003_index_emails.sql"]);
    let body = std::fs::read_to_string(p.migrations().join("0003_index_emails.sql")).unwrap();
    assert!(
        body.starts_with("-- ratchet:no-transaction\n"),
        "the directive leads the file: {body}"
    );

    let run = p.run(&["--format", "json", "new", "fourth"]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["version"], 4);
    assert_eq!(json["ok"], true);

    // new never touched the database ...
    assert!(!s.db.path().exists());

    // ... and what it wrote is a valid set, with the directive parsed.
    let set =
        ratchet::core::MigrationSet::load(&p.migrations(), &ratchet::core::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{:#?}", e.problems));
    let names: Vec<&str> = set.migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "0001_add_email",
            "0002_add_phone_number",
            "0003_index_emails",
            "0004_fourth"
        ]
    );
    assert!(set.migrations[1].down.is_some());
    assert_eq!(
        set.migrations[2].transaction,
        ratchet::TransactionMode::None
    );

    // The CLI agrees: status works and lists four pending migrations.
    let run = p.run(&["--format", "json", "status"]);
    run.expect_code(0);
    assert_eq!(run.json()["pending"].as_array().unwrap().len(), 4);
}

#[test]
fn new_continues_after_the_highest_version_retired_included() {
    let s = setup();
    s.project.write("0007_old.sql.retired", "select 1;\n");
    s.project.write("0003_a.sql", "select 1;\n");
    let run = s.project.run(&["new", "next"]);
    run.expect_code(0);
    assert_eq!(created(&run), ["0008_next.sql"]);
}

#[test]
fn new_without_a_folder_or_a_name_is_exit_2() {
    let s = setup();
    s.project.run(&["new", "éé"]).expect_code(2);
    std::fs::remove_dir(s.project.migrations()).unwrap();
    let run = s.project.run(&["new", "x"]);
    run.expect_code(2);
    assert!(run.stderr.contains("ratchet init"), "{}", run.stderr);
}

#[test]
fn init_twice_is_harmless() {
    let s = setup();
    let p = &s.project;
    std::fs::remove_dir(p.migrations()).unwrap();

    let run = p.run(&["init"]);
    run.expect_code(0);
    let config = std::fs::read_to_string(p.path().join("ratchet.toml")).unwrap();
    assert!(p.migrations().is_dir());
    assert_eq!(created(&run).len(), 2, "{}", run.stdout);

    p.write("0001_a.sql", "create table a (id integer);\n");
    let again = p.run(&["init"]);
    again.expect_code(0);
    assert!(created(&again).is_empty(), "{}", again.stdout);
    assert_eq!(again.stdout.matches("already exists").count(), 2);
    assert_eq!(
        std::fs::read_to_string(p.path().join("ratchet.toml")).unwrap(),
        config,
        "init never overwrites"
    );
    assert!(p.migrations().join("0001_a.sql").is_file());

    // The written configuration is valid and its defaults work.
    p.run(&["status"]).expect_code(0);
    assert!(!s.db.path().exists() || s.db.path().is_file());

    let json = p.run(&["--format", "json", "init"]);
    json.expect_code(0);
    assert_eq!(json.json()["created"].as_array().unwrap().len(), 0);
}
