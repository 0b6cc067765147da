//! SQLite: the `main` database's tables, views, indexes and triggers from `sqlite_schema`,
//! and their details from the table-valued pragmas, each joined to `sqlite_schema` so that
//! one query covers every table (`pragma_table_xinfo`, `pragma_index_list`,
//! `pragma_index_xinfo`, `pragma_foreign_key_list`).
//!
//! What the pragmas do not say is read from the stored `CREATE` statements
//! ([`super::sqlite_ddl`]). SQLite keeps no constraint names unless the DDL gave one
//! (`CONSTRAINT name`); the others get PostgreSQL's default names (`t_pkey`, `t_a_key`,
//! `t_a_fkey`, `t_a_check`, `t_check`), so a schema ported between the two compares by name.

use std::collections::{BTreeMap, HashMap};

use ratchet_schema::{
    Column, Constraint, ConstraintKind, Deferrable, Dialect, ForeignKey, Index, QualifiedName,
    ReferentialAction, Schema, Table, Trigger, View,
};
use rusqlite::Connection;

use super::sqlite_ddl::{index_parts, table_clauses, ClauseKind};
use crate::{DriverError, TableName};

const SCHEMA: &str = "main";

/// Every object of `sqlite_schema` but SQLite's own (`sqlite_%`), with its statement.
const OBJECTS: &str = "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
     WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND type IN ('table', 'view', 'index', 'trigger')";

/// The tables a virtual table (FTS5, R*Tree) keeps its data in: the virtual table's, not the
/// user's (SQLite 3.37+).
const SHADOW_TABLES: &str =
    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'";

const COLUMNS: &str =
    "SELECT m.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden \
     FROM main.sqlite_schema m JOIN pragma_table_xinfo(m.name, 'main') p \
     WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

const INDEXES: &str = "SELECT m.name, l.name, l.\"unique\", l.origin, x.seqno, x.cid, x.name \
     FROM main.sqlite_schema m JOIN pragma_index_list(m.name, 'main') l \
     JOIN pragma_index_xinfo(l.name, 'main') x \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND x.key";

const FOREIGN_KEYS: &str =
    "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
     FROM main.sqlite_schema m JOIN pragma_foreign_key_list(m.name, 'main') f \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

