use pg_query::protobuf::{AlterTableType, ObjectType};
use pg_query::NodeEnum;

use super::{dotted, quote_ident, relation};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `DROP TABLE`, `DROP INDEX`, `DROP SCHEMA`, `DROP EXTENSION`, `DROP TYPE` and
/// `ALTER TABLE ... DROP COLUMN` without `IF EXISTS`.
///
/// ## Why is this bad?
/// A migration that fails half way (in a `-- ratchet:no-transaction` file, or after a manual
/// fix) has to be run again, and so do migrations replayed on a database where the object is
/// already gone. Without `IF EXISTS` the second run fails on the object the first run dropped.
///
/// ## Example
/// ```sql
/// DROP INDEX users_email_idx;
/// ALTER TABLE users DROP COLUMN legacy_flag;
/// ```
///
/// ## Use instead
/// ```sql
/// DROP INDEX IF EXISTS users_email_idx;
/// ALTER TABLE users DROP COLUMN IF EXISTS legacy_flag;
/// ```
pub struct PreferIfExists;

impl Rule for PreferIfExists {
    fn id(&self) -> &'static str {
        "prefer-if-exists"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        match cx.node {
            NodeEnum::DropStmt(s) if !s.missing_ok => {
                let (what, kind) = match ObjectType::try_from(s.remove_type) {
                    Ok(ObjectType::ObjectTable) => ("DROP TABLE", "table"),
                    Ok(ObjectType::ObjectIndex) if s.concurrent => {
                        ("DROP INDEX CONCURRENTLY", "index")
                    }
                    Ok(ObjectType::ObjectIndex) => ("DROP INDEX", "index"),
                    Ok(ObjectType::ObjectSchema) => ("DROP SCHEMA", "schema"),
                    Ok(ObjectType::ObjectExtension) => ("DROP EXTENSION", "extension"),
                    Ok(ObjectType::ObjectType) => ("DROP TYPE", "type"),
                    _ => return,
                };
                let names: Vec<String> = s.objects.iter().filter_map(object_name).collect();
                let names = names.join(", ");
                let when = if s.objects.len() > 1 {
                    format!("any of these {kind}s does not exist")
                } else {
                    format!("the {kind} does not exist")
                };
                out.push(cx.diagnostic(
                    self.id(),
                    severity,
                    cx.statement_span(),
                    format!("{what} {names} without IF EXISTS fails when {when}"),
                    Some(&format!("write `{what} IF EXISTS {names}`")),
                ));
            }
            NodeEnum::AlterTableStmt(s) if s.objtype == ObjectType::ObjectTable as i32 => {
                let table = s.relation.as_ref().map(relation).unwrap_or_default();
                for cmd in &s.cmds {
                    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                        continue;
                    };
                    if cmd.subtype != AlterTableType::AtDropColumn as i32 || cmd.missing_ok {
                        continue;
                    }
                    let name = quote_ident(&cmd.name);
                    out.push(cx.diagnostic(
                        self.id(),
                        severity,
                        cx.statement_span(),
                        format!("ALTER TABLE {table} DROP COLUMN {name} without IF EXISTS fails when the column does not exist"),
                        Some(&format!("write `DROP COLUMN IF EXISTS {name}`")),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// The name of one object of a `DROP`, as it would be written.
fn object_name(node: &pg_query::protobuf::Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::List(list) => Some(dotted(&list.items)),
        NodeEnum::String(s) => Some(quote_ident(&s.sval)),
        NodeEnum::TypeName(t) => Some(dotted(&t.names)),
        _ => None,
    }
}
