//! Declared expectations: `schema.toml`, what the schema must (and must not) contain.
//!
//! Real teams find out too late that the database is not what the code assumes: an ORM model
//! declares `user_id` as UUID while the column is INTEGER, a table the code still queries was
//! dropped by another migration stream. `schema.toml` states those assumptions once; ratchet
//! checks them after every migration (inside its transaction, so a violating migration rolls
//! back), in `verify`, and in `diff`.
//!
//! ```toml
//! [tables.users]
//! since = "0003"                      # must hold once 0003 is applied (optional)
//! strict = true                       # no columns besides the listed ones
//! indexes = ["users_email_key", { columns = ["lower(email)"], unique = true }]
//! foreign_keys = [{ columns = ["org_id"], references = "orgs(id)" }]
//!
//! [tables.users.required]             # columns that must exist
//! id = "bigint"                       # with this type
//! email = { type = "text", nullable = false }
//! user_id = { type = "integer", since = "0030" }
//! created_at = true                   # any type
//!
//! [tables.users.optional]             # may exist; when they do, they must match
//! nickname = "text"
//!
//! [absent]                            # objects that must not exist
//! tables = ["legacy_sessions"]
//! columns = ["users.password_plain"]
//!
//! [[assert]]                          # SQL that must return no rows
//! name = "user-ids-are-integer"
//! sql = "SELECT table_name FROM information_schema.columns WHERE column_name = 'user_id' AND data_type <> 'integer'"
//! message = "every user_id column is integer"
//! since = "0030"
//! ```
//!
//! # When an expectation is due
//! One with `since = V` must hold once migration `V` is applied. One without `since` must
//! hold once every migration of the folder is applied: `verify` and `diff` check it, and
//! `migrate` checks it after the newest migration.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use ratchet_core::{Version, WrittenVersion};
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use crate::model::Schema;
use crate::types::same_type;

/// `schema.toml`, parsed and checked for form (not yet against any database).
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    pub tables: Vec<TableExpectation>,
    pub absent: Vec<Absent>,
    pub assertions: Vec<Assertion>,
}

/// Where an expectation was written: a 1-based line of `schema.toml`, so a violation can
/// point at the sentence that stated it.
pub type Line = usize;

#[derive(Debug, Clone)]
pub struct TableExpectation {
    pub table: String,
    pub since: Option<Version>,
    /// No columns besides the required and optional ones.
    pub strict: bool,
    pub required: Vec<ColumnExpectation>,
    pub optional: Vec<ColumnExpectation>,
    pub indexes: Vec<IndexExpectation>,
    pub foreign_keys: Vec<ForeignKeyExpectation>,
    pub line: Line,
}

#[derive(Debug, Clone)]
pub struct ColumnExpectation {
    pub column: String,
    /// `None`: any type.
    pub data_type: Option<String>,
    /// `None`: either.
    pub nullable: Option<bool>,
    pub since: Option<Version>,
    pub line: Line,
}

#[derive(Debug, Clone)]
pub enum IndexMatch {
    /// An index (or a unique/primary-key constraint) with this name.
    Named(String),
    /// An index whose key is exactly these columns or expressions, in order.
    Columns { columns: Vec<String>, unique: bool },
}

#[derive(Debug, Clone)]
pub struct IndexExpectation {
    pub matches: IndexMatch,
    pub since: Option<Version>,
    pub line: Line,
}

#[derive(Debug, Clone)]
pub struct ForeignKeyExpectation {
    pub columns: Vec<String>,
    pub references: String,
    /// Empty: whatever columns the key references.
    pub referenced_columns: Vec<String>,
    pub since: Option<Version>,
    pub line: Line,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsentKind {
    Table,
    Column,
    Index,
    View,
    Type,
    Function,
    Sequence,
    Schema,
    Extension,
}

impl AbsentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AbsentKind::Table => "table",
            AbsentKind::Column => "column",
            AbsentKind::Index => "index",
            AbsentKind::View => "view",
            AbsentKind::Type => "type",
            AbsentKind::Function => "function",
            AbsentKind::Sequence => "sequence",
            AbsentKind::Schema => "schema",
            AbsentKind::Extension => "extension",
        }
    }
}

