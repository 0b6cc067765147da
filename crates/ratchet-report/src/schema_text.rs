//! Schemas and schema differences for people: [`schema`] prints a whole [`Schema`], one
//! fact per line in a stable order (for reading, and for round-trip snapshots); [`diff`]
//! prints the changes between two schemas, grouped by the table (or enum, view...) they
//! are about.
//!
//! ```text
//! table public.users
//!   - column email character varying(200) NOT NULL (only in expected)
//!   + column nickname text (only in live)
//!   ~ column id: type
//!       expected: integer
//!       live:     uuid
//! 3 differences: 1 only in expected, 1 only in live, 1 changed
//! ```

use std::fmt::Write as _;

use ratchet_schema::{
    Change, Column, Constraint, Deferrable, Direction, Domain, Function, Group, Identity, Index,
    Object, RoutineKind, Schema, Sequence, Table, View, Volatility,
};

use crate::text::Color;

/// The names of the two sides of a diff, as the user knows them (`expected`/`live`,
/// `replay`/`live`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sides<'a> {
    pub left: &'a str,
    pub right: &'a str,
}

impl Default for Sides<'_> {
    fn default() -> Self {
        Sides {
            left: "left",
            right: "right",
        }
    }
}

/// Every object of `schema`, one per line (details indented under it), in the model's
/// order. Two equal schemas render identically.
pub fn schema(schema: &Schema) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "dialect {}", dialect_name(schema));
    for name in &schema.schemas {
        let _ = writeln!(out, "schema {name}");
    }
    for (name, e) in &schema.extensions {
        let _ = writeln!(out, "extension {name} {} (schema {})", e.version, e.schema);
    }
    for (name, e) in &schema.enums {
        let _ = writeln!(out, "enum {name}: {}", labels(&e.labels));
    }
    for (name, d) in &schema.domains {
        let _ = writeln!(out, "domain {name}: {}", domain_summary(d));
        for (check, c) in &d.checks {
            let _ = writeln!(
                out,
                "  check {check}: {}{}",
                c.definition,
                not_valid(c.validated)
            );
        }
    }
    for (name, s) in &schema.sequences {
        let _ = writeln!(out, "sequence {name}: {}", sequence_summary(s));
    }
    for (name, t) in &schema.tables {
        let _ = writeln!(out, "table {name}{}", table_suffix(t));
        write_table(&mut out, t);
    }
    for (name, v) in &schema.views {
        let kind = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        let _ = writeln!(out, "{kind} {name}");
        write_view(&mut out, v);
    }
    for (id, f) in &schema.functions {
        let _ = writeln!(out, "{} {id}: {}", routine_kind(f), function_details(f));
    }
    out
}

fn dialect_name(schema: &Schema) -> &'static str {
    match schema.dialect {
        ratchet_schema::Dialect::Postgres => "postgres",
        ratchet_schema::Dialect::Sqlite => "sqlite",
    }
}

fn write_table(out: &mut String, t: &Table) {
    for c in &t.columns {
        let _ = writeln!(out, "  column {} {}", c.name, column_summary(c));
    }
    for (name, c) in &t.constraints {
        let _ = writeln!(out, "  constraint {name}: {}", constraint_summary(c));
    }
    write_indexes_and_triggers(out, &t.indexes, &t.triggers);
}

fn write_view(out: &mut String, v: &View) {
    for c in &v.columns {
        let _ = writeln!(out, "  column {} {}", c.name, column_summary(c));
    }
    let _ = writeln!(out, "  definition:");
    write_block(out, &v.definition, "    ");
    write_indexes_and_triggers(out, &v.indexes, &v.triggers);
}

fn write_indexes_and_triggers(
    out: &mut String,
    indexes: &std::collections::BTreeMap<String, Index>,
    triggers: &std::collections::BTreeMap<String, ratchet_schema::Trigger>,
) {
    for (name, i) in indexes {
        let _ = writeln!(out, "  index {name}: {}", index_summary(i));
    }
    for (name, t) in triggers {
        let _ = writeln!(out, "  trigger {name}: {}", one_line(&t.definition));
    }
}

/// Each line of `text` (trailing spaces and blank edges removed) after `indent`.
fn write_block(out: &mut String, text: &str, indent: &str) {
    for line in text.trim_matches('\n').lines() {
        let _ = writeln!(out, "{indent}{}", line.trim_end());
    }
}

