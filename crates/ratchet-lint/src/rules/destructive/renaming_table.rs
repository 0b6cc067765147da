use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

use super::{display_relation, quote_ident, relation_created_here};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `ALTER TABLE ... RENAME TO`, except of a table created earlier in the same
/// migration.
///
/// ## Why is this bad?
/// The application version still running during and after the deploy uses the old name, and
/// every query on the table fails until the new code is out everywhere.
///
/// ## Example
/// ```sql
/// ALTER TABLE users RENAME TO accounts;
/// ```
///
/// ## Use instead
/// Rename the table and leave a view under the old name until no code uses it, or create the
/// new table, copy the data and move the code over before dropping the old one:
/// ```sql
/// ALTER TABLE users RENAME TO accounts;
/// CREATE VIEW users AS SELECT * FROM accounts;
/// ```
pub struct RenamingTable;

impl Rule for RenamingTable {
    fn id(&self) -> &'static str {
        "renaming-table"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let NodeEnum::RenameStmt(stmt) = cx.node else {
            return;
        };
        if stmt.rename_type != ObjectType::ObjectTable as i32 {
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
                "renaming table {} to {} breaks code that still uses the old name",
                display_relation(relation),
                quote_ident(&stmt.newname),
            ),
            Some("keep a view under the old name until no code uses it, or copy to a new table and move the code over first"),
        ));
    }
}