/// An object that must not exist.
#[derive(Debug, Clone)]
pub struct Absent {
    pub kind: AbsentKind,
    /// `table`, `schema.table`, `table.column`, a function name (any overload).
    pub name: String,
    pub since: Option<Version>,
    pub line: Line,
}

/// A query that must return no rows; each row it returns is an offending object.
#[derive(Debug, Clone)]
pub struct Assertion {
    pub name: String,
    pub sql: String,
    pub message: String,
    pub since: Option<Version>,
    pub line: Line,
}

/// An expectation that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Names the expectation: `tables.users.required.user_id`, `absent.tables.legacy`,
    /// `assert.user-ids-are-integer`.
    pub expectation: String,
    /// Its line in `schema.toml`.
    pub line: Line,
    /// What is wrong, in a sentence.
    pub message: String,
    /// Set when the violation is that this required table does not exist: a report can then
    /// say which migration, if any, created and dropped it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_table: Option<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}): {}",
            self.expectation, self.line, self.message
        )
    }
}

/// A `schema.toml` that cannot be used, with the line and the key at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectationsError {
    pub line: Option<Line>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ExpectationsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{line}:{column}: {}", self.message),
            (Some(line), None) => write!(f, "{line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ExpectationsError {}

/// Which expectations apply now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Everything: the folder is fully applied (`verify`, `diff`, `migrate`'s last step).
    All,
    /// After applying this version, with more to come: only those with `since <= version`.
    UpTo(Version),
}

impl Due {
    fn includes(self, since: Option<Version>) -> bool {
        match (self, since) {
            (Due::All, _) => true,
            (Due::UpTo(applied), Some(since)) => since <= applied,
            (Due::UpTo(_), None) => false,
        }
    }
}

impl Expectations {
    /// Parses `schema.toml`. Errors name the line, the column and the key.
    pub fn parse(text: &str) -> Result<Expectations, ExpectationsError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_col(text, span.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            ExpectationsError {
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        raw.into_expectations(text)
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.absent.is_empty() && self.assertions.is_empty()
    }

    /// The structural expectations due at `due` that `schema` breaks. Assertions need a
    /// database: see [`Expectations::due_assertions`].
    pub fn check(&self, schema: &Schema, due: Due) -> Vec<Violation> {
        let mut out = Vec::new();
        for table in self.tables.iter().filter(|t| t.any_due(due)) {
            check_table(schema, table, due, &mut out);
        }
        for absent in self.absent.iter().filter(|a| due.includes(a.since)) {
            if let Some(found) = find_absent(schema, absent) {
                out.push(Violation {
                    expectation: format!("absent.{}s.{}", absent.kind.as_str(), absent.name),
                    line: absent.line,
                    message: format!(
                        "{} {found} must not exist, and it does",
                        absent.kind.as_str()
                    ),
                    missing_table: None,
                });
            }
        }
        out
    }

    /// Whether some table or absence expectation is due: only then is introspection needed.
    pub fn has_structural(&self, due: Due) -> bool {
        self.tables.iter().any(|t| t.any_due(due))
            || self.absent.iter().any(|a| due.includes(a.since))
    }

    /// The assertions due at `due`, for a driver to run.
    pub fn due_assertions(&self, due: Due) -> impl Iterator<Item = &Assertion> {
        self.assertions
            .iter()
            .filter(move |a| due.includes(a.since))
    }
}

impl Assertion {
    /// The violation for the rows the query returned (each row's columns joined by `, `),
    /// or `None` when it returned none.
    pub fn violation(&self, rows: &[Vec<String>]) -> Option<Violation> {
        if rows.is_empty() {
            return None;
        }
        const SHOWN: usize = 5;
        let mut listed: Vec<String> = rows.iter().take(SHOWN).map(|r| r.join(", ")).collect();
        if rows.len() > SHOWN {
            listed.push(format!("and {} more", rows.len() - SHOWN));
        }
        Some(Violation {
            expectation: format!("assert.{}", self.name),
            line: self.line,
            message: format!(
                "{}: the check returned {} row(s): {}",
                self.message,
                rows.len(),
                listed.join("; ")
            ),
            missing_table: None,
        })
    }
}

impl TableExpectation {
    /// When a part without a `since` of its own is due: with the table.
    fn effective(&self, since: Option<Version>) -> Option<Version> {
        since.or(self.since)
    }

