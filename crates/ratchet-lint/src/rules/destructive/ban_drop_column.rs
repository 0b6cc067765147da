use pg_query::protobuf::AlterTableType;

use super::{alter_table_cmds, find, quote_ident, tokens, Pat};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `ALTER TABLE ... DROP COLUMN`, except on a table created earlier in the same
/// migration.
///
/// ## Why is this bad?
/// The column's data is gone for good, and the application version still running during and
/// after the deploy fails on every query that names the column (including `INSERT`s that
/// list it).
///
/// ## Example
/// ```sql
/// ALTER TABLE users DROP COLUMN legacy_email;
/// ```
///
/// ## Use instead
/// Stop reading and writing the column in the code first and deploy that; then drop it in a
/// later migration, with a suppression that says why:
/// ```sql
/// -- ratchet:allow ban-drop-column -- unused since v4.2
/// ALTER TABLE users DROP COLUMN legacy_email;
/// ```
pub struct BanDropColumn;

impl Rule for BanDropColumn {
    fn id(&self) -> &'static str {
        "ban-drop-column"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let Some((table, cmds)) = alter_table_cmds(cx, AlterTableType::AtDropColumn) else {
            return;
        };
        let tokens = tokens(cx);
        for cmd in cmds {
            let span = find(
                cx,
                &tokens,
                &[
                    Pat::Keyword("drop"),
                    Pat::Optional(&["column"]),
                    Pat::Optional(&["if", "exists"]),
                    Pat::Name(&[cmd.name.as_str()]),
                ],
            );
            let column = quote_ident(&cmd.name);
            out.push(cx.diagnostic(
                self.id(),
                severity,
                span,
                format!("DROP COLUMN deletes column {column} of {table} and its data, and breaks code that still uses it"),
                Some("stop using the column in the code and deploy that first, then suppress this with a reason"),
            ));
        }
    }
}
