//! PostgreSQL: the schema from `pg_catalog`, in two round trips whatever its size.
//!
//! One query per object kind for the whole database (never one per table), all sent as one
//! simple-query batch. The catalog's own printers normalise the text (`format_type`,
//! `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`,
//! `pg_get_triggerdef`...).
//!
//! Each query's rows come back as one JSON array (`json_agg` of the row records): with tens
//! of thousands of rows, one text value per query is cheaper for both ends than as many
//! protocol rows (2,000 tables: about 290 ms against 400 ms to get the data across, measured
//! with `examples/introspect_bench.rs`), and records serialise faster than
//! `json_build_object`. Column numbers in constraint and index keys are turned into names
//! here, from the columns already read, rather than by a subquery per constraint.
//!
//! The printers qualify a name unless it is visible on the `search_path`, and print
//! timestamps in the session's `TimeZone` and `DateStyle`, so their output depends on the
//! session. The batch pins those settings for its own statements
//! (`set_config(..., is_local => true)`, then the previous values again): user objects
//! always print schema-qualified and literals alike, so two databases compare alike whatever
//! their sessions' settings. Outside a transaction the batch is one implicit transaction and
//! the settings end with it; inside a migration's transaction they are put back before the
//! batch ends. Nothing else about the session changes, and no transaction is opened or
//! closed.
//!
//! Left out: system schemas (`pg_catalog`, `information_schema`, `pg_toast`, temporary
//! schemas), every object an extension owns (`pg_depend.deptype = 'e'`), `plpgsql` (present in
//! every database), ratchet's history table with its columns, indexes, constraints and
//! identity sequence, and identity sequences in general (they are the column's). Needs
//! PostgreSQL 12 or later.

use std::collections::{BTreeMap, HashMap};

use ratchet_schema::{
    body_hash, Column, ColumnRef, Constraint, ConstraintKind, Deferrable, Dialect, Domain,
    DomainCheck, EnumType, Extension, ForeignKey, Function, FunctionId, Identity, Index,
    PartitionOf, QualifiedName, ReferentialAction, RoutineKind, Schema, Sequence, Table, Trigger,
    View, Volatility,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::runtime::Runtime;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::{DriverError, TableName};

const CONTEXT: &str = "reading the schema";

/// `server_version_num` of PostgreSQL 12: generated columns (`attgenerated`) and the
/// catalog columns the queries read.
const MINIMUM_VERSION: i32 = 120000;

pub(crate) fn introspect(
    runtime: &Runtime,
    client: &Client,
    history: &TableName,
) -> Result<Schema, DriverError> {
    // The history table is resolved on the caller's search_path (as ratchet created it),
    // before the batch changes the path.
    let quoted = history.quoted();
    let rows = runtime
        .block_on(client.query_typed(
            "SELECT coalesce(to_regclass($1)::oid::int8, 0), \
             current_setting('server_version_num')::int4",
            &[(&quoted, Type::TEXT)],
        ))
        .map_err(|e| crate::postgres::database(CONTEXT, &e))?;
    let (history_oid, version): (i64, i32) =
        rows.first().map(|r| (r.get(0), r.get(1))).unwrap_or((0, 0));
    if version < MINIMUM_VERSION {
        return Err(DriverError::Database {
            context: CONTEXT.to_owned(),
            message: format!(
                "reading a schema needs PostgreSQL 12 or later; \
                 this server's server_version_num is {version}"
            ),
            sqlstate: None,
        });
    }
    let messages = runtime
        .block_on(client.simple_query(&batch(history_oid, version)))
        .map_err(|e| crate::postgres::database(CONTEXT, &e))?;
    // One row per statement: the settings saved, one JSON array per query, the settings
    // restored.
    let documents: Vec<String> = messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("[]").to_owned()),
            _ => None,
        })
        .collect();
    if documents.len() != QUERIES.len() + 2 {
        return Err(corrupt(format!(
            "expected {} results, got {}",
            QUERIES.len() + 2,
            documents.len()
        )));
    }
    let document = |query: Query| documents[query as usize + 1].as_str();
    let mut schema = build(&document)?;
    forget_history_schema(&mut schema, history);
    Ok(schema)
}

