//! Transaction safety: statements PostgreSQL refuses, or mishandles, inside the transaction the runner wraps a migration in.

use crate::rules::Rule;

mod concurrently_in_transaction;
mod enum_value_used_in_same_transaction;
mod non_transactional_statement_in_transaction;
mod string_constants;
mod transaction_control_in_migration;

pub static RULES: &[&dyn Rule] = &[
    &concurrently_in_transaction::ConcurrentlyInTransaction,
    &non_transactional_statement_in_transaction::NonTransactionalStatementInTransaction,
    &enum_value_used_in_same_transaction::EnumValueUsedInSameTransaction,
    &transaction_control_in_migration::TransactionControlInMigration,
];
