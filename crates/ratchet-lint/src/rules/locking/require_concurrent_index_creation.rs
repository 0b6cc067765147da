use pg_query::protobuf::Token;
use pg_query::NodeEnum;

use super::{created_here, display_name, head_span};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `CREATE INDEX` without `CONCURRENTLY` on a table that the migration did not create
/// itself.
///
/// ## Why is this bad?
/// A plain `CREATE INDEX` holds a SHARE lock on the table for the whole build: every
/// `INSERT`, `UPDATE` and `DELETE` on it waits until the index is built, which takes minutes
/// on a large table. `CREATE INDEX CONCURRENTLY` builds the index without blocking writes.
///
/// ## Example
/// ```sql
/// CREATE INDEX users_email_idx ON users (email);
/// ```
///
/// ## Use instead
/// ```sql
/// -- ratchet:no-transaction
/// CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
/// ```
///
/// `CONCURRENTLY` cannot run inside a transaction, so the migration needs
/// `-- ratchet:no-transaction`. An index on a table created earlier in the same migration,
/// and `CREATE INDEX ... ON ONLY` a partitioned table, are not flagged.
pub struct RequireConcurrentIndexCreation;

impl Rule for RequireConcurrentIndexCreation {
    fn id(&self) -> &'static str {
        "require-concurrent-index-creation"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let NodeEnum::IndexStmt(stmt) = cx.node else {
            return;
        };
        let Some(relation) = stmt.relation.as_ref() else {
            return;
        };
        // `ON ONLY` a partitioned table creates an empty, invalid index on the parent alone:
        // cheap, and it cannot be built concurrently anyway.
        if stmt.concurrent || !relation.inh || created_here(cx, relation) {
            return;
        }
        let table = display_name(relation);
        let what = if stmt.unique {
            "CREATE UNIQUE INDEX"
        } else {
            "CREATE INDEX"
        };
        let index = if stmt.idxname.is_empty() {
            format!("{what} on {table}")
        } else {
            format!("{what} {}", stmt.idxname)
        };
        let help = if cx.transactional {
            "use CREATE INDEX CONCURRENTLY, in its own migration with `-- ratchet:no-transaction` (it cannot run in a transaction)"
        } else {
            "use CREATE INDEX CONCURRENTLY"
        };
        out.push(cx.diagnostic(
            self.id(),
            severity,
            head_span(cx, Token::Index),
            format!("{index} without CONCURRENTLY blocks writes to {table} while the index builds"),
            Some(help),
        ));
    }
}
