//! PostgreSQL: the schema from `pg_catalog`, in a few round trips whatever its size.
//!
//! One query per object kind for the whole database (never one per table), all in one
//! statement that shares the list of the user's relations and of their columns, sent in
//! one simple-query batch. Outside a transaction the work is split in two: a second
//! connection reads the constraints, indexes and triggers at the same time ([`Share`]); on
//! a new backend nearly all of the time is the server's (issue 3).
//!
//! Each query's rows come back as one JSON document of one array per column
//! (`json_build_object('name', json_agg(name), ...)`): with tens of thousands of rows, one
//! text value per query is cheaper for both ends than as many protocol rows (2,000 tables:
//! about 290 ms against 400 ms to get the data across, measured with
//! `examples/introspect_bench.rs`), and an array per column is cheaper for the server than
//! an object per row, which looks up how to write each field again for every row (the
//! 20,000 columns of 2,000 tables: 11 ms against 27 ms, issue 3). Column numbers in
//! constraint and index keys are turned into names here, from the columns already read,
//! rather than by a subquery per constraint.
//!
//! Text that only the server can write comes from the catalog's printers (`format_type`,
//! `pg_get_expr`, `pg_get_viewdef`, `pg_get_triggerdef`, and `pg_get_constraintdef` for
//! CHECK and EXCLUDE, `pg_get_indexdef` for indexes with expression keys). Index, primary
//! key, unique and foreign key definitions are written here from the catalog's columns,
//! byte for byte as the server's printers write them ([`super::postgres_ddl`]): on a new
//! backend the printers cost more than everything else together (issue 3).
//!
//! On PostgreSQL 15 the CHECK constraints, index expressions and predicates are printed
//! here too, from their node trees ([`super::postgres_expr`]), which follow the
//! constraints' and indexes' documents ([`with_trees`]): printing one, the server opens its
//! table. Then one more statement reads the names of the operators, functions and types
//! the trees refer to, and, only if a tree has a part printed only by the server, another
//! has the server print those objects.
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

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::pin::pin;

use futures_util::future::{select, Either};
use ratchet_schema::{
    body_hash, Column, ColumnRef, Constraint, ConstraintKind, Deferrable, Dialect, Domain,
    DomainCheck, EnumType, Extension, ForeignKey, Function, FunctionId, Identity, Index,
    PartitionOf, QualifiedName, ReferentialAction, RoutineKind, Schema, Sequence, Table, Trigger,
    View, Volatility,
};
use rustc_hash::FxHashMap;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use tokio::runtime::Runtime;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, SimpleQueryMessage, SimpleQueryRow};

use super::postgres_ddl::{
    Catalog, Deferral, ForeignKeyParts, IndexParts, KeyColumn, Opclass, SchemaName, TypeInfo,
};
use super::postgres_expr::{self, ExprCatalog, Style, Value};
use crate::{DriverError, TableName};

const CONTEXT: &str = "reading the schema";

/// `server_version_num` of PostgreSQL 12: generated columns (`attgenerated`) and the
/// catalog columns the queries read.
const MINIMUM_VERSION: i32 = 120000;

/// The first `server_version_num` whose printers [`super::postgres_ddl`] does not know:
/// PostgreSQL 18 prints `NOT ENFORCED` and `WITHOUT OVERLAPS`/`PERIOD` in constraints. From
/// there on the server prints every index and constraint definition itself.
const CLIENT_PRINTED_BELOW: i32 = 180000;

/// Reads the schema on `client`, and on a second connection made with `helper` when one
/// is given, each reading part of it at the same time (see [`Share`]).
///
/// # Transactions
/// Pass a `helper` only when `client` has no transaction open: the second connection
/// sees committed data only, and would wait for any lock the transaction holds. With a
/// helper that cannot connect, or that has not connected by the time `client` has read
/// its part, `client` reads the other part too.
pub(crate) fn introspect(
    runtime: &Runtime,
    client: &Client,
    history: &TableName,
    helper: Option<&Config>,
) -> Result<Schema, DriverError> {
    let database = |e: tokio_postgres::Error| crate::postgres::database(CONTEXT, &e);
    let batches = runtime.block_on(async {
        // The second backend starts while the first query runs.
        let connecting = async {
            let (helper, connection) = helper?.connect(NoTls).await.ok()?;
            // Ends when `helper` is dropped.
            tokio::spawn(connection);
            Some(helper)
        };
        let mut connecting = pin!(connecting);
        // The history table is resolved on the caller's search_path (as ratchet created
        // it), before the batch changes the path.
        let quoted = history.quoted();
        let parameters = [(&quoted as &(dyn ToSql + Sync), Type::TEXT)];
        // And whether this session's transaction has written anything: a transaction the
        // caller left open (a `no-transaction` migration's own BEGIN) may hold changes only
        // this connection sees.
        let first = client.query_typed(
            "SELECT coalesce(to_regclass($1)::oid::int8, 0), \
             current_setting('server_version_num')::int4, \
             txid_current_if_assigned() IS NOT NULL",
            &parameters,
        );
        let (rows, connected) = match select(pin!(first), connecting.as_mut()).await {
            Either::Left((rows, _)) => (rows, None),
            Either::Right((connected, first)) => (first.await, Some(connected)),
        };
        let rows = rows.map_err(database)?;
        let (history_oid, version, writing): (i64, i32, bool) = rows
            .first()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .unwrap_or((0, 0, false));
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
        if helper.is_none() || writing {
            let whole = batch(history_oid, version, Share::Whole);
            return Ok(vec![client.simple_query(&whole).await.map_err(database)?]);
        }

        // This connection reads the relations, the helper their keys once connected.
        let (first_part, second_part) = (Share::Relations, Share::Keys);
        let second_sql = batch(history_oid, version, second_part);
        let started = Cell::new(false);
        let second = async {
            let helper = match connected {
                Some(helper) => helper,
                None => connecting.await,
            }?;
            started.set(true);
            helper.simple_query(&second_sql).await.ok()
        };
        let first_sql = batch(history_oid, version, first_part);
        let first = client.simple_query(&first_sql);
        let (first, second) = match select(pin!(first), pin!(second)).await {
            Either::Left((first, second)) if started.get() => (first, second.await),
            // Not even connected yet: not worth waiting for.
            Either::Left((first, _)) => (first, None),
            Either::Right((second, first)) => (first.await, second),
        };
        let first = first.map_err(database)?;
        let second = match second {
            Some(second) => second,
            None => client.simple_query(&second_sql).await.map_err(database)?,
        };
        Ok(vec![first, second])
    })?;
    let rows = statement_rows(batches)?;
    // What printing the node trees needs to look up, and what it cannot print, the
    // server answers on this connection (which sees what the batch saw in a transaction).
    let ask = |statement: &str| -> Result<String, DriverError> {
        let messages = runtime
            .block_on(client.simple_query(&pinned(statement, false)))
            .map_err(database)?;
        // The second row: after the saved settings, before their restoring.
        let row = messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .nth(1)
            .ok_or_else(|| corrupt("no row for a follow-up statement".to_owned()))?;
        Ok(row.get(0).unwrap_or("{}").to_owned())
    };
    let mut schema = build(&Documents::new(&rows), &ask)?;
    forget_history_schema(&mut schema, history);
    Ok(schema)
}

