//! Snapshots of the locking rules, firing and clean.

mod common;
use common::{check, check_rule, check_with};

#[test]
fn require_concurrent_index_creation_fires() {
    insta::assert_snapshot!(check_rule(
        "CREATE INDEX users_email_idx ON users (email);\nCREATE UNIQUE INDEX\n    ON public.accounts (lower(name));\n",
        "require-concurrent-index-creation"
    ));
}

#[test]
fn require_concurrent_index_creation_fires_without_transaction() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nCREATE INDEX users_email_idx ON users (email);\n",
        "require-concurrent-index-creation"
    ));
}

#[test]
fn require_concurrent_index_creation_clean_concurrently() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
        "require-concurrent-index-creation"
    ));
}

#[test]
fn require_concurrent_index_creation_clean_new_table() {
    insta::assert_snapshot!(check_rule(
        "CREATE TABLE app.events (id bigint, at timestamptz);\nCREATE INDEX events_at_idx ON app.events (at);\nCREATE INDEX events_id_idx ON events (id);\nCREATE INDEX measurements_ts_idx ON ONLY measurements (ts);\n",
        "require-concurrent-index-creation"
    ));
}

#[test]
fn require_concurrent_index_deletion_fires() {
    insta::assert_snapshot!(check_rule(
        "DROP INDEX users_email_idx;\nDROP INDEX IF EXISTS a_idx, public.b_idx;\n",
        "require-concurrent-index-deletion"
    ));
}

#[test]
fn require_concurrent_index_deletion_clean() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n",
        "require-concurrent-index-deletion"
    ));
}

#[test]
fn adding_foreign_key_without_not_valid_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk\n    FOREIGN KEY (user_id) REFERENCES users (id);\nALTER TABLE orders ADD COLUMN shop_id bigint REFERENCES shops;\nALTER TABLE orders ADD FOREIGN KEY (item_id) REFERENCES items;\n",
        "adding-foreign-key-without-not-valid"
    ));
}

#[test]
fn adding_foreign_key_without_not_valid_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk\n    FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\nCREATE TABLE payments (id bigint, order_id bigint);\nALTER TABLE payments ADD CONSTRAINT payments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);\n",
        "adding-foreign-key-without-not-valid"
    ));
}

#[test]
fn adding_check_without_not_valid_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\nALTER TABLE orders ADD CHECK (qty > 0);\nALTER TABLE orders ADD COLUMN discount int CHECK (discount >= 0);\n",
        "adding-check-without-not-valid"
    ));
}

#[test]
fn adding_check_without_not_valid_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\nCREATE TABLE refunds (amount int);\nALTER TABLE refunds ADD CONSTRAINT refunds_amount_positive CHECK (amount > 0);\n",
        "adding-check-without-not-valid"
    ));
}

#[test]
fn setting_not_null_on_existing_column_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users\n    ALTER COLUMN name SET DEFAULT '',\n    ALTER COLUMN name SET NOT NULL,\n    ALTER phone SET NOT NULL;\n",
        "setting-not-null-on-existing-column"
    ));
}

#[test]
fn setting_not_null_on_existing_column_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;\nCREATE TABLE profiles (bio text);\nALTER TABLE profiles ALTER COLUMN bio SET NOT NULL;\n",
        "setting-not-null-on-existing-column"
    ));
}

#[test]
fn adding_not_null_column_without_default_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ADD COLUMN status text NOT NULL;\nALTER TABLE users ADD COLUMN code int DEFAULT NULL CONSTRAINT code_nn NOT NULL;\nALTER TABLE users ADD COLUMN uid int PRIMARY KEY;\n",
        "adding-not-null-column-without-default"
    ));
}

#[test]
fn adding_not_null_column_without_default_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';\nALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;\nALTER TABLE users ADD COLUMN s bigserial NOT NULL;\nALTER TABLE users ADD COLUMN nickname text;\nCREATE TABLE profiles (id bigint);\nALTER TABLE profiles ADD COLUMN bio text NOT NULL;\n",
        "adding-not-null-column-without-default"
    ));
}

#[test]
fn changing_column_type_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE orders ALTER COLUMN id TYPE bigint;\nALTER TABLE orders\n    ALTER note SET DATA TYPE text,\n    ALTER COLUMN type TYPE varchar(20);\n",
        "changing-column-type"
    ));
}

#[test]
fn changing_column_type_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE orders ADD COLUMN id_new bigint;\nCREATE TABLE refunds (id int);\nALTER TABLE refunds ALTER COLUMN id TYPE bigint;\n",
        "changing-column-type"
    ));
}

#[test]
fn adding_volatile_default_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\nALTER TABLE users ADD COLUMN bucket int DEFAULT (random() * 100)::int;\nALTER TABLE users ADD COLUMN seq_id bigserial;\nALTER TABLE users ADD COLUMN n bigint DEFAULT nextval('users_n_seq');\n",
        "adding-volatile-default"
    ));
}

#[test]
fn adding_volatile_default_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();\nALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT current_timestamp;\nALTER TABLE users ADD COLUMN token uuid;\nALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();\nCREATE TABLE sessions (id int);\nALTER TABLE sessions ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
        "adding-volatile-default"
    ));
}

#[test]
fn unique_constraint_without_index_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nALTER TABLE users ADD COLUMN handle text UNIQUE;\n",
        "unique-constraint-without-index"
    ));
}

#[test]
fn unique_constraint_without_index_clean() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;\nCREATE TABLE handles (name text);\nALTER TABLE handles ADD CONSTRAINT handles_name_key UNIQUE (name);\n",
        "unique-constraint-without-index"
    ));
}

#[test]
fn adding_primary_key_on_existing_table_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE events ADD PRIMARY KEY (id);\nALTER TABLE logs ADD CONSTRAINT logs_pkey PRIMARY KEY (id);\nALTER TABLE audit ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;\n",
        "adding-primary-key-on-existing-table"
    ));
}

#[test]
fn adding_primary_key_on_existing_table_clean() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;\nCREATE TABLE logs (id bigint NOT NULL);\nALTER TABLE logs ADD PRIMARY KEY (id);\n",
        "adding-primary-key-on-existing-table"
    ));
}

const LOCKING_STATEMENTS: &str = "ALTER TABLE users ADD COLUMN nickname text;\nDROP TABLE old_a, old_b;\nTRUNCATE sessions;\nCREATE INDEX users_name_idx ON users (name);\nDROP INDEX users_old_idx;\nALTER TABLE users RENAME COLUMN nickname TO handle;\n";

#[test]
fn require_lock_timeout_fires() {
    insta::assert_snapshot!(check_rule(LOCKING_STATEMENTS, "require-lock-timeout"));
}

#[test]
fn require_lock_timeout_clean_with_lock_timeout() {
    insta::assert_snapshot!(check_rule(
        &format!("SET lock_timeout = '5s';\n{LOCKING_STATEMENTS}"),
        "require-lock-timeout"
    ));
}

#[test]
fn require_lock_timeout_clean_new_table_and_weak_locks() {
    insta::assert_snapshot!(check_rule(
        "CREATE TABLE scratch (id int);\nALTER TABLE scratch ADD COLUMN note text;\nCREATE INDEX scratch_id_idx ON scratch (id);\nTRUNCATE scratch;\nDROP TABLE scratch;\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n",
        "require-lock-timeout"
    ));
}

#[test]
fn require_lock_timeout_is_off_by_default() {
    let rule = "[require-lock-timeout]";
    assert!(!check(LOCKING_STATEMENTS).contains(rule));
    assert!(check_with(LOCKING_STATEMENTS, &["require-lock-timeout"]).contains(rule));
}
