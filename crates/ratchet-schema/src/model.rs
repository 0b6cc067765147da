//! The schema of one database, as plain data.
//!
//! Every collection is ordered (a `BTreeMap` keyed by name, or a `Vec` in the database's own
//! order where order means something, such as columns), so two equal schemas serialise,
//! render and diff identically whatever order the catalog returned them in.
//!
//! Text such as column types, defaults, index and constraint definitions is kept as the
//! database normalises it (PostgreSQL's `format_type`, `pg_get_expr`, `pg_get_indexdef`...;
//! SQLite's declared text), so two databases built from the same DDL compare equal, and a
//! declared type can be compared with [`crate::types::same_type`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::name::{FunctionId, QualifiedName};

/// The database a [`Schema`] came from. It decides the default schema that unqualified names
/// are looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// `public` for PostgreSQL, `main` for SQLite.
    pub fn default_schema(self) -> &'static str {
        match self {
            Dialect::Postgres => "public",
            Dialect::Sqlite => "main",
        }
    }
}

/// A whole database schema: the user's objects, without system catalogs, objects owned by
/// extensions, or ratchet's own history table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub dialect: Dialect,
    /// Namespaces (`public`, `app`, ...; SQLite: `main`).
    #[serde(default)]
    pub schemas: BTreeSet<String>,
    /// Installed extensions, by name.
    #[serde(default)]
    pub extensions: BTreeMap<String, Extension>,
    #[serde(default)]
    pub enums: BTreeMap<QualifiedName, EnumType>,
    #[serde(default)]
    pub domains: BTreeMap<QualifiedName, Domain>,
    /// Free-standing and `serial` sequences. Identity columns' sequences are not listed: they
    /// are part of the column ([`Column::identity`]).
    #[serde(default)]
    pub sequences: BTreeMap<QualifiedName, Sequence>,
    /// Ordinary tables, partitioned tables and their partitions.
    #[serde(default)]
    pub tables: BTreeMap<QualifiedName, Table>,
    /// Views and materialized views.
    #[serde(default)]
    pub views: BTreeMap<QualifiedName, View>,
    /// Functions, procedures and aggregates, by name and identity arguments.
    #[serde(default)]
    pub functions: BTreeMap<FunctionId, Function>,
}

impl Schema {
    /// An empty schema of `dialect`.
    pub fn new(dialect: Dialect) -> Schema {
        Schema {
            dialect,
            schemas: BTreeSet::new(),
            extensions: BTreeMap::new(),
            enums: BTreeMap::new(),
            domains: BTreeMap::new(),
            sequences: BTreeMap::new(),
            tables: BTreeMap::new(),
            views: BTreeMap::new(),
            functions: BTreeMap::new(),
        }
    }

    /// The schema unqualified names are looked up in (`public` / `main`).
    pub fn default_schema(&self) -> &'static str {
        self.dialect.default_schema()
    }

    /// `name` (`users`, `app.users`, `"Odd.Name"`) qualified with the default schema when it
    /// has none; `None` when it is not a valid name.
    pub fn qualify(&self, name: &str) -> Option<QualifiedName> {
        QualifiedName::parse(name, self.default_schema()).ok()
    }

    /// The table `name` (see [`Schema::qualify`]). Names are matched exactly, as the catalog
    /// stores them: `Users` is not `users`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&self.qualify(name)?)
    }

    /// The view or materialized view `name`.
    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.get(&self.qualify(name)?)
    }

    pub fn sequence(&self, name: &str) -> Option<&Sequence> {
        self.sequences.get(&self.qualify(name)?)
    }

    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.enums.get(&self.qualify(name)?)
    }

    pub fn domain(&self, name: &str) -> Option<&Domain> {
        self.domains.get(&self.qualify(name)?)
    }

    pub fn extension(&self, name: &str) -> Option<&Extension> {
        self.extensions.get(name)
    }

    /// The function with exactly this signature, e.g. `add(integer, integer)` or
    /// `app.add(integer, integer)`.
    pub fn function(&self, signature: &str) -> Option<&Function> {
        self.functions
            .get(&FunctionId::parse(signature, self.default_schema()).ok()?)
    }

    /// Every overload of the function or procedure `name`, in signature order.
    pub fn functions_named(&self, name: &str) -> Vec<(&FunctionId, &Function)> {
        let Some(name) = self.qualify(name) else {
            return Vec::new();
        };
        self.functions
            .iter()
            .filter(|(id, _)| id.name == name)
            .collect()
    }

    /// The columns of a table or view, whichever `name` is.
    pub fn columns_of(&self, name: &str) -> Option<&[Column]> {
        let name = self.qualify(name)?;
        if let Some(table) = self.tables.get(&name) {
            return Some(&table.columns);
        }
        self.views.get(&name).map(|v| v.columns.as_slice())
    }
}

