//! What each migration creates and uses, for the cross-file `undeclared-dependency` rule.
//!
//! The per-file pass records, statement by statement, the tables, views, types and functions
//! a file creates and the ones it uses ([`FileObjects`]). Once every file is done,
//! [`undeclared`] walks the set in version order and reports uses of objects whose only
//! creators do not run before the user: a higher version, or a retired file.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use pg_query::protobuf::{ColumnDef, Constraint, ObjectType, RangeVar, TypeName};
use pg_query::{NodeEnum, NodeRef};
use ratchet_core::Version;
use ratchet_sql::Directives;

use crate::LintInput;

/// The id of the cross-file rule (its per-statement half lives in `rules::authoring`).
pub(crate) const UNDECLARED_DEPENDENCY: &str = "undeclared-dependency";

/// Which PostgreSQL namespace a name lives in: tables and views share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Namespace {
    Relation,
    Type,
    Function,
}

/// An object's name as written, with `public` treated as no schema at all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Name {
    namespace: Namespace,
    schema: Option<String>,
    name: String,
}

impl Name {
    fn new(namespace: Namespace, schema: &str, name: &str) -> Option<Name> {
        if name.is_empty() || schema == "pg_catalog" {
            return None;
        }
        Some(Name {
            namespace,
            schema: (!schema.is_empty() && schema != "public").then(|| schema.to_owned()),
            name: name.to_owned(),
        })
    }

    fn relation(r: &RangeVar) -> Option<Name> {
        Name::new(Namespace::Relation, &r.schemaname, &r.relname)
    }

