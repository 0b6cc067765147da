//! Locking: statements that take locks strong or long enough to stall production traffic.
//!
//! Most of these rules only look at tables the file did not create: a table created earlier
//! in the same file is invisible to other sessions (or, without a transaction, still unused),
//! so locking or scanning it is harmless.

use pg_query::protobuf::{
    AlterTableCmd, AlterTableType, ColumnDef, ConstrType, Constraint, ObjectType, RangeVar,
    ScanToken, Token,
};
use pg_query::NodeEnum;

use crate::context::{relation_name, StatementContext};
use crate::rules::Rule;

mod adding_check_without_not_valid;
mod adding_foreign_key_without_not_valid;
mod adding_not_null_column_without_default;
mod adding_primary_key_on_existing_table;
mod adding_volatile_default;
mod changing_column_type;
mod require_concurrent_index_creation;
mod require_concurrent_index_deletion;
mod require_lock_timeout;
mod setting_not_null_on_existing_column;
mod unique_constraint_without_index;

pub static RULES: &[&dyn Rule] = &[
    &require_concurrent_index_creation::RequireConcurrentIndexCreation,
    &require_concurrent_index_deletion::RequireConcurrentIndexDeletion,
    &adding_foreign_key_without_not_valid::AddingForeignKeyWithoutNotValid,
    &adding_check_without_not_valid::AddingCheckWithoutNotValid,
    &setting_not_null_on_existing_column::SettingNotNullOnExistingColumn,
    &adding_not_null_column_without_default::AddingNotNullColumnWithoutDefault,
    &changing_column_type::ChangingColumnType,
    &adding_volatile_default::AddingVolatileDefault,
    &unique_constraint_without_index::UniqueConstraintWithoutIndex,
    &adding_primary_key_on_existing_table::AddingPrimaryKeyOnExistingTable,
    &require_lock_timeout::RequireLockTimeout,
];

/// `schema.table` or `table`, as the parser read it, for messages.
fn display_name(relation: &RangeVar) -> String {
    if relation.schemaname.is_empty() {
        relation.relname.clone()
    } else {
        format!("{}.{}", relation.schemaname, relation.relname)
    }
}

/// Whether `relation` was created earlier in this file.
fn created_here(cx: &StatementContext<'_>, relation: &RangeVar) -> bool {
    cx.state.created_tables.contains(&relation_name(relation))
}

/// An `ALTER TABLE` of a table this file did not create: the table and its subcommands.
fn altered_existing_table<'a>(
    cx: &StatementContext<'a>,
) -> Option<(&'a RangeVar, Vec<&'a AlterTableCmd>)> {
    let NodeEnum::AlterTableStmt(stmt) = cx.node else {
        return None;
    };
    if stmt.objtype != ObjectType::ObjectTable as i32 {
        return None;
    }
    let relation = stmt.relation.as_ref()?;
    if created_here(cx, relation) {
        return None;
    }
    let cmds = stmt
        .cmds
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::AlterTableCmd(cmd)) => Some(&**cmd),
            _ => None,
        })
        .collect();
    Some((relation, cmds))
}

fn is_cmd(cmd: &AlterTableCmd, subtype: AlterTableType) -> bool {
    cmd.subtype == subtype as i32
}

fn is_constraint(c: &Constraint, contype: ConstrType) -> bool {
    c.contype == contype as i32
}

/// The column an `ADD COLUMN` subcommand adds.
fn added_column(cmd: &AlterTableCmd) -> Option<&ColumnDef> {
    if !is_cmd(cmd, AlterTableType::AtAddColumn) {
        return None;
    }
    match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
        Some(NodeEnum::ColumnDef(col)) => Some(col),
        _ => None,
    }
}

/// The constraints written on a column definition (`NOT NULL`, `DEFAULT`, `REFERENCES`, ...).
fn column_constraints(col: &ColumnDef) -> impl Iterator<Item = &Constraint> {
    col.constraints.iter().filter_map(|n| match &n.node {
        Some(NodeEnum::Constraint(c)) => Some(&**c),
        _ => None,
    })
}

/// Every constraint the subcommands add: `ADD CONSTRAINT ...` (with no column) and the
/// constraints of `ADD COLUMN ...` (with the column).
fn added_constraints<'a>(
    cmds: &[&'a AlterTableCmd],
) -> Vec<(Option<&'a ColumnDef>, &'a Constraint)> {
    let mut out = Vec::new();
    for cmd in cmds {
        if let Some(col) = added_column(cmd) {
            out.extend(column_constraints(col).map(|c| (Some(col), c)));
        } else if is_cmd(cmd, AlterTableType::AtAddConstraint) {
            if let Some(NodeEnum::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                out.push((None, &**c));
            }
        }
    }
    out
}

/// `constraint orders_user_fk ` or nothing, to name a constraint in a message.
fn constraint_label(c: &Constraint) -> String {
    if c.conname.is_empty() {
        String::new()
    } else {
        format!(" {}", c.conname)
    }
}

