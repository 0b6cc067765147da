use pg_query::protobuf::{ColumnDef, ConstrType};
use pg_query::NodeEnum;

use super::{
    added_column, altered_existing_table, column_constraints, constraint_span, display_name,
    is_constraint, is_serial,
};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `ALTER TABLE ... ADD COLUMN ... NOT NULL` (or `PRIMARY KEY`) without a `DEFAULT`
/// on an existing table.
///
/// ## Why is this bad?
/// Every existing row gets NULL in the new column, which the constraint forbids: the
/// migration fails with "column ... contains null values" as soon as the table has a row,
/// typically in production but not on an empty development database.
///
/// ## Example
/// ```sql
/// ALTER TABLE users ADD COLUMN status text NOT NULL;
/// ```
///
/// ## Use instead
/// ```sql
/// ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';
/// ```
///
/// A constant default does not rewrite the table (PostgreSQL 11+). Otherwise add the column
/// nullable, backfill it, then make it NOT NULL. Identity, generated and serial columns have
/// values and are not flagged, nor are tables created earlier in the same migration.
pub struct AddingNotNullColumnWithoutDefault;

impl Rule for AddingNotNullColumnWithoutDefault {
    fn id(&self) -> &'static str {
        "adding-not-null-column-without-default"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let Some((relation, cmds)) = altered_existing_table(cx) else {
            return;
        };
        let table = display_name(relation);
        for col in cmds.iter().filter_map(|cmd| added_column(cmd)) {
            if has_value(col) {
                continue;
            }
            let Some(not_null) = column_constraints(col).find(|c| {
                is_constraint(c, ConstrType::ConstrNotnull)
                    || is_constraint(c, ConstrType::ConstrPrimary)
            }) else {
                continue;
            };
            let what = if is_constraint(not_null, ConstrType::ConstrPrimary) {
                "as a PRIMARY KEY"
            } else {
                "NOT NULL"
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                constraint_span(cx, not_null),
                format!(
                    "column {table}.{} is added {what} without a DEFAULT: this fails if {table} has any rows",
                    col.colname
                ),
                Some("add a DEFAULT (a constant one does not rewrite the table), or add the column nullable, backfill it, then set NOT NULL"),
            ));
        }
    }
}

/// Whether the new column gets a value in existing rows: a non-NULL default, identity,
/// generated, or serial.
fn has_value(col: &ColumnDef) -> bool {
    if col.raw_default.as_ref().is_some_and(|d| !is_null(d)) || is_serial(col) {
        return true;
    }
    column_constraints(col).any(|c| {
        is_constraint(c, ConstrType::ConstrIdentity)
            || is_constraint(c, ConstrType::ConstrGenerated)
            || (is_constraint(c, ConstrType::ConstrDefault)
                && c.raw_expr.as_ref().is_some_and(|d| !is_null(d)))
    })
}

/// `NULL`, or `NULL::type`.
fn is_null(node: &pg_query::protobuf::Node) -> bool {
    match &node.node {
        Some(NodeEnum::AConst(c)) => c.isnull,
        Some(NodeEnum::TypeCast(t)) => t.arg.as_deref().is_some_and(is_null),
        _ => false,
    }
}
