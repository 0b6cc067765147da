use super::{builtin_type, defined_columns, quote_ident, spelled, type_span};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags columns declared as `varchar(n)` / `character varying(n)` in `CREATE TABLE`,
/// `ALTER TABLE ... ADD COLUMN` and `ALTER COLUMN ... TYPE`. Off by default. `varchar`
/// without a length is not flagged: it behaves exactly like `text`.
///
/// ## Why is this bad?
/// In PostgreSQL `varchar(n)` is `text` plus a length check: it is not faster or smaller.
/// The limit is usually a guess, and changing it later is an `ALTER COLUMN ... TYPE` that
/// takes an `ACCESS EXCLUSIVE` lock (and, when the limit shrinks, rewrites the table).
///
/// ## Example
/// ```sql
/// CREATE TABLE users (email varchar(255) NOT NULL);
/// ```
///
/// ## Use instead
/// ```sql
/// CREATE TABLE users (email text NOT NULL CHECK (length(email) <= 255));
/// ```
pub struct PreferTextOverVarchar;

impl Rule for PreferTextOverVarchar {
    fn id(&self) -> &'static str {
        "prefer-text-over-varchar"
    }

    fn default_severity(&self) -> Option<Severity> {
        None
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        for (column_name, column) in defined_columns(cx.node) {
            let Some(type_name) = &column.type_name else {
                continue;
            };
            if builtin_type(type_name) != Some("varchar") || type_name.typmods.is_empty() {
                continue;
            }
            let span = type_span(cx, type_name.location);
            out.push(cx.diagnostic(
                self.id(),
                severity,
                span,
                format!(
                    "column `{}` is `{}`: a length limit that can only be changed under an ACCESS EXCLUSIVE lock",
                    quote_ident(column_name),
                    spelled(cx, span)
                ),
                Some("use `text`, with a `CHECK (length(...) <= n)` constraint if the limit matters"),
            ));
        }
    }
}