    /// Whether anything about this table is due, which makes the table itself required.
    fn any_due(&self, due: Due) -> bool {
        let parts = self
            .required
            .iter()
            .chain(&self.optional)
            .map(|c| c.since)
            .chain(self.indexes.iter().map(|i| i.since))
            .chain(self.foreign_keys.iter().map(|f| f.since));
        due.includes(self.since) || parts.map(|s| self.effective(s)).any(|s| due.includes(s))
    }
}

impl Assertion {
    /// The violation for an assertion whose query failed: it proves nothing, so it does not
    /// pass.
    pub fn could_not_run(&self, error: &str) -> Violation {
        Violation {
            expectation: format!("assert.{}", self.name),
            line: self.line,
            message: format!("its query could not run: {error}"),
            missing_table: None,
        }
    }
}

fn check_table(schema: &Schema, expected: &TableExpectation, due: Due, out: &mut Vec<Violation>) {
    let path = format!("tables.{}", expected.table);
    let Some(table) = schema.table(&expected.table) else {
        out.push(Violation {
            expectation: path,
            line: expected.line,
            message: format!("table {} does not exist", expected.table),
            missing_table: Some(expected.table.clone()),
        });
        return;
    };
    for (list, required) in [(&expected.required, true), (&expected.optional, false)] {
        let section = if required { "required" } else { "optional" };
        for column in list
            .iter()
            .filter(|c| due.includes(expected.effective(c.since)))
        {
            let at = format!("{path}.{section}.{}", column.column);
            let Some(actual) = table.column(&column.column) else {
                if required {
                    out.push(Violation {
                        expectation: at,
                        line: column.line,
                        message: format!(
                            "column {}.{} does not exist",
                            expected.table, column.column
                        ),
                        missing_table: None,
                    });
                }
                continue;
            };
            if let Some(declared) = &column.data_type {
                if !same_type(schema.dialect, declared, &actual.data_type) {
                    out.push(Violation {
                        expectation: at.clone(),
                        line: column.line,
                        message: format!(
                            "column {}.{} is {}, expected {declared}",
                            expected.table, column.column, actual.data_type
                        ),
                        missing_table: None,
                    });
                }
            }
            if let Some(nullable) = column.nullable {
                if nullable != actual.nullable {
                    let (want, is) = if nullable {
                        ("nullable", "NOT NULL")
                    } else {
                        ("NOT NULL", "nullable")
                    };
                    out.push(Violation {
                        expectation: at,
                        line: column.line,
                        message: format!(
                            "column {}.{} is {is}, expected {want}",
                            expected.table, column.column
                        ),
                        missing_table: None,
                    });
                }
            }
        }
    }
    if expected.strict && due.includes(expected.since) {
        for column in &table.columns {
            let listed = expected
                .required
                .iter()
                .chain(&expected.optional)
                .any(|c| c.column == column.name);
            if !listed {
                out.push(Violation {
                    expectation: format!("{path}.strict"),
                    line: expected.line,
                    message: format!(
                        "column {}.{} is not declared (the table is strict)",
                        expected.table, column.name
                    ),
                    missing_table: None,
                });
            }
        }
    }
    for index in expected
        .indexes
        .iter()
        .filter(|i| due.includes(expected.effective(i.since)))
    {
        let found = match &index.matches {
            IndexMatch::Named(name) => {
                table.index(name).is_some()
                    || table.constraint(name).is_some_and(|c| {
                        matches!(
                            c.kind,
                            crate::model::ConstraintKind::PrimaryKey { .. }
                                | crate::model::ConstraintKind::Unique { .. }
                                | crate::model::ConstraintKind::Exclusion
                        )
                    })
            }
            IndexMatch::Columns { columns, unique } => {
                table
                    .indexes
                    .values()
                    .any(|i| i.valid && &i.columns == columns && (!*unique || i.unique))
                    || table.constraints.values().any(|c| match &c.kind {
                        crate::model::ConstraintKind::PrimaryKey { columns: key }
                        | crate::model::ConstraintKind::Unique { columns: key } => key == columns,
                        _ => false,
                    })
            }
        };
        if !found {
            let what = match &index.matches {
                IndexMatch::Named(name) => format!("index {name}"),
                IndexMatch::Columns { columns, unique } => format!(
                    "a valid {}index on {} ({})",
                    if *unique { "unique " } else { "" },
                    expected.table,
                    columns.join(", ")
                ),
            };
            out.push(Violation {
                expectation: format!("{path}.indexes"),
                line: index.line,
                message: format!("{what} does not exist"),
                missing_table: None,
            });
        }
    }
    for fk in expected
        .foreign_keys
        .iter()
        .filter(|f| due.includes(expected.effective(f.since)))
    {
        let wanted = schema.qualify(&fk.references);
        let columns: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
        let found = table.foreign_keys().any(|(_, actual)| {
            actual
                .columns
                .iter()
                .map(String::as_str)
                .eq(columns.iter().copied())
                && Some(&actual.referenced_table) == wanted.as_ref()
                && (fk.referenced_columns.is_empty()
                    || actual.referenced_columns == fk.referenced_columns)
        });
        if !found {
            let referenced = if fk.referenced_columns.is_empty() {
                fk.references.clone()
            } else {
                format!("{}({})", fk.references, fk.referenced_columns.join(", "))
            };
            out.push(Violation {
                expectation: format!("{path}.foreign_keys"),
                line: fk.line,
                message: format!(
                    "no foreign key from {} ({}) to {referenced}",
                    expected.table,
                    fk.columns.join(", ")
                ),
                missing_table: None,
            });
        }
    }
}

/// The name of the object `absent` forbids, when it exists.
fn find_absent(schema: &Schema, absent: &Absent) -> Option<String> {
    let name = absent.name.as_str();
    let exists = match absent.kind {
        AbsentKind::Table => schema.table(name).is_some(),
        AbsentKind::View => schema.view(name).is_some(),
        AbsentKind::Sequence => schema.sequence(name).is_some(),
        AbsentKind::Type => schema.enum_type(name).is_some() || schema.domain(name).is_some(),
        AbsentKind::Function => !schema.functions_named(name).is_empty(),
        AbsentKind::Extension => schema.extension(name).is_some(),
        AbsentKind::Schema => schema.schemas.contains(name),
        AbsentKind::Column => {
            let (table, column) = name.rsplit_once('.')?;
            schema
                .columns_of(table)
                .is_some_and(|cs| cs.iter().any(|c| c.name == column))
        }
        AbsentKind::Index => {
            let (schema_name, index) = match name.rsplit_once('.') {
                Some((s, i)) => (s, i),
                None => (schema.default_schema(), name),
            };
            schema
                .tables
                .iter()
                .filter(|(table, _)| table.schema == schema_name)
                .any(|(_, t)| t.indexes.contains_key(index) || t.constraints.contains_key(index))
        }
    };
    exists.then(|| name.to_owned())
}

// ---------------------------------------------------------------------------------------
// The file's form. Every struct denies unknown keys, so a typo (`requried`) is an error that
// names the key and its line rather than an expectation that silently checks nothing.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    // Not `Spanned`: toml cannot give the span of a table that is only implied by a
    // `[tables.users.required]` header. The table's line is found from the text instead.
    #[serde(default)]
    tables: BTreeMap<String, RawTable>,
    #[serde(default)]
    absent: Option<RawAbsent>,
    #[serde(default, rename = "assert")]
    assertions: Vec<Spanned<RawAssertion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    since: Option<RawVersion>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    required: BTreeMap<String, Spanned<RawColumn>>,
    #[serde(default)]
    optional: BTreeMap<String, Spanned<RawColumn>>,
    #[serde(default)]
    indexes: Vec<Spanned<RawIndex>>,
    #[serde(default)]
    foreign_keys: Vec<Spanned<RawForeignKey>>,
}

