//! Snapshots of the destructive / breaking-change rules, firing and clean.

mod common;
use common::check_rule;

#[test]
fn ban_drop_table_fires() {
    insta::assert_snapshot!(check_rule(
        "DROP TABLE legacy_orders;\nDROP TABLE IF EXISTS archive.\"OldEvents\", audit CASCADE;\n",
        "ban-drop-table"
    ));
}

#[test]
fn ban_drop_table_clean() {
    // Tables created earlier in the same file, and other objects dropped.
    insta::assert_snapshot!(check_rule(
        "CREATE TABLE tmp_import (id int);\nCREATE TABLE staging.rows AS SELECT 1 AS id;\nDROP TABLE tmp_import;\nDROP TABLE staging.rows;\nDROP VIEW legacy_orders;\nDROP INDEX orders_idx;\n",
        "ban-drop-table"
    ));
}

#[test]
fn ban_drop_column_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users\n    DROP COLUMN legacy_email,\n    DROP COLUMN IF EXISTS \"Nickname\";\n",
        "ban-drop-column"
    ));
}

#[test]
fn ban_drop_column_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ADD COLUMN email text;\nALTER TABLE users DROP CONSTRAINT users_email_key;\nCREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;\n",
        "ban-drop-column"
    ));
}

#[test]
fn ban_drop_schema_fires() {
    insta::assert_snapshot!(check_rule(
        "DROP SCHEMA reporting CASCADE;\nDROP SCHEMA IF EXISTS scratch;\n",
        "ban-drop-schema"
    ));
}

#[test]
fn ban_drop_schema_clean() {
    insta::assert_snapshot!(check_rule(
        "CREATE SCHEMA reporting;\nDROP TABLE reporting.t;\nDROP TYPE reporting.mood;\n",
        "ban-drop-schema"
    ));
}

#[test]
fn ban_truncate_fires() {
    insta::assert_snapshot!(check_rule(
        "TRUNCATE audit_log;\nTRUNCATE TABLE public.events, sessions RESTART IDENTITY CASCADE;\n",
        "ban-truncate"
    ));
}

#[test]
fn ban_truncate_clean() {
    insta::assert_snapshot!(check_rule(
        "DELETE FROM audit_log WHERE created_at < now() - interval '90 days';\nCREATE TABLE import_buffer (line text);\nTRUNCATE import_buffer;\n",
        "ban-truncate"
    ));
}

#[test]
fn renaming_column_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users RENAME COLUMN email TO email_address;\nALTER TABLE public.users RENAME \"Name\" TO full_name;\n",
        "renaming-column"
    ));
}

#[test]
fn renaming_column_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER VIEW active_users RENAME COLUMN email TO email_address;\nALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_unique;\nCREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;\n",
        "renaming-column"
    ));
}

#[test]
fn renaming_table_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users RENAME TO accounts;\nALTER TABLE IF EXISTS billing.invoices RENAME TO \"Invoices\";\n",
        "renaming-table"
    ));
}

#[test]
fn renaming_table_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER VIEW active_users RENAME TO current_users;\nALTER INDEX users_pkey RENAME TO accounts_pkey;\nALTER TABLE users RENAME COLUMN email TO email_address;\nCREATE TABLE accounts_new (id int);\nALTER TABLE accounts_new RENAME TO accounts_next;\n",
        "renaming-table"
    ));
}

#[test]
fn ban_drop_not_null_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\nALTER TABLE billing.invoices\n    ALTER due_at DROP NOT NULL,\n    ALTER COLUMN paid_at SET NOT NULL;\n",
        "ban-drop-not-null"
    ));
}

#[test]
fn ban_drop_not_null_clean() {
    insta::assert_snapshot!(check_rule(
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ALTER COLUMN email DROP DEFAULT;\nCREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n",
        "ban-drop-not-null"
    ));
}