pub(crate) fn introspect(conn: &Connection, history: &TableName) -> Result<Schema, DriverError> {
    let fail = |e: rusqlite::Error| DriverError::Database {
        context: "reading the schema".to_owned(),
        message: e.to_string(),
        sqlstate: None,
    };
    // Only a history table in `main` is one we could see. `ours`: what is not the user's.
    let history_name = match history.schema.as_deref() {
        None | Some(SCHEMA) => Some(history.name.as_str()),
        Some(_) => None,
    };
    let shadows: Vec<String> = query(conn, SHADOW_TABLES, |r| r.get(0)).map_err(fail)?;
    let ours = |table: &str| {
        history_name.is_some_and(|h| h == table) || shadows.iter().any(|s| s == table)
    };

    let mut schema = Schema::new(Dialect::Sqlite);
    schema.schemas.insert(SCHEMA.to_owned());

    let objects: Vec<(String, String, String, Option<String>)> = query(conn, OBJECTS, |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
    .map_err(fail)?;
    let mut table_sql = HashMap::new();
    let mut index_sql = HashMap::new();
    for (kind, name, table, sql) in &objects {
        if ours(table) {
            continue;
        }
        let sql = sql.clone().unwrap_or_default();
        match kind.as_str() {
            "table" => {
                table_sql.insert(name.clone(), sql);
                schema.tables.insert(qualified(name), Table::default());
            }
            "view" => {
                schema.views.insert(
                    qualified(name),
                    View {
                        materialized: false,
                        definition: sql,
                        columns: Vec::new(),
                        indexes: BTreeMap::new(),
                        triggers: BTreeMap::new(),
                    },
                );
            }
            "index" => {
                index_sql.insert(name.clone(), sql);
            }
            _ => {}
        }
    }

    // Columns, and each table's primary key (pk is the column's 1-based position in it).
    let columns: Vec<ColumnRow> = query(conn, COLUMNS, |r| {
        Ok(ColumnRow {
            relation: r.get(0)?,
            cid: r.get(1)?,
            name: r.get(2)?,
            data_type: r.get(3)?,
            not_null: r.get(4)?,
            default: r.get(5)?,
            pk: r.get(6)?,
            hidden: r.get(7)?,
        })
    })
    .map_err(fail)?;
    let mut columns_by_relation: BTreeMap<String, Vec<ColumnRow>> = BTreeMap::new();
    for row in columns {
        if !ours(&row.relation) {
            columns_by_relation
                .entry(row.relation.clone())
                .or_default()
                .push(row);
        }
    }
    let mut primary_keys: HashMap<String, Vec<String>> = HashMap::new();
    for (relation, mut rows) in columns_by_relation {
        rows.sort_by_key(|r| r.cid);
        let clauses = table_sql
            .get(&relation)
            .map(|sql| table_clauses(sql))
            .unwrap_or_default();
        let mut pk: Vec<(i64, String)> = rows
            .iter()
            .filter(|r| r.pk > 0)
            .map(|r| (r.pk, r.name.clone()))
            .collect();
        pk.sort();
        if !pk.is_empty() {
            primary_keys.insert(relation.clone(), pk.into_iter().map(|(_, n)| n).collect());
        }
        let list: Vec<Column> = rows
            .into_iter()
            // hidden = 1: a virtual table's hidden column.
            .filter(|r| r.hidden != 1)
            .map(|r| {
                // hidden = 2 or 3: a generated column (virtual or stored), whose expression
                // only the DDL knows; SQLite reports no default for it.
                let generated = (r.hidden >= 2).then(|| {
                    clauses
                        .iter()
                        .find_map(|c| match &c.kind {
                            ClauseKind::Generated { expression }
                                if c.column.as_deref() == Some(r.name.as_str()) =>
                            {
                                Some(expression.clone())
                            }
                            _ => None,
                        })
                        .unwrap_or_default()
                });
                let collation = clauses.iter().find_map(|c| match &c.kind {
                    // BINARY is the default, as if none were given.
                    ClauseKind::Collation { name }
                        if c.column.as_deref() == Some(&r.name)
                            && !name.eq_ignore_ascii_case("BINARY") =>
                    {
                        Some(name.clone())
                    }
                    _ => None,
                });
                Column {
                    name: r.name,
                    data_type: r.data_type,
                    nullable: !r.not_null,
                    default: r.default,
                    identity: None,
                    generated,
                    collation,
                }
            })
            .collect();
        let name = qualified(&relation);
        if let Some(table) = schema.tables.get_mut(&name) {
            table.columns = list;
        } else if let Some(view) = schema.views.get_mut(&name) {
            view.columns = list;
        }
    }

    // Indexes: explicit ones (origin `c`) are indexes; `u` and `pk` implement constraints.
    let index_rows: Vec<IndexKeyRow> = query(conn, INDEXES, |r| {
        Ok(IndexKeyRow {
            table: r.get(0)?,
            index: r.get(1)?,
            unique: r.get(2)?,
            origin: r.get(3)?,
            seqno: r.get(4)?,
            cid: r.get(5)?,
            column: r.get(6)?,
        })
    })
    .map_err(fail)?;
    // (table, index) -> (unique, origin, [(seqno, cid, column name)])
    type IndexColumns = (bool, String, Vec<(i64, i64, Option<String>)>);
    let mut indexes: BTreeMap<(String, String), IndexColumns> = BTreeMap::new();
    for row in index_rows {
        if ours(&row.table) {
            continue;
        }
        indexes
            .entry((row.table, row.index))
            .or_insert_with(|| (row.unique, row.origin, Vec::new()))
            .2
            .push((row.seqno, row.cid, row.column));
    }
    let mut unique_constraints: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for ((table, index), (unique, origin, mut keys)) in indexes {
        keys.sort();
        match origin.as_str() {
            "u" => {
                let columns = keys.into_iter().filter_map(|(_, _, c)| c).collect();
                unique_constraints.entry(table).or_default().push(columns);
            }
            "pk" => {}
            _ => {
                let sql = index_sql.get(&index).cloned().unwrap_or_default();
                let parts = index_parts(&sql);
                let columns = keys
                    .iter()
                    .enumerate()
                    .map(|(i, (_, cid, name))| match name {
                        // cid -2: an expression, which only the statement spells out.
                        Some(name) if *cid >= 0 => name.clone(),
                        _ => parts.items.get(i).cloned().unwrap_or_default(),
                    })
                    .collect();
                if let Some(t) = schema.tables.get_mut(&qualified(&table)) {
                    t.indexes.insert(
                        index,
                        Index {
                            method: "btree".to_owned(),
                            unique,
                            columns,
                            include: Vec::new(),
                            predicate: parts.predicate,
                            valid: true,
                            definition: sql,
                        },
                    );
                }
            }
        }
    }

    let fk_rows: Vec<FkRow> = query(conn, FOREIGN_KEYS, |r| {
        Ok(FkRow {
            table: r.get(0)?,
            id: r.get(1)?,
            seq: r.get(2)?,
            referenced: r.get(3)?,
            from: r.get(4)?,
            to: r.get(5)?,
            on_update: r.get(6)?,
            on_delete: r.get(7)?,
        })
    })
    .map_err(fail)?;
    let mut foreign_keys: BTreeMap<String, BTreeMap<i64, Vec<FkRow>>> = BTreeMap::new();
    for row in fk_rows {
        if !ours(&row.table) {
            foreign_keys
                .entry(row.table.clone())
                .or_default()
                .entry(row.id)
                .or_default()
                .push(row);
        }
    }

    // Constraints, named as declared or as PostgreSQL would have named them.
    let table_names: Vec<String> = table_sql.keys().cloned().collect();
    for table_name in table_names {
        let clauses = table_clauses(&table_sql[&table_name]);
        let declared_name = |wanted: &dyn Fn(&ClauseKind) -> bool| {
            clauses
                .iter()
                .find(|c| wanted(&c.kind))
                .and_then(|c| c.name.clone())
        };
        let mut constraints: BTreeMap<String, Constraint> = BTreeMap::new();
        let mut add = |name: String, constraint: Constraint| {
            let mut unique = name.clone();
            let mut n = 0;
            while constraints.contains_key(&unique) {
                n += 1;
                unique = format!("{name}{n}");
            }
            constraints.insert(unique, constraint);
        };
        if let Some(columns) = primary_keys.get(&table_name) {
            let name = declared_name(&|k| matches!(k, ClauseKind::PrimaryKey { .. }))
                .unwrap_or_else(|| format!("{table_name}_pkey"));
            add(
                name,
                immediate(
                    ConstraintKind::PrimaryKey {
                        columns: columns.clone(),
                    },
                    format!("PRIMARY KEY ({})", ident_list(columns)),
                ),
            );
        }
        for columns in unique_constraints.remove(&table_name).unwrap_or_default() {
            let name =
                declared_name(&|k| matches!(k, ClauseKind::Unique { columns: c } if *c == columns))
                    .unwrap_or_else(|| format!("{table_name}_{}_key", columns.join("_")));
            let definition = format!("UNIQUE ({})", ident_list(&columns));
            add(
                name,
                immediate(ConstraintKind::Unique { columns }, definition),
            );
        }
        for clause in &clauses {
            if let ClauseKind::Check { expression } = &clause.kind {
                let name = clause.name.clone().unwrap_or_else(|| match &clause.column {
                    Some(column) => format!("{table_name}_{column}_check"),
                    None => format!("{table_name}_check"),
                });
                add(
                    name,
                    immediate(
                        ConstraintKind::Check {
                            expression: format!("({expression})"),
                        },
                        format!("CHECK ({expression})"),
                    ),
                );
            }
        }
        for mut rows in foreign_keys
            .remove(&table_name)
            .unwrap_or_default()
            .into_values()
        {
            rows.sort_by_key(|r| r.seq);
            let columns: Vec<String> = rows.iter().map(|r| r.from.clone()).collect();
            let referenced = rows[0].referenced.clone();
            // `to` is NULL when the key references the parent's primary key implicitly.
            let referenced_columns: Vec<String> = if rows.iter().all(|r| r.to.is_some()) {
                rows.iter().filter_map(|r| r.to.clone()).collect()
            } else {
                primary_keys.get(&referenced).cloned().unwrap_or_default()
            };
            let clause = clauses.iter().find(
                |c| matches!(&c.kind, ClauseKind::ForeignKey { columns: c, .. } if *c == columns),
            );
            let deferrable = match clause.map(|c| &c.kind) {
                Some(ClauseKind::ForeignKey { deferrable, .. }) => *deferrable,
                _ => Deferrable::NotDeferrable,
            };
            let name = clause
                .and_then(|c| c.name.clone())
                .unwrap_or_else(|| format!("{table_name}_{}_fkey", columns.join("_")));
            let fk = ForeignKey {
                columns,
                referenced_table: qualified(&referenced),
                referenced_columns,
                on_delete: action(&rows[0].on_delete),
                on_update: action(&rows[0].on_update),
            };
            let definition = fk_definition(&fk, deferrable);
            add(
                name,
                Constraint {
                    kind: ConstraintKind::ForeignKey(fk),
                    definition,
                    validated: true,
                    deferrable,
                },
            );
        }
        if let Some(t) = schema.tables.get_mut(&qualified(&table_name)) {
            t.constraints = constraints;
        }
    }

    for (kind, name, table, sql) in &objects {
        if kind != "trigger" || ours(table) {
            continue;
        }
        let trigger = Trigger {
            definition: sql.clone().unwrap_or_default(),
        };
        let on = qualified(table);
        if let Some(t) = schema.tables.get_mut(&on) {
            t.triggers.insert(name.clone(), trigger);
        } else if let Some(v) = schema.views.get_mut(&on) {
            v.triggers.insert(name.clone(), trigger);
        }
    }
    Ok(schema)
}

struct ColumnRow {
    relation: String,
    cid: i64,
    name: String,
    data_type: String,
    not_null: bool,
    default: Option<String>,
    pk: i64,
    hidden: i64,
}

/// One key column of one index (`pragma_index_list` joined to `pragma_index_xinfo`).
struct IndexKeyRow {
    table: String,
    index: String,
    unique: bool,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint), `pk` (PRIMARY KEY).
    origin: String,
    seqno: i64,
    /// -2 for an expression.
    cid: i64,
    column: Option<String>,
}

