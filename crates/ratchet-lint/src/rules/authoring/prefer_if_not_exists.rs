use pg_query::protobuf::{AlterTableType, ObjectType};
use pg_query::NodeEnum;

use super::{quote_ident, relation};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `CREATE TABLE`, `CREATE TABLE ... AS`, `CREATE MATERIALIZED VIEW`, `CREATE INDEX`,
/// `ALTER TABLE ... ADD COLUMN`, `CREATE SCHEMA` and `CREATE EXTENSION` without
/// `IF NOT EXISTS`. An index without a name is flagged too: it cannot say `IF NOT EXISTS`, and
/// each run creates one more copy of it.
///
/// `CREATE TYPE` is not flagged: PostgreSQL has no `CREATE TYPE IF NOT EXISTS`. Temporary
/// tables are not flagged either: they vanish with the session.
///
/// ## Why is this bad?
/// A migration that fails half way (in a `-- ratchet:no-transaction` file, or after a manual
/// fix) has to be run again, and so do migrations replayed on a database that already has
/// some of the objects. Without `IF NOT EXISTS` the second run fails on the first object the
/// first run created.
///
/// ## Example
/// ```sql
/// CREATE TABLE users (id bigint PRIMARY KEY);
/// CREATE INDEX users_email_idx ON users (email);
/// ALTER TABLE users ADD COLUMN email text;
/// ```
///
/// ## Use instead
/// ```sql
/// CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);
/// CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);
/// ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;
/// ```
pub struct PreferIfNotExists;

impl Rule for PreferIfNotExists {
    fn id(&self) -> &'static str {
        "prefer-if-not-exists"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let mut report = |span, message: String, help: String| {
            out.push(cx.diagnostic(self.id(), severity, span, message, Some(&help)));
        };
        match cx.node {
            NodeEnum::CreateStmt(s) if !s.if_not_exists => {
                let Some(r) = &s.relation else { return };
                if r.relpersistence == "t" {
                    return;
                }
                let name = relation(r);
                report(
                    cx.statement_span(),
                    format!("CREATE TABLE {name} without IF NOT EXISTS fails when the table already exists"),
                    format!("write `CREATE TABLE IF NOT EXISTS {name}`"),
                );
            }
            NodeEnum::CreateTableAsStmt(s) if !s.if_not_exists && !s.is_select_into => {
                let Some(r) = s.into.as_ref().and_then(|i| i.rel.as_ref()) else {
                    return;
                };
                if r.relpersistence == "t" {
                    return;
                }
                let (what, kind) = if s.objtype == ObjectType::ObjectMatview as i32 {
                    ("CREATE MATERIALIZED VIEW", "materialized view")
                } else {
                    ("CREATE TABLE", "table")
                };
                let name = relation(r);
                report(
                    cx.statement_span(),
                    format!(
                        "{what} {name} without IF NOT EXISTS fails when the {kind} already exists"
                    ),
                    format!("write `{what} IF NOT EXISTS {name}`"),
                );
            }
            NodeEnum::IndexStmt(s) if !s.if_not_exists => {
                let what = format!(
                    "CREATE {}INDEX{}",
                    if s.unique { "UNIQUE " } else { "" },
                    if s.concurrent { " CONCURRENTLY" } else { "" }
                );
                let table = s.relation.as_ref().map(relation).unwrap_or_default();
                if s.idxname.is_empty() {
                    report(
                        cx.statement_span(),
                        format!("{what} ON {table} has no name, so every run creates another copy of the index"),
                        format!("name the index and write `{what} IF NOT EXISTS <name> ON {table} ...`"),
                    );
                } else {
                    let name = quote_ident(&s.idxname);
                    report(
                        cx.statement_span(),
                        format!("{what} {name} without IF NOT EXISTS fails when the index already exists"),
                        format!("write `{what} IF NOT EXISTS {name}`"),
                    );
                }
            }
            NodeEnum::AlterTableStmt(s) if s.objtype == ObjectType::ObjectTable as i32 => {
                let table = s.relation.as_ref().map(relation).unwrap_or_default();
                for cmd in &s.cmds {
                    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                        continue;
                    };
                    if cmd.subtype != AlterTableType::AtAddColumn as i32 || cmd.missing_ok {
                        continue;
                    }
                    let Some(NodeEnum::ColumnDef(column)) =
                        cmd.def.as_ref().and_then(|d| d.node.as_ref())
                    else {
                        continue;
                    };
                    let name = quote_ident(&column.colname);
                    report(
                        cx.span_at(column.location),
                        format!("ALTER TABLE {table} ADD COLUMN {name} without IF NOT EXISTS fails when the column already exists"),
                        format!("write `ADD COLUMN IF NOT EXISTS {name}`"),
                    );
                }
            }
            NodeEnum::CreateSchemaStmt(s) if !s.if_not_exists => {
                let name = if s.schemaname.is_empty() {
                    match s.authrole.as_ref() {
                        Some(role) => format!("AUTHORIZATION {}", quote_ident(&role.rolename)),
                        None => String::new(),
                    }
                } else {
                    quote_ident(&s.schemaname)
                };
                report(
                    cx.statement_span(),
                    format!("CREATE SCHEMA {name} without IF NOT EXISTS fails when the schema already exists"),
                    format!("write `CREATE SCHEMA IF NOT EXISTS {name}`"),
                );
            }
            NodeEnum::CreateExtensionStmt(s) if !s.if_not_exists => {
                let name = quote_ident(&s.extname);
                report(
                    cx.statement_span(),
                    format!("CREATE EXTENSION {name} without IF NOT EXISTS fails when the extension is already installed"),
                    format!("write `CREATE EXTENSION IF NOT EXISTS {name}`"),
                );
            }
            _ => {}
        }
    }
}
