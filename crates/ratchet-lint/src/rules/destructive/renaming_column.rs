use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

use super::{display_relation, quote_ident, relation_created_here};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `ALTER TABLE ... RENAME COLUMN`, except on a table created earlier in the same
/// migration.
///
/// ## Why is this bad?
/// The application version still running during and after the deploy uses the old name, and
/// every query that names the column fails until the new code is out everywhere.
///
/// ## Example
/// ```sql
/// ALTER TABLE users RENAME COLUMN email TO email_address;
/// ```
///
/// ## Use instead
/// Add the new column, write to both and backfill, switch the reads, then drop the old column
/// in a later release:
/// ```sql
/// ALTER TABLE users ADD COLUMN email_address text;
/// ```
pub struct RenamingColumn;

impl Rule for RenamingColumn {
    fn id(&self) -> &'static str {
        "renaming-column"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let NodeEnum::RenameStmt(stmt) = cx.node else {
            return;
        };
        if stmt.rename_type != ObjectType::ObjectColumn as i32
            || stmt.relation_type != ObjectType::ObjectTable as i32
        {
            return;
        }
        let Some(relation) = &stmt.relation else {
            return;
        };
        if relation_created_here(cx, relation) {
            return;
        }
        out.push(cx.diagnostic(
            self.id(),
            severity,
            cx.statement_span(),
            format!(
                "renaming column {} of {} to {} breaks code that still uses the old name",
                quote_ident(&stmt.subname),
                display_relation(relation),
                quote_ident(&stmt.newname),
            ),
            Some("add the new column, backfill it and move the code over, then drop the old one in a later release"),
        ));
    }
}