/// Line breaks and runs of spaces as one space, for values shown on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn table_suffix(t: &Table) -> String {
    let mut parts = Vec::new();
    if let Some(key) = &t.partition_key {
        parts.push(format!("partitioned by {key}"));
    }
    if let Some(p) = &t.partition_of {
        parts.push(format!("partition of {} {}", p.parent, p.bound));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn labels(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| format!("'{}'", l.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_valid(validated: bool) -> &'static str {
    if validated {
        ""
    } else {
        " NOT VALID"
    }
}

/// `character varying(200) NOT NULL DEFAULT 'x'::text COLLATE "C"`: the column as DDL
/// would declare it, without its name.
pub(crate) fn column_summary(c: &Column) -> String {
    let mut text = if c.data_type.is_empty() {
        "(no type)".to_owned()
    } else {
        c.data_type.clone()
    };
    if let Some(collation) = &c.collation {
        let _ = write!(text, " COLLATE {collation}");
    }
    if !c.nullable {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        let _ = write!(text, " DEFAULT {default}");
    }
    if let Some(identity) = c.identity {
        text.push_str(identity_sql(identity));
    }
    if let Some(generated) = &c.generated {
        let _ = write!(text, " GENERATED ALWAYS AS ({generated})");
    }
    text
}

fn identity_sql(identity: Identity) -> &'static str {
    match identity {
        Identity::Always => " GENERATED ALWAYS AS IDENTITY",
        Identity::ByDefault => " GENERATED BY DEFAULT AS IDENTITY",
    }
}

pub(crate) fn constraint_summary(c: &Constraint) -> String {
    let mut text = one_line(&c.definition);
    // PostgreSQL's definition already says it; a synthesised one might not.
    let deferrable = match c.deferrable {
        Deferrable::NotDeferrable => "",
        Deferrable::InitiallyImmediate => " DEFERRABLE",
        Deferrable::InitiallyDeferred => " DEFERRABLE INITIALLY DEFERRED",
    };
    if !deferrable.is_empty() && !text.contains(deferrable.trim()) {
        text.push_str(deferrable);
    }
    text.push_str(not_valid(c.validated));
    text
}

pub(crate) fn index_summary(i: &Index) -> String {
    let mut text = one_line(&i.definition);
    if !i.valid {
        text.push_str(" [INVALID]");
    }
    text
}

fn domain_summary(d: &Domain) -> String {
    let mut text = d.base_type.clone();
    if let Some(collation) = &d.collation {
        let _ = write!(text, " COLLATE {collation}");
    }
    if d.not_null {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = &d.default {
        let _ = write!(text, " DEFAULT {default}");
    }
    text
}

fn sequence_summary(s: &Sequence) -> String {
    let mut text = format!(
        "{} start {} increment {} min {} max {} cache {}",
        s.data_type, s.start, s.increment, s.min_value, s.max_value, s.cache
    );
    if s.cycle {
        text.push_str(" cycle");
    }
    if let Some(owner) = &s.owned_by {
        let _ = write!(text, " owned by {}.{}", owner.table, owner.column);
    }
    text
}

fn routine_kind(f: &Function) -> &'static str {
    match f.kind {
        RoutineKind::Function => "function",
        RoutineKind::Procedure => "procedure",
        RoutineKind::Aggregate => "aggregate",
        RoutineKind::Window => "window function",
    }
}

/// `function(a integer) returns integer language sql immutable body sha256:...`
fn function_summary(f: &Function) -> String {
    format!("{}{}", routine_kind(f), function_details(f))
}

/// `(a integer) returns integer language sql immutable body sha256:...`
fn function_details(f: &Function) -> String {
    format!("{} body sha256:{}", function_signature(f), f.body_sha256)
}

/// `(a integer) returns integer language sql immutable`: everything but the body.
fn function_signature(f: &Function) -> String {
    let volatility = match f.volatility {
        Volatility::Immutable => "immutable",
        Volatility::Stable => "stable",
        Volatility::Volatile => "volatile",
    };
    let mut text = format!("({})", f.arguments);
    if let Some(returns) = &f.return_type {
        let _ = write!(text, " returns {returns}");
    }
    let _ = write!(text, " language {} {volatility}", f.language);
    if f.security_definer {
        text.push_str(" security definer");
    }
    text
}

// ---------------------------------------------------------------------------------------
// Differences

/// The changes grouped by the object they are about (in the order the groups first appear),
/// then a summary line; `no differences` when there are none.
pub fn diff(changes: &[Change], sides: Sides<'_>, color: Color) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("no differences\n");
        return out;
    }
    let mut groups: Vec<(Group, Vec<&Change>)> = Vec::new();
    for change in changes {
        let group = change.group();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, members)) => members.push(change),
            None => groups.push((group, vec![change])),
        }
    }
    let width = sides.left.len().max(sides.right.len()) + 1;
    for (group, members) in &groups {
        let header = format!("{} {}", group.kind.as_str(), group.name);
        let _ = writeln!(out, "{}", paint(color, "1", &header));
        for change in members {
            write_change(&mut out, change, sides, width, color);
        }
    }
    let count = |d: Direction| changes.iter().filter(|c| c.direction() == d).count();
    let _ = writeln!(
        out,
        "{} difference{}: {} only in {}, {} only in {}, {} changed",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        count(Direction::Missing),
        sides.left,
        count(Direction::Extra),
        sides.right,
        count(Direction::Changed),
    );
    out
}

