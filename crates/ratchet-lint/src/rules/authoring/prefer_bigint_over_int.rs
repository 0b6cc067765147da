use super::{builtin_type, defined_columns, quote_ident, spelled, type_span};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags columns declared as `smallint`, `integer` (`int`, `int2`, `int4`), `serial` or
/// `smallserial` in `CREATE TABLE`, `ALTER TABLE ... ADD COLUMN` and
/// `ALTER COLUMN ... TYPE`. Off by default.
///
/// ## Why is this bad?
/// A 32-bit `integer` runs out at 2,147,483,647 and a `smallint` at 32,767; ids and counters
/// get there sooner than expected. Widening the column later rewrites the whole table (and
/// its indexes) under an `ACCESS EXCLUSIVE` lock, while `bigint` costs at most four more
/// bytes per row.
///
/// ## Example
/// ```sql
/// CREATE TABLE events (id serial PRIMARY KEY, count int NOT NULL);
/// ```
///
/// ## Use instead
/// ```sql
/// CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, count bigint NOT NULL);
/// ```
pub struct PreferBigintOverInt;

impl Rule for PreferBigintOverInt {
    fn id(&self) -> &'static str {
        "prefer-bigint-over-int"
    }

    fn default_severity(&self) -> Option<Severity> {
        None
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        for (column_name, column) in defined_columns(cx.node) {
            let Some(type_name) = &column.type_name else {
                continue;
            };
            let (bits, limit, instead) = match builtin_type(type_name) {
                Some("int2") => ("16-bit", "32,767", "bigint"),
                Some("int4") => ("32-bit", "2,147,483,647", "bigint"),
                Some("smallserial" | "serial2") => ("16-bit", "32,767", "bigserial"),
                Some("serial" | "serial4") => ("32-bit", "2,147,483,647", "bigserial"),
                _ => continue,
            };
            let span = type_span(cx, type_name.location);
            out.push(cx.diagnostic(
                self.id(),
                severity,
                span,
                format!(
                    "column `{}` is `{}`, a {bits} integer that runs out at {limit}",
                    quote_ident(column_name),
                    spelled(cx, span)
                ),
                Some(&format!(
                    "use `{instead}`: widening the column later rewrites the table under an ACCESS EXCLUSIVE lock"
                )),
            ));
        }
    }
}
