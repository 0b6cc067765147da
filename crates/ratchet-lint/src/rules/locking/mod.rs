//! Locking: statements that take locks strong or long enough to stall production traffic.

use crate::rules::Rule;

pub static RULES: &[&dyn Rule] = &[];
