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