/// The row of each batch's statement that reads the schema: one JSON document per query
/// (NULL for a query the batch leaves to another).
fn statement_rows(
    batches: Vec<Vec<SimpleQueryMessage>>,
) -> Result<Vec<SimpleQueryRow>, DriverError> {
    let mut rows = Vec::with_capacity(batches.len());
    for messages in batches {
        // One row per statement: the settings saved, the schema, the settings restored.
        let mut batch_rows: Vec<_> = messages
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .collect();
        if batch_rows.len() != 3 {
            return Err(corrupt(format!(
                "expected 3 result rows, got {}",
                batch_rows.len()
            )));
        }
        let row = batch_rows.swap_remove(1);
        if row.len() != QUERIES.len() {
            return Err(corrupt(format!(
                "expected {} documents, got {}",
                QUERIES.len(),
                row.len()
            )));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The documents of one or more batches (the shares [`Share`] splits the work into),
/// read as if one batch had sent them all.
struct Documents<'a> {
    /// Per batch, per query, its document.
    batches: Vec<Vec<Option<&'a str>>>,
}

impl<'a> Documents<'a> {
    fn new(rows: &'a [SimpleQueryRow]) -> Documents<'a> {
        let batches = rows
            .iter()
            .map(|row| (0..row.len()).map(|i| row.get(i)).collect())
            .collect();
        Documents { batches }
    }

    /// A query's JSON documents, one per batch that ran it.
    fn texts(&self, query: Query) -> impl Iterator<Item = &'a str> + '_ {
        self.documents(query)
            .map(|text| text.split_once(TREES).map_or(text, |(json, _)| json))
    }

    /// The node trees that follow a query's JSON document ([`with_trees`]).
    fn trees(&self, query: Query) -> impl Iterator<Item = &'a str> + '_ {
        self.documents(query)
            .filter_map(|text| text.split_once(TREES).map(|(_, trees)| trees))
    }

    fn documents(&self, query: Query) -> impl Iterator<Item = &'a str> + '_ {
        self.batches
            .iter()
            .filter_map(move |batch| batch.get(query as usize).copied().flatten())
    }

    /// A query's rows from every batch that ran it.
    fn rows<T: IntoRows + DeserializeOwned>(
        &self,
        query: Query,
    ) -> Result<Vec<T::Row>, DriverError> {
        let mut all = Vec::new();
        for text in self.texts(query) {
            let mut rows = rows::<T>(text)?;
            if all.is_empty() {
                all = rows;
            } else {
                all.append(&mut rows);
            }
        }
        Ok(all)
    }
}

/// A relation being read, until it goes into the schema.
enum Relation {
    Table(Table),
    View(View),
}

/// A table column as index and constraint keys refer to it.
struct ColumnInfo {
    name: String,
    type_oid: u32,
    collation: u32,
}

/// The model from the queries' documents.
fn build(documents: &Documents<'_>, ask: &Ask<'_>) -> Result<Schema, DriverError> {
    // The largest documents are parsed on other threads meanwhile: parsing is half of the
    // client's time (2,000 tables: 25 of 50 ms), and the server is done by now.
    std::thread::scope(|scope| {
        let constraints = scope.spawn(|| documents.rows::<ConstraintColumns>(Query::Constraints));
        let indexes = scope.spawn(|| documents.rows::<IndexColumns>(Query::Indexes));
        // And the catalog, with the expressions printed from their trees, which waits for
        // the server once (the names the trees refer to).
        let catalog = scope.spawn(|| {
            let catalog = catalog(documents)?;
            let templates = print_templates(documents, &catalog, ask)?;
            Ok((catalog, templates))
        });
        build_from(
            documents,
            || joined(constraints),
            || joined(indexes),
            || joined(catalog),
            ask,
        )
    })
}

/// Runs a statement that returns one JSON document, its settings pinned as the batch's
/// (the printers' output depends on them), on the connection that read the schema.
type Ask<'a> = dyn Fn(&str) -> Result<String, DriverError> + Sync + 'a;

/// (index oid, `pg_get_indexdef` when it has expressions, the predicate plain and
/// pretty, the expression keys pretty).
type ServerIndex = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Vec<String>>,
);

/// The server's printing of some CHECK constraints and indexes.
#[derive(Debug, Default, Deserialize)]
struct ServerPrinted {
    /// (constraint oid, `pg_get_constraintdef`).
    #[serde(default, deserialize_with = "null_as_empty")]
    checks: Vec<(i64, String)>,
    /// (index oid, `pg_get_indexdef` when it has expressions, the predicate plain and
    /// pretty, the expression keys pretty).
    #[serde(default, deserialize_with = "null_as_empty")]
    indexes: Vec<ServerIndex>,
}

fn server_printed_statement(checks: &[i64], indexes: &[i64]) -> String {
    let list = |oids: &[i64]| {
        let texts: Vec<String> = oids.iter().map(i64::to_string).collect();
        texts.join(",")
    };
    format!(
        "SELECT json_build_object('checks', (SELECT json_agg(json_build_array(k.oid::int8, \
         pg_get_constraintdef(k.oid))) FROM pg_constraint k WHERE k.oid = ANY('{{{}}}'::oid[])), \
         'indexes', (SELECT json_agg(json_build_array(x.indexrelid::int8, \
         CASE WHEN x.indexprs IS NOT NULL THEN pg_get_indexdef(x.indexrelid) END, \
         pg_get_expr(x.indpred, x.indrelid), {PREDICATE}, {EXPRESSIONS})) \
         FROM pg_index x WHERE x.indexrelid = ANY('{{{}}}'::oid[])))",
        list(checks),
        list(indexes)
    )
}

/// An index's expression key, printed for its definition.
struct ExpressionKey {
    /// Plain, in parentheses unless it looks like a function call.
    text: String,
    type_oid: u32,
    collation: u32,
}

/// The batches' node trees, by kind (`c`, `e`, `p`) and oid, from the entries
/// `kind oid length:tree` after the constraints' and indexes' documents ([`with_trees`]).
fn trees<'a>(documents: &Documents<'a>) -> Result<Vec<(u8, i64, &'a str)>, DriverError> {
    let mut trees = Vec::new();
    let texts = documents
        .trees(Query::Constraints)
        .chain(documents.trees(Query::Indexes));
    for mut text in texts {
        while !text.is_empty() {
            let bad = || corrupt(format!("node trees at {:?}", &text[..text.len().min(40)]));
            let kind = text.as_bytes()[0];
            let (oid, rest) = text[1..].split_once(' ').ok_or_else(bad)?;
            let (length, rest) = rest.split_once(':').ok_or_else(bad)?;
            let oid: i64 = oid.parse().map_err(|_| bad())?;
            let length: usize = length.parse().map_err(|_| bad())?;
            let tree = rest.get(..length).ok_or_else(bad)?;
            trees.push((kind, oid, tree));
            text = &rest[length..];
        }
    }
    Ok(trees)
}

/// What one node tree prints as: per expression (one for a CHECK constraint or a
/// predicate, one per expression key), its plain and pretty [`postgres_expr::template`]s.
/// Index keys are in parentheses unless they look like function calls, as the server
/// writes them in both forms.
struct Printed {
    expressions: Vec<PrintedExpression>,
}

struct PrintedExpression {
    plain: String,
    /// Not made for CHECK constraints, which the model keeps plain only.
    pretty: Option<String>,
    type_oid: u32,
    collation: u32,
}

/// The node trees of a batch's CHECK constraints and indexes, printed as templates
/// ([`postgres_expr::template`]) for [`fill_expressions`].
struct Templates {
    /// By (kind, oid) as in [`trees`], the position of its tree in `printed`.
    tree_ids: FxHashMap<(u8, i64), usize>,
    /// Per distinct tree, `None` if it cannot be printed here.
    printed: Vec<Option<Printed>>,
}

impl Templates {
    /// `None` when there is no such tree, `Some(None)` when it cannot be printed here.
    fn get(&self, kind: u8, oid: i64) -> Option<Option<&Printed>> {
        let id = self.tree_ids.get(&(kind, oid))?;
        Some(self.printed[*id].as_ref())
    }
}

/// Prints the node trees of the CHECK constraints and the indexes' expressions and
/// predicates that the batch left unprinted (PostgreSQL 15, [`client_expressions`]) as
/// templates, while the rest of the documents are parsed. Each distinct tree is read and
/// printed once, in two halves on two threads; the names the trees refer to are asked of
/// the server in one statement. `None` when the batch sent no trees.
fn print_templates(
    documents: &Documents<'_>,
    catalog: &Catalog,
    ask: &Ask<'_>,
) -> Result<Option<Templates>, DriverError> {
    let trees = trees(documents)?;
    if trees.is_empty() {
        return Ok(None);
    }
    // Distinct texts, a CHECK's apart (it needs no pretty form), and which one each
    // object's tree is. (FxHash: the texts are 6 MB on 2,000 tables.)
    let mut ids: FxHashMap<(bool, &str), usize> = FxHashMap::default();
    let mut distinct: Vec<(bool, &str)> = Vec::new();
    let tree_ids: FxHashMap<(u8, i64), usize> = trees
        .iter()
        .map(|&(kind, oid, text)| {
            let key = (kind == b'c', text);
            let id = *ids.entry(key).or_insert_with(|| {
                distinct.push(key);
                distinct.len() - 1
            });
            ((kind, oid), id)
        })
        .collect();
    let read_trees = in_halves(&distinct, |&(check, text)| {
        (check, postgres_expr::read(text))
    });
    let mut referenced = postgres_expr::Referenced::default();
    for (_, tree) in &read_trees {
        if let Some(tree) = tree {
            referenced.add(tree);
        }
    }
    let expressions = ExprCatalog::from_json(&ask(&postgres_expr::names_statement(&referenced))?)
        .map_err(|e| corrupt(format!("names for expressions: {e}")))?;
    let names = catalog.names(&expressions);
    let print = |check: bool, tree: &Value<'_>| -> Option<Printed> {
        // Index expressions are a list; a CHECK constraint or a predicate is one node.
        let list = matches!(tree, Value::List(_));
        let nodes = match list {
            true => postgres_expr::list_nodes(tree)?,
            false => vec![postgres_expr::single_node(tree)?],
        };
        let mut expressions = Vec::with_capacity(nodes.len());
        for node in nodes {
            // Index keys: in parentheses unless they look like a function call.
            let wrap = |text: String| {
                if !list || postgres_expr::looks_like_function(node) {
                    text
                } else {
                    format!("({text})")
                }
            };
            let pretty = match check {
                true => None,
                false => Some(wrap(postgres_expr::template(node, Style::Pretty, names)?)),
            };
            expressions.push(PrintedExpression {
                plain: wrap(postgres_expr::template(node, Style::Plain, names)?),
                pretty,
                type_oid: postgres_expr::type_of(node)?,
                collation: postgres_expr::collation_of(node)?,
            });
        }
        Some(Printed { expressions })
    };
    let printed = in_halves(&read_trees, |(check, tree)| print(*check, tree.as_ref()?));
    Ok(Some(Templates { tree_ids, printed }))
}

/// `f` of each item, in order, the second half on another thread.
fn in_halves<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let (first, second) = items.split_at(items.len() / 2);
    let map = |part: &[T]| part.iter().map(&f).collect::<Vec<R>>();
    std::thread::scope(|scope| {
        let other = scope.spawn(|| map(second));
        let mut all = map(first);
        all.extend(joined(other));
        all
    })
}

/// Fills the rows' CHECK definitions and the indexes' expressions and predicates in from
/// `templates`, as the server's printers would have; asks the server for those that
/// cannot be printed here. Returns the indexes' expression keys for their definitions.
fn fill_expressions(
    templates: Option<&Templates>,
    catalog: &Catalog,
    key_columns: &HashMap<(i64, i16), ColumnInfo>,
    constraints: &mut [ConstraintRow],
    indexes: &mut [IndexRow],
    ask: &Ask<'_>,
) -> Result<HashMap<i64, Vec<ExpressionKey>>, DriverError> {
    let mut keys = HashMap::new();
    let Some(templates) = templates else {
        return Ok(keys);
    };

    let fill = |template: &str, rel: i64| {
        let column = |number: i16| key_columns.get(&(rel, number)).map(|c| c.name.as_str());
        postgres_expr::fill(template, &catalog.keywords, &column)
    };
    let mut server_checks = Vec::new();
    for r in constraints
        .iter_mut()
        .filter(|r| r.kind == "c" && r.definition.is_none())
    {
        let expression = templates
            .get(b'c', r.oid)
            .flatten()
            .and_then(|p| fill(&p.expressions.first()?.plain, r.rel));
        match expression {
            Some(expression) => {
                let no_inherit = if r.flags & CONSTRAINT_NO_INHERIT != 0 {
                    " NO INHERIT"
                } else {
                    ""
                };
                r.definition = Some(format!("CHECK ({expression}){no_inherit}"));
            }
            None => server_checks.push(r.oid),
        }
    }
    let mut server_indexes = Vec::new();
    for r in indexes.iter_mut().filter(|r| r.definition.is_none()) {
        let (expression_tree, predicate_tree) =
            (templates.get(b'e', r.oid), templates.get(b'p', r.oid));
        let filled = || -> Option<_> {
            let mut pretty_keys = Vec::new();
            let mut index_keys = Vec::new();
            match expression_tree {
                Some(expressions) => {
                    for key in &expressions?.expressions {
                        pretty_keys.push(fill(key.pretty.as_deref()?, r.rel)?);
                        index_keys.push(ExpressionKey {
                            text: fill(&key.plain, r.rel)?,
                            type_oid: key.type_oid,
                            collation: key.collation,
                        });
                    }
                }
                // An expression key needs its tree.
                None if r.key.contains(&0) => return None,
                None => {}
            }
            let predicate = match predicate_tree {
                Some(predicate) => {
                    let predicate = predicate?.expressions.first()?;
                    Some((
                        fill(&predicate.plain, r.rel)?,
                        fill(predicate.pretty.as_deref()?, r.rel)?,
                    ))
                }
                None => None,
            };
            Some((pretty_keys, index_keys, predicate))
        };
        match filled() {
            Some((pretty_keys, index_keys, predicate)) => {
                if expression_tree.is_some() {
                    r.expressions = Some(pretty_keys);
                    keys.insert(r.oid, index_keys);
                }
                if let Some((plain, pretty)) = predicate {
                    r.predicate_sql = Some(plain);
                    r.predicate = Some(pretty);
                }
            }
            None => server_indexes.push(r.oid),
        }
    }
    if server_checks.is_empty() && server_indexes.is_empty() {
        return Ok(keys);
    }
    #[cfg(test)]
    tests::SERVER_PRINTED.with(|n| n.set(n.get() + server_checks.len() + server_indexes.len()));
    let printed: ServerPrinted = serde_json::from_str(&ask(&server_printed_statement(
        &server_checks,
        &server_indexes,
    ))?)
    .map_err(|e| corrupt(e.to_string()))?;
    let checks: HashMap<i64, String> = printed.checks.into_iter().collect();
    for r in constraints
        .iter_mut()
        .filter(|r| server_checks.contains(&r.oid))
    {
        r.definition = Some(checks.get(&r.oid).cloned().ok_or_else(|| {
            corrupt(format!(
                "constraint {:?} was dropped while being read",
                r.name
            ))
        })?);
    }
    let by_index: HashMap<i64, _> = printed
        .indexes
        .into_iter()
        .map(|(oid, definition, plain, pretty, expressions)| {
            (oid, (definition, plain, pretty, expressions))
        })
        .collect();
    for r in indexes
        .iter_mut()
        .filter(|r| server_indexes.contains(&r.oid))
    {
        let (definition, plain, pretty, expressions) = by_index
            .get(&r.oid)
            .cloned()
            .ok_or_else(|| corrupt(format!("index {:?} was dropped while being read", r.name)))?;
        r.definition = definition;
        r.predicate_sql = plain;
        r.predicate = pretty;
        r.expressions = expressions;
    }
    Ok(keys)
}

fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn build_from(
    documents: &Documents<'_>,
    constraints: impl FnOnce() -> Result<Vec<ConstraintRow>, DriverError>,
    indexes: impl FnOnce() -> Result<Vec<IndexRow>, DriverError>,
    catalog: impl FnOnce() -> Result<(Catalog, Option<Templates>), DriverError>,
    ask: &Ask<'_>,
) -> Result<Schema, DriverError> {
    let mut schema = Schema::new(Dialect::Postgres);
    for r in documents.rows::<SchemaColumns>(Query::Schemas)? {
        schema.schemas.insert(r.name);
    }
    for r in documents.rows::<ExtensionColumns>(Query::Extensions)? {
        let extension = Extension {
            version: r.version,
            schema: r.schema,
        };
        schema.extensions.insert(r.name, extension);
    }
    for r in documents.rows::<EnumColumns>(Query::Enums)? {
        let labels = EnumType { labels: r.labels };
        schema
            .enums
            .insert(QualifiedName::new(r.schema, r.name), labels);
    }
    for r in documents.rows::<DomainColumns>(Query::Domains)? {
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
    for r in documents.rows::<SequenceColumns>(Query::Sequences)? {
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

    // Relations by oid, as their parts refer to them; into the schema at the end.
    let mut relations: HashMap<i64, (QualifiedName, Relation)> = HashMap::new();
    for r in documents.rows::<RelationColumns>(Query::Relations)? {
        let name = QualifiedName::new(r.schema, r.name);
        if r.kind == "v" || r.kind == "m" {
            let view = View {
                materialized: r.kind == "m",
                definition: r.definition.unwrap_or_default(),
                columns: Vec::new(),
                indexes: BTreeMap::new(),
                triggers: BTreeMap::new(),
            };
            relations.insert(r.oid, (name, Relation::View(view)));
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
            relations.insert(r.oid, (name, Relation::Table(table)));
        }
    }

    // (relation, attnum) -> column, for constraint and index keys.
    let mut key_columns: HashMap<(i64, i16), ColumnInfo> = HashMap::new();
    let mut columns = documents.rows::<ColumnColumns>(Query::Columns)?;
    columns.sort_unstable_by_key(|c| (c.rel, c.num));
    for c in columns {
        let info = ColumnInfo {
            name: c.name.clone(),
            type_oid: c.type_oid,
            collation: c.collation_oid,
        };
        key_columns.insert((c.rel, c.num), info);
        let Some((_, relation)) = relations.get_mut(&c.rel) else {
            continue;
        };
        let column = Column {
            name: c.name,
            data_type: c.data_type,
            nullable: c.flags & COLUMN_NOT_NULL == 0,
            default: c.default,
            identity: if c.flags & COLUMN_ALWAYS != 0 {
                Some(Identity::Always)
            } else if c.flags & COLUMN_BY_DEFAULT != 0 {
                Some(Identity::ByDefault)
            } else {
                None
            },
            generated: c.generated,
            collation: c.collation,
        };
        match relation {
            Relation::Table(t) => t.columns.push(column),
            Relation::View(v) => v.columns.push(column),
        }
    }
    let names_of = |rel: i64, numbers: &[i16]| -> Vec<String> {
        numbers
            .iter()
            .map(|n| {
                key_columns
                    .get(&(rel, *n))
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| format!("#{n}"))
            })
            .collect()
    };
    // For definitions, where a made-up name would be a wrong definition.
    let exact_names_of = |rel: i64, numbers: &[i16]| -> Result<Vec<String>, DriverError> {
        numbers
            .iter()
            .map(|n| {
                key_columns
                    .get(&(rel, *n))
                    .map(|c| c.name.clone())
                    .ok_or_else(|| corrupt(format!("relation {rel} has no column {n}")))
            })
            .collect()
    };
    let (catalog, templates) = catalog()?;
    let mut constraints = constraints()?;
    let mut indexes = indexes()?;
    let expression_keys = fill_expressions(
        templates.as_ref(),
        &catalog,
        &key_columns,
        &mut constraints,
        &mut indexes,
        ask,
    )?;

    for r in constraints {
        // A foreign key's table by oid, before this relation is borrowed (it may be the
        // same one); a table outside the model (an extension's) has its names sent along.
        let (referenced_table, outside_names) = match r.outside {
            Some((schema, table, names)) => (Some(QualifiedName::new(schema, table)), Some(names)),
            None if r.kind == "f" => {
                let name = relations.get(&r.ref_rel).map(|(name, _)| name.clone());
                let name = name.ok_or_else(|| {
                    corrupt(format!(
                        "foreign key {:?} to unknown relation {}",
                        r.name, r.ref_rel
                    ))
                })?;
                (Some(name), None)
            }
            None => (None, None),
        };
        let Some((_, Relation::Table(table))) = relations.get_mut(&r.rel) else {
            continue;
        };
        let flag = |bit: i32| r.flags & bit != 0;
        let deferral = Deferral {
            deferrable: flag(CONSTRAINT_DEFERRABLE),
            deferred: flag(CONSTRAINT_DEFERRED),
        };
        let printed = r.definition.map(without_not_valid);
        let (kind, definition) = match (r.kind.as_str(), referenced_table) {
            ("p" | "u", _) => {
                let key = r.columns.unwrap_or_default();
                let columns = exact_names_of(r.rel, &key)?;
                let definition = match printed {
                    Some(printed) => printed,
                    None => {
                        let index_key = r.index_key.unwrap_or_default();
                        let include =
                            exact_names_of(r.rel, index_key.get(key.len()..).unwrap_or(&[]))?;
                        catalog.key_definition(
                            r.kind == "p",
                            flag(CONSTRAINT_NULLS_NOT_DISTINCT),
                            &columns,
                            &include,
                            deferral,
                        )
                    }
                };
                let kind = if r.kind == "p" {
                    ConstraintKind::PrimaryKey { columns }
                } else {
                    ConstraintKind::Unique { columns }
                };
                (kind, definition)
            }
            ("f", Some(referenced_table)) => {
                let columns = exact_names_of(r.rel, &r.columns.unwrap_or_default())?;
                let referenced_columns = match outside_names {
                    Some(names) => names,
                    None => exact_names_of(r.ref_rel, &r.ref_columns.unwrap_or_default())?,
                };
                // confupdtype, confdeltype, confmatchtype
                let actions: Vec<char> = r.actions.unwrap_or_default().chars().collect();
                let &[on_update, on_delete, match_type] = actions.as_slice() else {
                    return Err(corrupt(format!(
                        "foreign key {:?}: actions {actions:?}",
                        r.name
                    )));
                };
                let definition = match printed {
                    Some(printed) => printed,
                    None => {
                        let delete_columns = r
                            .delete_columns
                            .map(|numbers| exact_names_of(r.rel, &numbers))
                            .transpose()?;
                        let parts = ForeignKeyParts {
                            columns: &columns,
                            table: &referenced_table,
                            referenced: &referenced_columns,
                            match_type,
                            on_update,
                            on_delete,
                            delete_columns: delete_columns.as_deref(),
                            deferrable: deferral,
                        };
                        catalog
                            .foreign_key_definition(&parts)
                            .map_err(|m| corrupt(format!("foreign key {:?}: {m}", r.name)))?
                    }
                };
                let kind = ConstraintKind::ForeignKey(ForeignKey {
                    columns,
                    referenced_table,
                    referenced_columns,
                    on_delete: action(on_delete),
                    on_update: action(on_update),
                });
                (kind, definition)
            }
            ("c", _) => {
                let definition = printed.unwrap_or_default();
                let no_inherit = flag(CONSTRAINT_NO_INHERIT);
                let expression = check_expression(&definition, no_inherit).ok_or_else(|| {
                    corrupt(format!(
                        "CHECK constraint {:?} is printed as {definition:?}",
                        r.name
                    ))
                })?;
                (ConstraintKind::Check { expression }, definition)
            }
            _ => (ConstraintKind::Exclusion, printed.unwrap_or_default()),
        };
        let deferrable = match (deferral.deferrable, deferral.deferred) {
            (false, _) => Deferrable::NotDeferrable,
            (true, false) => Deferrable::InitiallyImmediate,
            (true, true) => Deferrable::InitiallyDeferred,
        };
        let constraint = Constraint {
            kind,
            definition,
            validated: flag(CONSTRAINT_VALIDATED),
            deferrable,
        };
        table.constraints.insert(r.name, constraint);
    }

    // Operator class options of index columns, by (index, attnum).
    let class_options: HashMap<(i64, i16), Vec<String>> = documents
        .rows::<ClassOptionColumns>(Query::ClassOptions)?
        .into_iter()
        .map(|r| ((r.rel, r.num), r.options))
        .collect();
    for r in indexes {
        let Some((table_name, relation)) = relations.get_mut(&r.rel) else {
            continue;
        };
        // indkey lists the key columns, then the INCLUDE columns; 0 marks an expression,
        // which only the server can print (sent as `expressions` by indexes that have one).
        let mut names = names_of(r.rel, &r.key);
        let mut printed = r.expressions.unwrap_or_default().into_iter();
        for (slot, number) in names.iter_mut().zip(&r.key) {
            // Only the expressions: a plain column keeps its name as stored, unquoted.
            if *number == 0 {
                *slot = printed.next().unwrap_or_default();
            }
        }
        let definition = match r.definition {
            Some(printed) => printed,
            None => {
                let options: Vec<Option<&[String]>> = (1..=r.key_count)
                    .map(|n| {
                        let n = i16::try_from(n).unwrap_or(i16::MAX);
                        class_options.get(&(r.oid, n)).map(Vec::as_slice)
                    })
                    .collect();
                let parts = IndexParts {
                    name: &r.name,
                    table: table_name,
                    method: &r.method,
                    unique: r.flags & INDEX_UNIQUE != 0,
                    partitioned: r.flags & INDEX_PARTITIONED != 0,
                    key: &r.key,
                    key_count: r.key_count,
                    classes: &r.classes,
                    collations: &r.collations,
                    options: &r.options,
                    class_options: &options,
                    nulls_not_distinct: r.flags & INDEX_NULLS_NOT_DISTINCT != 0,
                    storage: r.storage.as_deref(),
                    predicate: r.predicate_sql.as_deref(),
                    expressions: &expression_keys
                        .get(&r.oid)
                        .map(|keys| {
                            keys.iter()
                                .map(|k| KeyColumn {
                                    name: &k.text,
                                    expression: true,
                                    type_oid: k.type_oid,
                                    collation: k.collation,
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default(),
                };
                let column = |number: i16| {
                    key_columns.get(&(r.rel, number)).map(|c| KeyColumn {
                        expression: false,
                        name: &c.name,
                        type_oid: c.type_oid,
                        collation: c.collation,
                    })
                };
                catalog
                    .index_definition(&parts, column)
                    .map_err(|m| corrupt(format!("index {:?}: {m}", r.name)))?
            }
        };
        let include = names.split_off(r.key_count.min(names.len()));
        let index = Index {
            method: r.method,
            unique: r.flags & INDEX_UNIQUE != 0,
            columns: names,
            include,
            predicate: r.predicate,
            valid: r.flags & INDEX_VALID != 0,
            definition,
        };
        let indexes = match relation {
            Relation::Table(t) => &mut t.indexes,
            Relation::View(v) => &mut v.indexes,
        };
        indexes.insert(r.name, index);
    }

    for r in documents.rows::<TriggerColumns>(Query::Triggers)? {
        let Some((_, relation)) = relations.get_mut(&r.rel) else {
            continue;
        };
        let trigger = Trigger {
            definition: r.definition,
        };
        let triggers = match relation {
            Relation::Table(t) => &mut t.triggers,
            Relation::View(v) => &mut v.triggers,
        };
        triggers.insert(r.name, trigger);
    }
    for (name, relation) in relations.into_values() {
        match relation {
            Relation::Table(t) => {
                schema.tables.insert(name, t);
            }
            Relation::View(v) => {
                schema.views.insert(name, v);
            }
        }
    }

    for r in documents.rows::<FunctionColumns>(Query::Functions)? {
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

/// What the definitions written here need from the catalog besides the object itself.
fn catalog(documents: &Documents<'_>) -> Result<Catalog, DriverError> {
    let mut catalog = Catalog::default();
    for text in documents.texts(Query::Keywords) {
        let keywords: Option<Vec<String>> =
            serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        catalog.keywords.extend(keywords.unwrap_or_default());
    }
    for r in documents.rows::<TypeColumns>(Query::Types)? {
        let info = TypeInfo {
            kind: r.kind,
            base: r.base,
            category: r.category,
            preferred: r.preferred,
            array: r.array,
            element: r.element,
            pseudo: r.pseudo,
        };
        catalog.types.insert(r.oid, info);
    }
    for r in documents.rows::<CastColumns>(Query::Casts)? {
        catalog.binary_casts.insert((r.source, r.target));
    }
    for r in documents.rows::<OpclassColumns>(Query::Opclasses)? {
        let class = Opclass {
            name: SchemaName {
                schema: r.schema,
                name: r.name,
            },
            method: r.method,
            default: r.is_default,
            input: r.input,
        };
        catalog.opclasses.insert(r.oid, class);
    }
    for r in documents.rows::<MethodColumns>(Query::Methods)? {
        catalog.orders.insert(r.name, r.orders);
    }
    for r in documents.rows::<CollationColumns>(Query::Collations)? {
        let name = SchemaName {
            schema: r.schema,
            name: r.name,
        };
        catalog.collations.insert(r.oid, name);
    }
    Ok(catalog)
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

/// A query's rows, from its document of one array per column.
fn rows<T: IntoRows + DeserializeOwned>(json: &str) -> Result<Vec<T::Row>, DriverError> {
    let columns: T = serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?;
    columns.into_rows()
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

fn action(code: char) -> ReferentialAction {
    match code {
        'r' => ReferentialAction::Restrict,
        'c' => ReferentialAction::Cascade,
        'n' => ReferentialAction::SetNull,
        'd' => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

// ---------------------------------------------------------------------------------------
// One record per row of each query, named as the query's columns. Each query sends its
// rows as one JSON object of one array per column (see [`columnar`]); `columns!` declares
// the row and that object, and turns the one into the others.
//
// Booleans travel as bits of one `flags` number: one JSON value instead of several for
// every one of tens of thousands of rows, on both ends (issue 3).

/// `attnotnull`; `attidentity` 'a' and 'd'.
const COLUMN_NOT_NULL: i32 = 1;
const COLUMN_ALWAYS: i32 = 2;
const COLUMN_BY_DEFAULT: i32 = 4;
/// `convalidated`, `condeferrable`, `condeferred`, `connoinherit`, and the
/// `indnullsnotdistinct` of a unique constraint's index.
const CONSTRAINT_VALIDATED: i32 = 1;
const CONSTRAINT_DEFERRABLE: i32 = 2;
const CONSTRAINT_DEFERRED: i32 = 4;
const CONSTRAINT_NO_INHERIT: i32 = 8;
const CONSTRAINT_NULLS_NOT_DISTINCT: i32 = 16;
/// `indisunique`, `indisvalid`, an index of a partitioned table (`relkind = 'I'`),
/// `indnullsnotdistinct`.
const INDEX_UNIQUE: i32 = 1;
const INDEX_VALID: i32 = 2;
const INDEX_PARTITIONED: i32 = 4;
const INDEX_NULLS_NOT_DISTINCT: i32 = 8;

trait IntoRows {
    type Row;
    fn into_rows(self) -> Result<Vec<Self::Row>, DriverError>;
}

/// `json_agg` over no rows is NULL, not an empty array.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

macro_rules! columns {
    ($(#[$meta:meta])* struct $row:ident, $columns:ident {
        $($(#[$field_meta:meta])* $field:ident: $ty:ty,)+
    }) => {
        $(#[$meta])*
        struct $row {
            $($(#[$field_meta])* $field: $ty,)+
        }

        #[derive(Deserialize)]
        struct $columns {
            $(#[serde(default, deserialize_with = "null_as_empty")] $field: Vec<$ty>,)+
        }

        impl IntoRows for $columns {
            type Row = $row;
            fn into_rows(self) -> Result<Vec<$row>, DriverError> {
                let lengths = [$(self.$field.len()),+];
                if lengths.iter().any(|l| *l != lengths[0]) {
                    return Err(corrupt(format!(
                        "{}: columns of different lengths {lengths:?}",
                        stringify!($row)
                    )));
                }
                $(let mut $field = self.$field.into_iter();)+
                let mut rows = Vec::with_capacity(lengths[0]);
                while let ($(Some($field),)+) = ($($field.next(),)+) {
                    rows.push($row { $($field,)+ });
                }
                Ok(rows)
            }
        }
    };
}

columns! {
    struct SchemaRow, SchemaColumns {
        name: String,
    }
}

columns! {
    struct ExtensionRow, ExtensionColumns {
        name: String,
        version: String,
        schema: String,
    }
}

columns! {
    struct EnumRow, EnumColumns {
        schema: String,
        name: String,
        labels: Vec<String>,
    }
}

columns! {
    struct DomainRow, DomainColumns {
        schema: String,
        name: String,
        base_type: String,
        not_null: bool,
        default: Option<String>,
        collation: Option<String>,
        checks: Vec<CheckRow>,
    }
}

#[derive(Deserialize)]
struct CheckRow {
    name: String,
    definition: String,
    validated: bool,
}

columns! {
    struct SequenceRow, SequenceColumns {
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
}

columns! {
    struct RelationRow, RelationColumns {
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
}

columns! {
    struct ColumnRow, ColumnColumns {
        rel: i64,
        num: i16,
        name: String,
        data_type: String,
        /// [`COLUMN_NOT_NULL`], [`COLUMN_ALWAYS`], [`COLUMN_BY_DEFAULT`].
        flags: i32,
        default: Option<String>,
        generated: Option<String>,
        collation: Option<String>,
        /// `atttypid` and `attcollation`, which decide how index keys on the column print.
        type_oid: u32,
        collation_oid: u32,
    }
}

columns! {
    /// An index column's operator class options (`attoptions` of the index's column).
    struct ClassOptionRow, ClassOptionColumns {
        rel: i64,
        num: i16,
        options: Vec<String>,
    }
}

columns! {
    struct TypeRow, TypeColumns {
        oid: u32,
        kind: char,
        base: u32,
        category: char,
        preferred: bool,
        array: bool,
        element: u32,
        pseudo: Option<String>,
    }
}

columns! {
    struct CastRow, CastColumns {
        source: u32,
        target: u32,
    }
}

columns! {
    struct OpclassRow, OpclassColumns {
        oid: u32,
        method: u32,
        schema: String,
        name: String,
        is_default: bool,
        input: u32,
    }
}

columns! {
    struct MethodRow, MethodColumns {
        name: String,
        orders: bool,
    }
}

columns! {
    struct CollationRow, CollationColumns {
        oid: u32,
        schema: String,
        name: String,
    }
}

columns! {
    struct ConstraintRow, ConstraintColumns {
        oid: i64,
        rel: i64,
        name: String,
        kind: String,
        /// The server's `pg_get_constraintdef`: CHECK and EXCLUDE (and all on servers whose
        /// printers are not known, see [`CLIENT_PRINTED_BELOW`]); NULL for the others.
        definition: Option<String>,
        /// [`CONSTRAINT_VALIDATED`] and the other `CONSTRAINT_` bits.
        flags: i32,
        /// Column numbers (`conkey`) of a primary key, unique or foreign key.
        columns: Option<Vec<i16>>,
        /// A foreign key's table (`confrelid`), 0 for the others.
        ref_rel: i64,
        /// Column numbers of the referenced table (`confkey`); NULL but for a foreign key.
        ref_columns: Option<Vec<i16>>,
        /// A foreign key to a relation outside the model: its schema, name and columns.
        outside: Option<(String, String, Vec<String>)>,
        /// A foreign key's `confupdtype`, `confdeltype` and `confmatchtype`, in one text.
        actions: Option<String>,
        /// `confdelsetcols` (PostgreSQL 15): `ON DELETE SET NULL (a, b)`.
        delete_columns: Option<Vec<i16>>,
        /// The `indkey` of a primary key's or unique constraint's index: the constraint's
        /// columns, then its INCLUDE columns.
        index_key: Option<Vec<i16>>,
    }
}

columns! {
    struct IndexRow, IndexColumns {
        oid: i64,
        rel: i64,
        name: String,
        method: String,
        /// [`INDEX_UNIQUE`] and the other `INDEX_` bits.
        flags: i32,
        /// Column numbers (`indkey`), key columns then INCLUDE columns; 0 for an expression.
        key: Vec<i16>,
        key_count: usize,
        /// `indclass`, `indcollation`, `indoption`.
        classes: Vec<u32>,
        collations: Vec<u32>,
        options: Vec<i16>,
        /// The index's `reloptions`.
        storage: Option<Vec<String>>,
        /// The server's `pg_get_indexdef`, for an index with expression keys (or any, on a
        /// server whose printers are not known); NULL for the others.
        definition: Option<String>,
        /// The predicate as `pg_get_indexdef` prints it, for a definition written here.
        predicate_sql: Option<String>,
        /// The predicate as the model keeps it (`pg_get_expr(..., true)`).
        predicate: Option<String>,
        /// Each expression key as printed, in order, for an index with expressions.
        expressions: Option<Vec<String>>,
    }
}

columns! {
    struct TriggerRow, TriggerColumns {
        rel: i64,
        name: String,
        definition: String,
    }
}

columns! {
    struct FunctionRow, FunctionColumns {
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
}

// ---------------------------------------------------------------------------------------
// The queries

/// The statement's queries, in the order of its columns.
#[derive(Debug, Clone, Copy)]
enum Query {
    Keywords,
    Schemas,
    Extensions,
    Enums,
    Domains,
    Sequences,
    Relations,
    Columns,
    ClassOptions,
    Types,
    Casts,
    Opclasses,
    Methods,
    Collations,
    Constraints,
    Indexes,
    Triggers,
    Functions,
}

const QUERIES: [Query; 18] = [
    Query::Keywords,
    Query::Schemas,
    Query::Extensions,
    Query::Enums,
    Query::Domains,
    Query::Sequences,
    Query::Relations,
    Query::Columns,
    Query::ClassOptions,
    Query::Types,
    Query::Casts,
    Query::Opclasses,
    Query::Methods,
    Query::Collations,
    Query::Constraints,
    Query::Indexes,
    Query::Triggers,
    Query::Functions,
];

/// Settings that change how the catalog printers write names and literals, and the value
/// each is pinned to while the batch runs; and `jit`, off: on a large schema the planner's
/// cost estimates pass `jit_above_cost` and compiling the queries takes longer than it saves
/// (60 ms of 290 for the constraints of 2,000 tables, issue 3). pg_dump turns it off too.
/// `quote_all_identifiers` is off so that the definitions printed here and there agree.
/// `work_mem`: the statement keeps the user's columns in memory for the queries that share
/// them (3 MB for 20,000 columns); at the default 4 MB that spilled to a temporary file.
const PINNED: [(&str, &str); 9] = [
    ("search_path", "pg_catalog"),
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, MDY"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "1"),
    ("standard_conforming_strings", "on"),
    ("quote_all_identifiers", "off"),
    ("jit", "off"),
    ("work_mem", "64MB"),
];

/// An index's predicate as the model keeps it, and its expression keys as printed, by
/// the server: on servers whose printers [`super::postgres_expr`] does not know, and for
/// the indexes it cannot print.
const PREDICATE: &str = "pg_get_expr(x.indpred, x.indrelid, true)";
const EXPRESSIONS: &str = "CASE WHEN x.indexprs IS NOT NULL THEN \
     (SELECT json_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k) \
     FROM generate_series(1, x.indnkeyatts) k WHERE x.indkey[k - 1] = 0) END";

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

/// A query whose rows come back as one JSON object of one array per column:
/// `{"name": [...], ...}`. Every `json_agg` of one aggregation sees the rows in the same
/// order, so the arrays line up. `fields` are (column name, expression) pairs; `from` is
/// the rest of the query, from `FROM` on.
fn columnar(fields: &[(&str, &str)], from: &str) -> String {
    let mut sql = String::from("SELECT json_build_object(");
    for (i, (name, expression)) in fields.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("'{name}', json_agg({expression})"));
    }
    sql.push_str(") ");
    sql.push_str(from);
    sql
}

/// Between a query's JSON document and its node trees ([`with_trees`]): JSON text never
/// holds a raw control character.
const TREES: char = '\u{1}';

/// A [`columnar`] query whose document is followed by [`TREES`] and the node trees that
/// `trees` give (kind, oid and tree, expressions of the row; none: a plain [`columnar`]), as entries `kind oid length:tree`, the kind
/// `c` (a CHECK constraint), `e` (index expressions) or `p` (a predicate). Not in the
/// JSON: escaping the 6 MB of trees of 2,000 tables into JSON strings cost the server
/// more than the trees themselves; nor in a query of their own, which read the same
/// catalog rows again (issue 3).
fn with_trees(fields: &[(&str, &str)], trees: &[(char, &str, &str)], from: &str) -> String {
    if trees.is_empty() {
        return columnar(fields, from);
    }
    let json = columnar(fields, "");
    let entries: Vec<String> = trees
        .iter()
        .map(|(kind, oid, tree)| {
            format!(
                "coalesce('{kind}' || {oid} || ' ' || octet_length({tree}::text) || ':' \
                 || {tree}::text, '')"
            )
        })
        .collect();
    format!(
        "{}::text || chr(1) || coalesce(string_agg({}, ''), '') {from}",
        json.trim_end(),
        entries.join(" || ")
    )
}

/// Which part of the work a batch does. Outside a transaction it is split by query over
/// two connections: the relations, their columns and types, and everything not about
/// relations, here ([`Share::Relations`]); their constraints, indexes and triggers on the
/// helper connection ([`Share::Keys`]), at the same time. On a new backend most of the time
/// is the server's. Split by query rather than by relation (half of the relations each,
/// as before), each backend reads each catalog once, and fills its caches with its own
/// catalogs only: the two batches took 120-145 ms against 170-210 each (2,000 tables,
/// issue 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Share {
    /// Everything, on one connection.
    Whole,
    Relations,
    Keys,
}

impl Share {
    /// Whether the batch of this share runs `query`.
    fn runs(self, query: Query) -> bool {
        let keys = matches!(query, Query::Constraints | Query::Indexes | Query::Triggers);
        match self {
            Share::Whole => true,
            Share::Relations => !keys,
            Share::Keys => keys,
        }
    }
}

/// The SQL of the batch: save and pin the settings, the statement that reads the schema
/// (one row, one JSON document per query), restore the settings. Only integers computed
/// here are spliced in (the history table's oid, the share); everything else is constant
/// text.
fn batch(history_oid: i64, server_version: i32, share: Share) -> String {
    // The keys' share runs on a helper connection, which must never wait long
    // for a lock: it may be held by a transaction open on the first connection, which
    // waits for the helper. Its batch then fails and the first connection reads the share.
    pinned(
        &statement(history_oid, server_version, share),
        share == Share::Keys,
    )
}

/// `statement` between saving and pinning the [`PINNED`] settings and restoring them.
fn pinned(statement: &str, helper: bool) -> String {
    let helper = helper.then_some(("lock_timeout", "1s"));
    let pinned: Vec<(&str, &str)> = PINNED.iter().copied().chain(helper).collect();
    let mut sql = String::from("SELECT ");
    for (i, (setting, value)) in pinned.iter().enumerate() {
        let saved = setting.to_ascii_lowercase();
        let comma = if i == 0 { "" } else { ", " };
        sql.push_str(&format!(
            "{comma}set_config('ratchet.saved_{saved}', current_setting('{setting}'), true), \
             set_config('{setting}', '{value}', true)"
        ));
    }
    sql.push_str(";\n");
    sql.push_str(statement);
    sql.push_str(";\n");
    sql.push_str("SELECT ");
    for (i, (setting, _)) in pinned.iter().enumerate() {
        let saved = setting.to_ascii_lowercase();
        let comma = if i == 0 { "" } else { ", " };
        sql.push_str(&format!(
            "{comma}set_config('{setting}', current_setting('ratchet.saved_{saved}'), true)"
        ));
    }
    sql.push_str(";\n");
    sql
}

/// One statement for all the queries, so that the relations and columns they share are
/// found once: `every`, the user's tables, partitions, views and materialized views, minus
/// the history table; `col`, their columns (`own`), plus the columns of their indexes that
/// have operator class options, in the same scan of `pg_attribute` (a CTE no query of the
/// share refers to is not computed).
/// (Not every column with `attoptions`: some servers keep their own entries there on
/// every table's columns.)
fn statement(history_oid: i64, server_version: i32, share: Share) -> String {
    let mut sql = format!(
        "WITH every AS MATERIALIZED (SELECT c.oid FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {USER_NAMESPACE} AND {} \
         AND c.oid <> {history_oid}), \
         col AS MATERIALIZED (SELECT a.attrelid, a.attnum, a.attname, a.atttypid, \
         a.atttypmod, a.attnotnull, a.attgenerated, a.attidentity, a.attcollation, \
         a.attoptions, a.attrelid IN (SELECT oid FROM every) AS own FROM pg_attribute a \
         WHERE a.attnum > 0 AND NOT a.attisdropped \
         AND (a.attrelid IN (SELECT oid FROM every) OR a.attoptions IS NOT NULL \
         AND a.attrelid IN (SELECT x.indexrelid FROM pg_index x \
         WHERE x.indrelid IN (SELECT oid FROM every))))\nSELECT ",
        not_extension("pg_class", "c.oid")
    );
    for (i, query) in QUERIES.iter().enumerate() {
        if i > 0 {
            sql.push_str(",\n");
        }
        if share.runs(*query) {
            sql.push('(');
            sql.push_str(&query_sql(*query, server_version));
            sql.push(')');
        } else {
            sql.push_str("NULL");
        }
    }
    sql
}

/// Whether CHECK constraints, index expressions and predicates are printed here, from
/// their node trees ([`super::postgres_expr`], whose printers are PostgreSQL 15's).
fn client_expressions(server_version: i32) -> bool {
    (150000..160000).contains(&server_version)
}

fn query_sql(query: Query, server_version: i32) -> String {
    let client_printed = server_version < CLIENT_PRINTED_BELOW;
    let expressions = client_expressions(server_version);
    match query {
        // quote_ident quotes a keyword unless it is unreserved.
        Query::Keywords => {
            "SELECT json_agg(word) FROM pg_get_keywords() WHERE catcode <> 'U'".to_owned()
        }
        Query::Schemas => columnar(
            &[("name", "n.nspname")],
            &format!(
                "FROM pg_namespace n WHERE {USER_NAMESPACE} AND {}",
                not_extension("pg_namespace", "n.oid")
            ),
        ),
        Query::Extensions => columnar(
            &[
                ("name", "e.extname"),
                ("version", "e.extversion"),
                ("schema", "n.nspname"),
            ],
            "FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname <> 'plpgsql'",
        ),
        Query::Enums => columnar(
            &[
                ("schema", "n.nspname"),
                ("name", "t.typname"),
                (
                    "labels",
                    "(SELECT coalesce(json_agg(e.enumlabel ORDER BY e.enumsortorder), '[]') \
                     FROM pg_enum e WHERE e.enumtypid = t.oid)",
                ),
            ],
            &format!(
                "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE t.typtype = 'e' AND {USER_NAMESPACE} AND {}",
                not_extension("pg_type", "t.oid")
            ),
        ),
        Query::Domains => columnar(
            &[
                ("schema", "n.nspname"),
                ("name", "t.typname"),
                ("base_type", "format_type(t.typbasetype, t.typtypmod)"),
                ("not_null", "t.typnotnull"),
                ("default", "pg_get_expr(t.typdefaultbin, 0)"),
                (
                    "collation",
                    &format!(
                        "CASE WHEN t.typcollation <> b.typcollation THEN {COLLATION_NAME} END"
                    ),
                ),
                (
                    "checks",
                    "(SELECT coalesce(json_agg(json_build_object('name', k.conname, \
                     'definition', pg_get_constraintdef(k.oid), 'validated', k.convalidated)), \
                     '[]') FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c')",
                ),
            ],
            &format!(
                "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                 JOIN pg_type b ON b.oid = t.typbasetype \
                 LEFT JOIN pg_collation co ON co.oid = t.typcollation \
                 LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
                 WHERE t.typtype = 'd' AND {USER_NAMESPACE} AND {}",
                not_extension("pg_type", "t.oid")
            ),
        ),
        // Identity columns' sequences (deptype 'i') are the column's; serial ones are 'a'.
        Query::Sequences => columnar(
            &[
                ("schema", "n.nspname"),
                ("name", "c.relname"),
                ("data_type", "format_type(s.seqtypid, NULL)"),
                ("start", "s.seqstart"),
                ("increment", "s.seqincrement"),
                ("min", "s.seqmin"),
                ("max", "s.seqmax"),
                ("cache", "s.seqcache"),
                ("cycle", "s.seqcycle"),
                ("owner_schema", "own.nspname"),
                ("owner_table", "oc.relname"),
                ("owner_column", "a.attname"),
            ],
            &format!(
                "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
                 LEFT JOIN pg_class oc ON oc.oid = d.refobjid \
                 LEFT JOIN pg_namespace own ON own.oid = oc.relnamespace \
                 LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid \
                 AND a.attnum = d.refobjsubid \
                 WHERE d.deptype IS DISTINCT FROM 'i' AND {USER_NAMESPACE} AND {}",
                not_extension("pg_class", "c.oid")
            ),
        ),
        Query::Relations => columnar(
            &[
                ("oid", "c.oid::int8"),
                ("schema", "n.nspname"),
                ("name", "c.relname"),
                ("kind", "c.relkind"),
                (
                    "partition_key",
                    "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END",
                ),
                ("parent_schema", "pn.nspname"),
                ("parent", "pc.relname"),
                (
                    "bound",
                    "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END",
                ),
                (
                    "definition",
                    "CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END",
                ),
            ],
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid \
             LEFT JOIN pg_class pc ON pc.oid = i.inhparent \
             LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
             WHERE c.oid IN (SELECT oid FROM every)",
        ),
        // A default cannot refer to a column, so it prints the same without its table
        // (relid 0); printed against the table, the server opens the table (builds its
        // relation cache entry) and its column names for every default: 60 of the 140 ms
        // this query took on a new backend with 2,000 tables (issue 3). Generated
        // columns refer to other columns and need the table.
        Query::Columns => columnar(
            &[
                ("rel", "a.attrelid::int8"),
                ("num", "a.attnum"),
                ("name", "a.attname"),
                ("data_type", "format_type(a.atttypid, a.atttypmod)"),
                (
                    "flags",
                    "a.attnotnull::int + CASE a.attidentity WHEN 'a' THEN 2 WHEN 'd' THEN 4 \
                     ELSE 0 END",
                ),
                (
                    "default",
                    "CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0) END",
                ),
                (
                    "generated",
                    "CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END",
                ),
                (
                    "collation",
                    &format!(
                        "CASE WHEN a.attcollation <> t.typcollation THEN {COLLATION_NAME} END"
                    ),
                ),
                ("type_oid", "a.atttypid::int8"),
                ("collation_oid", "a.attcollation::int8"),
            ],
            "FROM col a JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
             LEFT JOIN pg_collation co ON co.oid = a.attcollation \
             LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
             WHERE a.own",
        ),
        Query::ClassOptions => columnar(
            &[
                ("rel", "a.attrelid::int8"),
                ("num", "a.attnum"),
                ("options", "a.attoptions"),
            ],
            "FROM col a WHERE NOT a.own",
        ),
        // What the server's GetDefaultOpClass looks at, for the types of the user's columns
        // (and the types under them: domains' base types, arrays' elements) and the input
        // types of default operator classes.
        Query::Types => {
            let array = if server_version >= 140000 {
                "t.typsubscript = 'pg_catalog.array_subscript_handler'::regproc"
            } else {
                "t.typelem <> 0 AND t.typlen = -1"
            };
            columnar(
                &[
                    ("oid", "t.oid::int8"),
                    ("kind", "t.typtype"),
                    ("base", "t.typbasetype::int8"),
                    ("category", "t.typcategory"),
                    ("preferred", "t.typispreferred"),
                    ("array", array),
                    ("element", "t.typelem::int8"),
                    ("pseudo", "CASE WHEN t.typtype = 'p' THEN t.typname END"),
                ],
                "FROM pg_type t WHERE t.typtype IN ('p', 'd') \
                 OR t.oid IN (SELECT v.oid FROM (SELECT DISTINCT a.atttypid AS oid FROM col a \
                 WHERE a.own UNION SELECT d.typbasetype FROM pg_type d WHERE d.typtype = 'd') u \
                 CROSS JOIN LATERAL (VALUES (u.oid), \
                 ((SELECT e.typelem FROM pg_type e WHERE e.oid = u.oid))) v(oid)) \
                 OR t.oid IN (SELECT opcintype FROM pg_opclass WHERE opcdefault)",
            )
        }
        Query::Casts => columnar(
            &[
                ("source", "k.castsource::int8"),
                ("target", "k.casttarget::int8"),
            ],
            "FROM pg_cast k WHERE k.castmethod = 'b' AND k.castcontext = 'i'",
        ),
        Query::Opclasses => columnar(
            &[
                ("oid", "o.oid::int8"),
                ("method", "o.opcmethod::int8"),
                ("schema", "n.nspname"),
                ("name", "o.opcname"),
                ("is_default", "o.opcdefault"),
                ("input", "o.opcintype::int8"),
            ],
            "FROM pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace",
        ),
        Query::Methods => columnar(
            &[
                ("name", "m.amname"),
                ("orders", "pg_indexam_has_property(m.oid, 'can_order')"),
            ],
            "FROM pg_am m WHERE m.amtype = 'i'",
        ),
        Query::Collations => columnar(
            &[
                ("oid", "co.oid::int8"),
                ("schema", "n.nspname"),
                ("name", "co.collname"),
            ],
            "FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace",
        ),
        // A foreign key to a partitioned table also gets one row per referenced partition,
        // under the same name and table, pointing at the first row (conparentid); those are
        // implementation details of the first. (Written as a scalar subquery: as an anti-join
        // the planner expected one row and chose a nested loop that took 300 ms.)
        Query::Constraints => {
            let printed = if expressions {
                "k.contype = 'x'"
            } else if client_printed {
                "k.contype IN ('c', 'x')"
            } else {
                "true"
            };
            let (delete_columns, nulls_not_distinct) = if server_version >= 150000 {
                (
                    "k.confdelsetcols",
                    "CASE WHEN k.contype = 'u' AND ix.indnullsnotdistinct THEN 16 ELSE 0 END",
                )
            } else {
                ("NULL::int2[]", "0")
            };
            with_trees(
                &[
                    ("oid", "k.oid::int8"),
                    ("rel", "k.conrelid::int8"),
                    ("name", "k.conname"),
                    ("kind", "k.contype"),
                    (
                        "definition",
                        &format!("CASE WHEN {printed} THEN pg_get_constraintdef(k.oid) END"),
                    ),
                    (
                        "flags",
                        &format!(
                            "k.convalidated::int + 2 * k.condeferrable::int \
                             + 4 * k.condeferred::int + 8 * k.connoinherit::int \
                             + {nulls_not_distinct}"
                        ),
                    ),
                    (
                        "columns",
                        "CASE WHEN k.contype IN ('p', 'u', 'f') THEN k.conkey END",
                    ),
                    ("ref_rel", "k.confrelid::int8"),
                    ("ref_columns", "k.confkey"),
                    (
                        "outside",
                        "CASE WHEN k.contype = 'f' AND k.confrelid NOT IN (SELECT oid FROM every) \
                         THEN (SELECT json_build_array(rn.nspname, rc.relname, \
                         (SELECT json_agg(a.attname ORDER BY u.ord) \
                         FROM unnest(k.confkey) WITH ORDINALITY u(num, ord) \
                         JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num)) \
                         FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
                         WHERE rc.oid = k.confrelid) END",
                    ),
                    (
                        "actions",
                        "CASE WHEN k.contype = 'f' THEN k.confupdtype::text \
                         || k.confdeltype::text || k.confmatchtype::text END",
                    ),
                    ("delete_columns", delete_columns),
                    ("index_key", "ix.indkey::int2[]"),
                ],
                if expressions {
                    &[('c', "k.oid", "CASE WHEN k.contype = 'c' THEN k.conbin END")]
                } else {
                    &[]
                },
                // The index of a primary key or unique constraint, looked up for those only.
                "FROM pg_constraint k LEFT JOIN LATERAL (SELECT x.* FROM pg_index x \
                 WHERE x.indexrelid = k.conindid) ix ON k.contype IN ('p', 'u') \
                 WHERE k.conrelid IN (SELECT oid FROM every) \
                 AND k.contype IN ('p', 'u', 'f', 'c', 'x') \
                 AND (k.conparentid = 0 OR (SELECT p.conrelid FROM pg_constraint p \
                 WHERE p.oid = k.conparentid) IS DISTINCT FROM k.conrelid)",
            )
        }
        // Indexes implementing a constraint are the constraint's. (Found by a hashed list of
        // the constraints' indexes: an anti-join probed pg_constraint once per index,
        // 7 of the 56 ms this query took for 1,000 tables.)
        Query::Indexes => {
            let printed = if expressions {
                "false"
            } else if client_printed {
                "x.indexprs IS NOT NULL"
            } else {
                "true"
            };
            let nulls_not_distinct = if server_version >= 150000 {
                "8 * x.indnullsnotdistinct::int"
            } else {
                "0"
            };
            with_trees(
                &[
                    ("oid", "x.indexrelid::int8"),
                    ("rel", "x.indrelid::int8"),
                    ("name", "ic.relname"),
                    ("method", "am.amname"),
                    (
                        "flags",
                        &format!(
                            "x.indisunique::int + 2 * x.indisvalid::int \
                             + 4 * (ic.relkind = 'I')::int + {nulls_not_distinct}"
                        ),
                    ),
                    ("key", "x.indkey::int2[]"),
                    ("key_count", "x.indnkeyatts"),
                    ("classes", "x.indclass::oid[]::int8[]"),
                    ("collations", "x.indcollation::oid[]::int8[]"),
                    ("options", "x.indoption::int2[]"),
                    ("storage", "ic.reloptions"),
                    (
                        "definition",
                        &format!("CASE WHEN {printed} THEN pg_get_indexdef(x.indexrelid) END"),
                    ),
                    (
                        "predicate_sql",
                        &format!(
                            "CASE WHEN NOT ({printed} OR {expressions}) \
                             THEN pg_get_expr(x.indpred, x.indrelid) END"
                        ),
                    ),
                    (
                        "predicate",
                        &format!("CASE WHEN NOT {expressions} THEN {PREDICATE} END"),
                    ),
                    (
                        "expressions",
                        &format!("CASE WHEN NOT {expressions} THEN {EXPRESSIONS} END"),
                    ),
                ],
                if expressions {
                    &[
                        ('e', "x.indexrelid", "x.indexprs"),
                        ('p', "x.indexrelid", "x.indpred"),
                    ]
                } else {
                    &[]
                },
                "FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid \
                 JOIN pg_am am ON am.oid = ic.relam \
                 WHERE x.indrelid IN (SELECT oid FROM every) \
                 AND x.indexrelid NOT IN (SELECT k.conindid FROM pg_constraint k \
                 WHERE k.conrelid IN (SELECT oid FROM every) AND k.contype IN ('p', 'u', 'x'))",
            )
        }
        // Internal triggers implement foreign keys.
        Query::Triggers => columnar(
            &[
                ("rel", "g.tgrelid::int8"),
                ("name", "g.tgname"),
                ("definition", "pg_get_triggerdef(g.oid)"),
            ],
            "FROM pg_trigger g WHERE g.tgrelid IN (SELECT oid FROM every) AND NOT g.tgisinternal",
        ),
        Query::Functions => {
            // BEGIN ATOMIC bodies (PostgreSQL 14+) are stored parsed, with an empty prosrc.
            let body = if server_version >= 140000 {
                "CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) \
                 ELSE p.prosrc END"
            } else {
                "p.prosrc"
            };
            columnar(
                &[
                    ("schema", "n.nspname"),
                    ("name", "p.proname"),
                    ("argument_types", "oidvectortypes(p.proargtypes)"),
                    ("arguments", "pg_get_function_arguments(p.oid)"),
                    ("kind", "p.prokind"),
                    ("language", "l.lanname"),
                    ("result", "pg_get_function_result(p.oid)"),
                    ("body", body),
                    ("volatility", "p.provolatile"),
                    ("security_definer", "p.prosecdef"),
                ],
                &format!(
                    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                     JOIN pg_language l ON l.oid = p.prolang \
                     WHERE {USER_NAMESPACE} AND {}",
                    not_extension("pg_proc", "p.oid")
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

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

        let schema = introspect(&runtime, &client, &history(), None).expect("introspect");
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
        let schema = introspect(&runtime, &client, &history(), None).expect("introspect");
        assert!(schema.table("in_tx").is_none());
        assert_eq!(show(&runtime, &client, "search_path"), "public");
        assert_eq!(show(&runtime, &client, "TimeZone"), "America/New_York");
    }

    /// Issue 3: outside a transaction a second connection reads part of the schema; the
    /// two parts make the same schema as one connection reading all of it.
    #[test]
    fn two_connections_read_what_one_reads() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        let mut ddl = DEFINITION_VARIANTS.to_owned();
        for i in 0..40 {
            ddl.push_str(&format!(
                "CREATE TABLE t{i} (id integer PRIMARY KEY, parent integer REFERENCES t{i}, \
                 note text DEFAULT 'x', CHECK (id > {i}));\n\
                 CREATE INDEX t{i}_note ON t{i} (note) WHERE note <> '';\n\
                 CREATE VIEW v{i} AS SELECT id FROM t{i};\n"
            ));
        }
        runtime
            .block_on(client.batch_execute(&ddl))
            .expect("schema");
        let config: Config = db.url().parse().expect("config");

        let one = introspect(&runtime, &client, &history(), None).expect("one connection");
        let two = introspect(&runtime, &client, &history(), Some(&config)).expect("two");
        assert_eq!(two, one);
        assert_eq!(one.tables.len(), 47);
        assert_eq!(one.views.len(), 41);
    }

    /// A transaction left open on this connection (a `no-transaction` migration's own
    /// BEGIN) is seen as it is: what it wrote (only this connection sees it) keeps all of
    /// the reading here; the locks it holds (a second connection would wait for them while
    /// this one waits for it) make the helper give up its share within a second.
    #[test]
    fn an_open_transaction_is_read_here_whatever_the_helper() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        let mut ddl = String::new();
        for i in 0..20 {
            ddl.push_str(&format!(
                "CREATE TABLE t{i} (id integer PRIMARY KEY CHECK (id > 0));\n"
            ));
        }
        runtime
            .block_on(client.batch_execute(&ddl))
            .expect("schema");
        let config: Config = db.url().parse().expect("config");

        runtime
            .block_on(client.batch_execute(
                "BEGIN; CREATE TABLE fresh (id integer); ALTER TABLE t1 ADD COLUMN note text",
            ))
            .expect("writing transaction");
        let schema = introspect(&runtime, &client, &history(), Some(&config)).expect("written");
        assert!(schema.table("fresh").is_some());
        assert!(schema.table("t1").unwrap().column("note").is_some());
        runtime
            .block_on(client.batch_execute("ROLLBACK"))
            .expect("rollback");

        runtime
            .block_on(
                client.batch_execute(
                    "BEGIN; LOCK TABLE t0, t1, t2, t3, t4, t5 IN ACCESS EXCLUSIVE MODE",
                ),
            )
            .expect("locking transaction");
        let started = std::time::Instant::now();
        let schema = introspect(&runtime, &client, &history(), Some(&config)).expect("locked");
        assert_eq!(schema.tables.len(), 20);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );

        // The helper may have left its share to this connection before even starting; the
        // helper's own batch, run on another connection now, gives up on the lock.
        let (other_runtime, other) = connect(&db);
        let version: i32 = show(&runtime, &client, "server_version_num")
            .parse()
            .expect("version");
        let started = std::time::Instant::now();
        let result = other_runtime.block_on(other.simple_query(&batch(0, version, Share::Keys)));
        if client_expressions(version) {
            // Its CHECK constraints printed by the client, the batch opens no table and
            // takes no lock: it reads the committed catalog.
            result.expect("no lock taken");
        } else {
            let err = result.expect_err("waits for a lock");
            assert_eq!(
                err.code(),
                Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE)
            );
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        runtime
            .block_on(client.batch_execute("ROLLBACK"))
            .expect("rollback");
    }

    /// A helper that cannot connect (a server at its limit, a pooler that makes it wait)
    /// costs nothing but the attempt: this connection reads everything.
    #[test]
    fn without_a_helper_this_connection_reads_everything() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        runtime
            .block_on(client.batch_execute(DEFINITION_VARIANTS))
            .expect("schema");
        let mut nowhere: Config = db.url().parse().expect("config");
        // Port 1 on the same host: refused at once.
        nowhere.port(1);
        let one = introspect(&runtime, &client, &history(), None).expect("one connection");
        let alone = introspect(&runtime, &client, &history(), Some(&nowhere)).expect("alone");
        assert_eq!(alone, one);
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
        let schema = introspect(&runtime, &client, &history(), None).expect("introspect");
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

    /// Compares every index and constraint definition of the introspected schema with what
    /// the server's printers print, on the `search_path` the introspection pins; returns
    /// the number of indexes compared.
    fn assert_definitions_are_the_servers(runtime: &Runtime, client: &Client) -> usize {
        let server = |sql: &str| -> BTreeMap<(String, String, String), String> {
            runtime
                .block_on(client.batch_execute("SET search_path = pg_catalog"))
                .expect("search_path");
            let rows = runtime.block_on(client.query(sql, &[])).expect(sql);
            runtime
                .block_on(client.batch_execute("RESET search_path"))
                .expect("search_path");
            rows.iter()
                .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
                .collect()
        };
        let user = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";
        let server_indexes = server(&format!(
            "SELECT n.nspname::text, c.relname::text, i.relname::text, \
             pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {user}"
        ));
        // Each index's predicate and expression keys, pretty, separated by U+0001:
        // `predicate^An:key^An:key`.
        let server_expressions = server(&format!(
            "SELECT n.nspname::text, c.relname::text, i.relname::text, \
             coalesce(pg_get_expr(x.indpred, x.indrelid, true), '') \
             || coalesce((SELECT string_agg(chr(1) || k || ':' || pg_get_indexdef(x.indexrelid, k, true), \
             '' ORDER BY k) FROM generate_series(1, x.indnkeyatts) k WHERE x.indkey[k - 1] = 0), '') \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {user}"
        ));
        let server_constraints = server(&format!(
            "SELECT n.nspname::text, c.relname::text, k.conname::text, \
             pg_get_constraintdef(k.oid) FROM pg_constraint k \
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {user}"
        ));
        // The indexes that belong to constraints are not in the model's indexes.
        let owned: i64 = runtime
            .block_on(client.query_one(
                &format!(
                    "SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE {user} AND k.contype IN ('p', 'u', 'x')"
                ),
                &[],
            ))
            .expect("constraint indexes")
            .get(0);

        let schema = introspect(runtime, client, &history(), None).expect("introspect");
        let (mut indexes, mut constraints) = (0, 0);
        let relations = schema
            .tables
            .iter()
            .map(|(name, t)| (name, &t.indexes, Some(&t.constraints)))
            .chain(
                schema
                    .views
                    .iter()
                    .map(|(name, v)| (name, &v.indexes, None)),
            );
        for (relation, relation_indexes, relation_constraints) in relations {
            for (name, index) in relation_indexes {
                let key = (relation.schema.clone(), relation.name.clone(), name.clone());
                assert_eq!(index.definition, server_indexes[&key], "index {key:?}");
                let (predicate, keys) = server_expressions[&key]
                    .split_once('\u{1}')
                    .unwrap_or((&server_expressions[&key], ""));
                assert_eq!(
                    index.predicate.as_deref().unwrap_or(""),
                    predicate,
                    "{key:?}"
                );
                for entry in keys.split('\u{1}').filter(|k| !k.is_empty()) {
                    let (number, printed) = entry.split_once(':').expect("n:key");
                    let number: usize = number.parse().expect("number");
                    assert_eq!(index.columns[number - 1], printed, "{key:?} key {number}");
                }
                indexes += 1;
            }
            for (name, constraint) in relation_constraints.into_iter().flatten() {
                let key = (relation.schema.clone(), relation.name.clone(), name.clone());
                let printed = &server_constraints[&key];
                let not_valid = printed.ends_with(" NOT VALID");
                assert_eq!(
                    constraint.definition,
                    without_not_valid(printed.clone()),
                    "constraint {key:?}"
                );
                assert_eq!(constraint.validated, !not_valid, "{key:?}");
                constraints += 1;
            }
        }
        assert_eq!(
            indexes + owned as usize,
            server_indexes.len(),
            "every index"
        );
        // A foreign key to a partitioned table also has a row for each partition it
        // references (the model leaves them out): at most as many as listed.
        assert!(constraints <= server_constraints.len(), "every constraint");
        indexes
    }

    /// The same comparison on any database (the benchmark's 2,000 tables, another
    /// server version): `RATCHET_VERIFY_URL=postgres://... cargo test -p ratchet-driver
    /// --lib definitions_on_a_given_database -- --ignored`.
    #[test]
    #[ignore = "needs RATCHET_VERIFY_URL"]
    fn client_written_definitions_are_the_servers_on_a_given_database() {
        let url = std::env::var("RATCHET_VERIFY_URL").expect("RATCHET_VERIFY_URL");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (client, connection) = runtime
            .block_on(tokio_postgres::connect(&url, NoTls))
            .expect("connect");
        runtime.spawn(connection);
        let indexes = assert_definitions_are_the_servers(&runtime, &client);
        eprintln!("{indexes} index definitions and every constraint's compared");
    }

    /// Index and constraint variants whose definitions ratchet writes itself (issue 3), and
    /// some it leaves to the server (expressions, CHECK, EXCLUDE).
    const DEFINITION_VARIANTS: &str = r#"
CREATE SCHEMA "My Schema";
CREATE COLLATION "My Schema"."My C" (provider = libc, locale = 'C');
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE DOMAIN short_text AS text;
CREATE TYPE pair AS (a integer, b integer);
CREATE TABLE plain (
    id integer, a integer, b text, c varchar(20), d text COLLATE "C", e bpchar(3),
    f timestamptz, g int[], h jsonb, i tstzrange, j mood, k short_text, l pair, m pair[],
    n name, o inet, p tsvector, q box, "select" integer, "user" text, "Mixed Case" text,
    "we""ird" text, "name" text, "ÄÖ" text, "9lives" integer
);
CREATE INDEX plain_a ON plain (a);
CREATE UNIQUE INDEX plain_a_b ON plain (a, b);
CREATE INDEX plain_desc ON plain (a DESC, b ASC NULLS FIRST, c DESC NULLS LAST, f DESC NULLS FIRST);
CREATE INDEX plain_pattern ON plain (b text_pattern_ops, c varchar_pattern_ops);
CREATE INDEX plain_text_ops ON plain (c text_ops, k text_ops, b text_ops);
CREATE INDEX plain_collate ON plain (b COLLATE "C", d, d COLLATE "default", b COLLATE "My Schema"."My C");
CREATE INDEX plain_collate_ops ON plain (d COLLATE "POSIX" text_pattern_ops DESC);
CREATE INDEX plain_include ON plain (a) INCLUDE (b, "Mixed Case");
CREATE UNIQUE INDEX plain_unique_include ON plain (id) INCLUDE (a);
CREATE INDEX plain_partial ON plain (a) WHERE a > 0 AND b <> 'x';
CREATE UNIQUE INDEX plain_partial_unique ON plain (b, c) WHERE (f IS NOT NULL);
CREATE INDEX plain_expression ON plain (lower(b), a, (a + 1) DESC);
CREATE INDEX plain_expression_partial ON plain ((h ->> 'kind')) WHERE h IS NOT NULL;
CREATE INDEX plain_gin_array ON plain USING gin (g);
CREATE INDEX plain_gin_jsonb ON plain USING gin (h);
CREATE INDEX plain_gin_path ON plain USING gin (h jsonb_path_ops);
CREATE INDEX plain_gin_tsvector ON plain USING gin (p) WITH (fastupdate = off);
CREATE INDEX plain_gist_range ON plain USING gist (i);
CREATE INDEX plain_gist_inet ON plain USING gist (o inet_ops);
CREATE INDEX plain_gist_box ON plain USING gist (q) WITH (buffering = on);
CREATE INDEX plain_spgist ON plain USING spgist (b);
CREATE INDEX plain_hash ON plain USING hash (c);
CREATE INDEX plain_brin ON plain USING brin (f) WITH (pages_per_range = 16, autosummarize = on);
CREATE INDEX plain_brin_minmax_multi ON plain USING brin (a int4_minmax_multi_ops(values_per_range = 8));
CREATE INDEX plain_storage ON plain (a) WITH (fillfactor = 70, deduplicate_items = off);
CREATE INDEX plain_enum_domain ON plain (j, k, e, n);
CREATE INDEX plain_composite ON plain (l, m);
CREATE INDEX plain_odd_names ON plain ("select", "user", "Mixed Case", "we""ird", "name", "ÄÖ", "9lives");
CREATE INDEX "Odd ""Index"" Name" ON plain (a);
CREATE INDEX "select" ON plain (a);

CREATE TABLE "My Schema"."Other Table" (
    "Id" integer NOT NULL, code text NOT NULL, tenant integer NOT NULL,
    CONSTRAINT "Other PK" PRIMARY KEY ("Id") INCLUDE (code),
    CONSTRAINT other_code UNIQUE (tenant, code) WITH (fillfactor = 80)
        USING INDEX TABLESPACE pg_default,
    CONSTRAINT other_deferred UNIQUE (code) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT other_immediate UNIQUE (tenant) INCLUDE ("Id") DEFERRABLE,
    CONSTRAINT other_check CHECK (tenant > 0) NO INHERIT
);
CREATE INDEX "Other Index" ON "My Schema"."Other Table" (code DESC) INCLUDE ("Id");

CREATE TABLE refs (
    id integer PRIMARY KEY, other integer, tenant integer, code text, parent integer,
    a integer, b integer,
    CONSTRAINT refs_other FOREIGN KEY (other) REFERENCES "My Schema"."Other Table" ("Id"),
    CONSTRAINT refs_pair FOREIGN KEY (tenant, code)
        REFERENCES "My Schema"."Other Table" (tenant, code)
        MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL,
    CONSTRAINT refs_parent FOREIGN KEY (parent) REFERENCES refs
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT refs_restrict FOREIGN KEY (a) REFERENCES refs (id)
        ON UPDATE RESTRICT ON DELETE SET DEFAULT DEFERRABLE,
    CONSTRAINT refs_no_action FOREIGN KEY (b) REFERENCES refs (id) ON UPDATE NO ACTION,
    CONSTRAINT refs_check CHECK (a < b)
);
ALTER TABLE refs ADD CONSTRAINT refs_later FOREIGN KEY (b) REFERENCES refs (id) NOT VALID;
ALTER TABLE refs ADD CONSTRAINT "Refs Unique" UNIQUE (a, b);

CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, ref integer)
    PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
ALTER TABLE events ADD CONSTRAINT events_ref FOREIGN KEY (ref) REFERENCES refs (id);
CREATE INDEX events_at ON events (at DESC);
CREATE INDEX events_partial ON events (ref) WHERE ref IS NOT NULL;
CREATE TABLE event_refs (id bigint, at timestamptz,
    FOREIGN KEY (id, at) REFERENCES events (id, at) ON DELETE CASCADE);

CREATE TABLE rooms (during tstzrange, CONSTRAINT rooms_overlap EXCLUDE USING gist (during WITH &&));
CREATE MATERIALIZED VIEW plain_ids AS SELECT id, b FROM plain;
CREATE UNIQUE INDEX plain_ids_id ON plain_ids (id DESC) INCLUDE (b);
"#;

    /// Variants that need PostgreSQL 15.
    const DEFINITION_VARIANTS_15: &str = r#"
CREATE INDEX plain_nulls_not_distinct ON plain (a, b) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX plain_unique_nulls_not_distinct ON plain (c) NULLS NOT DISTINCT;
ALTER TABLE refs ADD CONSTRAINT refs_nnd UNIQUE NULLS NOT DISTINCT (code, a);
ALTER TABLE refs ADD CONSTRAINT refs_set_null_columns FOREIGN KEY (tenant, code)
    REFERENCES "My Schema"."Other Table" (tenant, code) ON DELETE SET NULL (code);
ALTER TABLE refs ADD CONSTRAINT refs_set_default_columns FOREIGN KEY (tenant, code)
    REFERENCES "My Schema"."Other Table" (tenant, code) ON DELETE SET DEFAULT (tenant);
CREATE TABLE multiranges (m int4multirange);
CREATE INDEX multiranges_m ON multiranges (m);
CREATE INDEX multiranges_gist ON multiranges USING gist (m);
"#;

    /// Variants with extensions' types and operator classes, when the server has them:
    /// an operator class with options (`siglen`), a type's own default class against a
    /// binary-coercible one, an access method that does not order.
    const DEFINITION_VARIANTS_EXTENSIONS: &[(&str, &str)] = &[
        (
            "pg_trgm",
            "CREATE INDEX plain_trgm ON plain USING gist (b gist_trgm_ops(siglen = 32), \
             c gist_trgm_ops);\n\
             CREATE INDEX plain_trgm_gin ON plain USING gin (b gin_trgm_ops);",
        ),
        (
            "citext",
            "CREATE TABLE people (email citext, nick citext);\n\
             CREATE INDEX people_email ON people (email, nick text_ops);",
        ),
        (
            "intarray",
            "CREATE INDEX plain_intarray ON plain USING gist (g);\n\
             CREATE INDEX plain_intarray_gin ON plain USING gin (g gin__int_ops);",
        ),
        (
            "btree_gist",
            "CREATE INDEX plain_btree_gist ON plain USING gist (a, b, i);",
        ),
        (
            "bloom",
            "CREATE INDEX plain_bloom ON plain USING bloom (a, id) WITH (length = 80, col1 = 2);",
        ),
    ];

    /// Issue 3: ratchet writes index, primary key, unique and foreign key definitions from
    /// the catalog's columns instead of calling `pg_get_indexdef` and
    /// `pg_get_constraintdef`, which cost more than the rest of the introspection on a new
    /// backend. Every definition must still be byte for byte the server's (so that
    /// snapshots, stored expectations and diffs against older ratchet output stay equal),
    /// and the ones written here must really have been written here.
    #[test]
    fn client_written_definitions_are_the_servers() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        let version: i32 = show(&runtime, &client, "server_version_num")
            .parse()
            .expect("version");
        let mut ddl = DEFINITION_VARIANTS.to_owned();
        if version >= 150000 {
            ddl.push_str(DEFINITION_VARIANTS_15);
        }
        let available: Vec<String> = runtime
            .block_on(client.query("SELECT name::text FROM pg_available_extensions", &[]))
            .expect("pg_available_extensions")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut extensions = Vec::new();
        for (extension, variants) in DEFINITION_VARIANTS_EXTENSIONS {
            if available.iter().any(|a| a == extension) {
                ddl.push_str(&format!("CREATE EXTENSION {extension};\n{variants}\n"));
                extensions.push(*extension);
            }
        }
        runtime
            .block_on(client.batch_execute(&ddl))
            .unwrap_or_else(|e| panic!("variants: {e:?}"));

        let indexes = assert_definitions_are_the_servers(&runtime, &client);
        assert!(
            indexes >= 36 + 5 * extensions.len().min(1),
            "{indexes} indexes"
        );

        // Only expression indexes, CHECK and EXCLUDE went to the server's printers (on
        // PostgreSQL 15, whose expressions are printed here, only EXCLUDE).
        let here = client_expressions(version);
        let messages = runtime
            .block_on(client.simple_query(&batch(0, version, Share::Whole)))
            .expect("batch");
        let rows = statement_rows(vec![messages]).expect("documents");
        let documents = Documents::new(&rows);
        for r in documents
            .rows::<IndexColumns>(Query::Indexes)
            .expect("indexes")
        {
            let expression = r.key.contains(&0) && !here;
            assert_eq!(r.definition.is_some(), expression, "{}", r.name);
            if here {
                // Nothing about an index is printed by the server: it would open the table.
                assert!(r.predicate_sql.is_none(), "{}", r.name);
                assert!(r.predicate.is_none(), "{}", r.name);
                assert!(r.expressions.is_none(), "{}", r.name);
            }
        }
        for r in documents
            .rows::<ConstraintColumns>(Query::Constraints)
            .expect("rows")
        {
            let server = r.kind == "x" || r.kind == "c" && !here;
            assert_eq!(r.definition.is_some(), server, "{}", r.name);
        }
    }

    thread_local! {
        /// How many CHECK constraints and indexes `print_expressions` sent to the server.
        pub(super) static SERVER_PRINTED: Cell<usize> = const { Cell::new(0) };
    }

    /// Expressions of many shapes (`expression_variants.sql`): every CHECK constraint,
    /// index definition, predicate and expression key is what the server prints, whoever
    /// printed it; on PostgreSQL 15 most are printed here.
    #[test]
    fn client_printed_expressions_are_the_servers() {
        let db = PgDatabase::new();
        let (runtime, client) = connect(&db);
        let version: i32 = show(&runtime, &client, "server_version_num")
            .parse()
            .expect("version");
        runtime
            .block_on(client.batch_execute(include_str!("expression_variants.sql")))
            .unwrap_or_else(|e| panic!("variants: {e:?}"));
        let total: i64 = runtime
            .block_on(client.query_one(
                "SELECT (SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0) \
                 + (SELECT count(*) FROM pg_index WHERE indexprs IS NOT NULL OR indpred IS NOT NULL)",
                &[],
            ))
            .expect("count")
            .get(0);
        SERVER_PRINTED.with(|n| n.set(0));
        assert_definitions_are_the_servers(&runtime, &client);
        let on_server = SERVER_PRINTED.with(Cell::get);
        eprintln!("{total} expressions: {on_server} printed by the server");
        if client_expressions(version) {
            assert!(on_server * 2 < total as usize, "{on_server} of {total}");
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
        let err = introspect(&runtime, &client, &history(), None).expect_err("aborted");
        assert!(
            matches!(&err, DriverError::Database { sqlstate: Some(s), .. } if s == "25P02"),
            "{err:?}"
        );
    }
}
