//! Declared expectations (`schema.toml`) as users meet them: checked inside each migration's
//! transaction by `migrate`, and against the live database by `verify`. Real databases only:
//! PostgreSQL from `ratchet_testkit::PgDatabase`, SQLite in temp files.

mod common;

use common::{Project, Run};
use ratchet_testkit::{PgDatabase, SqliteDatabase};

fn write_expectations(project: &Project, text: &str) {
    std::fs::write(project.path().join("schema.toml"), text).expect("write schema.toml");
}

fn pg_project() -> (PgDatabase, Project) {
    let db = PgDatabase::new();
    let project = Project::new(db.url());
    (db, project)
}

/// The two incidents of issue 3: code that says `user_id` is an integer, a migration that
/// makes it a UUID. The migration that created the column is rolled back, and both the
/// terminal and the history name the expectation.
#[test]
fn a_uuid_column_declared_integer_rolls_back_the_migration_that_created_it() {
    let (db, project) = pg_project();
    write_expectations(
        &project,
        "# what the application's models declare\n\
         [tables.users.required]\n\
         id = \"bigint\"\n\
         user_id = { type = \"integer\", since = \"0002\" }\n",
    );
    project.write(
        "0001_create_orgs.sql",
        "CREATE TABLE orgs (id bigint PRIMARY KEY);\n",
    );
    project.write(
        "0002_create_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, user_id uuid NOT NULL);\n",
    );
    project.write(
        "0003_index_users.sql",
        "CREATE INDEX users_user_id ON users (user_id);\n",
    );

    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(
            "error: migration 0002_create_users broke declared expectations; rolled back: \
             nothing of it remains in the database"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "schema.toml: tables.users.required.user_id (line 4): column users.user_id is uuid, \
             expected integer"
        ),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .contains("applied before it remain applied: 0001_create_orgs"));

    let mut client = db.connect();
    let users: i64 = client
        .query_one("SELECT count(*) FROM pg_class WHERE relname = 'users'", &[])
        .expect("count")
        .get(0);
    assert_eq!(users, 0, "the rejected migration left nothing behind");
    let row = client
        .query_one(
            "SELECT outcome, error FROM ratchet_history WHERE version = 2 ORDER BY id DESC LIMIT 1",
            &[],
        )
        .expect("history row");
    assert_eq!(row.get::<_, String>(0), "rolled-back");
    let error: String = row.get(1);
    assert!(
        error.contains("tables.users.required.user_id (line 4)"),
        "the attempt is recorded naming the expectation: {error}"
    );

    // The migration is pending again, with the reason it was refused.
    let status = project.run(&["--format", "json", "status"]);
    let doc = status.json();
    let entry = doc["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .find(|m| m["version"] == 2)
        .expect("0002")
        .clone();
    assert_eq!(entry["state"], "pending", "{entry}");
    assert!(
        entry["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("user_id"),
        "{entry}"
    );

    // Fixing the migration lets it through, and verify agrees with the declaration.
    project.write(
        "0002_create_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, user_id integer NOT NULL);\n",
    );
    project.run(&["migrate"]).expect_code(0);
    let verify = project.run(&["verify"]);
    verify.expect_code(0);
    assert!(
        verify.stdout.contains("schema.toml expectations hold"),
        "{}",
        verify.stdout
    );
}

/// An expectation without `since` holds once the whole folder is applied: intermediate
/// migrations are not held to it, the newest one is.
#[test]
fn an_expectation_without_since_is_checked_after_the_newest_migration() {
    let (_db, project) = pg_project();
    write_expectations(
        &project,
        "[tables.accounts.required]\nemail = { type = \"text\", nullable = false }\n",
    );
    // 0001 creates the table without the column; 0002 adds it but nullable.
    project.write("0001_accounts.sql", "CREATE TABLE accounts (id bigint);\n");
    project.write(
        "0002_email.sql",
        "ALTER TABLE accounts ADD COLUMN email text;\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("migration 0002_email broke declared expectations"),
        "0001 passes (not due yet), 0002 is the newest: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("column accounts.email is nullable, expected NOT NULL"),
        "{}",
        run.stderr
    );
}

/// `verify` is the start-up gate: drift made by hand after `migrate` (a dropped NOT NULL, a
/// table that must not exist) fails it, in text and JSON.
#[test]
fn verify_reports_expectations_broken_by_hand_after_migrate() {
    let (db, project) = pg_project();
    write_expectations(
        &project,
        "[tables.accounts.required]\n\
         email = { type = \"text\", nullable = false }\n\
         \n\
         [absent]\n\
         tables = [\"legacy_sessions\"]\n",
    );
    project.write(
        "0001_accounts.sql",
        "CREATE TABLE accounts (id bigint, email text NOT NULL);\n",
    );
    project.run(&["migrate"]).expect_code(0);
    project.run(&["verify"]).expect_code(0);

    db.connect()
        .batch_execute(
            "ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL; \
             CREATE TABLE legacy_sessions (id int);",
        )
        .expect("hand edits");
    let run = project.run(&["verify"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains(
            "schema.toml: tables.accounts.required.email (line 2): column accounts.email is \
             nullable, expected NOT NULL"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "schema.toml: absent.tables.legacy_sessions (line 5): table legacy_sessions must not \
             exist, and it does"
        ),
        "{}",
        run.stdout
    );

    let json = project.run(&["--format", "json", "verify"]);
    json.expect_code(1);
    let doc = json.json();
    assert_eq!(doc["ok"], false);
    let violations = doc["violations"].as_array().expect("violations");
    assert_eq!(violations.len(), 2, "{doc}");
    assert_eq!(
        violations[0]["expectation"],
        "tables.accounts.required.email"
    );
    assert_eq!(violations[0]["line"], 2);
}

/// A `no-transaction` migration cannot be rolled back: breaking an expectation leaves it
/// failed (blocking) until a human repairs it.
#[test]
fn a_no_transaction_migration_that_breaks_an_expectation_is_marked_failed() {
    let (_db, project) = pg_project();
    write_expectations(
        &project,
        "[tables.accounts]\nindexes = [{ columns = [\"email\"], unique = true }]\n",
    );
    project.write(
        "0001_accounts.sql",
        "CREATE TABLE accounts (id bigint, email text);\n",
    );
    project.write(
        "0002_index.sql",
        "-- ratchet:no-transaction\nCREATE INDEX CONCURRENTLY accounts_email ON accounts (email);\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(
            "migration 0002_index broke declared expectations; it ran outside a transaction"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("a valid unique index on accounts (email) does not exist"),
        "{}",
        run.stderr
    );
    let again = project.run(&["migrate"]);
    again.expect_code(1);
    assert!(
        again.stderr.contains("0002_index failed"),
        "{}",
        again.stderr
    );
}

/// Assertions: SQL that must return no rows. On SQLite too, and inside the transaction, so
/// the seed data a migration inserts is checked before it commits.
#[test]
fn an_assertion_that_returns_rows_rejects_the_migration_on_sqlite() {
    let db = SqliteDatabase::new();
    let project = Project::new(db.url());
    write_expectations(
        &project,
        "[[assert]]\n\
         name = \"prices-positive\"\n\
         sql = \"SELECT sku, price FROM products WHERE price <= 0\"\n\
         message = \"every product has a positive price\"\n\
         since = 1\n",
    );
    project.write(
        "0001_products.sql",
        "CREATE TABLE products (sku TEXT PRIMARY KEY, price INTEGER NOT NULL);\n\
         INSERT INTO products VALUES ('a', 10), ('b', 0), ('c', -5);\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(
            "schema.toml: assert.prices-positive (line 1): every product has a positive price: \
             the check returned 2 row(s): b, 0; c, -5"
        ),
        "{}",
        run.stderr
    );
    let conn = rusqlite::Connection::open(db.path()).expect("open");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'products'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(tables, 0, "rolled back");
}

/// SQLite structural expectations, with its own type names.
#[test]
fn sqlite_structural_expectations_hold_and_break() {
    let db = SqliteDatabase::new();
    let project = Project::new(db.url());
    write_expectations(
        &project,
        "[tables.notes]\nstrict = true\n[tables.notes.required]\nid = \"INTEGER\"\nbody = \"TEXT\"\n",
    );
    project.write(
        "0001_notes.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n",
    );
    project.run(&["migrate"]).expect_code(0);
    project.write(
        "0002_extra.sql",
        "ALTER TABLE notes ADD COLUMN secret TEXT;\n",
    );
    let run = project.run(&["migrate"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("column notes.secret is not declared (the table is strict)"),
        "{}",
        run.stderr
    );
}

/// A malformed `schema.toml` is a configuration problem: exit 2, naming the line and the key,
/// before any connection (the URL here points at a port nobody listens on).
#[test]
fn a_malformed_schema_toml_exits_2_naming_line_and_key_before_connecting() {
    let project = Project::new("postgres://nobody:pw@127.0.0.1:9/none");
    write_expectations(
        &project,
        "[tables.users.required]\nid = { type = \"bigint\", nulable = false }\n",
    );
    project.write("0001_a.sql", "SELECT 1;\n");
    for command in ["migrate", "verify"] {
        let run: Run = project.run(&[command]);
        run.expect_code(2);
        assert!(
            run.stderr
                .contains("schema.toml: 2:25: unknown field `nulable`, expected one of `type`, `nullable`, `since`"),
            "{command}: {}",
            run.stderr
        );
    }
    // Named in ratchet.toml but missing: also exit 2, not "no expectations".
    std::fs::remove_file(project.path().join("schema.toml")).expect("remove");
    std::fs::write(
        project.path().join("ratchet.toml"),
        "schema = \"declared.toml\"\n",
    )
    .expect("config");
    let run = project.run(&["verify"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("declared.toml: cannot read it"),
        "{}",
        run.stderr
    );
}
