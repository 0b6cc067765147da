use pg_query::protobuf::{DropBehavior, ObjectType};
use pg_query::NodeEnum;

use super::{created_here, display_parts, find, name_parts, tokens, Pat};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `DROP TABLE`, except of a table created earlier in the same migration.
///
/// ## Why is this bad?
/// Dropping a table deletes its data for good, and the application version still running
/// during and after the deploy fails on every query that touches it. A rollback of the code
/// does not bring the data back.
///
/// ## Example
/// ```sql
/// DROP TABLE legacy_orders;
/// ```
///
/// ## Use instead
/// Stop using the table in the code first and deploy that; keep a backup (or rename the table
/// away and drop it in a later release); then drop it with a suppression that says why:
/// ```sql
/// -- ratchet:allow ban-drop-table -- unused since v4.2, archived to s3://backups/legacy_orders
/// DROP TABLE legacy_orders;
/// ```
pub struct BanDropTable;

impl Rule for BanDropTable {
    fn id(&self) -> &'static str {
        "ban-drop-table"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let NodeEnum::DropStmt(stmt) = cx.node else {
            return;
        };
        if stmt.remove_type != ObjectType::ObjectTable as i32 {
            return;
        }
        let cascade = stmt.behavior == DropBehavior::DropCascade as i32;
        let tokens = tokens(cx);
        for object in &stmt.objects {
            let Some(NodeEnum::List(list)) = &object.node else {
                continue;
            };
            let parts = name_parts(&list.items);
            if parts.is_empty() || created_here(cx, &parts) {
                continue;
            }
            let name = display_parts(&parts);
            let also = if cascade {
                ", and CASCADE also drops the views and foreign keys that depend on it"
            } else {
                ""
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                find(cx, &tokens, &[Pat::Name(&parts)]),
                format!("DROP TABLE deletes table {name} and all its rows{also}"),
                Some("make sure no running code uses the table and its data is no longer needed, then suppress this with a reason"),
            ));
        }
    }
}
