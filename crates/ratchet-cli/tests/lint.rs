//! `ratchet lint` as users run it: the real binary in a temp project, no database.
//!
//! Every project here turns off all rules but `concurrently-in-transaction` (and whatever a
//! test turns on), so these snapshots do not change each time a rule is added.

mod common;

use std::process::Command;

use common::{Project, Run};

/// `[lint]` with `extra` lines, then `[lint.rules]` turning every rule off except
/// `concurrently-in-transaction` (more `"rule" = "level"` lines can be appended).
fn config(extra: &str) -> String {
    let mut text = format!("[lint]\n{extra}[lint.rules]\n");
    for rule in ratchet_lint::rules::ALL.iter() {
        if rule.id() != "concurrently-in-transaction" {
            text.push_str(&format!("{:?} = \"off\"\n", rule.id()));
        }
    }
    text
}

/// A project with `ratchet.toml` from [`config`]. The URL is only there because
/// `Project::run` passes one, and says the SQL is PostgreSQL's; lint never opens it (port 9
/// is the discard port: nothing listens there).
fn project(extra: &str) -> Project {
    let project = Project::new("postgres://nobody@127.0.0.1:9/none");
    std::fs::write(project.path().join("ratchet.toml"), config(extra)).expect("config");
    project
}

/// The folder most tests lint: a clean file, a file with a syntax error between two
/// findings, and a file of suppressions (one used, one without a reason, one unused).
fn fixture(project: &Project) {
    project.write(
        "0001_create_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    );
    project.write(
        "0002_index_accounts.sql",
        "CREATE TABLE accounts (id int);\n\
         CREATE INDEX CONCURRENTLY accounts_id_idx ON accounts (id);\n\
         SELECT id FORM accounts;\n\
         CREATE INDEX\n    CONCURRENTLY accounts_id2_idx ON accounts (id);\n",
    );
    project.write(
        "0003_suppressed.sql",
        "CREATE TABLE b (id int);\n\
         -- ratchet:allow concurrently-in-transaction -- the runner of this project splits it\n\
         CREATE INDEX CONCURRENTLY b_id_idx ON b (id);\n\
         -- ratchet:allow concurrently-in-transaction\n\
         CREATE INDEX CONCURRENTLY b_id2_idx ON b (id);\n\
         -- ratchet:allow concurrently-in-transaction -- nothing here needs it\n\
         SELECT 1;\n",
    );
}

/// Replaces the temp folder in `text`, so snapshots are stable.
fn filtered(project: &Project, text: &str) -> String {
    let dir = project.path().display().to_string();
    let canonical = project
        .path()
        .canonicalize()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| dir.clone());
    text.replace(&canonical, "[DIR]").replace(&dir, "[DIR]")
}

#[test]
fn text_output_lints_around_a_syntax_error() {
    let project = project("");
    fixture(&project);
    let run = project.run(&["lint"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "linting 3 file(s)\n");
    insta::assert_snapshot!("text", filtered(&project, &run.stdout));
}

#[test]
fn json_format() {
    let project = project("");
    fixture(&project);
    let run = project.run(&["--format", "json", "lint"]);
    run.expect_code(1);
    let doc = run.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["summary"]["files"], 3);
    insta::assert_snapshot!("json", filtered(&project, &run.stdout));
}

#[test]
fn sarif_format() {
    let project = project("");
    fixture(&project);
    let run = project.run(&["lint", "--format", "sarif"]);
    run.expect_code(1);
    let mut log = run.json();
    let driver = &mut log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "ratchet");
    // Keep the snapshot to the engine's ids and the one rule used: rules come and go.
    let rules = driver["rules"].as_array_mut().expect("rules");
    assert!(rules.len() >= ratchet_lint::rules::ALL.len());
    rules.retain(|r| {
        let id = r["id"].as_str().expect("id");
        id == "concurrently-in-transaction" || ratchet_lint::rules::by_id(id).is_none()
    });
    driver["version"] = "[version]".into();
    insta::assert_snapshot!("sarif", serde_json::to_string_pretty(&log).expect("json"));
}

#[test]
fn github_format() {
    let project = project("");
    fixture(&project);
    let run = project.run(&["lint", "--format", "github"]);
    run.expect_code(1);
    insta::assert_snapshot!("github", filtered(&project, &run.stdout));
}

