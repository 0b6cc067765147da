//! Introspection of a real PostgreSQL database (a fresh one per test, on the throwaway
//! cluster `ratchet-testkit` starts): every object kind, round trips, diffs between two real
//! databases, and what must stay out of the model.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratchet_driver::{ConnectOptions, DatabaseUrl, Driver, TableName};
use ratchet_report::schema_text::{self, Sides};
use ratchet_report::text::Color;
use ratchet_schema::{diff, Change, ConstraintKind, Deferrable, Identity, Object, Schema};
use ratchet_testkit::PgDatabase;

fn driver(db: &PgDatabase, history_table: &str) -> Box<dyn Driver> {
    let options = ConnectOptions {
        url: DatabaseUrl::parse(&db.url()).expect("test URL"),
        history_table: TableName::parse(history_table).expect("table name"),
        application_name: "ratchet-test".into(),
        notices: Arc::new(|_| {}),
        connect_timeout: Duration::from_secs(10),
        lock_wait: Duration::from_secs(10),
    };
    ratchet_driver::connect(&options).expect("connect")
}

fn introspect(db: &PgDatabase) -> Schema {
    driver(db, "ratchet_history")
        .introspect()
        .expect("introspect")
}

/// Every kind of object the model knows, in two schemas.
const EVERY_KIND: &str = r#"
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.positive_int AS integer NOT NULL DEFAULT 1
    CONSTRAINT positive_int_check CHECK (VALUE > 0);
CREATE SEQUENCE app.order_numbers AS bigint START 1000 INCREMENT 5 CACHE 10;

CREATE TABLE app.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(200) NOT NULL UNIQUE,
    name text COLLATE "C",
    mood app.mood DEFAULT 'ok',
    score app.positive_int,
    created_at timestamptz NOT NULL DEFAULT now(),
    first_name text,
    last_name text,
    full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED,
    CONSTRAINT users_email_lower CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_lower_email_idx ON app.users (lower(email)) WHERE created_at > '2020-01-01';

CREATE TABLE orders (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL,
    number bigint DEFAULT nextval('app.order_numbers'),
    total numeric(10, 2) NOT NULL,
    placed_at timestamp(3) with time zone,
    tags text[],
    ref uuid NOT NULL DEFAULT gen_random_uuid()
);
ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id)
    REFERENCES app.users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
CREATE INDEX orders_user_idx ON orders (user_id) INCLUDE (total);
CREATE INDEX orders_tags_idx ON orders USING gin (tags);
ALTER TABLE orders ADD COLUMN "Placed By" text;
CREATE INDEX orders_mixed_idx ON orders ("Placed By", (total * 2));

CREATE TABLE rooms (
    room integer NOT NULL,
    during tstzrange NOT NULL,
    CONSTRAINT rooms_no_overlap EXCLUDE USING gist (during WITH &&)
);

CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, payload jsonb)
    PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_at_idx ON events (at);

CREATE VIEW app.active_users AS SELECT id, email FROM app.users WHERE mood <> 'sad';
CREATE MATERIALIZED VIEW order_totals AS
    SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
CREATE UNIQUE INDEX order_totals_user_idx ON order_totals (user_id);

CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER users_touch BEFORE UPDATE ON app.users
    FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN a + b;