struct FkRow {
    table: String,
    id: i64,
    seq: i64,
    referenced: String,
    from: String,
    to: Option<String>,
    on_update: String,
    on_delete: String,
}

fn query<T>(
    conn: &Connection,
    sql: &str,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = conn.prepare(sql)?;
    let rows = statement.query_map([], map)?;
    rows.collect()
}

fn qualified(name: &str) -> QualifiedName {
    QualifiedName::new(SCHEMA, name)
}

fn immediate(kind: ConstraintKind, definition: String) -> Constraint {
    Constraint {
        kind,
        definition,
        validated: true,
        deferrable: Deferrable::NotDeferrable,
    }
}

fn action(text: &str) -> ReferentialAction {
    match text.to_ascii_uppercase().as_str() {
        "CASCADE" => ReferentialAction::Cascade,
        "RESTRICT" => ReferentialAction::Restrict,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

/// PostgreSQL's spelling (`pg_get_constraintdef`), so the two read alike.
fn fk_definition(fk: &ForeignKey, deferrable: Deferrable) -> String {
    let mut text = format!(
        "FOREIGN KEY ({}) REFERENCES {}({})",
        ident_list(&fk.columns),
        ident(&fk.referenced_table.name),
        ident_list(&fk.referenced_columns)
    );
    if fk.on_update != ReferentialAction::NoAction {
        text.push_str(" ON UPDATE ");
        text.push_str(fk.on_update.as_sql());
    }
    if fk.on_delete != ReferentialAction::NoAction {
        text.push_str(" ON DELETE ");
        text.push_str(fk.on_delete.as_sql());
    }
    match deferrable {
        Deferrable::NotDeferrable => {}
        Deferrable::InitiallyImmediate => text.push_str(" DEFERRABLE"),
        Deferrable::InitiallyDeferred => text.push_str(" DEFERRABLE INITIALLY DEFERRED"),
    }
    text
}

/// An identifier in a synthesised definition: bare when it is a plain lowercase word,
/// double-quoted otherwise (as PostgreSQL prints them).
fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        crate::quote_ident(name)
    }
}

fn ident_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}