#[test]
fn clean_migrations_exit_0() {
    let project = project("");
    project.write(
        "0001_create_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    project.write(
        "0002_index.sql",
        "-- ratchet:no-transaction\nCREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n",
    );
    let run = project.run(&["lint"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "0 error(s), 0 warning(s)\n");
}

#[test]
fn warnings_alone_exit_0() {
    let project = project("");
    project.write(
        "0001_unused.sql",
        "-- ratchet:allow concurrently-in-transaction -- just in case\nSELECT 1;\n",
    );
    let run = project.run(&["lint"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("warning[unused-suppression]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("0 error(s), 1 warning(s)\n"));
}

#[test]
fn suppressions_used_missing_a_reason_and_unused() {
    let project = project("");
    fixture(&project);
    let run = project.run(&["lint", "migrations/0003_suppressed.sql"]);
    run.expect_code(1);
    insta::assert_snapshot!("suppressions", filtered(&project, &run.stdout));
}

#[test]
fn a_rule_turned_off_in_the_config_does_not_fire() {
    let project = Project::new("sqlite:db.sqlite");
    std::fs::write(
        project.path().join("ratchet.toml"),
        "[lint]\nrules = { \"concurrently-in-transaction\" = \"off\" }\n",
    )
    .expect("config");
    project.write(
        "0001_index.sql",
        "CREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n",
    );
    let run = project.run(&["lint"]);
    assert!(
        !run.stdout.contains("concurrently-in-transaction"),
        "{}",
        run.stdout
    );

    // ... and one set to "warning" reports but does not fail.
    std::fs::write(
        project.path().join("ratchet.toml"),
        config("") + "\"concurrently-in-transaction\" = \"warning\"\n",
    )
    .expect("config");
    let run = project.run(&["lint"]);
    run.expect_code(0);
    assert!(run
        .stdout
        .contains("warning[concurrently-in-transaction]: CREATE INDEX CONCURRENTLY"));
}

#[test]
fn since_lints_only_newer_migrations() {
    let project = project("since = \"0002\"\n");
    fixture(&project);
    let run = project.run(&["lint"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "linting 1 file(s); 2 migration(s) skipped: at or below version 2 (`since`)\n"
    );
    assert!(!run.stdout.contains("0002_index_accounts.sql"));
    assert!(run.stdout.contains("0003_suppressed.sql"));

    // --since overrides the file.
    let run = project.run(&["lint", "--since", "0003", "--format", "json"]);
    run.expect_code(0);
    assert_eq!(run.json()["summary"]["files"], 0);
    let run = project.run(&["lint", "--since", "0", "--format", "json"]);
    run.expect_code(1);
    assert_eq!(run.json()["summary"]["files"], 3);

    // A file named on the command line is linted whatever its version.
    let run = project.run(&["lint", "migrations/0002_index_accounts.sql"]);
    run.expect_code(1);
    assert!(run.stdout.contains("0002_index_accounts.sql"));
}

#[test]
fn paths_can_be_files_and_folders() {
    let project = project("");
    fixture(&project);
    std::fs::create_dir(project.path().join("more")).expect("dir");
    std::fs::write(project.path().join("more/0100_clean.sql"), "SELECT 1;\n").expect("write");
    std::fs::write(project.path().join("more/notes.txt"), "not sql\n").expect("write");
    let run = project.run(&[
        "--format",
        "json",
        "lint",
        "more",
        "migrations/0001_create_users.sql",
    ]);
    run.expect_code(0);
    assert_eq!(run.json()["summary"]["files"], 2);

    let run = project.run(&["lint", "nowhere.sql"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error: nowhere.sql: no such file or folder\n");
}

#[test]
fn down_files_are_linted_and_retired_files_are_not() {
    let project = project("");
    project.write("0001_a.sql", "SELECT 1;\n");
    project.write(
        "0001_a.down.sql",
        "DROP INDEX CONCURRENTLY IF EXISTS a_idx;\n",
    );
    project.write(
        "0002_b.sql.retired",
        "CREATE INDEX CONCURRENTLY b_idx ON b (id);\n",
    );
    let run = project.run(&["lint"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "linting 2 file(s)\n");
    assert!(run.stdout.contains("0001_a.down.sql:1:1"), "{}", run.stdout);
    assert!(!run.stdout.contains("0002_b"), "{}", run.stdout);
}

#[test]
fn a_file_that_is_not_utf8_exits_2_naming_the_position() {
    let project = project("");
    project.write("0001_ok.sql", "SELECT 1;\n");
    project.write(
        "0002_latin1.sql",
        b"SELECT 1;\nSELECT 'caf\xe9';\n".as_slice(),
    );
    let run = project.run(&["lint"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: migrations/0002_latin1.sql:2:12: the file is not valid UTF-8 (byte 0xe9 at \
         offset 21); save it as UTF-8\n"
    );
}

#[test]
fn an_unknown_rule_in_the_config_exits_2_naming_it() {
    let project = Project::new("sqlite:db.sqlite");
    std::fs::write(
        project.path().join("ratchet.toml"),
        "[lint]\nrules = { \"no-such-rule\" = \"error\" }\n",
    )
    .expect("config");
    let run = project.run(&["lint"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: ratchet.toml: [lint] rules: unknown lint rule \"no-such-rule\"; \
         `ratchet lint --list-rules` shows them\n"
    );
}

#[test]
fn bad_lint_settings_exit_2() {
    for (toml, expected) in [
        (
            "[lint]\nrules = { \"concurrently-in-transaction\" = \"loud\" }\n",
            "unknown variant `loud`",
        ),
        (
            "[lint]\nsince = \"v30\"\n",
            "\"v30\" is not a migration version",
        ),
        (
            "[lint]\npostgres_version = 1500\n",
            "1500 is not a PostgreSQL major version",
        ),
        ("[lint]\nfrobnicate = true\n", "unknown field `frobnicate`"),
    ] {
        let project = Project::new("sqlite:db.sqlite");
        std::fs::write(project.path().join("ratchet.toml"), toml).expect("config");
        let run = project.run(&["lint"]);
        run.expect_code(2);
        assert!(run.stderr.contains(expected), "{toml}: {}", run.stderr);
    }
    let project = project("");
    let run = project.run(&["lint", "--since", "v3"]);
    run.expect_code(2);
}

#[test]
fn sarif_and_github_formats_are_for_lint_only() {
    let project = project("");
    for format in ["sarif", "github"] {
        let run = project.run(&["--format", format, "status"]);
        run.expect_code(2);
        assert_eq!(
            run.stderr,
            format!(
                "error: --format {format} is only for `ratchet lint`; `ratchet status` prints \
                 text or json\n"
            )
        );
        assert_eq!(run.stdout, "");
    }
    // Refused before anything is written.
    let run = project.run(&["init", "--format", "sarif"]);
    run.expect_code(2);
    assert_eq!(
        std::fs::read_to_string(project.path().join("ratchet.toml")).expect("config"),
        config("")
    );
}

#[test]
fn lint_needs_no_database() {
    let project = project("");
    fixture(&project);
    let run = Run::from(
        Command::new(env!("CARGO_BIN_EXE_ratchet"))
            .current_dir(project.path())
            .env_remove("RATCHET_DATABASE_URL")
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .arg("lint")
            .output()
            .expect("run ratchet"),
    );
    run.expect_code(1);
    assert!(run.stdout.contains("error[syntax-error]"), "{}", run.stdout);
}

/// The quickstart's SQLite trigger (`CREATE TRIGGER ... BEGIN ... END;`) is SQLite's own
/// syntax: in a SQLite project it is one statement, left unchecked, not a syntax error and
/// not a stray `END`. The statements PostgreSQL's grammar can read are still linted.
#[test]
fn sqlite_project_skips_statements_only_sqlite_understands() {
    let project = Project::new("sqlite:db.sqlite");
    std::fs::write(project.path().join("ratchet.toml"), config("")).expect("config");
    project.write(
        "0001_posts.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT);\n\
         CREATE TRIGGER posts_touch AFTER UPDATE OF body ON posts\n\
         BEGIN\n    UPDATE posts SET updated_at = datetime('now') WHERE id = new.id;\nEND;\n\
         CREATE INDEX CONCURRENTLY posts_body ON posts (body);\n",
    );
    let run = project.run(&["lint"]);
    run.expect_code(1);
    assert!(!run.stdout.contains("syntax-error"), "{}", run.stdout);
    assert!(
        run.stdout.contains("0001_posts.sql:6:1"),
        "the CONCURRENTLY on line 6 is still found:\n{}",
        run.stdout
    );
    assert!(!project.path().join("db.sqlite").exists());
}

#[test]
fn list_rules() {
    let project = project("");
    let run = project.run(&["lint", "--list-rules"]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["RULE", "DEFAULT"]
    );
    assert_eq!(lines.len(), ratchet_lint::rules::ALL.len() + 1);
    assert!(lines
        .iter()
        .any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["concurrently-in-transaction", "error"]));

    let run = project.run(&["--format", "json", "lint", "--list-rules"]);
    run.expect_code(0);
    let doc = run.json();
    let rules = doc["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), ratchet_lint::rules::ALL.len());
    for (listed, rule) in rules.iter().zip(ratchet_lint::rules::ALL.iter()) {
        assert_eq!(listed["id"], rule.id());
        let default = rule.default_severity().map_or("off", |s| s.as_str());
        assert_eq!(listed["default"], default);
    }
}
