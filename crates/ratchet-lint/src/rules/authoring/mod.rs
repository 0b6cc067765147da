//! Authoring and dependencies: idempotency, type preferences, and references to objects other migrations create.

use crate::rules::Rule;

pub static RULES: &[&dyn Rule] = &[];