    /// From a dotted list of `String` nodes (`[catalog.][schema.]name`).
    fn dotted(namespace: Namespace, parts: &[pg_query::protobuf::Node]) -> Option<Name> {
        let parts: Vec<&str> = parts
            .iter()
            .filter_map(|n| match &n.node {
                Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .collect();
        match parts.as_slice() {
            [name] => Name::new(namespace, "", name),
            [.., schema, name] => Name::new(namespace, schema, name),
            [] => None,
        }
    }

    /// Whether a use of `self` can mean the object created as `created`: the same name, and
    /// the same schema unless one of them leaves it to the search path.
    fn matches(&self, created: &Name) -> bool {
        self.namespace == created.namespace
            && self.name == created.name
            && match (&self.schema, &created.schema) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{}.{}", quote_ident(schema), quote_ident(&self.name)),
            None => write!(f, "{}", quote_ident(&self.name)),
        }
    }
}

/// An identifier as it must be written in SQL: bare when PostgreSQL would fold it to itself,
/// double-quoted otherwise.
pub(crate) fn quote_ident(name: &str) -> String {
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

#[derive(Debug)]
struct Created {
    name: Name,
    /// "table", "view", "type", ...
    what: &'static str,
}

#[derive(Debug)]
struct Use {
    name: Name,
    /// Byte range in the file.
    span: (usize, usize),
    /// First line of the statement, for `ratchet:allow` on or above it.
    first_line: usize,
}

/// What one file creates and uses, in statement order.
#[derive(Debug, Default)]
pub(crate) struct FileObjects {
    created: Vec<Created>,
    uses: Vec<Use>,
    /// The file's `ratchet:allow` / `ratchet:allow-file` for this rule, taken out of the
    /// per-file suppression pass because the findings they suppress only exist after the
    /// second pass.
    pub(crate) suppressions: Directives,
}

/// The names of the common table expressions (`WITH name AS (...)`) anywhere in `parsed`: a
/// relation of the same unqualified name is one of them, not a table. The tree is only walked
/// when `text` has the keyword `WITH` in it, which a CTE cannot be written without.
fn cte_names(parsed: &pg_query::protobuf::ParseResult, text: &str) -> Vec<String> {
    let may_have_ctes = text
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"with"));
    if !may_have_ctes {
        return Vec::new();
    }
    let mut names: Vec<String> = parsed
        .nodes()
        .into_iter()
        .filter_map(|(node, ..)| match node {
            NodeRef::CommonTableExpr(cte) => Some(cte.ctename.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Where in one statement the collector is.
struct At<'a> {
    text: &'a str,
    offset: usize,
    first_line: usize,
    ctes: &'a [String],
}

impl FileObjects {
    /// Records what `node` (one parsed statement, `text` at `offset` in the file) creates and
    /// uses.
    pub(crate) fn statement(
        &mut self,
        node: &NodeEnum,
        parsed: &pg_query::protobuf::ParseResult,
        text: &str,
        offset: usize,
        first_line: usize,
    ) {
        let ctes = cte_names(parsed, text);
        let at = At {
            text,
            offset,
            first_line,
            ctes: &ctes,
        };
        self.creates(node);
        self.expression(&at, node);
        match node {
            NodeEnum::CreateStmt(s) => {
                for element in &s.table_elts {
                    match &element.node {
                        Some(NodeEnum::ColumnDef(c)) => self.column(&at, c),
                        Some(NodeEnum::Constraint(c)) => self.constraint(&at, c),
                        Some(NodeEnum::TableLikeClause(like)) => {
                            if let Some(r) = &like.relation {
                                self.relation(&at, r);
                            }
                        }
                        _ => {}
                    }
                }
                for parent in &s.inh_relations {
                    if let Some(NodeEnum::RangeVar(r)) = &parent.node {
                        self.relation(&at, r);
                    }
                }
                if let Some(t) = &s.of_typename {
                    self.type_name(&at, t);
                }
            }
            NodeEnum::AlterTableStmt(s) => {
                for cmd in &s.cmds {
                    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                        continue;
                    };
                    match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                        Some(NodeEnum::ColumnDef(c)) => self.column(&at, c),
                        Some(NodeEnum::Constraint(c)) => self.constraint(&at, c),
                        Some(NodeEnum::PartitionCmd(p)) => {
                            if let Some(r) = &p.name {
                                self.relation(&at, r);
                            }
                        }
                        _ => {}
                    }
                }
            }
            NodeEnum::CreateFunctionStmt(s) => {
                for parameter in &s.parameters {
                    if let Some(NodeEnum::FunctionParameter(p)) = &parameter.node {
                        if let Some(t) = &p.arg_type {
                            self.type_name(&at, t);
                        }
                        if let Some(default) = p.defexpr.as_ref().and_then(|d| d.node.as_ref()) {
                            self.expression(&at, default);
                        }
                    }
                }
                if let Some(t) = &s.return_type {
                    self.type_name(&at, t);
                }
            }
            NodeEnum::CompositeTypeStmt(s) => {
                for column in &s.coldeflist {
                    if let Some(NodeEnum::ColumnDef(c)) = &column.node {
                        self.column(&at, c);
                    }
                }
            }
            NodeEnum::CreateDomainStmt(s) => {
                if let Some(t) = &s.type_name {
                    self.type_name(&at, t);
                }
                for constraint in &s.constraints {
                    if let Some(NodeEnum::Constraint(c)) = &constraint.node {
                        self.constraint(&at, c);
                    }
                }
            }
            NodeEnum::CreateTrigStmt(s) => {
                if let Some(name) = Name::dotted(Namespace::Function, &s.funcname) {
                    // The statement has no location for the function: find its name.
                    let lower = text.to_ascii_lowercase();
                    let location = lower
                        .rfind(&name.name.to_ascii_lowercase())
                        .and_then(|i| i32::try_from(i).ok())
                        .unwrap_or(-1);
                    self.uses(&at, name, location);
                }
            }
            _ => {}
        }
    }

    fn creates(&mut self, node: &NodeEnum) {
        let created = match node {
            NodeEnum::CreateStmt(s) => s
                .relation
                .as_ref()
                .filter(|r| r.relpersistence != "t")
                .and_then(Name::relation)
                .map(|n| (n, "table")),
            NodeEnum::CreateTableAsStmt(s) => {
                let what = if s.objtype == ObjectType::ObjectMatview as i32 {
                    "materialized view"
                } else {
                    "table"
                };
                s.into
                    .as_ref()
                    .and_then(|i| i.rel.as_ref())
                    .filter(|r| r.relpersistence != "t")
                    .and_then(Name::relation)
                    .map(|n| (n, what))
            }
            NodeEnum::ViewStmt(s) => s
                .view
                .as_ref()
                .filter(|r| r.relpersistence != "t")
                .and_then(Name::relation)
                .map(|n| (n, "view")),
            NodeEnum::CompositeTypeStmt(s) => s
                .typevar
                .as_ref()
                .and_then(|r| Name::new(Namespace::Type, &r.schemaname, &r.relname))
                .map(|n| (n, "type")),
            NodeEnum::CreateEnumStmt(s) => {
                Name::dotted(Namespace::Type, &s.type_name).map(|n| (n, "type"))
            }
            NodeEnum::CreateDomainStmt(s) => {
                Name::dotted(Namespace::Type, &s.domainname).map(|n| (n, "domain"))
            }
            NodeEnum::CreateFunctionStmt(s) => {
                let what = if s.is_procedure {
                    "procedure"
                } else {
                    "function"
                };
                Name::dotted(Namespace::Function, &s.funcname).map(|n| (n, what))
            }
            _ => None,
        };
        if let Some((name, what)) = created {
            self.created.push(Created { name, what });
        }
    }

    /// Tables, functions and types used anywhere pg_query's walker reaches from `node`:
    /// queries, DML, the target of DDL, index expressions.
    fn expression(&mut self, at: &At<'_>, node: &NodeEnum) {
        for (n, ..) in node.nodes() {
            match n {
                NodeRef::RangeVar(r) => self.relation(at, r),
                NodeRef::FuncCall(f) => {
                    if let Some(name) = Name::dotted(Namespace::Function, &f.funcname) {
                        self.uses(at, name, f.location);
                    }
                }
                NodeRef::TypeCast(c) => {
                    if let Some(t) = &c.type_name {
                        self.type_name(at, t);
                    }
                }
                _ => {}
            }
        }
    }

    fn column(&mut self, at: &At<'_>, c: &ColumnDef) {
        if let Some(t) = &c.type_name {
            self.type_name(at, t);
        }
        if let Some(default) = c.raw_default.as_ref().and_then(|d| d.node.as_ref()) {
            self.expression(at, default);
        }
        for constraint in &c.constraints {
            if let Some(NodeEnum::Constraint(c)) = &constraint.node {
                self.constraint(at, c);
            }
        }
    }

    fn constraint(&mut self, at: &At<'_>, c: &Constraint) {
        if let Some(r) = &c.pktable {
            self.relation(at, r);
        }
        for expr in [&c.raw_expr, &c.where_clause].into_iter().flatten() {
            if let Some(node) = &expr.node {
                self.expression(at, node);
            }
        }
    }

    fn relation(&mut self, at: &At<'_>, r: &RangeVar) {
        if r.schemaname.is_empty() && at.ctes.contains(&r.relname) {
            return;
        }
        if let Some(name) = Name::relation(r) {
            self.uses(at, name, r.location);
        }
    }

    fn type_name(&mut self, at: &At<'_>, t: &TypeName) {
        if t.pct_type {
            return;
        }
        if let Some(name) = Name::dotted(Namespace::Type, &t.names) {
            self.uses(at, name, t.location);
        }
    }

    fn uses(&mut self, at: &At<'_>, name: Name, location: i32) {
        self.uses.push(Use {
            name,
            span: ident_span(at.text, at.offset, location),
            first_line: at.first_line,
        });
    }
}

/// The byte range in the file of the (possibly qualified, possibly quoted) name at
/// `location` in the statement, or of the statement when pg_query did not say where.
fn ident_span(text: &str, offset: usize, location: i32) -> (usize, usize) {
    let Some(start) = usize::try_from(location).ok().filter(|&s| s < text.len()) else {
        return (offset, offset + text.len());
    };
    let bytes = text.as_bytes();
    let mut end = start;
    let mut quoted = false;
    // Identifier characters: ASCII letters, digits, `_`, `$`, `.` between parts, and any
    // non-ASCII byte; anything inside double quotes.
    let in_name =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.') || !b.is_ascii();
    while end < bytes.len() {
        let b = bytes[end];
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && !in_name(b) {
            break;
        }
        end += 1;
    }
    (offset + start, offset + end.max(start + 1))
}

/// A finding of the cross-file pass, in file `file` (an index into the inputs).
#[derive(Debug)]
pub(crate) struct Finding {
    pub file: usize,
    pub span: (usize, usize),
    pub first_line: usize,
    pub message: String,
    pub help: String,
}

/// How a file takes part in the run order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Runs(Version),
    Retired(Version),
}

