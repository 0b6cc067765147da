//! Introspection of a real SQLite database (a temp file per test).

use std::sync::Arc;
use std::time::Duration;

use ratchet_driver::{ConnectOptions, DatabaseUrl, Driver, TableName};
use ratchet_report::schema_text::{self, Sides};
use ratchet_report::text::Color;
use ratchet_schema::{
    diff, Change, ConstraintKind, Deferrable, Object, ReferentialAction, Relation, Schema,
};
use ratchet_testkit::SqliteDatabase;

fn driver(db: &SqliteDatabase) -> Box<dyn Driver> {
    let options = ConnectOptions {
        url: DatabaseUrl::parse(&db.url()).expect("test URL"),
        history_table: TableName::parse("ratchet_history").expect("table name"),
        application_name: "ratchet-test".into(),
        notices: Arc::new(|_| {}),
        connect_timeout: Duration::from_secs(10),
        lock_wait: Duration::from_secs(10),
    };
    ratchet_driver::connect(&options).expect("connect")
}

fn execute(db: &SqliteDatabase, sql: &str) {
    rusqlite::Connection::open(db.path())
        .expect("open")
        .execute_batch(sql)
        .expect("execute");
}

fn introspect(db: &SqliteDatabase) -> Schema {
    driver(db).introspect().expect("introspect")
}

const EVERY_KIND: &str = r#"
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'banned')),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    first_name TEXT,
    last_name TEXT,
    full_name TEXT GENERATED ALWAYS AS (first_name || ' ' || last_name) VIRTUAL,
    name_length INTEGER AS (length(first_name)) STORED
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    total NUMERIC(10, 2) NOT NULL,
    placed_at TEXT,
    CONSTRAINT total_not_negative CHECK (total >= 0)
);
CREATE TABLE order_lines (
    order_id INTEGER NOT NULL,
    line INTEGER NOT NULL,
    sku TEXT NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (order_id, line),
    CONSTRAINT one_sku_per_order UNIQUE (order_id, sku),
    FOREIGN KEY (order_id) REFERENCES orders ON UPDATE RESTRICT
) WITHOUT ROWID;
CREATE INDEX orders_user_idx ON orders (user_id, placed_at DESC);
CREATE UNIQUE INDEX users_lower_email_idx ON users (lower(email)) WHERE status = 'active';
CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';
CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN
    UPDATE users SET created_at = created_at WHERE id = NEW.id;
END;
CREATE VIRTUAL TABLE notes USING fts5 (title, body);
CREATE TRIGGER active_users_insert INSTEAD OF INSERT ON active_users BEGIN
    INSERT INTO users (email) VALUES (NEW.email);
END;
"#;

#[test]
fn every_object_kind_round_trips() {
    let db = SqliteDatabase::new();
    execute(&db, EVERY_KIND);
    let mut driver = driver(&db);
    driver.ensure_history_table().expect("history table");

    let schema = driver.introspect().expect("introspect");
    let text = schema_text::schema(&schema);
    insta::assert_snapshot!("sqlite_every_kind", text);
    assert!(!text.contains("ratchet_history"), "{text}");
    assert!(
        !text.contains("sqlite_"),
        "SQLite's own tables stay out: {text}"
    );
    // The FTS5 table is the user's; the tables it keeps its index in are not.
    assert!(schema.table("notes").is_some());
    assert!(
        schema.tables.keys().all(|t| !t.name.starts_with("notes_")),
        "{text}"
    );

    assert_eq!(driver.introspect().expect("again"), schema);
    let json = ratchet_report::schema_json::schema(&schema);
    assert_eq!(serde_json::from_str::<Schema>(&json).expect("json"), schema);

    // Lookups default to `main`.
    let users = schema.table("users").expect("users");
    assert_eq!(schema.table("main.users"), Some(users));
    assert_eq!(
        users.primary_key(),
        Some(("users_pkey", &["id".to_owned()][..]))
    );
    assert_eq!(
        users.column("full_name").unwrap().generated.as_deref(),
        Some("first_name || ' ' || last_name")
    );
    assert!(users.constraint("users_email_key").is_some());
    assert!(users.constraint("users_status_check").is_some());
    let index = users
        .index("users_lower_email_idx")
        .expect("expression index");
    assert_eq!(index.columns, ["lower(email)"]);
    assert_eq!(index.predicate.as_deref(), Some("status = 'active'"));

    let orders = schema.table("orders").unwrap();
    let (name, fk) = orders.foreign_key_on(&["user_id"]).expect("fk");
    assert_eq!(name, "orders_user_id_fkey");
    assert_eq!(fk.on_delete, ReferentialAction::Cascade);
    assert_eq!(
        orders.constraint(name).unwrap().deferrable,
        Deferrable::InitiallyDeferred
    );
    assert!(orders.constraint("total_not_negative").is_some());

    let lines = schema.table("order_lines").unwrap();
    assert_eq!(
        lines.primary_key().map(|(_, c)| c.to_vec()),
        Some(vec!["order_id".to_owned(), "line".to_owned()])
    );
    assert!(matches!(
        lines.constraint("one_sku_per_order").map(|c| &c.kind),
        Some(ConstraintKind::Unique { .. })
    ));
    // `REFERENCES orders` with no column list references its primary key.
    let (_, fk) = lines.foreign_key_on(&["order_id"]).expect("fk");
    assert_eq!(fk.referenced_columns, ["id"]);

    assert!(schema
        .view("active_users")
        .unwrap()
        .triggers
        .contains_key("active_users_insert"));
}

#[test]
fn a_hand_added_column_is_reported_with_its_table() {
    let live = SqliteDatabase::new();
    let replay = SqliteDatabase::new();
    execute(&live, EVERY_KIND);
    execute(&replay, EVERY_KIND);
    execute(&live, "ALTER TABLE orders ADD COLUMN note TEXT");

    let changes = diff(&introspect(&replay), &introspect(&live));
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let Change::Extra {
        object: Object::Column { table, column, .. },
    } = &changes[0]
    else {
        panic!("expected an extra column: {changes:#?}");
    };
    assert_eq!(table.to_string(), "main.orders");
    assert_eq!(column.name, "note");
    insta::assert_snapshot!(
        "sqlite_extra_column",
        schema_text::diff(
            &changes,
            Sides {
                left: "replay",
                right: "live"
            },
            Color::Never
        )
    );
}

#[test]
fn a_changed_declared_type_is_a_type_mismatch() {
    let expected = SqliteDatabase::new();
    let actual = SqliteDatabase::new();
    execute(
        &expected,
        "CREATE TABLE accounts (id TEXT PRIMARY KEY, owner_id TEXT)",
    );
    execute(
        &actual,
        "CREATE TABLE accounts (id TEXT PRIMARY KEY, owner_id INTEGER)",
    );
    let changes = diff(&introspect(&expected), &introspect(&actual));
    assert_eq!(
        changes,
        vec![Change::ColumnType {
            table: "main.accounts".parse().unwrap(),
            relation: Relation::Table,
            column: "owner_id".into(),
            left: "TEXT".into(),
            right: "INTEGER".into(),
        }]
    );
}

#[test]
fn a_database_file_not_created_yet_is_an_empty_schema() {
    let db = SqliteDatabase::new();
    let schema = introspect(&db);
    assert!(schema.tables.is_empty());
    assert!(!db.path().exists(), "introspection never creates the file");
}
