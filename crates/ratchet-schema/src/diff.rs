//! The structural difference between two schemas.
//!
//! [`diff`] compares a **left** and a **right** schema. The sides are neutral: a caller
//! decides what they are (expected vs. actual, replay vs. live) and names them when
//! rendering. The direction of every change is fixed:
//!
//! * [`Change::Missing`]: the object is on the **left** and **not on the right** (the right
//!   side is missing it). With left = expected, right = live: the live database lacks it.
//! * [`Change::Extra`]: the object is on the **right** and **not on the left**.
//! * every other variant: the object is on both sides and differs; `left` and `right` carry
//!   each side's value.
//!
//! A missing or extra table (view, domain...) is one change; its columns, indexes and so on
//! are not listed again. Names are compared exactly as stored, so a PostgreSQL schema
//! (`public`) and an SQLite one (`main`) share no names.
//!
//! Every field of the model is compared, so `diff(a, b)` is empty exactly when `a == b`
//! (for two schemas of the same dialect). The order of the changes is deterministic: by
//! object kind (schemas, extensions, enums, domains, sequences, tables, views, functions),
//! then by name; within a table: the table itself, columns (left's order, then columns only
//! on the right in right's order), constraints, indexes, triggers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{
    Column, Constraint, Domain, EnumType, Extension, Function, Identity, Index, PartitionOf,
    Schema, Sequence, Table, Trigger, View,
};
use crate::name::{FunctionId, QualifiedName};

/// What a table-like object is, for changes to its columns, indexes and triggers (a
/// materialized view has all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Table,
    View,
    MaterializedView,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Table => "table",
            Relation::View => "view",
            Relation::MaterializedView => "materialized view",
        }
    }

    fn of_view(view: &View) -> Relation {
        if view.materialized {
            Relation::MaterializedView
        } else {
            Relation::View
        }
    }
}

/// The kinds of object a [`Change`] can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Schema,
    Extension,
    Enum,
    Domain,
    Sequence,
    Table,
    View,
    MaterializedView,
    Function,
    Column,
    Constraint,
    Index,
    Trigger,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Enum => "enum",
            ObjectKind::Domain => "domain",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Function => "function",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::Trigger => "trigger",
        }
    }
}

impl From<Relation> for ObjectKind {
    fn from(relation: Relation) -> ObjectKind {
        match relation {
            Relation::Table => ObjectKind::Table,
            Relation::View => ObjectKind::View,
            Relation::MaterializedView => ObjectKind::MaterializedView,
        }
    }
}

/// A whole object that is on one side only, with its value on that side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Object {
    Schema {
        name: String,
    },
    Extension {
        name: String,
        extension: Extension,
    },
    Enum {
        name: QualifiedName,
        #[serde(rename = "enum")]
        enum_type: EnumType,
    },
    Domain {
        name: QualifiedName,
        domain: Domain,
    },
    Sequence {
        name: QualifiedName,
        sequence: Sequence,
    },
    Table {
        name: QualifiedName,
        table: Box<Table>,
    },
    /// A view or a materialized view.
    View {
        name: QualifiedName,
        view: Box<View>,
    },
    Function {
        function: FunctionId,
        definition: Function,
    },
    /// A column of `table` (which is a [`Relation`]: a table or a view).
    Column {
        table: QualifiedName,
        relation: Relation,
        column: Column,
    },
    Constraint {
        table: QualifiedName,
        name: String,
        constraint: Constraint,
    },
    Index {
        table: QualifiedName,
        relation: Relation,
        name: String,
        index: Index,
    },
    Trigger {
        table: QualifiedName,
        relation: Relation,
        name: String,
        trigger: Trigger,
    },
}