/// The model from the queries' documents.
fn build<'a>(document: &dyn Fn(Query) -> &'a str) -> Result<Schema, DriverError> {
    let mut schema = Schema::new(Dialect::Postgres);
    for r in parse::<SchemaRow>(document(Query::Schemas))? {
        schema.schemas.insert(r.name);
    }
    for r in parse::<ExtensionRow>(document(Query::Extensions))? {
        let extension = Extension {
            version: r.version,
            schema: r.schema,
        };
        schema.extensions.insert(r.name, extension);
    }
    for r in parse::<EnumRow>(document(Query::Enums))? {
        let labels = EnumType { labels: r.labels };
        schema
            .enums
            .insert(QualifiedName::new(r.schema, r.name), labels);
    }
    for r in parse::<DomainRow>(document(Query::Domains))? {
        let checks = r
            .checks
            .into_iter()
            .map(|c| {
                let check = DomainCheck {
                    definition: without_not_valid(c.definition),
                    validated: c.validated,
                };
                (c.name, check)
            })
            .collect();
        let domain = Domain {
            base_type: r.base_type,
            not_null: r.not_null,
            default: r.default,
            collation: r.collation,
            checks,
        };
        schema
            .domains
            .insert(QualifiedName::new(r.schema, r.name), domain);
    }
    for r in parse::<SequenceRow>(document(Query::Sequences))? {
        let owned_by = match (r.owner_schema, r.owner_table, r.owner_column) {
            (Some(schema), Some(table), Some(column)) => Some(ColumnRef {
                table: QualifiedName::new(schema, table),
                column,
            }),
            _ => None,
        };
        let sequence = Sequence {
            data_type: r.data_type,
            start: r.start,
            increment: r.increment,
            min_value: r.min,
            max_value: r.max,
            cache: r.cache,
            cycle: r.cycle,
            owned_by,
        };
        schema
            .sequences
            .insert(QualifiedName::new(r.schema, r.name), sequence);
    }

    // Relations by oid; their parts refer to them by oid.
    let mut relations: HashMap<i64, QualifiedName> = HashMap::new();
    for r in parse::<RelationRow>(document(Query::Relations))? {
        let name = QualifiedName::new(r.schema, r.name);
        relations.insert(r.oid, name.clone());
        if r.kind == "v" || r.kind == "m" {
            let view = View {
                materialized: r.kind == "m",
                definition: r.definition.unwrap_or_default(),
                columns: Vec::new(),
                indexes: BTreeMap::new(),
                triggers: BTreeMap::new(),
            };
            schema.views.insert(name, view);
        } else {
            let partition_of = match (r.parent_schema, r.parent, r.bound) {
                (Some(schema), Some(parent), Some(bound)) => Some(PartitionOf {
                    parent: QualifiedName::new(schema, parent),
                    bound,
                }),
                _ => None,
            };
            let table = Table {
                partition_key: r.partition_key,
                partition_of,
                ..Table::default()
            };
            schema.tables.insert(name, table);
        }
    }

    // (relation, attnum) -> name, for constraint and index keys.
    let mut column_names: HashMap<(i64, i16), String> = HashMap::new();
    let mut columns = parse::<ColumnRow>(document(Query::Columns))?;
    columns.sort_unstable_by_key(|c| (c.rel, c.num));
    for c in columns {
        column_names.insert((c.rel, c.num), c.name.clone());
        let Some(relation) = relations.get(&c.rel) else {
            continue;
        };
        let column = Column {
            name: c.name,
            data_type: c.data_type,
            nullable: !c.not_null,
            default: c.default,
            identity: match c.identity.as_str() {
                "a" => Some(Identity::Always),
                "d" => Some(Identity::ByDefault),
                _ => None,
            },
            generated: c.generated,
            collation: c.collation,
        };
        if let Some(t) = schema.tables.get_mut(relation) {
            t.columns.push(column);
        } else if let Some(v) = schema.views.get_mut(relation) {
            v.columns.push(column);
        }
    }
    let names_of = |rel: i64, numbers: &[i16]| -> Vec<String> {
        numbers
            .iter()
            .map(|n| {
                column_names
                    .get(&(rel, *n))
                    .cloned()
                    .unwrap_or_else(|| format!("#{n}"))
            })
            .collect()
    };

    for r in parse::<ConstraintRow>(document(Query::Constraints))? {
        let Some(table) = relations.get(&r.rel).and_then(|n| schema.tables.get_mut(n)) else {
            continue;
        };
        let definition = without_not_valid(r.definition);
        let columns = names_of(r.rel, &r.columns.unwrap_or_default());
        let kind = match r.kind.as_str() {
            "p" => ConstraintKind::PrimaryKey { columns },
            "u" => ConstraintKind::Unique { columns },
            "f" => ConstraintKind::ForeignKey(ForeignKey {
                columns,
                referenced_table: QualifiedName::new(
                    r.ref_schema.unwrap_or_default(),
                    r.ref_table.unwrap_or_default(),
                ),
                // A table outside the model (an extension's) has its names sent along.
                referenced_columns: r
                    .ref_names
                    .unwrap_or_else(|| names_of(r.ref_rel, &r.ref_columns.unwrap_or_default())),
                on_delete: action(&r.on_delete),
                on_update: action(&r.on_update),
            }),
            "c" => ConstraintKind::Check {
                expression: check_expression(&definition, r.no_inherit).ok_or_else(|| {
                    corrupt(format!(
                        "CHECK constraint {:?} is printed as {definition:?}",
                        r.name
                    ))
                })?,
            },
            _ => ConstraintKind::Exclusion,
        };
        let deferrable = match (r.deferrable, r.deferred) {
            (false, _) => Deferrable::NotDeferrable,
            (true, false) => Deferrable::InitiallyImmediate,
            (true, true) => Deferrable::InitiallyDeferred,
        };
        let constraint = Constraint {
            kind,
            definition,
            validated: r.validated,
            deferrable,
        };
        table.constraints.insert(r.name, constraint);
    }

    for r in parse::<IndexRow>(document(Query::Indexes))? {
        let Some(relation) = relations.get(&r.rel) else {
            continue;
        };
        // indkey lists the key columns, then the INCLUDE columns; 0 marks an expression,
        // which only the server can print (sent as `expressions` by indexes that have one).
        let mut names = names_of(r.rel, &r.key);
        let printed = r.expressions.unwrap_or_default();
        for ((slot, number), printed) in names.iter_mut().zip(&r.key).zip(printed) {
            // Only the expressions: a plain column keeps its name as stored, unquoted.
            if *number == 0 {
                *slot = printed;
            }
        }
        let include = names.split_off(r.key_count.min(names.len()));
        let index = Index {
            method: r.method,
            unique: r.unique,
            columns: names,
            include,
            predicate: r.predicate,
            valid: r.valid,
            definition: r.definition,
        };
        if let Some(t) = schema.tables.get_mut(relation) {
            t.indexes.insert(r.name, index);
        } else if let Some(v) = schema.views.get_mut(relation) {
            v.indexes.insert(r.name, index);
        }
    }

    for r in parse::<TriggerRow>(document(Query::Triggers))? {
        let Some(relation) = relations.get(&r.rel) else {
            continue;
        };
        let trigger = Trigger {
            definition: r.definition,
        };
        if let Some(t) = schema.tables.get_mut(relation) {
            t.triggers.insert(r.name, trigger);
        } else if let Some(v) = schema.views.get_mut(relation) {
            v.triggers.insert(r.name, trigger);
        }
    }

    for r in parse::<FunctionRow>(document(Query::Functions))? {
        let kind = match r.kind.as_str() {
            "p" => RoutineKind::Procedure,
            "a" => RoutineKind::Aggregate,
            "w" => RoutineKind::Window,
            _ => RoutineKind::Function,
        };
        let volatility = match r.volatility.as_str() {
            "i" => Volatility::Immutable,
            "s" => Volatility::Stable,
            _ => Volatility::Volatile,
        };
        let function = Function {
            kind,
            arguments: r.arguments,
            language: r.language,
            return_type: r.result.filter(|_| kind != RoutineKind::Procedure),
            body_sha256: body_hash(r.body.as_deref().unwrap_or_default()),
            volatility,
            security_definer: r.security_definer,
        };
        let id = FunctionId::new(QualifiedName::new(r.schema, r.name), r.argument_types);
        schema.functions.insert(id, function);
    }
    Ok(schema)
}