CREATE FUNCTION add(a numeric, b numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS $$ SELECT a + b $$;
CREATE PROCEDURE app.archive(before timestamptz) LANGUAGE sql
    AS $$ DELETE FROM orders WHERE placed_at < before $$;
"#;

/// Leaves `dupes_v_idx` INVALID, as a failed `CREATE INDEX CONCURRENTLY` does.
fn make_invalid_index(db: &PgDatabase) {
    let mut client = db.connect();
    client
        .batch_execute("CREATE TABLE dupes (v integer); INSERT INTO dupes VALUES (1), (1);")
        .expect("dupes");
    let err = client
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY dupes_v_idx ON dupes (v)")
        .expect_err("duplicate values");
    assert_eq!(err.code().map(|c| c.code()), Some("23505"), "{err}");
}

#[test]
fn every_object_kind_round_trips() {
    let db = PgDatabase::new();
    db.connect().batch_execute(EVERY_KIND).expect("schema");
    make_invalid_index(&db);
    let mut driver = driver(&db, "ratchet_history");
    driver.ensure_history_table().expect("history table");

    let schema = driver.introspect().expect("introspect");
    let text = schema_text::schema(&schema);
    insta::assert_snapshot!("postgres_every_kind", text);

    // Again on the same connection, and on another one: the same model.
    assert_eq!(driver.introspect().expect("again"), schema);
    assert_eq!(introspect(&db), schema);
    // And through JSON.
    let json = ratchet_report::schema_json::schema(&schema);
    let back: Schema = serde_json::from_str(&json).expect("json");
    assert_eq!(back, schema);

    // Lookups, as expectations will use them.
    let users = schema.table("app.users").expect("app.users");
    assert_eq!(users.column("id").unwrap().identity, Some(Identity::Always));
    assert_eq!(
        users.column("email").unwrap().data_type,
        "character varying(200)"
    );
    assert_eq!(
        users.primary_key(),
        Some(("users_pkey", &["id".to_owned()][..]))
    );
    let orders = schema.table("orders").expect("public by default");
    let (name, fk) = orders.foreign_key_on(&["user_id"]).expect("fk");
    assert_eq!(name, "orders_user_fkey");
    assert_eq!(fk.referenced_table.to_string(), "app.users");
    assert_eq!(
        orders.constraint("orders_user_fkey").unwrap().deferrable,
        Deferrable::InitiallyDeferred
    );
    let check = orders.constraint("orders_total_check").unwrap();
    assert!(!check.validated);
    assert!(
        !check.definition.contains("NOT VALID"),
        "{}",
        check.definition
    );
    assert!(matches!(check.kind, ConstraintKind::Check { .. }));
    assert!(orders.has_index_on(&["user_id"]));
    assert_eq!(
        orders.index("orders_mixed_idx").unwrap().columns,
        ["Placed By", "(total * 2::numeric)"]
    );
    assert!(
        !schema
            .table("dupes")
            .unwrap()
            .index("dupes_v_idx")
            .unwrap()
            .valid
    );
    assert_eq!(
        schema.enum_type("app.mood").unwrap().labels,
        ["sad", "ok", "happy"]
    );
    assert_eq!(schema.functions_named("add").len(), 2);
    assert!(schema.function("add(integer, integer)").is_some());
    assert!(schema.view("order_totals").unwrap().materialized);
    let partition = schema.table("events_2024").unwrap();
    assert_eq!(
        partition.partition_of.as_ref().unwrap().parent.to_string(),
        "public.events"
    );

    // ratchet's own table, its index and identity sequence are not the user's schema.
    assert!(schema.table("ratchet_history").is_none());
    assert!(!text.contains("ratchet_history"), "{text}");
    // Identity sequences belong to their column; serial ones are listed with their owner.
    assert!(schema.sequence("app.users_id_seq").is_none());
    assert!(schema.sequence("orders_id_seq").unwrap().owned_by.is_some());
}

#[test]
fn introspection_is_independent_of_the_search_path() {
    let db = PgDatabase::new();
    db.connect().batch_execute(EVERY_KIND).expect("schema");
    let plain = introspect(&db);
    let db_name = db.name().to_owned();
    db.connect()
        .batch_execute(&format!(
            "ALTER DATABASE \"{db_name}\" SET search_path = app, public"
        ))
        .expect("search_path");
    assert_eq!(introspect(&db), plain);
}

#[test]
fn a_hand_added_column_is_reported_with_its_table() {
    let live = PgDatabase::new();
    let replay = PgDatabase::new();
    for db in [&live, &replay] {
        db.connect().batch_execute(EVERY_KIND).expect("schema");
    }
    live.connect()
        .batch_execute("ALTER TABLE app.users ADD COLUMN nickname text")
        .expect("ad-hoc column");

    let changes = diff(&introspect(&replay), &introspect(&live));
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let Change::Extra {
        object: Object::Column { table, column, .. },
    } = &changes[0]
    else {
        panic!("expected an extra column: {changes:#?}");
    };
    assert_eq!(table.to_string(), "app.users");
    assert_eq!(column.name, "nickname");
    assert_eq!(column.data_type, "text");

    let sides = Sides {
        left: "replay",
        right: "live",
    };
    insta::assert_snapshot!(
        "postgres_extra_column",
        schema_text::diff(&changes, sides, Color::Never)
    );
    insta::assert_snapshot!(
        "postgres_extra_column_json",
        ratchet_report::schema_json::diff(&changes, sides)
    );
}

#[test]
fn an_integer_where_a_uuid_was_expected_is_a_type_mismatch() {
    let expected = PgDatabase::new();
    let actual = PgDatabase::new();
    expected
        .connect()
        .batch_execute("CREATE TABLE accounts (id uuid PRIMARY KEY, owner_id uuid NOT NULL)")
        .expect("expected");
    actual
        .connect()
        .batch_execute("CREATE TABLE accounts (id uuid PRIMARY KEY, owner_id integer NOT NULL)")
        .expect("actual");
    let changes = diff(&introspect(&expected), &introspect(&actual));
    assert_eq!(
        changes,
        vec![Change::ColumnType {
            table: "public.accounts".parse().unwrap(),
            relation: ratchet_schema::Relation::Table,
            column: "owner_id".into(),
            left: "uuid".into(),
            right: "integer".into(),
        }]
    );
}

#[test]
fn a_schema_qualified_history_table_and_its_schema_stay_out() {
    let db = PgDatabase::new();
    db.connect()
        .batch_execute("CREATE TABLE t (id integer)")
        .expect("schema");
    let mut driver = driver(&db, "ops.ratchet_history");
    driver.ensure_history_table().expect("history");
    let schema = driver.introspect().expect("introspect");
    assert!(schema.tables.keys().all(|t| t.name != "ratchet_history"));
    assert_eq!(
        schema.schemas.iter().collect::<Vec<_>>(),
        ["public"],
        "ops holds only ratchet's table"
    );

    // A user's own object in that schema makes it theirs too.
    db.connect()
        .batch_execute("CREATE TABLE ops.jobs (id integer)")
        .expect("ops.jobs");
    let schema = driver.introspect().expect("introspect");
    assert!(schema.schemas.contains("ops"));
    assert!(schema.table("ops.jobs").is_some());
    assert!(schema.table("ops.ratchet_history").is_none());
}

#[test]
fn objects_owned_by_an_extension_are_left_out() {
    let db = PgDatabase::new();
    let mut client = db.connect();
    let available: Vec<String> = client
        .query(
            "SELECT name FROM pg_available_extensions WHERE name IN ('citext', 'pg_trgm') \
             ORDER BY name",
            &[],
        )
        .expect("pg_available_extensions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let Some(extension) = available.first() else {
        eprintln!(
            "skipped: neither citext nor pg_trgm is installed on this server \
             (pg_available_extensions has neither), so there is no extension to create"
        );
        return;
    };
    let before = introspect(&db);
    client
        .batch_execute(&format!("CREATE EXTENSION {extension}"))
        .expect("create extension");
    let after = introspect(&db);
    // Only the extension itself: none of its types, functions or operators.
    let changes = diff(&before, &after);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert!(
        matches!(&changes[0], Change::Extra { object: Object::Extension { name, .. } } if name == extension),
        "{changes:#?}"
    );
    assert!(after.functions.is_empty(), "{:#?}", after.functions);
    assert!(after.domains.is_empty() && after.enums.is_empty());
    // A user's column of an extension's type is the user's.
    if extension == "citext" {
        client
            .batch_execute("CREATE TABLE people (email citext)")
            .expect("citext column");
        let schema = introspect(&db);
        assert_eq!(
            schema
                .table("people")
                .unwrap()
                .column("email")
                .unwrap()
                .data_type,
            "public.citext"
        );
    }
}

#[test]
fn a_large_schema_introspects_in_well_under_a_second() {
    const TABLES: usize = 2000;
    let db = PgDatabase::new();
    let mut client = db.connect();
    // 2,000 tables of 10 columns, 3 indexes each (the primary key's and two more), and a
    // foreign key from each table to the one before it.
    let mut ddl = String::new();
    for i in 0..TABLES {
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             parent_id bigint, name text NOT NULL, email varchar(200), created_at timestamptz \
             NOT NULL DEFAULT now(), amount numeric(12, 2) DEFAULT 0, flags integer[], \
             payload jsonb, active boolean NOT NULL DEFAULT true, note text);\n\
             CREATE INDEX t{i}_name_idx ON t{i} (name);\n\
             CREATE INDEX t{i}_lower_email_idx ON t{i} (lower(email)) WHERE active;\n"
        ));
        if i > 0 {
            ddl.push_str(&format!(
                "ALTER TABLE t{i} ADD CONSTRAINT t{i}_parent_fkey FOREIGN KEY (parent_id) \
                 REFERENCES t{} (id);\n",
                i - 1
            ));
        }
    }
    let started = Instant::now();
    client.batch_execute(&ddl).expect("large schema");
    eprintln!("created {TABLES} tables in {:?}", started.elapsed());

    let mut driver = driver(&db, "ratchet_history");
    // The first run also warms the new backend's catalog caches; report both.
    let mut timings = Vec::new();
    let mut schema = None;
    for _ in 0..3 {
        let started = Instant::now();
        schema = Some(driver.introspect().expect("introspect"));
        timings.push(started.elapsed());
    }
    let schema = schema.expect("ran");
    let columns: usize = schema.tables.values().map(|t| t.columns.len()).sum();
    let indexes: usize = schema.tables.values().map(|t| t.indexes.len()).sum();
    let constraints: usize = schema.tables.values().map(|t| t.constraints.len()).sum();
    eprintln!(
        "introspected {} tables, {columns} columns, {indexes} indexes (+{TABLES} primary keys), \
         {constraints} constraints: {timings:?}",
        schema.tables.len()
    );
    assert_eq!(schema.tables.len(), TABLES);
    assert_eq!(columns, TABLES * 10);
    assert_eq!(indexes, TABLES * 2);
    assert_eq!(constraints, TABLES * 2 - 1);
    // On a 2-core machine shared with other builds each run takes 0.2-0.3 s (debug build;
    // each run reads half of the relations on a second, new connection). The bound is on
    // the fastest run, so that a moment of load on a CI machine does not fail the build;
    // the figures above are the measurement.
    let fastest = timings.iter().min().expect("three runs");
    assert!(
        *fastest < Duration::from_secs(1),
        "introspecting {TABLES} tables took {timings:?}"
    );
}