impl Object {
    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::Schema { .. } => ObjectKind::Schema,
            Object::Extension { .. } => ObjectKind::Extension,
            Object::Enum { .. } => ObjectKind::Enum,
            Object::Domain { .. } => ObjectKind::Domain,
            Object::Sequence { .. } => ObjectKind::Sequence,
            Object::Table { .. } => ObjectKind::Table,
            Object::View { view, .. } => Relation::of_view(view).into(),
            Object::Function { .. } => ObjectKind::Function,
            Object::Column { .. } => ObjectKind::Column,
            Object::Constraint { .. } => ObjectKind::Constraint,
            Object::Index { .. } => ObjectKind::Index,
            Object::Trigger { .. } => ObjectKind::Trigger,
        }
    }

    /// The object's own name: `public.users`, `email` (a column), `add(integer)`...
    pub fn name(&self) -> String {
        match self {
            Object::Schema { name } | Object::Extension { name, .. } => name.clone(),
            Object::Enum { name, .. }
            | Object::Domain { name, .. }
            | Object::Sequence { name, .. }
            | Object::Table { name, .. }
            | Object::View { name, .. } => name.to_string(),
            Object::Function { function, .. } => function.to_string(),
            Object::Column { column, .. } => column.name.clone(),
            Object::Constraint { name, .. }
            | Object::Index { name, .. }
            | Object::Trigger { name, .. } => name.clone(),
        }
    }

    /// The table or view a column, constraint, index or trigger belongs to.
    pub fn table(&self) -> Option<&QualifiedName> {
        match self {
            Object::Column { table, .. }
            | Object::Constraint { table, .. }
            | Object::Index { table, .. }
            | Object::Trigger { table, .. } => Some(table),
            _ => None,
        }
    }

    fn group(&self) -> Group {
        match self {
            Object::Column {
                table, relation, ..
            }
            | Object::Index {
                table, relation, ..
            }
            | Object::Trigger {
                table, relation, ..
            } => Group::new((*relation).into(), table.to_string()),
            Object::Constraint { table, .. } => Group::new(ObjectKind::Table, table.to_string()),
            other => Group::new(other.kind(), other.name()),
        }
    }
}

/// One difference between the left and the right schema. See the [module docs](self) for
/// what `Missing` and `Extra` mean; in every other variant `left` and `right` are the two
/// sides' values. Columns, indexes and triggers name the `table` (or view) they belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// On the left, not on the right.
    Missing { object: Object },
    /// On the right, not on the left.
    Extra { object: Object },
    /// `integer` vs `uuid`.
    ColumnType {
        table: QualifiedName,
        relation: Relation,
        column: String,
        left: String,
        right: String,
    },
    ColumnNullable {
        table: QualifiedName,
        relation: Relation,
        column: String,
        left: bool,
        right: bool,
    },
    ColumnDefault {
        table: QualifiedName,
        relation: Relation,
        column: String,
        left: Option<String>,
        right: Option<String>,
    },
    ColumnIdentity {
        table: QualifiedName,
        relation: Relation,
        column: String,
        left: Option<Identity>,
        right: Option<Identity>,
    },
    ColumnGenerated {
        table: QualifiedName,
        relation: Relation,
        column: String,
        left: Option<String>,
        right: Option<String>,
    },
    ColumnCollation {
        table: QualifiedName,
        relation: Relation,
        column: String,
        left: Option<String>,
        right: Option<String>,
    },
    /// The columns both sides have are in a different order (`SELECT *`, `INSERT` without a
    /// column list and `COPY` see it). `left`/`right`: every column of each side, in order.
    ColumnOrder {
        table: QualifiedName,
        relation: Relation,
        left: Vec<String>,
        right: Vec<String>,
    },
    PartitionKey {
        table: QualifiedName,
        left: Option<String>,
        right: Option<String>,
    },
    PartitionOf {
        table: QualifiedName,
        left: Option<PartitionOf>,
        right: Option<PartitionOf>,
    },
    /// Anything but validity differs: method, columns, predicate, uniqueness, definition.
    IndexDefinition {
        table: QualifiedName,
        relation: Relation,
        index: String,
        left: Index,
        right: Index,
    },
    /// Valid on one side, INVALID on the other.
    IndexValidity {
        table: QualifiedName,
        relation: Relation,
        index: String,
        left: bool,
        right: bool,
    },
    /// Anything but the validated state differs: kind, definition, deferrability.
    ConstraintDefinition {
        table: QualifiedName,
        constraint: String,
        left: Constraint,
        right: Constraint,
    },
    /// Validated on one side, `NOT VALID` on the other.
    ConstraintValidation {
        table: QualifiedName,
        constraint: String,
        left: bool,
        right: bool,
    },
    TriggerDefinition {
        table: QualifiedName,
        relation: Relation,
        trigger: String,
        left: String,
        right: String,
    },
    ViewDefinition {
        view: QualifiedName,
        left: String,
        right: String,
    },
    /// A view on one side, a materialized view on the other.
    ViewMaterialized {
        view: QualifiedName,
        left: bool,
        right: bool,
    },
    /// Labels added, removed or reordered.
    EnumLabels {
        name: QualifiedName,
        left: Vec<String>,
        right: Vec<String>,
    },
    DomainDefinition {
        name: QualifiedName,
        left: Domain,
        right: Domain,
    },
    SequenceDefinition {
        name: QualifiedName,
        left: Sequence,
        right: Sequence,
    },
    /// The bodies' SHA-256 differ.
    FunctionBody {
        function: FunctionId,
        left: String,
        right: String,
    },
    /// Anything but the body differs: parameter names, modes or defaults, return type,
    /// language, kind, volatility, security. (Different input types make a different
    /// function: a missing and an extra one.)
    FunctionDefinition {
        function: FunctionId,
        left: Function,
        right: Function,
    },
    /// Version or schema.
    ExtensionDefinition {
        name: String,
        left: Extension,
        right: Extension,
    },
}