/// A table. Indexes that implement a constraint (primary key, unique, exclusion) are not in
/// [`Table::indexes`]: they are the constraint's, in [`Table::constraints`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// In the table's own order (`attnum` / `cid`).
    pub columns: Vec<Column>,
    /// By constraint name. SQLite does not report constraint names, so its constraints get
    /// PostgreSQL-style names: `t_pkey`, `t_a_b_key`, `t_a_fkey`, `t_check`/`t_check1`...
    #[serde(default)]
    pub constraints: BTreeMap<String, Constraint>,
    /// By index name (index names are unique within the table's schema).
    #[serde(default)]
    pub indexes: BTreeMap<String, Index>,
    /// By trigger name. Internal triggers (those implementing foreign keys) are left out.
    #[serde(default)]
    pub triggers: BTreeMap<String, Trigger>,
    /// For a partitioned table: its partition key, `RANGE (created_at)`.
    #[serde(default)]
    pub partition_key: Option<String>,
    /// For a partition: its parent and bound.
    #[serde(default)]
    pub partition_of: Option<PartitionOf>,
}

impl Table {
    /// The column `name` (matched exactly).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.get(name)
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.get(name)
    }

    pub fn trigger(&self, name: &str) -> Option<&Trigger> {
        self.triggers.get(name)
    }

    /// The primary key's name and columns.
    pub fn primary_key(&self) -> Option<(&str, &[String])> {
        self.constraints.iter().find_map(|(name, c)| match &c.kind {
            ConstraintKind::PrimaryKey { columns } => Some((name.as_str(), columns.as_slice())),
            _ => None,
        })
    }

    /// Every foreign key, by name.
    pub fn foreign_keys(&self) -> impl Iterator<Item = (&str, &ForeignKey)> {
        self.constraints
            .iter()
            .filter_map(|(name, c)| match &c.kind {
                ConstraintKind::ForeignKey(fk) => Some((name.as_str(), fk)),
                _ => None,
            })
    }

    /// The foreign key whose referencing columns are exactly `columns`, in that order.
    pub fn foreign_key_on(&self, columns: &[&str]) -> Option<(&str, &ForeignKey)> {
        self.foreign_keys().find(|(_, fk)| {
            fk.columns
                .iter()
                .map(String::as_str)
                .eq(columns.iter().copied())
        })
    }

    /// Whether some index or unique/primary-key constraint has exactly `columns` as its
    /// leading key columns (an index usable for lookups on them; partial and INVALID indexes
    /// count too, so check [`Index::predicate`] and [`Index::valid`] where that matters).
    pub fn has_index_on(&self, columns: &[&str]) -> bool {
        let leads = |key: &[String]| {
            key.len() >= columns.len() && key.iter().zip(columns).all(|(k, c)| k == c)
        };
        self.indexes.values().any(|i| leads(&i.columns))
            || self.constraints.values().any(|c| match &c.kind {
                ConstraintKind::PrimaryKey { columns } | ConstraintKind::Unique { columns } => {
                    leads(columns)
                }
                _ => false,
            })
    }
}

/// A partition's place in its partitioned table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOf {
    pub parent: QualifiedName,
    /// `FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`, `DEFAULT`.
    pub bound: String,
}

/// A column of a table or view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// As the database normalises it: PostgreSQL's `format_type()` (`integer`,
    /// `character varying(20)`, `timestamp with time zone`, `public.mood`, `text[]`);
    /// SQLite's declared type as written (possibly empty).
    pub data_type: String,
    pub nullable: bool,
    /// The default expression (`pg_get_expr`), e.g. `now()`,
    /// `nextval('public.users_id_seq'::regclass)`. `None` for generated columns, whose
    /// expression is in [`Column::generated`].
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub identity: Option<Identity>,
    /// The expression of a generated column (`GENERATED ALWAYS AS (...) STORED`).
    #[serde(default)]
    pub generated: Option<String>,
    /// Only when it differs from the type's default collation.
    #[serde(default)]
    pub collation: Option<String>,
}