/// `true` (any type), `"integer"`, or `{ type, nullable, since }`.
enum RawColumn {
    Any,
    Type(String),
    Full(RawColumnFull),
}

impl<'de> Deserialize<'de> for RawColumn {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<RawColumn, D::Error> {
        de.deserialize_any(ShortOrFull::new(
            "`true`, a type such as \"integer\", or { type = ..., nullable = ..., since = ... }",
            |any| if any { Some(RawColumn::Any) } else { None },
            RawColumn::Type,
            RawColumn::Full,
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumnFull {
    #[serde(default, rename = "type")]
    data_type: Option<String>,
    #[serde(default)]
    nullable: Option<bool>,
    #[serde(default)]
    since: Option<RawVersion>,
}

/// `"name"` or `{ name | columns, unique, since }`.
enum RawIndex {
    Named(String),
    Full(RawIndexFull),
}

impl<'de> Deserialize<'de> for RawIndex {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<RawIndex, D::Error> {
        de.deserialize_any(ShortOrFull::new(
            "an index name, or { name = ... } / { columns = [...], unique = ... }",
            |_| None,
            RawIndex::Named,
            RawIndex::Full,
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndexFull {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    since: Option<RawVersion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForeignKey {
    columns: Vec<String>,
    /// `orgs` or `orgs(id)`.
    references: String,
    #[serde(default)]
    since: Option<RawVersion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAbsent {
    #[serde(default)]
    tables: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    columns: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    indexes: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    views: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    types: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    functions: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    sequences: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    schemas: Vec<Spanned<RawAbsentName>>,
    #[serde(default)]
    extensions: Vec<Spanned<RawAbsentName>>,
}

/// `"legacy"` or `{ name = "legacy", since = "0040" }`.
enum RawAbsentName {
    Name(String),
    Full(RawAbsentFull),
}

impl<'de> Deserialize<'de> for RawAbsentName {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<RawAbsentName, D::Error> {
        de.deserialize_any(ShortOrFull::new(
            "a name, or { name = ..., since = ... }",
            |_| None,
            RawAbsentName::Name,
            RawAbsentName::Full,
        ))
    }
}

/// Deserialises the short form of a value (a boolean or a string) or its full form (a
/// table), keeping the full form's own error messages: serde's `untagged` would replace an
/// unknown key's message and position with "did not match any variant".
struct ShortOrFull<T, F, B, S, M> {
    expected: &'static str,
    from_bool: B,
    from_str: S,
    from_map: M,
    _out: std::marker::PhantomData<(T, F)>,
}

impl<T, F, B, S, M> ShortOrFull<T, F, B, S, M> {
    fn new(expected: &'static str, from_bool: B, from_str: S, from_map: M) -> Self {
        ShortOrFull {
            expected,
            from_bool,
            from_str,
            from_map,
            _out: std::marker::PhantomData,
        }
    }
}

impl<'de, T, F, B, S, M> serde::de::Visitor<'de> for ShortOrFull<T, F, B, S, M>
where
    F: Deserialize<'de>,
    B: FnOnce(bool) -> Option<T>,
    S: FnOnce(String) -> T,
    M: FnOnce(F) -> T,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<T, E> {
        let expected = self.expected;
        (self.from_bool)(v)
            .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Bool(v), &expected))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.from_str)(v.to_owned()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let full = F::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok((self.from_map)(full))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAbsentFull {
    name: String,
    #[serde(default)]
    since: Option<RawVersion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssertion {
    name: String,
    sql: String,
    message: String,
    #[serde(default)]
    since: Option<RawVersion>,
}

/// `"0030"` or `30`.
struct RawVersion(Version);

impl<'de> Deserialize<'de> for RawVersion {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<RawVersion, D::Error> {
        let shown = match WrittenVersion::deserialize(de) {
            Ok(written) => written.version(),
            Err(_) => Err("this value".into()),
        };
        shown.map(RawVersion).map_err(|shown| {
            serde::de::Error::custom(format!(
                "since = {shown} is not a migration version; write its digits, e.g. \"0030\""
            ))
        })
    }
}

fn since(raw: Option<RawVersion>) -> Option<Version> {
    raw.map(|RawVersion(v)| v)
}

impl RawFile {
    fn into_expectations(self, text: &str) -> Result<Expectations, ExpectationsError> {
        let line = |span: Range<usize>| line_col(text, span.start).0;
        let invalid = |span: Range<usize>, message: String| {
            let (line, column) = line_col(text, span.start);
            ExpectationsError {
                line: Some(line),
                column: Some(column),
                message,
            }
        };
        let mut out = Expectations::default();
        for (name, raw) in self.tables {
            let table_line = table_line(text, &name);
            let columns = |map: BTreeMap<String, Spanned<RawColumn>>| -> Vec<ColumnExpectation> {
                map.into_iter()
                    .map(|(column, spec)| {
                        let line = line(spec.span());
                        let (data_type, nullable, since_) = match spec.into_inner() {
                            RawColumn::Any => (None, None, None),
                            RawColumn::Type(t) => (Some(t), None, None),
                            RawColumn::Full(f) => (f.data_type, f.nullable, since(f.since)),
                        };
                        ColumnExpectation {
                            column,
                            data_type,
                            nullable,
                            since: since_,
                            line,
                        }
                    })
                    .collect()
            };
            let mut indexes = Vec::new();
            for index in raw.indexes {
                let span = index.span();
                let (matches, since_) = match index.into_inner() {
                    RawIndex::Named(name) => (IndexMatch::Named(name), None),
                    RawIndex::Full(f) => match (f.name, f.columns.is_empty()) {
                        (Some(name), true) => (IndexMatch::Named(name), since(f.since)),
                        (None, false) => (
                            IndexMatch::Columns {
                                columns: f.columns,
                                unique: f.unique,
                            },
                            since(f.since),
                        ),
                        _ => {
                            return Err(invalid(
                                span,
                                format!(
                                    "tables.{name}.indexes: give an index either a `name` or \
                                     `columns`, not both or neither"
                                ),
                            ))
                        }
                    },
                };
                indexes.push(IndexExpectation {
                    matches,
                    since: since_,
                    line: line(span),
                });
            }
            let mut foreign_keys = Vec::new();
            for fk in raw.foreign_keys {
                let span = fk.span();
                let f = fk.into_inner();
                let (references, referenced_columns) = match f.references.split_once('(') {
                    None => (f.references.trim().to_owned(), Vec::new()),
                    Some((table, rest)) => match rest.strip_suffix(')') {
                        Some(columns) => (
                            table.trim().to_owned(),
                            columns.split(',').map(|c| c.trim().to_owned()).collect(),
                        ),
                        None => {
                            return Err(invalid(
                                span,
                                format!(
                                    "tables.{name}.foreign_keys: references = {:?} is neither \
                                     `table` nor `table(column, ...)`",
                                    f.references
                                ),
                            ))
                        }
                    },
                };
                if f.columns.is_empty() {
                    return Err(invalid(
                        span,
                        format!("tables.{name}.foreign_keys: `columns` is empty"),
                    ));
                }
                foreign_keys.push(ForeignKeyExpectation {
                    columns: f.columns,
                    references,
                    referenced_columns,
                    since: since(f.since),
                    line: line(span),
                });
            }
            out.tables.push(TableExpectation {
                table: name,
                since: since(raw.since),
                strict: raw.strict,
                required: columns(raw.required),
                optional: columns(raw.optional),
                indexes,
                foreign_keys,
                line: table_line,
            });
        }
        if let Some(absent) = self.absent {
            let lists = [
                (AbsentKind::Table, absent.tables),
                (AbsentKind::Column, absent.columns),
                (AbsentKind::Index, absent.indexes),
                (AbsentKind::View, absent.views),
                (AbsentKind::Type, absent.types),
                (AbsentKind::Function, absent.functions),
                (AbsentKind::Sequence, absent.sequences),
                (AbsentKind::Schema, absent.schemas),
                (AbsentKind::Extension, absent.extensions),
            ];
            for (kind, names) in lists {
                for entry in names {
                    let span = entry.span();
                    let (name, since_) = match entry.into_inner() {
                        RawAbsentName::Name(n) => (n, None),
                        RawAbsentName::Full(f) => (f.name, since(f.since)),
                    };
                    if kind == AbsentKind::Column && !name.contains('.') {
                        return Err(invalid(
                            span,
                            format!(
                                "absent.columns: {name:?} names no table; write `table.column`"
                            ),
                        ));
                    }
                    out.absent.push(Absent {
                        kind,
                        name,
                        since: since_,
                        line: line(span),
                    });
                }
            }
        }
        for assertion in self.assertions {
            let span = assertion.span();
            let a = assertion.into_inner();
            if a.sql.trim().is_empty() {
                return Err(invalid(
                    span,
                    format!("assert {:?}: `sql` is empty", a.name),
                ));
            }
            if out.assertions.iter().any(|b: &Assertion| b.name == a.name) {
                return Err(invalid(
                    span,
                    format!("assert {:?}: two assertions have this name", a.name),
                ));
            }
            out.assertions.push(Assertion {
                name: a.name,
                sql: a.sql,
                message: a.message,
                since: since(a.since),
                line: line(span),
            });
        }
        Ok(out)
    }
}

/// The line that introduces table `name`: its `[tables.NAME...]` header, or a `tables.NAME`
/// dotted key, whichever comes first; the first line when neither is found (a quoted name
/// written differently).
fn table_line(text: &str, name: &str) -> Line {
    let quoted = format!("tables.\"{name}\"");
    let plain = format!("tables.{name}");
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches('[').trim_start();
            [&plain, &quoted].iter().any(|key| {
                l.strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.starts_with(['.', ']', ' ', '=']) || rest.is_empty())
            })
        })
        .map_or(1, |i| i + 1)
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Dialect, Table};
    use crate::QualifiedName;

    fn users(columns: &[(&str, &str, bool)]) -> Schema {
        let mut schema = Schema::new(Dialect::Postgres);
        let mut table = Table::default();
        for (name, data_type, nullable) in columns {
            let mut column = Column::new(*name, *data_type);
            column.nullable = *nullable;
            table.columns.push(column);
        }
        schema
            .tables
            .insert(QualifiedName::new("public", "users"), table);
        schema
    }

    const FILE: &str = r#"
[tables.users]
strict = true

[tables.users.required]
id = "bigint"
user_id = { type = "int", since = "0030" }
email = { type = "text", nullable = false }

[tables.users.optional]
nickname = "text"

[absent]
tables = ["legacy_sessions", { name = "old_audit", since = 40 }]
columns = ["users.password_plain"]

[[assert]]
name = "no-orphans"
sql = "SELECT 1 WHERE false"
message = "no orphan rows"
"#;

    #[test]
    fn a_schema_that_matches_has_no_violations() {
        let expectations = Expectations::parse(FILE).expect("parses");
        let schema = users(&[
            ("id", "bigint", false),
            ("user_id", "integer", true),
            ("email", "text", false),
        ]);
        assert_eq!(expectations.check(&schema, Due::All), Vec::new());
    }

    #[test]
    fn a_type_mismatch_names_the_expectation_its_line_and_both_types() {
        let expectations = Expectations::parse(FILE).expect("parses");
        let schema = users(&[
            ("id", "bigint", false),
            ("user_id", "uuid", true),
            ("email", "text", false),
        ]);
        let violations = expectations.check(&schema, Due::All);
        assert_eq!(
            violations,
            vec![Violation {
                expectation: "tables.users.required.user_id".into(),
                line: 7,
                message: "column users.user_id is uuid, expected int".into(),
                missing_table: None,
            }]
        );
        // `since = "0030"`: not due after 0029, due after 0030.
        assert!(expectations
            .check(&schema, Due::UpTo(Version(29)))
            .is_empty());
        assert_eq!(expectations.check(&schema, Due::UpTo(Version(30))).len(), 1);
    }

    #[test]
    fn missing_nullable_strict_and_absent() {
        let expectations = Expectations::parse(FILE).expect("parses");
        let mut schema = users(&[
            ("id", "bigint", false),
            ("email", "text", true),
            ("password_plain", "text", true),
        ]);
        schema.tables.insert(
            QualifiedName::new("public", "legacy_sessions"),
            Table::default(),
        );
        let found: Vec<String> = expectations
            .check(&schema, Due::All)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            vec![
                "tables.users.required.email (line 8): column users.email is nullable, expected NOT NULL",
                "tables.users.required.user_id (line 7): column users.user_id does not exist",
                "tables.users.strict (line 2): column users.password_plain is not declared (the table is strict)",
                "absent.tables.legacy_sessions (line 14): table legacy_sessions must not exist, and it does",
                "absent.columns.users.password_plain (line 15): column users.password_plain must not exist, and it does",
            ]
        );
    }

    #[test]
    fn a_missing_table_is_one_violation() {
        let expectations = Expectations::parse(FILE).expect("parses");
        let violations = expectations.check(&Schema::new(Dialect::Postgres), Due::All);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].message, "table users does not exist");
    }

    #[test]
    fn nothing_without_since_is_due_before_the_last_migration() {
        let expectations = Expectations::parse(FILE).expect("parses");
        assert!(!expectations.has_structural(Due::UpTo(Version(1))));
        assert!(expectations.has_structural(Due::All));
        assert_eq!(
            expectations.due_assertions(Due::UpTo(Version(99))).count(),
            0
        );
        assert_eq!(expectations.due_assertions(Due::All).count(), 1);
    }

    #[test]
    fn assertion_rows_become_one_violation_listing_a_few() {
        let expectations = Expectations::parse(FILE).expect("parses");
        let assertion = &expectations.assertions[0];
        assert_eq!(assertion.violation(&[]), None);
        let rows: Vec<Vec<String>> = (1..=7).map(|i| vec![format!("t{i}"), "x".into()]).collect();
        let violation = assertion.violation(&rows).expect("violation");
        assert_eq!(violation.expectation, "assert.no-orphans");
        assert_eq!(violation.line, 17);
        assert_eq!(
            violation.message,
            "no orphan rows: the check returned 7 row(s): t1, x; t2, x; t3, x; t4, x; t5, x; and 2 more"
        );
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let error = |text: &str| {
            Expectations::parse(text)
                .expect_err("malformed")
                .to_string()
        };
        assert_eq!(
            error("[tables.users]\nrequried = { id = \"bigint\" }\n"),
            "2:1: unknown field `requried`, expected one of `since`, `strict`, `required`, `optional`, `indexes`, `foreign_keys`"
        );
        assert_eq!(
            error("[tables.users.required]\nid = { type = \"bigint\", nulable = true }\n"),
            "2:25: unknown field `nulable`, expected one of `type`, `nullable`, `since`"
        );
        assert_eq!(
            error("[tables.users.required]\nid = 3\n"),
            "2:6: invalid type: integer `3`, expected `true`, a type such as \"integer\", or { type = ..., nullable = ..., since = ... }"
        );
        assert_eq!(
            error("[tables.users]\nsince = \"v30\"\n"),
            "2:9: since = \"v30\" is not a migration version; write its digits, e.g. \"0030\""
        );
        assert_eq!(
            error("[absent]\ncolumns = [\"password\"]\n"),
            "2:12: absent.columns: \"password\" names no table; write `table.column`"
        );
        assert_eq!(
            error("[[assert]]\nname = \"a\"\nsql = \"select 1\"\n"),
            "1:1: missing field `message`"
        );
        assert!(error("[tables.users\n").starts_with("1:"));
    }
}