/// The top-level object a change is filed under: a table for its column changes, the enum
/// itself for an enum change. Renderers group by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    pub kind: ObjectKind,
    /// Qualified name (or, for a function, its signature; for a schema or extension, its
    /// plain name).
    pub name: String,
}

impl Group {
    fn new(kind: ObjectKind, name: String) -> Group {
        Group { kind, name }
    }
}

/// Which side(s) a change is about, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only on the left.
    Missing,
    /// Only on the right.
    Extra,
    /// On both sides, different.
    Changed,
}

impl Change {
    pub fn direction(&self) -> Direction {
        match self {
            Change::Missing { .. } => Direction::Missing,
            Change::Extra { .. } => Direction::Extra,
            _ => Direction::Changed,
        }
    }

    /// The object the change is about (for a column's type, the column).
    pub fn kind(&self) -> ObjectKind {
        match self {
            Change::Missing { object } | Change::Extra { object } => object.kind(),
            Change::ColumnType { .. }
            | Change::ColumnNullable { .. }
            | Change::ColumnDefault { .. }
            | Change::ColumnIdentity { .. }
            | Change::ColumnGenerated { .. }
            | Change::ColumnCollation { .. } => ObjectKind::Column,
            Change::ColumnOrder { relation, .. } => (*relation).into(),
            Change::PartitionKey { .. } | Change::PartitionOf { .. } => ObjectKind::Table,
            Change::IndexDefinition { .. } | Change::IndexValidity { .. } => ObjectKind::Index,
            Change::ConstraintDefinition { .. } | Change::ConstraintValidation { .. } => {
                ObjectKind::Constraint
            }
            Change::TriggerDefinition { .. } => ObjectKind::Trigger,
            Change::ViewDefinition { .. } | Change::ViewMaterialized { .. } => ObjectKind::View,
            Change::EnumLabels { .. } => ObjectKind::Enum,
            Change::DomainDefinition { .. } => ObjectKind::Domain,
            Change::SequenceDefinition { .. } => ObjectKind::Sequence,
            Change::FunctionBody { .. } | Change::FunctionDefinition { .. } => ObjectKind::Function,
            Change::ExtensionDefinition { .. } => ObjectKind::Extension,
        }
    }

