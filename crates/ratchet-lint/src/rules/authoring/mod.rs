//! Authoring and dependencies: idempotency, type preferences, and references to objects other migrations create.

use pg_query::protobuf::{AlterTableType, ColumnDef, TypeName};
use pg_query::NodeEnum;

use crate::context::StatementContext;
use crate::objects::quote_ident;
use crate::rules::Rule;

mod prefer_bigint_over_int;
mod prefer_identity;
mod prefer_if_exists;
mod prefer_if_not_exists;
mod prefer_text_over_varchar;
mod prefer_timestamptz;
pub(crate) mod undeclared_dependency;

pub static RULES: &[&dyn Rule] = &[
    &prefer_if_not_exists::PreferIfNotExists,
    &prefer_if_exists::PreferIfExists,
    &undeclared_dependency::UndeclaredDependency,
    &prefer_bigint_over_int::PreferBigintOverInt,
    &prefer_text_over_varchar::PreferTextOverVarchar,
    &prefer_timestamptz::PreferTimestamptz,
    &prefer_identity::PreferIdentity,
];

/// The columns a statement defines or retypes, with their names: those of `CREATE TABLE`,
/// `ALTER TABLE ... ADD COLUMN` and `ALTER TABLE ... ALTER COLUMN ... TYPE`.
fn defined_columns(node: &NodeEnum) -> Vec<(&str, &ColumnDef)> {
    match node {
        NodeEnum::CreateStmt(s) => s
            .table_elts
            .iter()
            .filter_map(|e| match &e.node {
                Some(NodeEnum::ColumnDef(c)) => Some((c.colname.as_str(), &**c)),
                _ => None,
            })
            .collect(),
        NodeEnum::AlterTableStmt(s) => s
            .cmds
            .iter()
            .filter_map(|c| match &c.node {
                Some(NodeEnum::AlterTableCmd(cmd))
                    if cmd.subtype == AlterTableType::AtAddColumn as i32
                        || cmd.subtype == AlterTableType::AtAlterColumnType as i32 =>
                {
                    match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                        // ALTER COLUMN ... TYPE names the column in the command.
                        Some(NodeEnum::ColumnDef(c)) if c.colname.is_empty() => {
                            Some((cmd.name.as_str(), &**c))
                        }
                        Some(NodeEnum::ColumnDef(c)) => Some((c.colname.as_str(), &**c)),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The name of a built-in type as PostgreSQL resolves it (`int` is `pg_catalog.int4`, `serial`
/// stays `serial`), when `type_name` names one: unqualified or in `pg_catalog`, not an array.
fn builtin_type(type_name: &TypeName) -> Option<&str> {
    let names: Vec<&str> = type_name
        .names
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect();
    match names.as_slice() {
        [name] | ["pg_catalog", name] => Some(name),
        _ => None,
    }
}

/// The span of a type as written at `location`, modifiers and multi-word spellings included:
/// `character varying(20)`, `timestamp(3) without time zone`, `int[]`.
fn type_span(cx: &StatementContext<'_>, location: i32) -> (usize, usize) {
    let Ok(start) = usize::try_from(location) else {
        return cx.statement_span();
    };
    let text = cx.text;
    if start >= text.len() {
        return cx.statement_span();
    }
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'"' || b == b'.';
    let mut end = start;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    loop {
        let mut next = end;
        while next < bytes.len() && bytes[next].is_ascii_whitespace() {
            next += 1;
        }
        match bytes.get(next) {
            Some(b'(') | Some(b'[') => {
                let close = if bytes[next] == b'(' { b')' } else { b']' };
                match text[next..].find(close as char) {
                    Some(i) => end = next + i + 1,
                    None => break,
                }
            }
            Some(_) => {
                let mut word_end = next;
                while word_end < bytes.len() && is_word(bytes[word_end]) {
                    word_end += 1;
                }
                let word = text[next..word_end].to_ascii_lowercase();
                if matches!(
                    word.as_str(),
                    "varying" | "with" | "without" | "time" | "zone" | "precision"
                ) {
                    end = word_end;
                } else {
                    break;
                }
            }
            None => break,
        }
    }
    (cx.offset + start, cx.offset + end.max(start + 1))
}

/// The source text of a span in the file.
fn spelled<'a>(cx: &StatementContext<'a>, (start, end): (usize, usize)) -> &'a str {
    &cx.source[start..end]
}

/// A dotted name from a list of `String` nodes, each part quoted as needed.
fn dotted(names: &[pg_query::protobuf::Node]) -> String {
    names
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(quote_ident(&s.sval)),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `schema.table` or `table` from a `RangeVar`, each part quoted as needed.
fn relation(r: &pg_query::protobuf::RangeVar) -> String {
    if r.schemaname.is_empty() {
        quote_ident(&r.relname)
    } else {
        format!("{}.{}", quote_ident(&r.schemaname), quote_ident(&r.relname))
    }
}
