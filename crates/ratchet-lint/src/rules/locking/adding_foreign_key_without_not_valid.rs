use pg_query::protobuf::ConstrType;

use super::{
    added_constraints, altered_existing_table, constraint_label, constraint_span, display_name,
    is_constraint,
};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags a foreign key added to an existing table without `NOT VALID`, by
/// `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY` or `ADD COLUMN ... REFERENCES`.
///
/// ## Why is this bad?
/// Adding a foreign key takes a SHARE ROW EXCLUSIVE lock on both tables and checks every
/// existing row before it commits: writes to both tables wait for the whole scan.
/// With `NOT VALID` the constraint is added instantly (it still applies to new rows), and
/// `VALIDATE CONSTRAINT` checks the old rows later under a lock that blocks neither reads
/// nor writes.
///
/// ## Example
/// ```sql
/// ALTER TABLE orders ADD CONSTRAINT orders_user_fk
///     FOREIGN KEY (user_id) REFERENCES users (id);
/// ```
///
/// ## Use instead
/// ```sql
/// ALTER TABLE orders ADD CONSTRAINT orders_user_fk
///     FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
/// -- in a later migration:
/// ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
/// ```
///
/// A column's `REFERENCES` cannot be `NOT VALID`: add the column first, then the constraint.
/// Tables created earlier in the same migration are not flagged.
pub struct AddingForeignKeyWithoutNotValid;

impl Rule for AddingForeignKeyWithoutNotValid {
    fn id(&self) -> &'static str {
        "adding-foreign-key-without-not-valid"
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
            if !is_constraint(c, ConstrType::ConstrForeign) || c.skip_validation {
                continue;
            }
            let referenced = c
                .pktable
                .as_ref()
                .map_or_else(|| "?".to_owned(), display_name);
            let (what, help) = match column {
                Some(col) => (
                    format!("foreign key on new column {table}.{}", col.colname),
                    "add the column without REFERENCES, then the foreign key with `ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID`, and `VALIDATE CONSTRAINT` it in a later migration",
                ),
                None if c.conname.is_empty() => (
                    "foreign key".to_owned(),
                    "name it, add it with NOT VALID, then `VALIDATE CONSTRAINT` it in a later migration, which blocks neither reads nor writes",
                ),
                None => (
                    format!("foreign key{}", constraint_label(c)),
                    "add it with NOT VALID, then `VALIDATE CONSTRAINT` it in a later migration, which blocks neither reads nor writes",
                ),
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                constraint_span(cx, c),
                format!(
                    "{what} is validated as it is added: every row of {table} is checked while writes to {table} and {referenced} are blocked"
                ),
                Some(help),
            ));
        }
    }
}