fn paint(color: Color, code: &str, text: &str) -> String {
    match color {
        Color::Always => format!("\x1b[{code}m{text}\x1b[0m"),
        Color::Never => text.to_owned(),
    }
}

fn write_change(out: &mut String, change: &Change, sides: Sides<'_>, width: usize, color: Color) {
    match change {
        Change::Missing { object } | Change::Extra { object } => {
            let (marker, code, side) = match change.direction() {
                Direction::Missing => ("-", "31", sides.left),
                _ => ("+", "32", sides.right),
            };
            let what = object_line(object);
            let line = format!("  {marker} {what}(only in {side})");
            let _ = writeln!(out, "{}", paint(color, code, &line));
        }
        other => {
            let (title, left, right) = changed(other);
            let _ = writeln!(out, "{}", paint(color, "33", &format!("  ~ {title}")));
            for (side, value) in [(sides.left, left), (sides.right, right)] {
                let label = format!("{side}:");
                let mut lines = value.lines();
                let first = lines.next().unwrap_or_default();
                let _ = writeln!(out, "      {label:<width$} {first}");
                for line in lines {
                    let _ = writeln!(out, "      {:<width$} {line}", "");
                }
            }
        }
    }
}

/// What a one-sided object is, ending in a space (`column email text NOT NULL `). When the
/// object is the group itself, the header already names it, so only its kind is repeated.
fn object_line(object: &Object) -> String {
    match object {
        Object::Column { column, .. } => {
            format!("column {} {} ", column.name, column_summary(column))
        }
        Object::Constraint {
            name, constraint, ..
        } => format!("constraint {name}: {} ", constraint_summary(constraint)),
        Object::Index { name, index, .. } => {
            format!("index {name}: {} ", index_summary(index))
        }
        Object::Trigger { name, trigger, .. } => {
            format!("trigger {name}: {} ", one_line(&trigger.definition))
        }
        Object::Function { definition, .. } => format!("{} ", function_summary(definition)),
        Object::Sequence { sequence, .. } => format!("{} ", sequence_summary(sequence)),
        Object::Domain { domain, .. } => format!("{} ", domain_summary(domain)),
        Object::Enum { enum_type, .. } => format!("{} ", labels(&enum_type.labels)),
        Object::Extension { extension, .. } => format!("version {} ", extension.version),
        Object::Table { table, .. } => {
            let n = table.columns.len();
            format!("table, {n} column{} ", if n == 1 { "" } else { "s" })
        }
        // Schemas and views: the group's header already names them.
        other => format!("{} ", other.kind().as_str()),
    }
}

fn yes_no(value: bool, yes: &str, no: &str) -> String {
    if value { yes } else { no }.to_owned()
}

fn or_none(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "(none)".to_owned())
}