    /// The table or view that a change to a column, constraint, index or trigger (or to the
    /// table itself) is about.
    pub fn table(&self) -> Option<&QualifiedName> {
        match self {
            Change::Missing { object } | Change::Extra { object } => match object {
                Object::Table { name, .. } | Object::View { name, .. } => Some(name),
                other => other.table(),
            },
            Change::ColumnType { table, .. }
            | Change::ColumnNullable { table, .. }
            | Change::ColumnDefault { table, .. }
            | Change::ColumnIdentity { table, .. }
            | Change::ColumnGenerated { table, .. }
            | Change::ColumnCollation { table, .. }
            | Change::ColumnOrder { table, .. }
            | Change::PartitionKey { table, .. }
            | Change::PartitionOf { table, .. }
            | Change::IndexDefinition { table, .. }
            | Change::IndexValidity { table, .. }
            | Change::ConstraintDefinition { table, .. }
            | Change::ConstraintValidation { table, .. }
            | Change::TriggerDefinition { table, .. } => Some(table),
            Change::ViewDefinition { view, .. } | Change::ViewMaterialized { view, .. } => {
                Some(view)
            }
            _ => None,
        }
    }

    /// The column a column change is about.
    pub fn column(&self) -> Option<&str> {
        match self {
            Change::Missing {
                object: Object::Column { column, .. },
            }
            | Change::Extra {
                object: Object::Column { column, .. },
            } => Some(&column.name),
            Change::ColumnType { column, .. }
            | Change::ColumnNullable { column, .. }
            | Change::ColumnDefault { column, .. }
            | Change::ColumnIdentity { column, .. }
            | Change::ColumnGenerated { column, .. }
            | Change::ColumnCollation { column, .. } => Some(column),
            _ => None,
        }
    }

    /// The top-level object the change is filed under.
    pub fn group(&self) -> Group {
        let relation = |table: &QualifiedName, relation: &Relation| {
            Group::new((*relation).into(), table.to_string())
        };
        match self {
            Change::Missing { object } | Change::Extra { object } => object.group(),
            Change::ColumnType {
                table, relation: r, ..
            }
            | Change::ColumnNullable {
                table, relation: r, ..
            }
            | Change::ColumnDefault {
                table, relation: r, ..
            }
            | Change::ColumnIdentity {
                table, relation: r, ..
            }
            | Change::ColumnGenerated {
                table, relation: r, ..
            }
            | Change::ColumnCollation {
                table, relation: r, ..
            }
            | Change::ColumnOrder {
                table, relation: r, ..
            }
            | Change::IndexDefinition {
                table, relation: r, ..
            }
            | Change::IndexValidity {
                table, relation: r, ..
            }
            | Change::TriggerDefinition {
                table, relation: r, ..
            } => relation(table, r),
            Change::PartitionKey { table, .. }
            | Change::PartitionOf { table, .. }
            | Change::ConstraintDefinition { table, .. }
            | Change::ConstraintValidation { table, .. } => {
                Group::new(ObjectKind::Table, table.to_string())
            }
            Change::ViewDefinition { view, .. } => Group::new(ObjectKind::View, view.to_string()),
            Change::ViewMaterialized { view, left, .. } => Group::new(
                if *left {
                    ObjectKind::MaterializedView
                } else {
                    ObjectKind::View
                },
                view.to_string(),
            ),
            Change::EnumLabels { name, .. } => Group::new(ObjectKind::Enum, name.to_string()),
            Change::DomainDefinition { name, .. } => {
                Group::new(ObjectKind::Domain, name.to_string())
            }
            Change::SequenceDefinition { name, .. } => {
                Group::new(ObjectKind::Sequence, name.to_string())
            }
            Change::FunctionBody { function, .. } | Change::FunctionDefinition { function, .. } => {
                Group::new(ObjectKind::Function, function.to_string())
            }
            Change::ExtensionDefinition { name, .. } => {
                Group::new(ObjectKind::Extension, name.clone())
            }
        }
    }
}

