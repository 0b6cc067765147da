//! Snapshots of the transaction-safety rules, firing and clean.

mod common;
use common::check_rule;

#[test]
fn concurrently_in_transaction_fires() {
    insta::assert_snapshot!(check_rule(
        "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\nDROP INDEX CONCURRENTLY old_idx;\nREINDEX INDEX CONCURRENTLY t_id_idx;\n",
        "concurrently-in-transaction"
    ));
}

#[test]
fn concurrently_in_transaction_clean_without_transaction() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
        "concurrently-in-transaction"
    ));
}

#[test]
fn non_transactional_statement_in_transaction_fires() {
    insta::assert_snapshot!(check_rule(
        "VACUUM events;\nVACUUM (ANALYZE) events;\nCREATE DATABASE reports;\nDROP DATABASE IF EXISTS scratch;\nALTER SYSTEM SET work_mem = '64MB';\nCREATE TABLESPACE fast LOCATION '/ssd';\nDROP TABLESPACE slow;\nCLUSTER;\nREINDEX SYSTEM app;\nREINDEX DATABASE app;\nREINDEX SCHEMA public;\nALTER DATABASE app SET TABLESPACE fast;\nDISCARD ALL;\n",
        "non-transactional-statement-in-transaction"
    ));
}

#[test]
fn non_transactional_statement_in_transaction_clean() {
    // ANALYZE alone, CLUSTER of one table, REINDEX of a table or index and ALTER DATABASE
    // SET of a parameter all run inside a transaction; REINDEX ... CONCURRENTLY is
    // concurrently-in-transaction's.
    insta::assert_snapshot!(check_rule(
        "ANALYZE events;\nCLUSTER events USING events_pkey;\nREINDEX TABLE events;\nREINDEX INDEX events_pkey;\nREINDEX SCHEMA CONCURRENTLY public;\nALTER DATABASE app SET work_mem = '64MB';\nDISCARD PLANS;\n",
        "non-transactional-statement-in-transaction"
    ));
}

#[test]
fn non_transactional_statement_clean_without_transaction() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nVACUUM events;\nCREATE DATABASE reports;\n",
        "non-transactional-statement-in-transaction"
    ));
}

#[test]
fn enum_value_used_in_same_transaction_fires() {
    insta::assert_snapshot!(check_rule(
        "ALTER TYPE mood ADD VALUE 'ecstatic';\nUPDATE people SET current_mood = 'ecstatic' WHERE name = 'Ann';\nINSERT INTO people (name, current_mood) VALUES ('Bob', 'ecstatic'::mood);\nALTER TABLE people ALTER COLUMN current_mood SET DEFAULT 'ecstatic';\nCREATE INDEX happy_people ON people (name) WHERE current_mood = 'ecstatic';\n",
        "enum-value-used-in-same-transaction"
    ));
}

#[test]
fn enum_value_used_in_same_transaction_clean() {
    // A use before the ADD VALUE, a label that only contains the new one, the label as an
    // ADD VALUE neighbour, a value added by another label, and a use in a no-transaction file.
    insta::assert_snapshot!(check_rule(
        "UPDATE people SET current_mood = 'ecstatic' WHERE current_mood = 'happy';\nALTER TYPE mood ADD VALUE 'ecstatic';\nALTER TYPE mood ADD VALUE 'elated' BEFORE 'ecstatic';\nSELECT 'ecstatic!', 'Ecstatic', 'happy';\n",
        "enum-value-used-in-same-transaction"
    ));
    insta::assert_snapshot!(
        "enum_value_used_in_same_transaction_clean_without_transaction",
        check_rule(
            "-- ratchet:no-transaction\nALTER TYPE mood ADD VALUE 'ecstatic';\nUPDATE people SET current_mood = 'ecstatic';\n",
            "enum-value-used-in-same-transaction"
        )
    );
}

#[test]
fn transaction_control_in_migration_fires() {
    insta::assert_snapshot!(check_rule(
        "CREATE TABLE accounts (id bigint PRIMARY KEY);\nCOMMIT;\nBEGIN;\nSAVEPOINT before_index;\nCREATE INDEX accounts_id_idx ON accounts (id);\nROLLBACK TO SAVEPOINT before_index;\nRELEASE SAVEPOINT before_index;\nend;\nSTART TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nPREPARE TRANSACTION 'tx1';\nCOMMIT PREPARED 'tx1';\nABORT;\n",
        "transaction-control-in-migration"
    ));
}

#[test]
fn transaction_control_in_migration_fires_on_a_pair_that_is_not_the_whole_file() {
    // BEGIN first and COMMIT last, but a ROLLBACK in between: the runner unwraps nothing.
    insta::assert_snapshot!(check_rule(
        "BEGIN;\nCREATE TABLE a (id int);\nROLLBACK;\nCOMMIT;\n",
        "transaction-control-in-migration"
    ));
    // COMMIT not last.
    insta::assert_snapshot!(
        "transaction_control_in_migration_fires_on_commit_not_last",
        check_rule(
            "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
            "transaction-control-in-migration"
        )
    );
}

#[test]
fn transaction_control_in_migration_clean_whole_file_pair() {
    insta::assert_snapshot!(check_rule(
        "-- create the accounts table\nBEGIN;\nCREATE TABLE accounts (id bigint PRIMARY KEY);\nSAVEPOINT s;\nCREATE INDEX accounts_id_idx ON accounts (id);\nRELEASE SAVEPOINT s;\nCOMMIT;\n-- done\n",
        "transaction-control-in-migration"
    ));
}

#[test]
fn transaction_control_in_migration_clean_without_transaction() {
    insta::assert_snapshot!(check_rule(
        "-- ratchet:no-transaction\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY a_id_idx ON a (id);\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n",
        "transaction-control-in-migration"
    ));
}