/// A change to an object on both sides: its title and the two sides' values as text.
fn changed(change: &Change) -> (String, String, String) {
    match change {
        Change::ColumnType {
            column,
            left,
            right,
            ..
        } => (
            format!("column {column}: type"),
            left.clone(),
            right.clone(),
        ),
        Change::ColumnNullable {
            column,
            left,
            right,
            ..
        } => (
            format!("column {column}: nullability"),
            yes_no(*left, "NULL", "NOT NULL"),
            yes_no(*right, "NULL", "NOT NULL"),
        ),
        Change::ColumnDefault {
            column,
            left,
            right,
            ..
        } => (
            format!("column {column}: default"),
            or_none(left),
            or_none(right),
        ),
        Change::ColumnIdentity {
            column,
            left,
            right,
            ..
        } => {
            let show = |i: &Option<Identity>| match i {
                Some(i) => identity_sql(*i).trim().to_owned(),
                None => "(none)".to_owned(),
            };
            (
                format!("column {column}: identity"),
                show(left),
                show(right),
            )
        }
        Change::ColumnGenerated {
            column,
            left,
            right,
            ..
        } => (
            format!("column {column}: generated expression"),
            or_none(left),
            or_none(right),
        ),
        Change::ColumnCollation {
            column,
            left,
            right,
            ..
        } => (
            format!("column {column}: collation"),
            or_none(left),
            or_none(right),
        ),
        Change::ColumnOrder { left, right, .. } => {
            ("column order".to_owned(), left.join(", "), right.join(", "))
        }
        Change::PartitionKey { left, right, .. } => {
            ("partition key".to_owned(), or_none(left), or_none(right))
        }
        Change::PartitionOf { left, right, .. } => {
            let show = |p: &Option<ratchet_schema::PartitionOf>| match p {
                Some(p) => format!("partition of {} {}", p.parent, p.bound),
                None => "(not a partition)".to_owned(),
            };
            ("partition".to_owned(), show(left), show(right))
        }
        Change::IndexDefinition {
            index, left, right, ..
        } => (
            format!("index {index}: definition"),
            index_summary(left),
            index_summary(right),
        ),
        Change::IndexValidity {
            index, left, right, ..
        } => (
            format!("index {index}: validity"),
            yes_no(*left, "valid", "INVALID"),
            yes_no(*right, "valid", "INVALID"),
        ),
        Change::ConstraintDefinition {
            constraint,
            left,
            right,
            ..
        } => (
            format!("constraint {constraint}: definition"),
            constraint_summary(left),
            constraint_summary(right),
        ),
        Change::ConstraintValidation {
            constraint,
            left,
            right,
            ..
        } => (
            format!("constraint {constraint}: validation"),
            yes_no(*left, "validated", "NOT VALID"),
            yes_no(*right, "validated", "NOT VALID"),
        ),
        Change::TriggerDefinition {
            trigger,
            left,
            right,
            ..
        } => (
            format!("trigger {trigger}: definition"),
            one_line(left),
            one_line(right),
        ),
        Change::ViewDefinition { left, right, .. } => (
            "definition".to_owned(),
            left.trim_matches('\n').to_owned(),
            right.trim_matches('\n').to_owned(),
        ),
        Change::ViewMaterialized { left, right, .. } => (
            "kind".to_owned(),
            yes_no(*left, "materialized view", "view"),
            yes_no(*right, "materialized view", "view"),
        ),
        Change::EnumLabels { left, right, .. } => {
            ("labels".to_owned(), labels(left), labels(right))
        }
        Change::DomainDefinition { left, right, .. } => {
            let show = |d: &Domain| {
                let mut text = domain_summary(d);
                for (name, c) in &d.checks {
                    let _ = write!(
                        text,
                        "\ncheck {name}: {}{}",
                        c.definition,
                        not_valid(c.validated)
                    );
                }
                text
            };
            ("definition".to_owned(), show(left), show(right))
        }
        Change::SequenceDefinition { left, right, .. } => (
            "definition".to_owned(),
            sequence_summary(left),
            sequence_summary(right),
        ),
        Change::FunctionBody { left, right, .. } => (
            "body".to_owned(),
            format!("sha256:{left}"),
            format!("sha256:{right}"),
        ),
        // The body has its own change.
        Change::FunctionDefinition { left, right, .. } => {
            let show = |f: &Function| format!("{}{}", routine_kind(f), function_signature(f));
            ("definition".to_owned(), show(left), show(right))
        }
        Change::ExtensionDefinition { left, right, .. } => (
            "version".to_owned(),
            format!("{} (schema {})", left.version, left.schema),
            format!("{} (schema {})", right.version, right.schema),
        ),
        // Missing/Extra are handled by the caller; a variant added later renders as its
        // JSON until it gets its own text.
        other => (
            other.kind().as_str().to_owned(),
            serde_json::to_string(other).unwrap_or_default(),
            String::new(),
        ),
    }
}