/// A schema ratchet created only to hold a schema-qualified history table
/// (`history_table = "ops.ratchet_history"`) is ratchet's too, while it holds nothing else.
fn forget_history_schema(schema: &mut Schema, history: &TableName) {
    let Some(own) = history.schema.as_deref() else {
        return;
    };
    if own == schema.default_schema() {
        return;
    }
    let used = schema.tables.keys().any(|n| n.schema == own)
        || schema.views.keys().any(|n| n.schema == own)
        || schema.sequences.keys().any(|n| n.schema == own)
        || schema.enums.keys().any(|n| n.schema == own)
        || schema.domains.keys().any(|n| n.schema == own)
        || schema.functions.keys().any(|f| f.name.schema == own)
        || schema.extensions.values().any(|e| e.schema == own);
    if !used {
        schema.schemas.remove(own);
    }
}

fn corrupt(message: String) -> DriverError {
    DriverError::Database {
        context: CONTEXT.to_owned(),
        message: format!("unexpected catalog data: {message}"),
        sqlstate: None,
    }
}

fn parse<T: DeserializeOwned>(json: &str) -> Result<Vec<T>, DriverError> {
    serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))
}

/// `NOT VALID` is [`Constraint::validated`]; the definition is the constraint itself.
fn without_not_valid(definition: String) -> String {
    match definition.strip_suffix(" NOT VALID") {
        Some(rest) => rest.to_owned(),
        None => definition,
    }
}

