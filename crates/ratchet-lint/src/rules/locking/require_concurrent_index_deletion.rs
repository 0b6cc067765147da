use pg_query::protobuf::{ObjectType, Token};
use pg_query::NodeEnum;

use super::{head_span, object_name};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `DROP INDEX` without `CONCURRENTLY`.
///
/// ## Why is this bad?
/// A plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table: while it waits
/// for running queries to finish, and while it runs, every read and write of the table
/// waits. `DROP INDEX CONCURRENTLY` waits for conflicting transactions without blocking
/// new ones.
///
/// ## Example
/// ```sql
/// DROP INDEX users_email_idx;
/// ```
///
/// ## Use instead
/// ```sql
/// -- ratchet:no-transaction
/// DROP INDEX CONCURRENTLY users_email_idx;
/// ```
///
/// `CONCURRENTLY` cannot run inside a transaction, so the migration needs
/// `-- ratchet:no-transaction`, and it drops one index per statement.
pub struct RequireConcurrentIndexDeletion;

impl Rule for RequireConcurrentIndexDeletion {
    fn id(&self) -> &'static str {
        "require-concurrent-index-deletion"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let NodeEnum::DropStmt(stmt) = cx.node else {
            return;
        };
        if stmt.concurrent || stmt.remove_type != ObjectType::ObjectIndex as i32 {
            return;
        }
        let names: Vec<String> = stmt.objects.iter().map(object_name).collect();
        let help = match (names.len() > 1, cx.transactional) {
            (true, _) => "drop each index in its own `DROP INDEX CONCURRENTLY` statement, in a migration with `-- ratchet:no-transaction`",
            (false, true) => "use DROP INDEX CONCURRENTLY, in its own migration with `-- ratchet:no-transaction` (it cannot run in a transaction)",
            (false, false) => "use DROP INDEX CONCURRENTLY",
        };
        out.push(cx.diagnostic(
            self.id(),
            severity,
            head_span(cx, Token::Index),
            format!(
                "DROP INDEX {} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on {}, blocking reads and writes",
                names.join(", "),
                if names.len() > 1 { "their tables" } else { "its table" }
            ),
            Some(help),
        ));
    }
}
