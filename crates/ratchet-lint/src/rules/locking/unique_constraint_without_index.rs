use pg_query::protobuf::ConstrType;

use super::{
    added_constraints, altered_existing_table, constraint_label, constraint_span, display_name,
    is_constraint,
};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags a `UNIQUE` constraint added to an existing table that builds its own index:
/// `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE (...)` or `ADD COLUMN ... UNIQUE`, rather than
/// `ADD CONSTRAINT ... UNIQUE USING INDEX`.
///
/// ## Why is this bad?
/// The constraint's index is built while the table is held under an ACCESS EXCLUSIVE lock:
/// every read and write of the table waits for the whole build. An index built beforehand
/// with `CREATE UNIQUE INDEX CONCURRENTLY` does not block writes, and turning it into a
/// constraint is instant.
///
/// ## Example
/// ```sql
/// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
/// ```
///
/// ## Use instead
/// ```sql
/// -- ratchet:no-transaction
/// CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
/// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
/// ```
///
/// Primary keys are checked by `adding-primary-key-on-existing-table`. Tables created
/// earlier in the same migration are not flagged.
pub struct UniqueConstraintWithoutIndex;

impl Rule for UniqueConstraintWithoutIndex {
    fn id(&self) -> &'static str {
        "unique-constraint-without-index"
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
            if !is_constraint(c, ConstrType::ConstrUnique) || !c.indexname.is_empty() {
                continue;
            }
            let what = match column {
                Some(col) => format!("unique constraint on new column {table}.{}", col.colname),
                None => format!("unique constraint{} on {table}", constraint_label(c)),
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                constraint_span(cx, c),
                format!("{what} builds its index while {table} is locked against reads and writes"),
                Some("build the index first with `CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT ... UNIQUE USING INDEX`"),
            ));
        }
    }
}