/// A CHECK constraint's expression, cut out of its definition (without `NOT VALID`) rather
/// than printed a second time with `pg_get_expr(conbin, conrelid)`: `pg_get_constraintdef`
/// prints the same expression with the same flags and context, and writes exactly
/// `CHECK (` expression `)`, then ` NO INHERIT` when `connoinherit`. Printing each one twice
/// cost 50 ms of 290 on 2,000 tables with 8,000 checks (issue 3, `bench/diff.py`). `None`
/// if the definition does not have that shape.
fn check_expression(definition: &str, no_inherit: bool) -> Option<String> {
    let definition = if no_inherit {
        definition.strip_suffix(" NO INHERIT")?
    } else {
        definition
    };
    definition
        .strip_prefix("CHECK (")?
        .strip_suffix(')')
        .map(str::to_owned)
}

fn action(code: &str) -> ReferentialAction {
    match code {
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

// ---------------------------------------------------------------------------------------
// One record per row of each query, named as the query's column aliases.

#[derive(Deserialize)]
struct SchemaRow {
    name: String,
}

#[derive(Deserialize)]
struct ExtensionRow {
    name: String,
    version: String,
    schema: String,
}

#[derive(Deserialize)]
struct EnumRow {
    schema: String,
    name: String,
    labels: Vec<String>,
}

#[derive(Deserialize)]
struct DomainRow {
    schema: String,
    name: String,
    base_type: String,
    not_null: bool,
    default: Option<String>,
    collation: Option<String>,
    checks: Vec<CheckRow>,
}

#[derive(Deserialize)]
struct CheckRow {
    name: String,
    definition: String,
    validated: bool,
}

#[derive(Deserialize)]
struct SequenceRow {
    schema: String,
    name: String,
    data_type: String,
    start: i64,
    increment: i64,
    min: i64,
    max: i64,
    cache: i64,
    cycle: bool,
    owner_schema: Option<String>,
    owner_table: Option<String>,
    owner_column: Option<String>,
}

#[derive(Deserialize)]
struct RelationRow {
    oid: i64,
    schema: String,
    name: String,
    kind: String,
    partition_key: Option<String>,
    parent_schema: Option<String>,
    parent: Option<String>,
    bound: Option<String>,
    definition: Option<String>,
}

#[derive(Deserialize)]
struct ColumnRow {
    rel: i64,
    num: i16,
    name: String,
    #[serde(rename = "type")]
    data_type: String,
    not_null: bool,
    default: Option<String>,
    generated: Option<String>,
    identity: String,
    collation: Option<String>,
}

#[derive(Deserialize)]
struct ConstraintRow {
    rel: i64,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    definition: String,
    validated: bool,
    deferrable: bool,
    deferred: bool,
    /// Column numbers (`conkey`); NULL for a check on no column.
    columns: Option<Vec<i16>>,
    ref_rel: i64,
    ref_schema: Option<String>,
    ref_table: Option<String>,
    /// Column numbers of the referenced table (`confkey`); NULL but for a foreign key.
    ref_columns: Option<Vec<i16>>,
    ref_names: Option<Vec<String>>,
    on_delete: String,
    on_update: String,
    /// `connoinherit`: the definition of a CHECK ends in ` NO INHERIT`.
    no_inherit: bool,
}

#[derive(Deserialize)]
struct IndexRow {
    rel: i64,
    name: String,
    method: String,
    unique: bool,
    valid: bool,
    definition: String,
    predicate: Option<String>,
    /// Column numbers (`indkey`), key columns then INCLUDE columns; 0 for an expression.
    key: Vec<i16>,
    key_count: usize,
    /// Each key column as printed, for an index with expressions.
    expressions: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TriggerRow {
    rel: i64,
    name: String,
    definition: String,
}

#[derive(Deserialize)]
struct FunctionRow {
    schema: String,
    name: String,
    argument_types: String,
    arguments: String,
    kind: String,
    language: String,
    result: Option<String>,
    body: Option<String>,
    volatility: String,
    security_definer: bool,
}

// ---------------------------------------------------------------------------------------
// The queries

/// The batch's queries, in order.
#[derive(Debug, Clone, Copy)]
enum Query {
    Schemas,
    Extensions,
    Enums,
    Domains,
    Sequences,
    Relations,
    Columns,
    Constraints,
    Indexes,
    Triggers,
    Functions,
}

const QUERIES: [Query; 11] = [
    Query::Schemas,
    Query::Extensions,
    Query::Enums,
    Query::Domains,
    Query::Sequences,
    Query::Relations,
    Query::Columns,
    Query::Constraints,
    Query::Indexes,
    Query::Triggers,
    Query::Functions,
];

/// Settings that change how the catalog printers write names and literals, and the value
/// each is pinned to while the batch runs; and `jit`, off: on a large schema the planner's
/// cost estimates pass `jit_above_cost` and compiling the queries takes longer than it saves
/// (60 ms of 290 for the constraints of 2,000 tables, issue 3). pg_dump turns it off too.
const PINNED: [(&str, &str); 7] = [
    ("search_path", "pg_catalog"),
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, MDY"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "1"),
    ("standard_conforming_strings", "on"),
    ("jit", "off"),
];

/// Schemas a user's objects can live in.
const USER_NAMESPACE: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
     AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

/// A collation (`co`, in namespace `cn`) as `"C"` (pg_catalog's) or `schema."name"`.
const COLLATION_NAME: &str = "CASE WHEN cn.nspname = 'pg_catalog' THEN quote_ident(co.collname) \
     ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END";

/// Not a member of an extension: CREATE EXTENSION records one 'e' dependency per object, on
/// the extension. Looked up by the referenced side (`refclassid`, the first column of
/// `pg_depend_reference_index`), which reaches only the extensions' few rows; by `classid`,
/// every query read all of `pg_class`'s dependencies (28,000 rows on 2,000 tables).
fn not_extension(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass \
         AND d.classid = '{catalog}'::regclass AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

/// The SQL of the batch: save and pin the settings, the queries (each as one JSON array of
/// its rows), restore the settings. Only
/// integers computed here are spliced in (the history table's oid); everything else is
/// constant text.
fn batch(history_oid: i64, server_version: i32) -> String {
    let mut sql = String::from("SELECT ");
    for (i, (setting, value)) in PINNED.iter().enumerate() {
        let saved = setting.to_ascii_lowercase();
        let comma = if i == 0 { "" } else { ", " };
        sql.push_str(&format!(
            "{comma}set_config('ratchet.saved_{saved}', current_setting('{setting}'), true), \
             set_config('{setting}', '{value}', true)"
        ));
    }
    sql.push_str(";\n");
    for query in QUERIES {
        sql.push_str("SELECT coalesce(json_agg(r), '[]') FROM (");
        sql.push_str(&query_sql(query, history_oid, server_version));
        sql.push_str(") r;\n");
    }
    sql.push_str("SELECT ");
    for (i, (setting, _)) in PINNED.iter().enumerate() {
        let saved = setting.to_ascii_lowercase();
        let comma = if i == 0 { "" } else { ", " };
        sql.push_str(&format!(
            "{comma}set_config('{setting}', current_setting('ratchet.saved_{saved}'), true)"
        ));
    }
    sql.push_str(";\n");
    sql
}

fn query_sql(query: Query, history_oid: i64, server_version: i32) -> String {
    // The user's tables, partitions, views and materialized views, minus the history.
    let relations = format!(
        "WITH rel AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {USER_NAMESPACE} AND {} \
         AND c.oid <> {history_oid}) ",
        not_extension("pg_class", "c.oid")
    );
    match query {
        Query::Schemas => format!(
            "SELECT n.nspname AS name FROM pg_namespace n WHERE {USER_NAMESPACE} AND {}",
            not_extension("pg_namespace", "n.oid")
        ),
        Query::Extensions => "SELECT e.extname AS name, e.extversion AS version, \
             n.nspname AS schema FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'"
            .to_owned(),
        Query::Enums => format!(
            "SELECT n.nspname AS schema, t.typname AS name, \
             (SELECT coalesce(json_agg(e.enumlabel ORDER BY e.enumsortorder), '[]') \
             FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typtype = 'e' AND {USER_NAMESPACE} AND {}",
            not_extension("pg_type", "t.oid")
        ),
        Query::Domains => format!(
            "SELECT n.nspname AS schema, t.typname AS name, \
             format_type(t.typbasetype, t.typtypmod) AS base_type, t.typnotnull AS not_null, \
             pg_get_expr(t.typdefaultbin, 0) AS default, \
             CASE WHEN t.typcollation <> b.typcollation THEN {COLLATION_NAME} END AS collation, \
             (SELECT coalesce(json_agg(json_build_object('name', k.conname, \
             'definition', pg_get_constraintdef(k.oid), 'validated', k.convalidated)), '[]') \
             FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c') AS checks \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             JOIN pg_type b ON b.oid = t.typbasetype \
             LEFT JOIN pg_collation co ON co.oid = t.typcollation \
             LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
             WHERE t.typtype = 'd' AND {USER_NAMESPACE} AND {}",
            not_extension("pg_type", "t.oid")
        ),
        // Identity columns' sequences (deptype 'i') are the column's; serial ones are 'a'.
        Query::Sequences => format!(
            "SELECT n.nspname AS schema, c.relname AS name, \
             format_type(s.seqtypid, NULL) AS data_type, s.seqstart AS start, \
             s.seqincrement AS increment, s.seqmin AS min, s.seqmax AS max, \
             s.seqcache AS cache, s.seqcycle AS cycle, own.nspname AS owner_schema, \
             oc.relname AS owner_table, a.attname AS owner_column \
             FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
             AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
             LEFT JOIN pg_class oc ON oc.oid = d.refobjid \
             LEFT JOIN pg_namespace own ON own.oid = oc.relnamespace \
             LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
             WHERE d.deptype IS DISTINCT FROM 'i' AND {USER_NAMESPACE} AND {}",
            not_extension("pg_class", "c.oid")
        ),
        Query::Relations => format!(
            "{relations}SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, \
             c.relkind AS kind, \
             CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key, \
             pn.nspname AS parent_schema, pc.relname AS parent, \
             CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound, \
             CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS definition \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid \
             LEFT JOIN pg_class pc ON pc.oid = i.inhparent \
             LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
             WHERE c.oid IN (SELECT oid FROM rel)"
        ),
        Query::Columns => format!(
            "{relations}SELECT a.attrelid::int8 AS rel, a.attnum AS num, a.attname AS name, \
             format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, \
             CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS default, \
             CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated, \
             a.attidentity AS identity, \
             CASE WHEN a.attcollation <> t.typcollation THEN {COLLATION_NAME} END AS collation \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
             LEFT JOIN pg_collation co ON co.oid = a.attcollation \
             LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
             WHERE a.attrelid IN (SELECT oid FROM rel) AND a.attnum > 0 AND NOT a.attisdropped"
        ),
        // A foreign key to a partitioned table also gets one row per referenced partition,
        // under the same name and table, pointing at the first row (conparentid); those are
        // implementation details of the first. (Written as a scalar subquery: as an anti-join
        // the planner expected one row and chose a nested loop that took 300 ms.)
        Query::Constraints => format!(
            "{relations}SELECT k.conrelid::int8 AS rel, k.conname AS name, k.contype AS type, \
             pg_get_constraintdef(k.oid) AS definition, k.convalidated AS validated, \
             k.condeferrable AS deferrable, k.condeferred AS deferred, k.conkey AS columns, \
             k.confrelid::int8 AS ref_rel, rn.nspname AS ref_schema, rc.relname AS ref_table, \
             k.confkey AS ref_columns, \
             CASE WHEN k.contype = 'f' AND k.confrelid NOT IN (SELECT oid FROM rel) THEN \
             (SELECT json_agg(a.attname ORDER BY u.ord) \
             FROM unnest(k.confkey) WITH ORDINALITY u(num, ord) \
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num) END AS ref_names, \
             k.confdeltype AS on_delete, k.confupdtype AS on_update, \
             k.connoinherit AS no_inherit \
             FROM pg_constraint k \
             LEFT JOIN pg_class rc ON rc.oid = k.confrelid \
             LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
             WHERE k.conrelid IN (SELECT oid FROM rel) AND k.contype IN ('p', 'u', 'f', 'c', 'x') \
             AND (k.conparentid = 0 OR (SELECT p.conrelid FROM pg_constraint p \
             WHERE p.oid = k.conparentid) IS DISTINCT FROM k.conrelid)"
        ),
        // Indexes implementing a constraint are the constraint's.
        Query::Indexes => format!(
            "{relations}SELECT x.indrelid::int8 AS rel, ic.relname AS name, am.amname AS method, \
             x.indisunique AS unique, x.indisvalid AS valid, \
             pg_get_indexdef(x.indexrelid) AS definition, \
             pg_get_expr(x.indpred, x.indrelid, true) AS predicate, \
             x.indkey::int2[] AS key, x.indnkeyatts AS key_count, \
             CASE WHEN x.indexprs IS NOT NULL THEN \
             (SELECT json_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k) \
             FROM generate_series(1, x.indnkeyatts) k) END AS expressions \
             FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid \
             JOIN pg_am am ON am.oid = ic.relam \
             WHERE x.indrelid IN (SELECT oid FROM rel) \
             AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid \
             AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x'))"
        ),
        // Internal triggers implement foreign keys.
        Query::Triggers => format!(
            "{relations}SELECT g.tgrelid::int8 AS rel, g.tgname AS name, \
             pg_get_triggerdef(g.oid) AS definition \
             FROM pg_trigger g WHERE g.tgrelid IN (SELECT oid FROM rel) AND NOT g.tgisinternal"
        ),
        Query::Functions => {
            // BEGIN ATOMIC bodies (PostgreSQL 14+) are stored parsed, with an empty prosrc.
            let body = if server_version >= 140000 {
                "CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) \
                 ELSE p.prosrc END"
            } else {
                "p.prosrc"
            };
            format!(
                "SELECT n.nspname AS schema, p.proname AS name, \
                 oidvectortypes(p.proargtypes) AS argument_types, \
                 pg_get_function_arguments(p.oid) AS arguments, p.prokind AS kind, \
                 l.lanname AS language, pg_get_function_result(p.oid) AS result, \
                 {body} AS body, p.provolatile AS volatility, \
                 p.prosecdef AS security_definer \
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 JOIN pg_language l ON l.oid = p.prolang \
                 WHERE {USER_NAMESPACE} AND {}",
                not_extension("pg_proc", "p.oid")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use ratchet_testkit::PgDatabase;
    use tokio_postgres::NoTls;

    use super::*;

    fn connect(db: &PgDatabase) -> (Runtime, Client) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (client, connection) = runtime
            .block_on(tokio_postgres::connect(&db.url(), NoTls))
            .expect("connect");
        runtime.spawn(connection);
        (runtime, client)
    }

    fn show(runtime: &Runtime, client: &Client, setting: &str) -> String {
        let rows = runtime
            .block_on(client.query_typed("SELECT current_setting($1)", &[(&setting, Type::TEXT)]))
            .expect("current_setting");
        rows[0].get(0)
    }

    fn history() -> TableName {
        TableName::parse("ratchet_history").expect("name")
    }

    /// Validation will introspect inside a migration's transaction, after the migration's
    /// own `SET LOCAL`s: it must see the uncommitted tables, print them as it always does,
    /// and leave the transaction and every setting as they were.
    #[test]
    fn inside_an_open_transaction_sees_it_and_leaves_it_as_it_was() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        runtime
            .block_on(client.batch_execute(
                "SET search_path = public; SET TimeZone = 'America/New_York'; SET jit = on",
            ))
            .expect("session settings");
        // A separate query: statements before a BEGIN in the same query join its transaction.
        runtime
            .block_on(client.batch_execute(
                "BEGIN;\n\
                 CREATE TABLE in_tx (at timestamptz DEFAULT '2024-06-01 12:00+00');\n\
                 SET LOCAL search_path = pg_temp, public;",
            ))
            .expect("open a transaction");

        let schema = introspect(&runtime, &client, &history()).expect("introspect");
        let column = schema.table("in_tx").expect("uncommitted table").columns[0].clone();
        assert_eq!(
            column.default.as_deref(),
            Some("'2024-06-01 12:00:00+00'::timestamp with time zone"),
            "printed in UTC whatever the session's TimeZone"
        );
        assert_eq!(show(&runtime, &client, "search_path"), "pg_temp, public");
        assert_eq!(show(&runtime, &client, "TimeZone"), "America/New_York");
        assert_eq!(
            show(&runtime, &client, "jit"),
            "on",
            "off for the batch only"
        );

        // Still the same transaction: rolling it back drops the table.
        runtime
            .block_on(client.batch_execute("ROLLBACK"))
            .expect("rollback");
        assert_eq!(show(&runtime, &client, "search_path"), "public");
        let schema = introspect(&runtime, &client, &history()).expect("introspect");
        assert!(schema.table("in_tx").is_none());
        assert_eq!(show(&runtime, &client, "search_path"), "public");
        assert_eq!(show(&runtime, &client, "TimeZone"), "America/New_York");
    }

    /// The expression is cut out of `pg_get_constraintdef`'s output (issue 3); it must be what
    /// `pg_get_expr(conbin, conrelid)` prints, which is what it was read with before.
    #[test]
    fn check_expressions_are_what_pg_get_expr_prints() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        runtime
            .block_on(client.batch_execute(
                "CREATE TABLE checked (a int, b text, c bool, \
                 CONSTRAINT flag CHECK (c) NO INHERIT, \
                 CONSTRAINT paren CHECK (a > 0 AND b <> 'x)'), \
                 CONSTRAINT either CHECK ((a > 0) OR (b IS NULL)), \
                 CONSTRAINT suffix_in_text CHECK (b ~ ' NO INHERIT$'), \
                 CONSTRAINT negated CHECK (NOT c));\n\
                 ALTER TABLE checked ADD CONSTRAINT later CHECK (a < 10) NOT VALID;\n\
                 ALTER TABLE checked ADD CONSTRAINT both_suffixes CHECK (a < 11) NO INHERIT NOT VALID;",
            ))
            .expect("table");
        let rows = runtime
            .block_on(client.query(
                "SELECT conname::text, pg_get_expr(conbin, conrelid) FROM pg_constraint \
                 WHERE conrelid = 'checked'::regclass",
                &[],
            ))
            .expect("pg_get_expr");
        let schema = introspect(&runtime, &client, &history()).expect("introspect");
        let table = schema.table("checked").expect("table");
        assert_eq!(rows.len(), 7);
        for row in rows {
            let name: String = row.get(0);
            let printed: String = row.get(1);
            match &table.constraints[&name].kind {
                ConstraintKind::Check { expression } => assert_eq!(expression, &printed, "{name}"),
                other => panic!("{name} is {other:?}"),
            }
        }
    }

    #[test]
    fn check_expression_only_takes_the_printed_shape() {
        assert_eq!(
            check_expression("CHECK ((a > 0))", false).as_deref(),
            Some("(a > 0)")
        );
        assert_eq!(
            check_expression("CHECK (c) NO INHERIT", true).as_deref(),
            Some("c")
        );
        assert_eq!(
            check_expression("CHECK ((b ~ ' NO INHERIT'::text))", false).as_deref(),
            Some("(b ~ ' NO INHERIT'::text)")
        );
        assert_eq!(check_expression("CHECK (c)", true), None);
        assert_eq!(
            check_expression("EXCLUDE USING gist (c WITH &&)", false),
            None
        );
    }

    #[test]
    fn an_aborted_transaction_is_an_error_not_a_schema() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        runtime
            .block_on(client.batch_execute("BEGIN"))
            .expect("begin");
        let _ = runtime.block_on(client.batch_execute("SELECT 1/0"));
        let err = introspect(&runtime, &client, &history()).expect_err("aborted");
        assert!(
            matches!(&err, DriverError::Database { sqlstate: Some(s), .. } if s == "25P02"),
            "{err:?}"
        );
    }
}