/// Every difference between `left` and `right`; see the [module docs](self) for the
/// direction of `Missing`/`Extra` and the order.
pub fn diff(left: &Schema, right: &Schema) -> Vec<Change> {
    // One model on both sides (`ratchet diff live live` reads the database once): nothing
    // can differ, and walking 2,000 tables to prove it takes 5-10 ms of that command.
    if std::ptr::eq(left, right) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for name in union(&left.schemas, &right.schemas) {
        match (left.schemas.contains(name), right.schemas.contains(name)) {
            (true, false) => out.push(Change::Missing {
                object: Object::Schema { name: name.clone() },
            }),
            (false, true) => out.push(Change::Extra {
                object: Object::Schema { name: name.clone() },
            }),
            _ => {}
        }
    }
    each(
        &left.extensions,
        &right.extensions,
        &mut out,
        |name, side, out| match side {
            Side::Left(e) | Side::Right(e) => {
                let object = Object::Extension {
                    name: name.clone(),
                    extension: e.clone(),
                };
                out.push(side.wrap(object));
            }
            Side::Both(l, r) => {
                if l != r {
                    out.push(Change::ExtensionDefinition {
                        name: name.clone(),
                        left: l.clone(),
                        right: r.clone(),
                    });
                }
            }
        },
    );
    each(
        &left.enums,
        &right.enums,
        &mut out,
        |name, side, out| match side {
            Side::Left(e) | Side::Right(e) => {
                let object = Object::Enum {
                    name: name.clone(),
                    enum_type: e.clone(),
                };
                out.push(side.wrap(object));
            }
            Side::Both(l, r) => {
                if l.labels != r.labels {
                    out.push(Change::EnumLabels {
                        name: name.clone(),
                        left: l.labels.clone(),
                        right: r.labels.clone(),
                    });
                }
            }
        },
    );
    each(
        &left.domains,
        &right.domains,
        &mut out,
        |name, side, out| match side {
            Side::Left(d) | Side::Right(d) => {
                let object = Object::Domain {
                    name: name.clone(),
                    domain: d.clone(),
                };
                out.push(side.wrap(object));
            }
            Side::Both(l, r) => {
                if l != r {
                    out.push(Change::DomainDefinition {
                        name: name.clone(),
                        left: l.clone(),
                        right: r.clone(),
                    });
                }
            }
        },
    );
    each(
        &left.sequences,
        &right.sequences,
        &mut out,
        |name, side, out| match side {
            Side::Left(s) | Side::Right(s) => {
                let object = Object::Sequence {
                    name: name.clone(),
                    sequence: s.clone(),
                };
                out.push(side.wrap(object));
            }
            Side::Both(l, r) => {
                if l != r {
                    out.push(Change::SequenceDefinition {
                        name: name.clone(),
                        left: l.clone(),
                        right: r.clone(),
                    });
                }
            }
        },
    );
    each(
        &left.tables,
        &right.tables,
        &mut out,
        |name, side, out| match side {
            Side::Left(t) | Side::Right(t) => {
                let object = Object::Table {
                    name: name.clone(),
                    table: Box::new(t.clone()),
                };
                out.push(side.wrap(object));
            }
            // Most tables of two schemas being compared are equal: one comparison settles
            // them without the per-column bookkeeping of `diff_table`.
            Side::Both(l, r) if l == r => {}
            Side::Both(l, r) => diff_table(name, l, r, out),
        },
    );
    each(
        &left.views,
        &right.views,
        &mut out,
        |name, side, out| match side {
            Side::Left(v) | Side::Right(v) => {
                let object = Object::View {
                    name: name.clone(),
                    view: Box::new(v.clone()),
                };
                out.push(side.wrap(object));
            }
            Side::Both(l, r) if l == r => {}
            Side::Both(l, r) => diff_view(name, l, r, out),
        },
    );
    each(
        &left.functions,
        &right.functions,
        &mut out,
        |id, side, out| match side {
            Side::Left(f) | Side::Right(f) => {
                let object = Object::Function {
                    function: id.clone(),
                    definition: f.clone(),
                };
                out.push(side.wrap(object));
            }
            Side::Both(l, r) if l == r => {}
            Side::Both(l, r) => {
                if l.body_sha256 != r.body_sha256 {
                    out.push(Change::FunctionBody {
                        function: id.clone(),
                        left: l.body_sha256.clone(),
                        right: r.body_sha256.clone(),
                    });
                }
                let without_body = |f: &Function| Function {
                    body_sha256: String::new(),
                    ..f.clone()
                };
                if without_body(l) != without_body(r) {
                    out.push(Change::FunctionDefinition {
                        function: id.clone(),
                        left: l.clone(),
                        right: r.clone(),
                    });
                }
            }
        },
    );
    out
}