/// A file's role and the name a `DEPENDS` line uses for it, from its file name; `None` for
/// files that are not forward migrations (`.down.sql`) or have no version.
fn role(path: &Path) -> Option<(Role, String)> {
    let file_name = path.file_name()?.to_str()?;
    let (retired, base) = match file_name.strip_suffix(".retired") {
        Some(base) => (true, base),
        None => (false, file_name),
    };
    if base.ends_with(".down.sql") {
        return None;
    }
    let (version, _) = Version::from_leading_digits(base)?;
    let role = if retired {
        Role::Retired(version)
    } else {
        Role::Runs(version)
    };
    Some((role, base.to_owned()))
}

/// Uses of objects that another file of the set creates, when no creator runs before the
/// user: every creator has a version that is not lower, or is retired. `files[i]` is what
/// `inputs[i]` creates and uses (`None` when it could not be read).
pub(crate) fn undeclared(inputs: &[LintInput], files: &[Option<FileObjects>]) -> Vec<Finding> {
    let roles: Vec<Option<(Role, String)>> = inputs.iter().map(|i| role(&i.path)).collect();
    // Creators by unqualified name: (file, how the file named it, what it is).
    let mut creators: HashMap<(Namespace, &str), Vec<(usize, &Created)>> = HashMap::new();
    for (index, objects) in files.iter().enumerate() {
        let (Some(objects), Some(_)) = (objects, &roles[index]) else {
            continue;
        };
        for created in &objects.created {
            creators
                .entry((created.name.namespace, created.name.name.as_str()))
                .or_default()
                .push((index, created));
        }
    }

    let mut findings = Vec::new();
    for (index, objects) in files.iter().enumerate() {
        let (Some(objects), Some((Role::Runs(version), _))) = (objects, &roles[index]) else {
            continue;
        };
        let mut reported: HashSet<&Name> = HashSet::new();
        for used in &objects.uses {
            let Some(candidates) = creators.get(&(used.name.namespace, used.name.name.as_str()))
            else {
                continue;
            };
            let matching: Vec<&(usize, &Created)> = candidates
                .iter()
                .filter(|(_, c)| used.name.matches(&c.name))
                .collect();
            let runs_before = |file: usize| match roles[file] {
                Some((Role::Runs(v), _)) => v < *version,
                _ => false,
            };
            if matching.is_empty()
                || matching
                    .iter()
                    .any(|(file, _)| *file == index || runs_before(*file))
                || reported.contains(&used.name)
            {
                continue;
            }
            reported.insert(&used.name);
            // Name the creator that runs first, or else the first retired one.
            let Some(&&(creator, created)) = matching.iter().min_by_key(|(file, _)| {
                match roles[*file].as_ref().map(|(r, _)| *r) {
                    Some(Role::Runs(v)) => (0, v),
                    Some(Role::Retired(v)) => (1, v),
                    None => (2, Version(0)),
                }
            }) else {
                continue;
            };
            let Some((creator_role, depends_name)) = &roles[creator] else {
                continue;
            };
            let file_name = inputs[creator]
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let what = created.what;
            let name = &used.name;
            let (message, help) = match *creator_role {
                Role::Runs(v) => (
                    if v == *version {
                        format!("{what} `{name}` is created by {file_name}, which has the same version as this migration")
                    } else {
                        format!("{what} `{name}` is created by {file_name}, which runs after this migration")
                    },
                    format!(
                        "renumber this migration above version {v} (or move the CREATE into a migration that runs before it), then add `-- DEPENDS: {depends_name}` to its header"
                    ),
                ),
                Role::Retired(v) => (
                    format!("{what} `{name}` is created only by {file_name}, which is retired and never runs"),
                    if v < *version {
                        format!(
                            "rename it back to {depends_name} and add `-- DEPENDS: {depends_name}` to this migration's header, or create the {what} in this migration"
                        )
                    } else {
                        format!(
                            "rename it back to {depends_name}, renumber this migration above version {v} and add `-- DEPENDS: {depends_name}` to its header, or create the {what} in this migration"
                        )
                    },
                ),
            };
            findings.push(Finding {
                file: index,
                span: used.span,
                first_line: used.first_line,
                message,
                help,
            });
        }
    }
    findings
}
