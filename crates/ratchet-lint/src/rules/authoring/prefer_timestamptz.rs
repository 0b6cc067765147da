use super::{builtin_type, defined_columns, quote_ident, spelled, type_span};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags columns declared as `timestamp` (`timestamp without time zone`) in `CREATE TABLE`,
/// `ALTER TABLE ... ADD COLUMN` and `ALTER COLUMN ... TYPE`. Off by default.
///
/// ## Why is this bad?
/// `timestamp` stores a wall-clock reading without saying in which time zone it was taken,
/// so the same value means different instants to clients in different zones, and arithmetic
/// across a daylight-saving change is off by an hour. `timestamptz` stores an instant (in
/// UTC) and converts to the session's time zone on output; it takes the same eight bytes.
///
/// ## Example
/// ```sql
/// CREATE TABLE events (created_at timestamp NOT NULL DEFAULT now());
/// ```
///
/// ## Use instead
/// ```sql
/// CREATE TABLE events (created_at timestamptz NOT NULL DEFAULT now());
/// ```
pub struct PreferTimestamptz;

impl Rule for PreferTimestamptz {
    fn id(&self) -> &'static str {
        "prefer-timestamptz"
    }

    fn default_severity(&self) -> Option<Severity> {
        None
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        for (column_name, column) in defined_columns(cx.node) {
            let Some(type_name) = &column.type_name else {
                continue;
            };
            if builtin_type(type_name) != Some("timestamp") {
                continue;
            }
            let span = type_span(cx, type_name.location);
            out.push(cx.diagnostic(
                self.id(),
                severity,
                span,
                format!(
                    "column `{}` is `{}`, a timestamp without time zone",
                    quote_ident(column_name),
                    spelled(cx, span)
                ),
                Some("use `timestamptz` (`timestamp with time zone`): it stores an instant, in the same eight bytes"),
            ));
        }
    }
}