impl Column {
    /// A nullable column with nothing else set.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            default: None,
            identity: None,
            generated: None,
            collation: None,
        }
    }
}

/// `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

/// A table constraint. `NOT NULL` is not one here: it is [`Column::nullable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub kind: ConstraintKind,
    /// As the database prints it, without `NOT VALID` (that is [`Constraint::validated`]):
    /// `FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE`,
    /// `CHECK ((price > 0))`, `UNIQUE (email)`, `PRIMARY KEY (id)`.
    pub definition: String,
    /// False for a constraint added `NOT VALID` and not validated since: existing rows were
    /// never checked.
    pub validated: bool,
    pub deferrable: Deferrable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey {
        columns: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
    },
    ForeignKey(ForeignKey),
    /// `expression` is the condition alone: `(price > 0)`.
    Check {
        expression: String,
    },
    /// `EXCLUDE USING ...`; the details are in the definition.
    Exclusion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub referenced_table: QualifiedName,
    pub referenced_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    /// As SQL writes it: `NO ACTION`, `SET NULL`...
    pub fn as_sql(self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deferrable {
    NotDeferrable,
    InitiallyImmediate,
    InitiallyDeferred,
}

/// An index that does not implement a constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// `btree`, `gin`, `gist`, `hash`, `brin`...
    pub method: String,
    pub unique: bool,
    /// Key columns in order: a column name, or an expression's text (`lower(email)`).
    pub columns: Vec<String>,
    /// `INCLUDE (...)` columns.
    #[serde(default)]
    pub include: Vec<String>,
    /// The `WHERE` of a partial index.
    #[serde(default)]
    pub predicate: Option<String>,
    /// False for an index left INVALID (a failed `CREATE INDEX CONCURRENTLY`): it exists, is
    /// maintained, and is never used by queries.
    pub valid: bool,
    /// The whole `CREATE INDEX` statement as the database prints it.
    pub definition: String,
}

/// A view or materialized view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub materialized: bool,
    /// The query (`pg_get_viewdef`); SQLite: the `CREATE VIEW` statement as written.
    pub definition: String,
    pub columns: Vec<Column>,
    /// Materialized views can be indexed.
    #[serde(default)]
    pub indexes: BTreeMap<String, Index>,
    /// `INSTEAD OF` triggers.
    #[serde(default)]
    pub triggers: BTreeMap<String, Trigger>,
}

impl View {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// `bigint`, `integer` or `smallint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// The column a `serial` (or `ALTER SEQUENCE ... OWNED BY`) ties it to.
    #[serde(default)]
    pub owned_by: Option<ColumnRef>,
}

/// A column of a table, named from outside the table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ColumnRef {
    pub table: QualifiedName,
    pub column: String,
}

/// `CREATE TYPE ... AS ENUM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    /// In sort order, which is the order queries compare them in.
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// `format_type` of the base type.
    pub base_type: String,
    pub not_null: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub collation: Option<String>,
    /// `CHECK` constraints, by name.
    #[serde(default)]
    pub checks: BTreeMap<String, DomainCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCheck {
    /// `CHECK ((VALUE > 0))`, without `NOT VALID`.
    pub definition: String,
    pub validated: bool,
}

/// A function, procedure or aggregate. Its name and input argument types are its key
/// ([`FunctionId`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub kind: RoutineKind,
    /// Every parameter with its mode, name and default, as `pg_get_function_arguments`
    /// prints them (`a integer, OUT b integer, c text DEFAULT 'x'::text`). The key
    /// ([`FunctionId`]) has only the input types.
    pub arguments: String,
    /// `sql`, `plpgsql`, `c`, `internal`...
    pub language: String,
    /// `pg_get_function_result`: `integer`, `SETOF public.users`, `TABLE(id integer)`;
    /// `None` for a procedure.
    #[serde(default)]
    pub return_type: Option<String>,
    /// [`crate::body_hash`] of the body as stored: the text between the dollar quotes, or
    /// for a `BEGIN ATOMIC` body the server's rendering of it.
    pub body_sha256: String,
    pub volatility: Volatility,
    pub security_definer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutineKind {
    Function,
    Procedure,
    Aggregate,
    Window,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// `pg_get_triggerdef`; SQLite: the `CREATE TRIGGER` statement as written.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub version: String,
    /// The schema its objects were installed in.
    pub schema: String,
}
