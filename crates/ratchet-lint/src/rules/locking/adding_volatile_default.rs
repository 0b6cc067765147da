use pg_query::protobuf::{ColumnDef, ConstrType, Node};
use pg_query::NodeEnum;
use pg_query::NodeRef;

use super::{
    added_column, altered_existing_table, call_span, column_constraints, display_name,
    is_constraint, serial_type,
};
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// Built-in (and common extension) functions marked VOLATILE: a different value per row.
const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "gen_random_uuid",
    "gen_random_bytes",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
];

/// ## What it does
/// Flags `ALTER TABLE ... ADD COLUMN` on an existing table whose `DEFAULT` calls a volatile
/// function, such as `random()`, `gen_random_uuid()`, `clock_timestamp()` or `nextval()`,
/// or whose type is `serial`/`bigserial` (a `nextval()` default).
///
/// ## Why is this bad?
/// Since PostgreSQL 11, adding a column with a constant or stable default (`0`, `'x'`,
/// `now()`) only records the default. A volatile default has to be computed for each
/// existing row, so PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock:
/// every read and write of the table waits until it is done.
///
/// ## Example
/// ```sql
/// ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
/// ```
///
/// ## Use instead
/// ```sql
/// ALTER TABLE users ADD COLUMN token uuid;
/// ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();
/// -- then backfill existing rows in batches:
/// UPDATE users SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND token IS NULL;
/// ```
///
/// Functions are recognised by name; a user-defined volatile function is not. Tables created
/// earlier in the same migration are not flagged.
pub struct AddingVolatileDefault;

impl Rule for AddingVolatileDefault {
    fn id(&self) -> &'static str {
        "adding-volatile-default"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        let Some((relation, cmds)) = altered_existing_table(cx) else {
            return;
        };
        let table = display_name(relation);
        for col in cmds.iter().filter_map(|cmd| added_column(cmd)) {
            let column = format!("{table}.{}", col.colname);
            if let Some((name, location)) = default_expr(col).and_then(volatile_call) {
                out.push(cx.diagnostic(
                    self.id(),
                    severity,
                    call_span(cx, location),
                    format!(
                        "column {column} is added with a volatile default, {name}(): {table} is rewritten to fill it, locked against reads and writes"
                    ),
                    Some("add the column without the default, then SET DEFAULT for new rows and backfill existing rows in batches"),
                ));
            } else if let Some(serial) = serial_type(col) {
                let location = col.type_name.as_ref().map_or(-1, |t| t.location);
                out.push(cx.diagnostic(
                    self.id(),
                    severity,
                    cx.span_at(location),
                    format!(
                        "column {column} is added as {serial}, whose default nextval() is volatile: {table} is rewritten to fill it, locked against reads and writes"
                    ),
                    Some("add a nullable integer column, create and attach its sequence with SET DEFAULT nextval(...), then backfill existing rows in batches"),
                ));
            }
        }
    }
}

/// The column's `DEFAULT` expression.
fn default_expr(col: &ColumnDef) -> Option<&Node> {
    col.raw_default.as_deref().or_else(|| {
        column_constraints(col)
            .find(|c| is_constraint(c, ConstrType::ConstrDefault))
            .and_then(|c| c.raw_expr.as_deref())
    })
}

/// The first call of a volatile function in `expr`: its name and location.
fn volatile_call(expr: &Node) -> Option<(String, i32)> {
    let expr = expr.node.as_ref()?;
    expr.nodes().into_iter().find_map(|(node, ..)| match node {
        NodeRef::FuncCall(call) => {
            let name = match call.funcname.last().and_then(|n| n.node.as_ref()) {
                Some(NodeEnum::String(s)) => s.sval.to_lowercase(),
                _ => return None,
            };
            VOLATILE
                .contains(&name.as_str())
                .then_some((name, call.location))
        }
        _ => None,
    })
}
