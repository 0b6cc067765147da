use pg_query::protobuf::ConstrType;

use super::{
    added_constraints, altered_existing_table, constraint_label, constraint_span, display_name,
    is_constraint,
};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags a `CHECK` constraint added to an existing table without `NOT VALID`, by
/// `ALTER TABLE ... ADD CONSTRAINT ... CHECK` or `ADD COLUMN ... CHECK`.
///
/// ## Why is this bad?
/// Adding a check constraint takes an ACCESS EXCLUSIVE lock on the table and checks every
/// existing row before it commits: all reads and writes of the table wait for the whole
/// scan. With `NOT VALID` the constraint is added instantly (it still applies to new rows),
/// and `VALIDATE CONSTRAINT` checks the old rows later under a lock that blocks neither
/// reads nor writes.
///
/// ## Example
/// ```sql
/// ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
/// ```
///
/// ## Use instead
/// ```sql
/// ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
/// -- in a later migration:
/// ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
/// ```
///
/// A column's `CHECK` cannot be `NOT VALID`: add the column first, then the constraint.
/// Tables created earlier in the same migration are not flagged.
pub struct AddingCheckWithoutNotValid;

impl Rule for AddingCheckWithoutNotValid {
    fn id(&self) -> &'static str {
        "adding-check-without-not-valid"
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
            if !is_constraint(c, ConstrType::ConstrCheck) || c.skip_validation {
                continue;
            }
            let (what, help) = match column {
                Some(col) => (
                    format!("check constraint on new column {table}.{}", col.colname),
                    "add the column without CHECK, then the constraint with `ADD CONSTRAINT ... CHECK (...) NOT VALID`, and `VALIDATE CONSTRAINT` it in a later migration",
                ),
                None if c.conname.is_empty() => (
                    "check constraint".to_owned(),
                    "name it, add it with NOT VALID, then `VALIDATE CONSTRAINT` it in a later migration, which blocks neither reads nor writes",
                ),
                None => (
                    format!("check constraint{}", constraint_label(c)),
                    "add it with NOT VALID, then `VALIDATE CONSTRAINT` it in a later migration, which blocks neither reads nor writes",
                ),
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                constraint_span(cx, c),
                format!(
                    "{what} is validated as it is added: every row of {table} is checked while {table} is locked against reads and writes"
                ),
                Some(help),
            ));
        }
    }
}