/// An object found on one side or both.
enum Side<'a, V> {
    Left(&'a V),
    Right(&'a V),
    Both(&'a V, &'a V),
}

impl<V> Side<'_, V> {
    /// `Missing` for a left-only object, `Extra` for a right-only one.
    fn wrap(&self, object: Object) -> Change {
        match self {
            Side::Left(_) => Change::Missing { object },
            _ => Change::Extra { object },
        }
    }
}

fn union<'a, K: Ord>(
    left: impl IntoIterator<Item = &'a K>,
    right: impl IntoIterator<Item = &'a K>,
) -> BTreeSet<&'a K> {
    left.into_iter().chain(right).collect()
}

/// Calls `f` for every key of either map, in key order.
fn each<'a, K: Ord, V>(
    left: &'a BTreeMap<K, V>,
    right: &'a BTreeMap<K, V>,
    out: &mut Vec<Change>,
    mut f: impl FnMut(&'a K, Side<'a, V>, &mut Vec<Change>),
) {
    for key in union(left.keys(), right.keys()) {
        let side = match (left.get(key), right.get(key)) {
            (Some(l), Some(r)) => Side::Both(l, r),
            (Some(l), None) => Side::Left(l),
            (None, Some(r)) => Side::Right(r),
            (None, None) => unreachable!("the key came from one of the maps"),
        };
        f(key, side, out);
    }
}

fn diff_table(name: &QualifiedName, left: &Table, right: &Table, out: &mut Vec<Change>) {
    if left.partition_key != right.partition_key {
        out.push(Change::PartitionKey {
            table: name.clone(),
            left: left.partition_key.clone(),
            right: right.partition_key.clone(),
        });
    }
    if left.partition_of != right.partition_of {
        out.push(Change::PartitionOf {
            table: name.clone(),
            left: left.partition_of.clone(),
            right: right.partition_of.clone(),
        });
    }
    diff_columns(name, Relation::Table, &left.columns, &right.columns, out);
    each(
        &left.constraints,
        &right.constraints,
        out,
        |constraint, side, out| match side {
            Side::Left(c) | Side::Right(c) => {
                let object = Object::Constraint {
                    table: name.clone(),
                    name: constraint.clone(),
                    constraint: c.clone(),
                };
                out.push(side.wrap(object));
            }
            Side::Both(l, r) => {
                if (&l.kind, &l.definition, l.deferrable) != (&r.kind, &r.definition, r.deferrable)
                {
                    out.push(Change::ConstraintDefinition {
                        table: name.clone(),
                        constraint: constraint.clone(),
                        left: l.clone(),
                        right: r.clone(),
                    });
                }
                if l.validated != r.validated {
                    out.push(Change::ConstraintValidation {
                        table: name.clone(),
                        constraint: constraint.clone(),
                        left: l.validated,
                        right: r.validated,
                    });
                }
            }
        },
    );
    diff_indexes(name, Relation::Table, &left.indexes, &right.indexes, out);
    diff_triggers(name, Relation::Table, &left.triggers, &right.triggers, out);
}

fn diff_view(name: &QualifiedName, left: &View, right: &View, out: &mut Vec<Change>) {
    if left.materialized != right.materialized {
        out.push(Change::ViewMaterialized {
            view: name.clone(),
            left: left.materialized,
            right: right.materialized,
        });
    }
    if left.definition != right.definition {
        out.push(Change::ViewDefinition {
            view: name.clone(),
            left: left.definition.clone(),
            right: right.definition.clone(),
        });
    }
    let relation = Relation::of_view(left);
    diff_columns(name, relation, &left.columns, &right.columns, out);
    diff_indexes(name, relation, &left.indexes, &right.indexes, out);
    diff_triggers(name, relation, &left.triggers, &right.triggers, out);
}

