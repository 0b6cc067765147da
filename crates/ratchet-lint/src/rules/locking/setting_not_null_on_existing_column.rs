use pg_query::protobuf::{AlterTableType, Token};

use super::{altered_existing_table, display_name, is, is_cmd, span, tokens};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `ALTER TABLE ... ALTER COLUMN ... SET NOT NULL` on an existing table.
///
/// ## Why is this bad?
/// `SET NOT NULL` takes an ACCESS EXCLUSIVE lock on the table and scans every row to check
/// there is no NULL: all reads and writes of the table wait for the whole scan. Since
/// PostgreSQL 12 the scan is skipped when a valid `CHECK (column IS NOT NULL)` constraint
/// already proves it, and such a constraint can be added and validated without blocking.
///
/// ## Example
/// ```sql
/// ALTER TABLE users ALTER COLUMN email SET NOT NULL;
/// ```
///
/// ## Use instead
/// ```sql
/// ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
/// -- in a later migration:
/// ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
/// ALTER TABLE users ALTER COLUMN email SET NOT NULL;
/// ALTER TABLE users DROP CONSTRAINT users_email_not_null;
/// ```
///
/// Tables created earlier in the same migration are not flagged.
pub struct SettingNotNullOnExistingColumn;

impl Rule for SettingNotNullOnExistingColumn {
    fn id(&self) -> &'static str {
        "setting-not-null-on-existing-column"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let Some((relation, cmds)) = altered_existing_table(cx) else {
            return;
        };
        let table = display_name(relation);
        let mut spans = None;
        let mut nth = 0;
        for cmd in cmds {
            if !is_cmd(cmd, AlterTableType::AtSetNotNull) {
                continue;
            }
            // The subcommand has no position: its span is the nth `ALTER ... SET NOT NULL`.
            let spans = spans.get_or_insert_with(|| set_not_null_spans(cx));
            let at = spans
                .get(nth)
                .copied()
                .unwrap_or_else(|| cx.statement_span());
            nth += 1;
            let column = &cmd.name;
            out.push(cx.diagnostic(
                self.id(),
                severity,
                at,
                format!(
                    "SET NOT NULL on {table}.{column} scans every row of {table} while it is locked against reads and writes"
                ),
                Some(format!(
                    "first add `CHECK ({column} IS NOT NULL) NOT VALID` and VALIDATE it in a later migration: SET NOT NULL then skips the scan (PostgreSQL 12+), and the check can be dropped"
                ).as_str()),
            ));
        }
    }
}

/// Each `ALTER [COLUMN] name SET NOT NULL` of the statement, in order.
fn set_not_null_spans(cx: &StatementContext<'_>) -> Vec<(usize, usize)> {
    let tokens = tokens(cx);
    let mut out = Vec::new();
    for (i, w) in tokens.windows(3).enumerate() {
        if is(&w[0], Token::Set) && is(&w[1], Token::Not) && is(&w[2], Token::NullP) {
            let start = tokens[..i]
                .iter()
                .rev()
                .find(|t| is(t, Token::Alter))
                .map_or(w[0].start, |t| t.start);
            out.push(span(cx, start, w[2].end));
        }
    }
    out
}
