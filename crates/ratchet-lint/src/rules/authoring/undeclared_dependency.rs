use crate::context::StatementContext;
use crate::objects::UNDECLARED_DEPENDENCY;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags a migration that uses a table, view, type or function that another migration in
/// the set creates, when that migration does not run before it: it has a higher version, or
/// it is retired (`*.sql.retired`) and never runs at all.
///
/// This rule looks at all the files linted together: walking them in version order, it
/// records which migration creates each object (`CREATE TABLE`, `CREATE TABLE ... AS`,
/// `CREATE VIEW`, `CREATE MATERIALIZED VIEW`, `CREATE TYPE`, `CREATE DOMAIN`,
/// `CREATE FUNCTION`, `CREATE PROCEDURE`) and which objects each one uses (tables in queries,
/// DML, `ALTER TABLE`, indexes, triggers and foreign keys; functions called in expressions,
/// defaults and triggers; types of columns, parameters and casts). Objects that no migration
/// in the set creates are assumed to exist already and are not checked. Bodies of functions
/// written as strings are not read. Each object is reported once per file, at its first use.
///
/// ## Why is this bad?
/// Migrations run in version order. On a fresh database (a new environment, CI, a
/// developer's laptop) the migration fails because the object does not exist yet; on an
/// existing one it only works because the objects happen to have been created by hand or in
/// another order, which hides the problem until the next fresh install.
///
/// ## Example
/// ```sql
/// -- 0001_orders.sql
/// CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
/// -- 0002_users.sql
/// CREATE TABLE users (id bigint PRIMARY KEY);
/// ```
///
/// ## Use instead
/// Create the object in a migration that runs first, and declare the dependency:
/// ```sql
/// -- 0001_users.sql
/// CREATE TABLE users (id bigint PRIMARY KEY);
/// -- 0002_orders.sql
/// -- DEPENDS: 0001_users.sql
/// CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
/// ```
pub struct UndeclaredDependency;

impl Rule for UndeclaredDependency {
    fn id(&self) -> &'static str {
        UNDECLARED_DEPENDENCY
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    /// Nothing to do one statement at a time: the engine runs this rule as a second pass over
    /// all files (see `crate::objects`).
    fn check(&self, _cx: &StatementContext<'_>, _severity: Severity, _out: &mut Vec<Diagnostic>) {}
}
