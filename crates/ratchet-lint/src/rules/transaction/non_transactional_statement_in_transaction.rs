use pg_query::protobuf::{DiscardMode, ReindexObjectType};
use pg_query::NodeEnum;

use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags statements PostgreSQL refuses to run inside a transaction block, in a migration that
/// runs inside a transaction: `VACUUM`, `CREATE DATABASE`, `DROP DATABASE`,
/// `ALTER DATABASE ... SET TABLESPACE`, `ALTER SYSTEM`, `CREATE TABLESPACE`,
/// `DROP TABLESPACE`, `CLUSTER` without a table name, `REINDEX SCHEMA`, `REINDEX SYSTEM`,
/// `REINDEX DATABASE` and `DISCARD ALL`. (The `CONCURRENTLY` forms are
/// `concurrently-in-transaction`'s.)
///
/// ## Why is this bad?
/// PostgreSQL rejects them with "... cannot run inside a transaction block", so the
/// migration fails at deploy time, after everything before it in the file was executed and
/// rolled back.
///
/// ## Example
/// ```sql
/// DELETE FROM events WHERE created_at < now() - interval '1 year';
/// VACUUM events;
/// ```
///
/// ## Use instead
/// Put the statement in its own migration whose header says `-- ratchet:no-transaction`
/// (or, for database-wide maintenance, run it outside migrations):
/// ```sql
/// -- ratchet:no-transaction
/// VACUUM events;
/// ```
pub struct NonTransactionalStatementInTransaction;

impl Rule for NonTransactionalStatementInTransaction {
    fn id(&self) -> &'static str {
        "non-transactional-statement-in-transaction"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        if !cx.transactional {
            return;
        }
        let Some(what) = non_transactional(cx.node) else {
            return;
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

/// What `node` is, if PostgreSQL refuses to run it in a transaction block.
fn non_transactional(node: &NodeEnum) -> Option<&'static str> {
    Some(match node {
        // `ANALYZE` alone is allowed in a transaction; `VACUUM [ANALYZE]` is not.
        NodeEnum::VacuumStmt(s) if s.is_vacuumcmd => "VACUUM",
        NodeEnum::CreatedbStmt(_) => "CREATE DATABASE",
        NodeEnum::DropdbStmt(_) => "DROP DATABASE",
        NodeEnum::AlterDatabaseStmt(s) if sets_tablespace(&s.options) => {
            "ALTER DATABASE ... SET TABLESPACE"
        }
        NodeEnum::AlterSystemStmt(_) => "ALTER SYSTEM",
        NodeEnum::CreateTableSpaceStmt(_) => "CREATE TABLESPACE",
        NodeEnum::DropTableSpaceStmt(_) => "DROP TABLESPACE",
        NodeEnum::ClusterStmt(s) if s.relation.is_none() => "CLUSTER without a table name",
        NodeEnum::ReindexStmt(s) if !has_option(&s.params, "concurrently") => {
            match ReindexObjectType::try_from(s.kind).ok()? {
                ReindexObjectType::ReindexObjectSchema => "REINDEX SCHEMA",
                ReindexObjectType::ReindexObjectSystem => "REINDEX SYSTEM",
                ReindexObjectType::ReindexObjectDatabase => "REINDEX DATABASE",
                _ => return None,
            }
        }
        NodeEnum::DiscardStmt(s) if s.target == DiscardMode::DiscardAll as i32 => "DISCARD ALL",
        _ => return None,
    })
}

fn has_option(options: &[pg_query::protobuf::Node], name: &str) -> bool {
    options.iter().any(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) => d.defname.eq_ignore_ascii_case(name),
        _ => false,
    })
}

fn sets_tablespace(options: &[pg_query::protobuf::Node]) -> bool {
    has_option(options, "tablespace")
}
