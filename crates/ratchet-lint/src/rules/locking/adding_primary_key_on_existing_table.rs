use pg_query::protobuf::ConstrType;

use super::{
    added_constraints, altered_existing_table, constraint_label, constraint_span, display_name,
    is_constraint,
};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags a primary key added to an existing table that builds its own index:
/// `ALTER TABLE ... ADD PRIMARY KEY (...)`, `ADD CONSTRAINT ... PRIMARY KEY (...)` or
/// `ADD COLUMN ... PRIMARY KEY`, rather than `ADD CONSTRAINT ... PRIMARY KEY USING INDEX`.
///
/// ## Why is this bad?
/// The primary key's index is built, and its columns are checked for NULLs, while the table
/// is held under an ACCESS EXCLUSIVE lock: every read and write of the table waits for the
/// whole build. An index built beforehand with `CREATE UNIQUE INDEX CONCURRENTLY` does not
/// block writes, and turning it into a primary key is instant when the columns are already
/// `NOT NULL`.
///
/// ## Example
/// ```sql
/// ALTER TABLE events ADD PRIMARY KEY (id);
/// ```
///
/// ## Use instead
/// ```sql
/// -- ratchet:no-transaction
/// CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);
/// ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;
/// ```
///
/// Make the columns `NOT NULL` first (see `setting-not-null-on-existing-column`), or adding
/// the primary key scans the table to check them. Tables created earlier in the same
/// migration are not flagged.
pub struct AddingPrimaryKeyOnExistingTable;

impl Rule for AddingPrimaryKeyOnExistingTable {
    fn id(&self) -> &'static str {
        "adding-primary-key-on-existing-table"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let Some((relation, cmds)) = altered_existing_table(cx) else {
            return;
        };
        let table = display_name(relation);
        for (column, c) in added_constraints(&cmds) {
            if !is_constraint(c, ConstrType::ConstrPrimary) || !c.indexname.is_empty() {
                continue;
            }
            let what = match column {
                Some(col) => format!("primary key on new column {table}.{}", col.colname),
                None => format!("primary key{} on {table}", constraint_label(c)),
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                constraint_span(cx, c),
                format!("{what} builds its index while {table} is locked against reads and writes"),
                Some("build the index first with `CREATE UNIQUE INDEX CONCURRENTLY` on NOT NULL columns, then `ADD CONSTRAINT ... PRIMARY KEY USING INDEX`"),
            ));
        }
    }
}
