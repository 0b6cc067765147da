//! Destructive or breaking changes: data loss, or a schema the running code no longer matches.

use crate::rules::Rule;

pub static RULES: &[&dyn Rule] = &[];
