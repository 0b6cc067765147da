use pg_query::protobuf::{AlterTableType, Token};
use pg_query::NodeEnum;

use super::{alter_column_span, altered_existing_table, display_name, is_cmd};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `ALTER TABLE ... ALTER COLUMN ... TYPE` on an existing table.
///
/// ## Why is this bad?
/// Changing a column's type takes an ACCESS EXCLUSIVE lock on the table and, unless the old
/// and new types are binary compatible (such as `varchar(50)` to `varchar(100)` or `text`),
/// rewrites the whole table and rebuilds its indexes: every read and write of the table
/// waits until it is done.
///
/// ## Example
/// ```sql
/// ALTER TABLE orders ALTER COLUMN id TYPE bigint;
/// ```
///
/// ## Use instead
/// Add a new column of the new type, keep both in sync (a trigger) while you backfill it in
/// batches, then switch readers and writers to it and drop the old column. Tables created
/// earlier in the same migration are not flagged.
pub struct ChangingColumnType;

impl Rule for ChangingColumnType {
    fn id(&self) -> &'static str {
        "changing-column-type"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let Some((relation, cmds)) = altered_existing_table(cx) else {
            return;
        };
        let table = display_name(relation);
        for cmd in cmds {
            if !is_cmd(cmd, AlterTableType::AtAlterColumnType) {
                continue;
            }
            let at = match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                Some(NodeEnum::ColumnDef(col)) => alter_column_span(cx, col.location, Token::TypeP),
                _ => cx.statement_span(),
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                at,
                format!(
                    "changing the type of {table}.{} locks {table} against reads and writes and, unless the types are binary compatible, rewrites it and its indexes",
                    cmd.name
                ),
                Some("add a column of the new type, backfill it in batches, then switch to it and drop the old one"),
            ));
        }
    }
}
