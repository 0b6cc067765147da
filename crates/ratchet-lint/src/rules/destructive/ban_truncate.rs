use pg_query::NodeEnum;

use super::{display_relation, find, relation_created_here, tokens, Pat};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `TRUNCATE`, except of a table created earlier in the same migration.
///
/// ## Why is this bad?
/// `TRUNCATE` deletes every row of the table for good (with `CASCADE`, of the tables that
/// reference it too), and takes an `ACCESS EXCLUSIVE` lock that blocks even reads while it
/// waits for and holds it. A migration is rarely the right place to throw data away.
///
/// ## Example
/// ```sql
/// TRUNCATE audit_log;
/// ```
///
/// ## Use instead
/// Delete the rows you mean to delete, in batches if there are many, or suppress this with a
/// reason when the table really is disposable:
/// ```sql
/// DELETE FROM audit_log WHERE created_at < now() - interval '90 days';
/// ```
pub struct BanTruncate;

impl Rule for BanTruncate {
    fn id(&self) -> &'static str {
        "ban-truncate"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let NodeEnum::TruncateStmt(stmt) = cx.node else {
            return;
        };
        let tokens = tokens(cx);
        for relation in &stmt.relations {
            let Some(NodeEnum::RangeVar(relation)) = &relation.node else {
                continue;
            };
            if relation_created_here(cx, relation) {
                continue;
            }
            let parts: Vec<&str> = [
                &relation.catalogname,
                &relation.schemaname,
                &relation.relname,
            ]
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(String::as_str)
            .collect();
            let table = display_relation(relation);
            out.push(cx.diagnostic(
                self.id(),
                severity,
                find(cx, &tokens, &[Pat::Name(&parts)]),
                format!("TRUNCATE deletes every row of {table}"),
                Some("delete only the rows you mean to, or suppress this with a reason if the data is disposable"),
            ));
        }
    }
}
