use pg_query::NodeEnum;

use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY`
/// and `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY` in a migration that runs inside a
/// transaction.
///
/// ## Why is this bad?
/// PostgreSQL refuses these inside a transaction block ("cannot run inside a transaction
/// block"), so the migration fails at deploy time, after everything before it was applied.
///
/// ## Example
/// ```sql
/// CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
/// ```
///
/// ## Use instead
/// Put the statement in its own migration whose header says `-- ratchet:no-transaction`.
pub struct ConcurrentlyInTransaction;

impl Rule for ConcurrentlyInTransaction {
    fn id(&self) -> &'static str {
        "concurrently-in-transaction"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        if !cx.transactional {
            return;
        }
        let what = match cx.node {
            NodeEnum::IndexStmt(s) if s.concurrent => "CREATE INDEX CONCURRENTLY",
            NodeEnum::DropStmt(s) if s.concurrent => "DROP INDEX CONCURRENTLY",
            NodeEnum::ReindexStmt(s) if reindex_concurrently(s) => "REINDEX CONCURRENTLY",
            NodeEnum::AlterTableStmt(s) if detach_concurrently(s) => {
                "DETACH PARTITION CONCURRENTLY"
            }
            _ => return,
        };
        out.push(cx.diagnostic(
            self.id(),
            severity,
            cx.statement_span(),
            format!("{what} cannot run inside a transaction, and this migration runs in one"),
            Some("move it to its own migration with `-- ratchet:no-transaction` in the header"),
        ));
    }
}

fn reindex_concurrently(stmt: &pg_query::protobuf::ReindexStmt) -> bool {
    stmt.params.iter().any(|p| match &p.node {
        Some(NodeEnum::DefElem(d)) => d.defname.eq_ignore_ascii_case("concurrently"),
        _ => false,
    })
}

fn detach_concurrently(stmt: &pg_query::protobuf::AlterTableStmt) -> bool {
    stmt.cmds.iter().any(|c| match &c.node {
        Some(NodeEnum::AlterTableCmd(cmd)) => {
            match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                Some(NodeEnum::PartitionCmd(p)) => p.concurrent,
                _ => false,
            }
        }
        _ => false,
    })
}