/// The statement's tokens, without comments. Positions are byte offsets into `cx.text`.
fn tokens(cx: &StatementContext<'_>) -> Vec<ScanToken> {
    pg_query::scan(cx.text)
        .map(|r| r.tokens)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !is(t, Token::SqlComment) && !is(t, Token::CComment))
        .collect()
}

fn is(token: &ScanToken, kind: Token) -> bool {
    token.token == kind as i32
}

/// The file span of statement bytes `start..end`.
fn span(cx: &StatementContext<'_>, start: i32, end: i32) -> (usize, usize) {
    let start = usize::try_from(start).unwrap_or(0);
    let end = usize::try_from(end).unwrap_or(0).max(start + 1);
    (cx.offset + start, cx.offset + end.min(cx.text.len()))
}

/// From the statement's first token through its first token of kind `last`: `CREATE INDEX`,
/// `DROP TABLE`, `ALTER TABLE`, ...
fn head_span(cx: &StatementContext<'_>, last: Token) -> (usize, usize) {
    let tokens = tokens(cx);
    match (tokens.first(), tokens.iter().find(|t| is(t, last))) {
        (Some(first), Some(last)) => span(cx, first.start, last.end),
        _ => cx.statement_span(),
    }
}

/// A constraint from where it starts (`CONSTRAINT name`, or its first keyword) through the
/// keyword that says what it is: `CONSTRAINT orders_user_fk FOREIGN KEY`, `REFERENCES`,
/// `PRIMARY KEY`, `UNIQUE`, `CHECK`, `NOT NULL`.
fn constraint_span(cx: &StatementContext<'_>, c: &Constraint) -> (usize, usize) {
    let ends: &[Token] = match ConstrType::try_from(c.contype) {
        Ok(ConstrType::ConstrForeign) => &[Token::Key, Token::References],
        Ok(ConstrType::ConstrPrimary) => &[Token::Key],
        Ok(ConstrType::ConstrUnique) => &[Token::Unique],
        Ok(ConstrType::ConstrCheck) => &[Token::Check],
        Ok(ConstrType::ConstrNotnull) => &[Token::NullP],
        _ => &[],
    };
    let tokens = tokens(cx);
    let Some(at) = tokens.iter().position(|t| t.start == c.location) else {
        return cx.span_at(c.location);
    };
    // Skip `CONSTRAINT name`: the name could be a keyword such as `key`.
    let from = if is(&tokens[at], Token::Constraint) {
        at + 2
    } else {
        at
    };
    match tokens
        .iter()
        .skip(from)
        .find(|t| ends.iter().any(|&k| is(t, k)))
    {
        Some(end) => span(cx, c.location, end.end),
        None => cx.span_at(c.location),
    }
}

/// `ALTER [COLUMN] name ...` through the first token of kind `last` after the column name at
/// `location`: `ALTER COLUMN email TYPE`.
fn alter_column_span(cx: &StatementContext<'_>, location: i32, last: Token) -> (usize, usize) {
    let tokens = tokens(cx);
    let Some(at) = tokens.iter().position(|t| t.start == location) else {
        return cx.span_at(location);
    };
    let start = tokens[..at]
        .iter()
        .rev()
        .find(|t| is(t, Token::Alter))
        .map_or(location, |t| t.start);
    match tokens[at + 1..].iter().find(|t| is(t, last)) {
        Some(end) => span(cx, start, end.end),
        None => cx.span_at(location),
    }
}

/// A function call from its name through its closing parenthesis: `gen_random_uuid()`.
fn call_span(cx: &StatementContext<'_>, location: i32) -> (usize, usize) {
    let tokens = tokens(cx);
    let Some(at) = tokens.iter().position(|t| t.start == location) else {
        return cx.span_at(location);
    };
    let mut depth = 0;
    for t in &tokens[at..] {
        if is(t, Token::Ascii40) {
            depth += 1;
        } else if is(t, Token::Ascii41) {
            depth -= 1;
            if depth == 0 {
                return span(cx, location, t.end);
            }
        }
    }
    cx.span_at(location)
}

/// Whether the column is declared `serial`, `bigserial`, ... (an integer with a `nextval()`
/// default).
fn is_serial(col: &ColumnDef) -> bool {
    serial_type(col).is_some()
}

/// The column's type, when it is one of the `serial` pseudo-types.
fn serial_type(col: &ColumnDef) -> Option<&str> {
    let names = &col.type_name.as_ref()?.names;
    match names.as_slice() {
        [only] => match &only.node {
            Some(NodeEnum::String(s))
                if matches!(
                    s.sval.as_str(),
                    "serial" | "serial2" | "serial4" | "serial8" | "smallserial" | "bigserial"
                ) =>
            {
                Some(s.sval.as_str())
            }
            _ => None,
        },
        _ => None,
    }
}

/// `schema.index` or `index`, from the list of names a DROP statement holds per object.
fn object_name(object: &pg_query::protobuf::Node) -> String {
    match &object.node {
        Some(NodeEnum::List(list)) => list
            .items
            .iter()
            .filter_map(|n| match &n.node {
                Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("."),
        Some(NodeEnum::String(s)) => s.sval.clone(),
        _ => "?".to_owned(),
    }
}
