use pg_query::protobuf::{AlterTableType, ObjectType, RangeVar, Token};
use pg_query::NodeEnum;

use super::{created_here, display_name, head_span, is_cmd, object_name};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags a statement that needs a lock blocking other queries (`ALTER TABLE`, `DROP TABLE`,
/// `TRUNCATE`, `CREATE INDEX` and `DROP INDEX` without `CONCURRENTLY`) on a table the
/// migration did not create, when nothing earlier in the file ran `SET lock_timeout`.
///
/// Off by default: ratchet already sets `lock_timeout` for every migration (the
/// `lock_timeout` setting, or `-- ratchet:lock-timeout` in a file). Turn it on when the
/// migrations are also run by other tools.
///
/// ## Why is this bad?
/// A statement waiting for its lock (behind a long query or an idle transaction) makes
/// every later conflicting query on the table wait behind it, so a migration that would
/// take milliseconds can stall the application for as long as the blocker runs. With
/// `lock_timeout` the statement gives up instead, and the migration can be retried.
///
/// ## Example
/// ```sql
/// ALTER TABLE users ADD COLUMN nickname text;
/// ```
///
/// ## Use instead
/// ```sql
/// SET lock_timeout = '5s';
/// ALTER TABLE users ADD COLUMN nickname text;
/// ```
pub struct RequireLockTimeout;

impl Rule for RequireLockTimeout {
    fn id(&self) -> &'static str {
        "require-lock-timeout"
    }

    fn default_severity(&self) -> Option<Severity> {
        None
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        if cx.state.lock_timeout_set {
            return;
        }
        let existing = |relations: Vec<&RangeVar>| -> Vec<String> {
            relations
                .into_iter()
                .filter(|r| !created_here(cx, r))
                .map(display_name)
                .collect()
        };
        // The statement, the tables it locks, its last leading keyword, who queues behind it.
        let (what, tables, last, blocked) = match cx.node {
            NodeEnum::AlterTableStmt(s) if s.objtype == ObjectType::ObjectTable as i32 => {
                if s.cmds.iter().all(|c| match &c.node {
                    Some(NodeEnum::AlterTableCmd(cmd)) => weak_lock(cmd),
                    _ => false,
                }) {
                    return;
                }
                (
                    "ALTER TABLE",
                    existing(s.relation.iter().collect()),
                    Token::Table,
                    "queries on",
                )
            }
            NodeEnum::RenameStmt(s) if s.relation_type == ObjectType::ObjectTable as i32 => (
                "ALTER TABLE ... RENAME",
                existing(s.relation.iter().collect()),
                Token::Table,
                "queries on",
            ),
            NodeEnum::DropStmt(s) if s.remove_type == ObjectType::ObjectTable as i32 => {
                let tables: Vec<String> = s
                    .objects
                    .iter()
                    .map(object_name)
                    .filter(|name| !cx.state.created_tables.contains(&name.to_lowercase()))
                    .collect();
                ("DROP TABLE", tables, Token::Table, "queries on")
            }
            NodeEnum::TruncateStmt(s) => {
                let relations = s
                    .relations
                    .iter()
                    .filter_map(|n| match &n.node {
                        Some(NodeEnum::RangeVar(r)) => Some(r),
                        _ => None,
                    })
                    .collect();
                (
                    "TRUNCATE",
                    existing(relations),
                    Token::Truncate,
                    "queries on",
                )
            }
            NodeEnum::IndexStmt(s) if !s.concurrent => match &s.relation {
                Some(r) if r.inh => ("CREATE INDEX", existing(vec![r]), Token::Index, "writes to"),
                _ => return,
            },
            NodeEnum::DropStmt(s)
                if s.remove_type == ObjectType::ObjectIndex as i32 && !s.concurrent =>
            {
                let names: Vec<String> = s.objects.iter().map(object_name).collect();
                out.push(cx.diagnostic(
                    self.id(),
                    severity,
                    head_span(cx, Token::Index),
                    format!(
                        "DROP INDEX {} waits for a lock on its table with no lock_timeout set: meanwhile, queries on that table queue behind it",
                        names.join(", ")
                    ),
                    Some(HELP),
                ));
                return;
            }
            _ => return,
        };
        if tables.is_empty() {
            return;
        }
        let tables = tables.join(", ");
        out.push(cx.diagnostic(
            self.id(),
            severity,
            head_span(cx, last),
            format!(
                "{what} waits for a lock on {tables} with no lock_timeout set: meanwhile, {blocked} {tables} queue behind it"
            ),
            Some(HELP),
        ));
    }
}

const HELP: &str = "set a lock timeout before it (`SET lock_timeout = '5s';`, or `-- ratchet:lock-timeout 5s` in the header) so it fails fast instead of stalling traffic";

/// Subcommands that only take a SHARE UPDATE EXCLUSIVE lock, which blocks neither reads nor
/// writes.
fn weak_lock(cmd: &pg_query::protobuf::AlterTableCmd) -> bool {
    [
        AlterTableType::AtValidateConstraint,
        AlterTableType::AtSetStatistics,
        AlterTableType::AtSetOptions,
        AlterTableType::AtResetOptions,
        AlterTableType::AtClusterOn,
        AlterTableType::AtDropCluster,
    ]
    .into_iter()
    .any(|t| is_cmd(cmd, t))
}
