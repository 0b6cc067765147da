use pg_query::protobuf::AlterTableType;

use super::{alter_table_cmds, find, quote_ident, tokens, Pat};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL`, except on a table created earlier
/// in the same migration.
///
/// ## Why is this bad?
/// Once the column accepts NULLs, new rows can carry them, and code (or other services,
/// reports, exports) written on the assumption that the column is always set breaks on
/// them. Putting the constraint back later needs every NULL fixed first.
///
/// ## Example
/// ```sql
/// ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
/// ```
///
/// ## Use instead
/// Make sure every reader of the column handles NULL and deploy that first, then drop the
/// constraint with a suppression that says why:
/// ```sql
/// -- ratchet:allow ban-drop-not-null -- all readers handle a missing email since v3.1
/// ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
/// ```
pub struct BanDropNotNull;

impl Rule for BanDropNotNull {
    fn id(&self) -> &'static str {
        "ban-drop-not-null"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let Some((table, cmds)) = alter_table_cmds(cx, AlterTableType::AtDropNotNull) else {
            return;
        };
        let tokens = tokens(cx);
        for cmd in cmds {
            let span = find(
                cx,
                &tokens,
                &[
                    Pat::Keyword("alter"),
                    Pat::Optional(&["column"]),
                    Pat::Name(&[cmd.name.as_str()]),
                    Pat::Keyword("drop"),
                    Pat::Keyword("not"),
                    Pat::Keyword("null"),
                ],
            );
            let column = quote_ident(&cmd.name);
            out.push(cx.diagnostic(
                self.id(),
                severity,
                span,
                format!("DROP NOT NULL lets column {column} of {table} hold NULLs, which code that expects a value breaks on"),
                Some("make sure every reader of the column handles NULL, then suppress this with a reason"),
            ));
        }
    }
}
