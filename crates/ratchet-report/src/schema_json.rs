//! Schemas and schema differences for scripts: one JSON document each.
//!
//! A diff:
//!
//! ```json
//! {
//!   "ok": false,
//!   "left": "expected",
//!   "right": "live",
//!   "summary": { "missing": 1, "extra": 0, "changed": 1 },
//!   "changes": [
//!     { "change": "missing", "object": { "kind": "column", "table": "public.users",
//!       "relation": "table", "column": { "name": "email", "data_type": "text", ... } } },
//!     { "change": "column_type", "table": "public.users", "relation": "table",
//!       "column": "id", "left": "integer", "right": "uuid" }
//!   ]
//! }
//! ```
//!
//! `missing` counts objects only on the left side, `extra` those only on the right (see
//! `ratchet_schema::diff`). Names are `schema.name`; each change's fields are those of
//! `ratchet_schema::Change`, tagged by `change`.

use ratchet_schema::{Change, Direction, Schema};
use serde::Serialize;

use crate::schema_text::Sides;

#[derive(Debug, Serialize)]
pub struct DiffReport<'a> {
    /// True when the two sides are the same.
    pub ok: bool,
    pub left: &'a str,
    pub right: &'a str,
    pub summary: DiffSummary,
    pub changes: &'a [Change],
}

#[derive(Debug, Serialize)]
pub struct DiffSummary {
    pub missing: usize,
    pub extra: usize,
    pub changed: usize,
}

/// The document for `changes` between the sides named `sides`.
pub fn diff_document<'a>(changes: &'a [Change], sides: Sides<'a>) -> DiffReport<'a> {
    let count = |d: Direction| changes.iter().filter(|c| c.direction() == d).count();
    DiffReport {
        ok: changes.is_empty(),
        left: sides.left,
        right: sides.right,
        summary: DiffSummary {
            missing: count(Direction::Missing),
            extra: count(Direction::Extra),
            changed: count(Direction::Changed),
        },
        changes,
    }
}

/// The diff document as pretty-printed text, ending in a newline.
pub fn diff(changes: &[Change], sides: Sides<'_>) -> String {
    pretty(&diff_document(changes, sides))
}

/// The whole schema (the model's own serialisation), pretty-printed, ending in a newline.
pub fn schema(schema: &Schema) -> String {
    pretty(schema)
}

fn pretty(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("plain data always serialises");
    text.push('\n');
    text
}
