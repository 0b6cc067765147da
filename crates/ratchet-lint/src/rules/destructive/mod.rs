//! Destructive or breaking changes: data loss, or a schema the running code no longer matches.

use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, Node, ObjectType, RangeVar,
};
use pg_query::NodeEnum;

use ratchet_sql::lexer::{Lexer, Token, TokenKind};
use ratchet_sql::Dialect;

use crate::context::StatementContext;
use crate::rules::Rule;

mod ban_drop_column;
mod ban_drop_not_null;
mod ban_drop_schema;
mod ban_drop_table;
mod ban_truncate;
mod renaming_column;
mod renaming_table;

pub static RULES: &[&dyn Rule] = &[
    &ban_drop_table::BanDropTable,
    &ban_drop_column::BanDropColumn,
    &ban_drop_schema::BanDropSchema,
    &ban_truncate::BanTruncate,
    &renaming_column::RenamingColumn,
    &renaming_table::RenamingTable,
    &ban_drop_not_null::BanDropNotNull,
];

/// An identifier as it must be written in SQL: bare when PostgreSQL would fold it to itself,
/// double-quoted otherwise.
fn quote_ident(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if bare {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The parts of a dotted name given as a list of `String` nodes.
fn name_parts(names: &[Node]) -> Vec<&str> {
    names
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect()
}

/// `schema.table` or `table`, each part quoted as needed.
fn display_parts(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| quote_ident(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// `schema.table` or `table` from a `RangeVar`, each part quoted as needed.
fn display_relation(r: &RangeVar) -> String {
    if r.schemaname.is_empty() {
        quote_ident(&r.relname)
    } else {
        format!("{}.{}", quote_ident(&r.schemaname), quote_ident(&r.relname))
    }
}

/// Whether the table named by `parts` (`[table]`, `[schema, table]` or
/// `[catalog, schema, table]`) was created earlier in this file: nobody else can see it yet,
/// so changing or dropping it breaks nothing.
fn created_here(cx: &StatementContext<'_>, parts: &[&str]) -> bool {
    let qualified = parts[parts.len().saturating_sub(2)..]
        .join(".")
        .to_lowercase();
    cx.state.created_tables.contains(&qualified)
}

/// [`created_here`] for a `RangeVar`.
fn relation_created_here(cx: &StatementContext<'_>, r: &RangeVar) -> bool {
    cx.state
        .created_tables
        .contains(&crate::context::relation_name(r))
}

/// The commands of an `ALTER TABLE` (not `ALTER VIEW`, `ALTER INDEX`, ...) of a table that was
/// not created earlier in this file, with the table's display name.
fn alter_table_cmds<'a>(
    cx: &StatementContext<'a>,
    subtype: AlterTableType,
) -> Option<(String, Vec<&'a AlterTableCmd>)> {
    let NodeEnum::AlterTableStmt(AlterTableStmt {
        relation: Some(relation),
        cmds,
        objtype,
        ..
    }) = cx.node
    else {
        return None;
    };
    if *objtype != ObjectType::ObjectTable as i32 || relation_created_here(cx, relation) {
        return None;
    }
    let matching: Vec<&AlterTableCmd> = cmds
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::AlterTableCmd(cmd)) if cmd.subtype == subtype as i32 => Some(&**cmd),
            _ => None,
        })
        .collect();
    (!matching.is_empty()).then(|| (display_relation(relation), matching))
}

/// The statement's tokens, without whitespace and comments (ranges are into `cx.text`).
fn tokens(cx: &StatementContext<'_>) -> Vec<Token> {
    Lexer::new(cx.text, Dialect::Postgres)
        .map_while(Result::ok)
        .filter(|t| !t.kind.is_trivia())
        .collect()
}

/// A pattern element for [`find`].
enum Pat<'p> {
    /// This keyword.
    Keyword(&'static str),
    /// Optionally these keywords, in a row.
    Optional(&'static [&'static str]),
    /// The (possibly dotted) name with these parts, as the parser reports them.
    Name(&'p [&'p str]),
}

/// The byte range in the file of the first run of tokens matching `pattern`, for pointing at
/// one clause of a statement (pg_query gives no location for `ALTER TABLE` commands or
/// `DROP` objects); the whole statement when there is none.
fn find(cx: &StatementContext<'_>, tokens: &[Token], pattern: &[Pat<'_>]) -> (usize, usize) {
    (0..tokens.len())
        .find_map(|start| {
            let mut at = start;
            for pat in pattern {
                at = match pat {
                    Pat::Keyword(k) => {
                        tokens.get(at).filter(|t| t.is_keyword(cx.text, k))?;
                        at + 1
                    }
                    Pat::Optional(ks) => {
                        let all = ks.iter().enumerate().all(|(i, k)| {
                            tokens.get(at + i).is_some_and(|t| t.is_keyword(cx.text, k))
                        });
                        if all {
                            at + ks.len()
                        } else {
                            at
                        }
                    }
                    Pat::Name(parts) => match_name(cx.text, tokens, at, parts)?,
                };
            }
            let end = tokens[at.checked_sub(1)?].range.end;
            Some((cx.offset + tokens[start].range.start, cx.offset + end))
        })
        .unwrap_or_else(|| cx.statement_span())
}

/// The index after `parts` written as a dotted name starting at `tokens[at]`, if it is there.
fn match_name(text: &str, tokens: &[Token], mut at: usize, parts: &[&str]) -> Option<usize> {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            tokens.get(at).filter(|t| t.text(text) == ".")?;
            at += 1;
        }
        let token = tokens.get(at)?;
        let written = token.text(text);
        let matches = match token.kind {
            // Unquoted identifiers are folded to lower case (ASCII only, as PostgreSQL does).
            TokenKind::Word => written.to_ascii_lowercase() == *part,
            TokenKind::QuotedIdent => written
                .strip_prefix('"')
                .and_then(|w| w.strip_suffix('"'))
                .is_some_and(|w| w.replace("\"\"", "\"") == *part),
            _ => false,
        };
        if !matches {
            return None;
        }
        at += 1;
    }
    Some(at)
}
