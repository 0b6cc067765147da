//! Transaction safety: statements PostgreSQL refuses, or mishandles, inside the transaction the runner wraps a migration in.

use crate::rules::Rule;

mod concurrently_in_transaction;

pub static RULES: &[&dyn Rule] = &[&concurrently_in_transaction::ConcurrentlyInTransaction];