fn diff_columns(
    table: &QualifiedName,
    relation: Relation,
    left: &[Column],
    right: &[Column],
    out: &mut Vec<Change>,
) {
    let find = |columns: &'_ [Column], name: &str| -> Option<usize> {
        columns.iter().position(|c| c.name == name)
    };
    let names = |columns: &[Column]| columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let common_left: Vec<&str> = left
        .iter()
        .filter(|c| find(right, &c.name).is_some())
        .map(|c| c.name.as_str())
        .collect();
    let common_right: Vec<&str> = right
        .iter()
        .filter(|c| find(left, &c.name).is_some())
        .map(|c| c.name.as_str())
        .collect();
    // Only the relative order of the shared columns: a column added on one side is reported
    // once, as missing or extra, not also as a change of order.
    if common_left != common_right {
        out.push(Change::ColumnOrder {
            table: table.clone(),
            relation,
            left: names(left),
            right: names(right),
        });
    }
    for l in left {
        let Some(r) = find(right, &l.name).map(|i| &right[i]) else {
            out.push(Change::Missing {
                object: Object::Column {
                    table: table.clone(),
                    relation,
                    column: l.clone(),
                },
            });
            continue;
        };
        let column = || l.name.clone();
        if l.data_type != r.data_type {
            out.push(Change::ColumnType {
                table: table.clone(),
                relation,
                column: column(),
                left: l.data_type.clone(),
                right: r.data_type.clone(),
            });
        }
        if l.nullable != r.nullable {
            out.push(Change::ColumnNullable {
                table: table.clone(),
                relation,
                column: column(),
                left: l.nullable,
                right: r.nullable,
            });
        }
        if l.default != r.default {
            out.push(Change::ColumnDefault {
                table: table.clone(),
                relation,
                column: column(),
                left: l.default.clone(),
                right: r.default.clone(),
            });
        }
        if l.identity != r.identity {
            out.push(Change::ColumnIdentity {
                table: table.clone(),
                relation,
                column: column(),
                left: l.identity,
                right: r.identity,
            });
        }
        if l.generated != r.generated {
            out.push(Change::ColumnGenerated {
                table: table.clone(),
                relation,
                column: column(),
                left: l.generated.clone(),
                right: r.generated.clone(),
            });
        }
        if l.collation != r.collation {
            out.push(Change::ColumnCollation {
                table: table.clone(),
                relation,
                column: column(),
                left: l.collation.clone(),
                right: r.collation.clone(),
            });
        }
    }
    for r in right {
        if find(left, &r.name).is_none() {
            out.push(Change::Extra {
                object: Object::Column {
                    table: table.clone(),
                    relation,
                    column: r.clone(),
                },
            });
        }
    }
}

fn diff_indexes(
    table: &QualifiedName,
    relation: Relation,
    left: &BTreeMap<String, Index>,
    right: &BTreeMap<String, Index>,
    out: &mut Vec<Change>,
) {
    each(left, right, out, |name, side, out| match side {
        Side::Left(i) | Side::Right(i) => {
            let object = Object::Index {
                table: table.clone(),
                relation,
                name: name.clone(),
                index: i.clone(),
            };
            out.push(side.wrap(object));
        }
        Side::Both(l, r) => {
            let same_validity = |i: &Index| Index {
                valid: true,
                ..i.clone()
            };
            if same_validity(l) != same_validity(r) {
                out.push(Change::IndexDefinition {
                    table: table.clone(),
                    relation,
                    index: name.clone(),
                    left: l.clone(),
                    right: r.clone(),
                });
            }
            if l.valid != r.valid {
                out.push(Change::IndexValidity {
                    table: table.clone(),
                    relation,
                    index: name.clone(),
                    left: l.valid,
                    right: r.valid,
                });
            }
        }
    });
}

fn diff_triggers(
    table: &QualifiedName,
    relation: Relation,
    left: &BTreeMap<String, Trigger>,
    right: &BTreeMap<String, Trigger>,
    out: &mut Vec<Change>,
) {
    each(left, right, out, |name, side, out| match side {
        Side::Left(t) | Side::Right(t) => {
            let object = Object::Trigger {
                table: table.clone(),
                relation,
                name: name.clone(),
                trigger: t.clone(),
            };
            out.push(side.wrap(object));
        }
        Side::Both(l, r) => {
            if l != r {
                out.push(Change::TriggerDefinition {
                    table: table.clone(),
                    relation,
                    trigger: name.clone(),
                    left: l.definition.clone(),
                    right: r.definition.clone(),
                });
            }
        }
    });
}
